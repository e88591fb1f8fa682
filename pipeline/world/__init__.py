"""The synthetic B2B world: a believable CRM and enrichment export whose truth is known.

`generate` yields the world chunk by chunk (accounts are independent across chunks), so a million accounts
need no more memory than a few chunks. Each chunk holds the export tables and the truth tables.
"""

from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.world import catalog as C
from pipeline.world import deals, export, firms, signals

SUMMARY, DRIVERS = "world.json", "drivers.json"  # beside the truth tables: the world's figures, its drivers
PREHISTORY_DAYS = 182  # signals start half a year before the first deal, so every window has history
INTENT_COVERAGE = 0.6  # share of accounts the intent vendor covers


@dataclass(frozen=True)
class WorldConfig:
    accounts: int = 20000
    seed: int = 7
    end_date: str = "2026-06-30"
    years: int = 3
    chunk_size: int = 20000
    role_effect: bool = True  # the planted role: an engaged finance contact raises P(win) (catalog.effects)


@dataclass
class Chunk:
    tables: dict[str, pd.DataFrame]
    truth: dict[str, pd.DataFrame]
    accounts: int


def timeline(cfg: WorldConfig) -> dict:
    end = pd.Timestamp(cfg.end_date)
    first_deal = end - pd.DateOffset(years=cfg.years)
    origin = first_deal - pd.Timedelta(days=PREHISTORY_DAYS)
    return {
        "origin": origin,
        "end": end,
        "days": (end - origin).days,
        "first_deal_day": (first_deal - origin).days,
        "origin_year": origin.year + (origin.day_of_year - 1) / 365.0,
    }


def generate(cfg: WorldConfig, workers: int = 0) -> Iterator[Chunk]:
    """The chunks in order. With `workers`, that many processes simulate the next chunks while this one
    numbers and exports the last: each chunk draws from its own seed, so the world is the same whatever
    `workers` is; only the ids run on across chunks, and they are given here, in order."""
    t = timeline(cfg)
    counters = {"contacts": 0, "opps": 0, "dups": 0}
    firsts = range(0, cfg.accounts, cfg.chunk_size)
    jobs = [(cfg, t, index, first) for index, first in enumerate(firsts)]
    for first, (rng, w) in zip(firsts, _simulated(jobs, workers), strict=True):
        yield _exported(rng, w, first, cfg, counters)


def _simulated(jobs: list[tuple], workers: int) -> Iterator[tuple]:
    """_simulate of every job, in order, at most `workers` chunks ahead of the one being exported: memory
    stays a few chunks' whatever the world's size."""
    if not workers or len(jobs) < 2:
        yield from map(_simulate, jobs)
        return
    with ProcessPoolExecutor(workers) as pool:
        ahead = deque(pool.submit(_simulate, job) for job in jobs[:workers])
        for job in jobs[workers:]:
            done = ahead.popleft()
            ahead.append(pool.submit(_simulate, job))  # before the export: the workers never wait on it
            yield done.result()
        while ahead:
            yield ahead.popleft().result()


def _simulate(job: tuple) -> tuple[np.random.Generator, dict]:
    """A chunk's companies, people, signals and deals: the heavy part, which needs no other chunk. Its
    generator comes back too: the export draws on from where the simulation left it."""
    cfg, t, index, first = job
    n = min(cfg.chunk_size, cfg.accounts - first)
    rng = np.random.default_rng([cfg.seed, index])
    days, weeks = t["days"], (t["days"] + 6) // 7
    w = {"origin": t["origin"], "days": days, "origin_year": t["origin_year"]}
    w["effects"] = C.effects(cfg.role_effect)
    w["firms"] = firms.make_firms(rng, n, t["end"].year)
    w["contacts"] = firms.make_contacts(rng, w["firms"], days)
    w["tech"] = firms.make_technographics(rng, w["firms"], days)
    w["triggers"] = signals.make_triggers(rng, w["firms"], days)
    w["in_market"], breadth = signals.make_in_market(rng, w["firms"], w["triggers"], weeks)
    w["activities"] = signals.make_activities(rng, w["contacts"], w["in_market"], breadth, days)
    w["intent"] = signals.make_intent(rng, w["in_market"], rng.uniform(size=n) < INTENT_COVERAGE, days)
    w["opps"], w["state"] = deals.make_opportunities(rng, w, t["first_deal_day"])
    post_acts, post_tech = deals.post_deal_records(rng, w, w["opps"])
    w["merged"] = {"acts": _merge(w["activities"], post_acts), "tech": _merge(w["tech"], post_tech)}
    return rng, w


