"""Who the companies are: firmographics over time, their contacts and the technology they run.

Everything here is a numpy array indexed by the account's position in the chunk; days count from the world's
origin (day 0). Rows are generated sorted by account so that the truth can look records up by range.
"""

import numpy as np

from features.contract import DEPARTMENTS, FUNDING_STAGES, SENIORITIES
from pipeline.world import catalog as C

SNAPSHOT_EVERY = 91  # days between firmographic snapshots (quarterly, as enrichment vendors refresh)


def make_firms(rng: np.random.Generator, n: int, end_year: int) -> dict[str, np.ndarray]:
    ind = rng.choice(len(C.INDUSTRY_SHARE), n, p=C.INDUSTRY_SHARE)
    emp0 = np.exp(rng.normal(np.log(110 * C.SIZE_MULT[ind]), 1.55))
    emp0 = np.clip(emp0, 2, 400_000)
    age = np.clip(np.exp(rng.normal(np.log(6 + 3.5 * np.log10(emp0)), 0.75)), 1, 150)
    founded = end_year - np.round(age).astype(int)
    growth = np.clip(rng.normal(0.06 + 0.5 / age, 0.12), -0.3, 1.0)
    country = rng.choice(len(C.COUNTRIES), n, p=C.COUNTRY_SHARE)
    young = age < 12
    ownership = np.where(
        emp0 > 5000 * rng.uniform(0.5, 2, n),
        "public",
        np.where(
            young & (rng.uniform(size=n) < 0.55),
            "vc_backed",
            np.where(rng.uniform(size=n) < 0.12, "pe_backed", "private"),
        ),
    ).astype(object)
    nonprofit_ind = np.isin(ind, [C.INDUSTRIES.index("Education"), C.INDUSTRIES.index("Healthcare")])
    ownership[nonprofit_ind & (rng.uniform(size=n) < 0.3)] = "nonprofit"
    ownership[ind == C.INDUSTRIES.index("Government")] = "government"
    stage_by_age = np.digitize(age, [3, 6, 10])  # seed, series_a, series_b, series_c_plus
    funding = np.full(n, None, dtype=object)
    vc = ownership == "vc_backed"
    funding[vc] = np.array(FUNDING_STAGES[1:5])[stage_by_age[vc]]
    funding[ownership == "public"] = "public"
    funding[(ownership == "private") & (rng.uniform(size=n) < 0.5)] = "bootstrapped"
    return {
        "industry": ind,
        "emp0": emp0,
        "growth": growth,
        "founded": founded,
        "country": country,
        "ownership": ownership,
        "funding": funding,
        "rev_per_emp": C.REVENUE_PER_EMPLOYEE[ind] * np.exp(rng.normal(0, 0.35, n)),
    }


def employees_at(firms: dict, day) -> np.ndarray:
    """Headcount on a given day, growing at the account's own rate (before any post-deal growth)."""
    return firms["emp0"] * (1 + firms["growth"]) ** (np.asarray(day) / 365.0)


def snapshot_days(days: int) -> np.ndarray:
    return np.arange(0, days, SNAPSHOT_EVERY)


def employees_known(firms: dict, acc: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Headcount of the latest snapshot strictly before `day`: what was knowable then."""
    snap = (np.maximum(day, 1) - 1) // SNAPSHOT_EVERY * SNAPSHOT_EVERY
    return np.maximum(np.round(firms["emp0"][acc] * (1 + firms["growth"][acc]) ** (snap / 365.0)), 1)


def make_contacts(rng: np.random.Generator, firms: dict, days: int) -> dict[str, np.ndarray]:
    n = len(firms["emp0"])
    k = np.clip(2 + rng.poisson(0.9 * np.log10(firms["emp0"]) + 1.0), 2, 12)
    acc = np.repeat(np.arange(n), k)
    m = len(acc)
    seniority = rng.choice(len(SENIORITIES), m, p=list(C.SENIORITY_SHARE.values()))
    department = rng.choice(len(DEPARTMENTS), m, p=list(C.DEPARTMENT_SHARE.values()))
    created = rng.integers(-720, int(days * 0.85), m)
    return {"account": acc, "seniority": seniority, "department": department, "created": created}


def make_technographics(rng: np.random.Generator, firms: dict, days: int) -> dict[str, np.ndarray]:
    base = np.array([p[2] for p in C.PRODUCTS])
    size = np.clip(0.45 + 0.22 * np.log10(firms["emp0"]), 0.3, 1.6)
    tech = np.where(C.TECH_INDUSTRY[firms["industry"]], 1.4, 0.85)
    prob = np.clip(base[None, :] * (size * tech)[:, None], 0, 0.95)
    adopted = rng.uniform(size=prob.shape) < prob
    acc, product = np.nonzero(adopted)  # row-major: sorted by account
    first = rng.integers(-1500, days + 400, len(acc))
    keep = first < days  # adoption after the export date has not happened yet
    acc, product, first = acc[keep], product[keep], first[keep]
    churned = rng.uniform(size=len(acc)) < 0.12
    last = np.where(churned, first + (rng.uniform(size=len(acc)) * (days - first)).astype(int), days - 1)
    last = np.maximum(last, first)
    return {"account": acc, "product": product, "first": first, "last": last}