def _exported(rng: np.random.Generator, w: dict, first: int, cfg: WorldConfig, counters: dict) -> Chunk:
    """A simulated chunk given its ids (they follow the chunks before it) and made into export and truth
    tables."""
    acts, tech = w["merged"]["acts"], w["merged"]["tech"]
    accounts, ids, (dup, dup_ids), no_emp, no_rev, customer = export.accounts(
        rng, w, first, cfg.accounts, counters["dups"]
    )
    contact_numbers = counters["contacts"] + np.arange(len(w["contacts"]["account"]))
    contact_ids = export._ids("CON-", contact_numbers)
    opp_ids = export._ids("OPP-", counters["opps"] + np.arange(len(w["opps"]["account"])))
    deal_account = ids[w["opps"]["account"]]
    dup_of = dict(zip(dup, dup_ids, strict=True))
    moved = np.array([a in dup_of for a in w["opps"]["account"]]) & (
        rng.uniform(size=len(deal_account)) < 0.5
    )
    deal_account[moved] = [dup_of[a] for a in w["opps"]["account"][moved]]
    counters["contacts"] += len(contact_ids)
    counters["opps"] += len(opp_ids)
    counters["dups"] += len(dup)

    tables = {
        "accounts": accounts,
        "opportunities": export.opportunities(rng, w, deal_account, opp_ids),
        "snapshots": export.snapshots(w, ids, no_emp, no_rev, customer),
        "technographics": export.technographics(w, ids, tech),
        "activities": export.activities(rng, w, ids, contact_ids, acts),
        "intent": export.intent(w, ids),
        "triggers": export.triggers(w, ids),
        "contacts": export.contacts(rng, w, ids, contact_ids, contact_numbers),
    }
    return Chunk(tables, _truth(w, ids, opp_ids, dup, dup_ids), len(ids))


def _merge(a: dict, b: dict) -> dict:
    out = {k: np.concatenate([a[k], b[k]]) for k in a}
    order = np.lexsort((out["day"] if "day" in out else out["first"], out["account"]))
    return {k: v[order] for k, v in out.items()}


def _truth(w: dict, ids, opp_ids, dup, dup_ids) -> dict[str, pd.DataFrame]:
    o, s, days = w["opps"], w["state"], w["days"]
    n = len(ids)
    expansion = s["won"] > 0
    _, p, amount = deals.truth(w, np.arange(n), np.full(n, days), s["lost"], s["spend"], expansion)
    return {
        "opportunities": pd.DataFrame(
            {
                "opportunity_id": opp_ids,
                "account_id": ids[o["account"]],
                "true_p_win": o["p"],
                "true_expected_amount": o["mean_amount"],
                "true_expected_value": o["p"] * o["mean_amount"],
            }
        ),
        "accounts": pd.DataFrame(
            {
                "account_id": ids,
                "deal_type": np.where(expansion, "expansion", "new business"),
                "true_p_win": p,
                "true_expected_amount": amount,
                "true_expected_value": p * amount,
            }
        ),
        "duplicates": pd.DataFrame({"duplicate_account_id": dup_ids, "account_id": ids[dup]}),
    }


def drivers(role_effect: bool = True) -> list[dict]:
    """The planted effects on the win logit (log-odds units), as the truth folder lists them; the role
    effect's switch (synthesize.role_effect) says whether it is planted."""
    E = C.effects(role_effect)
    text = {
        "company_size": f"mid-size sweet spot: {E['size_peak']:+} at 10^{C.SIZE_CENTRE} (~400) employees, "
        f"{E['size_curvature']} x (log10(employees) - {C.SIZE_CENTRE})^2, floored at {C.SIZE_FLOOR}",
        "industry_fit": "per industry: " + ", ".join(f"{k} {v[4]:+}" for k, v in C.INDUSTRY.items()),
        "complementary_tech": "runs a complementary product (category complement)",
        "competing_tech": "runs a competing product (category competitor)",
        "complement_x_midsize": "interaction: complementary product at a 200-2,000 employee company",
        "funding_90d": "raised a funding round in the last 90 days (no effect after)",
        "executive_hire_90d": "hired an executive in the last 90 days",
        "layoffs_180d": "announced layoffs in the last 180 days",
        "intent_surge_28d": "intent score >= 70 on a relevant topic ("
        + ", ".join(C.TOPICS[: C.RELEVANT_TOPICS])
        + ") in the last 28 days",
        "surge_x_committee": "interaction: intent surge while 3+ contacts engaged in 90 days",
        "committee_breadth": f"{E['committee_per_contact']:+} per distinct contact with marketing activity "
        "in the last 90 days, up to 6",
        "finance_engaged_90d": (
            f"a role: {E['finance_engaged_90d']:+} when a {C.ROLE_DEPARTMENT} contact had marketing activity "
            "in the last 90 days, beside the breadth it adds"
            if role_effect
            else f"off (synthesize.role_effect: false): an engaged {C.ROLE_DEPARTMENT} contact counts only "
            "towards the committee's breadth"
        ),
        "company_age": f"{E['young_company']:+} under 3 years old; {E['age_per_doubling']:+} per doubling "
        "of age over 8 years, clipped to [-0.4, +0.6]",
        "prior_lost_deals": f"{E['prior_lost_each']:+} per earlier lost deal, up to 2",
        "prior_spend": f"expansion deals: {E['expansion']:+}, plus {E['prior_spend_per_decade']:+} "
        "per tenfold earlier spend above 10k USD",
    }
    effect = {
        "company_size": E["size_peak"],
        "industry_fit": float(np.ptp(C.INDUSTRY_FIT)),
        "committee_breadth": E["committee_per_contact"] * 6,
        "company_age": E["young_company"],
        "prior_lost_deals": E["prior_lost_each"],
        "prior_spend": E["expansion"],
    }
    return [
        {
            "driver": k,
            "effect_logit": effect.get(k, E.get(k)),
            "kind": "interaction" if "_x_" in k else "main",
            "description": v,
        }
        for k, v in text.items()
    ]
