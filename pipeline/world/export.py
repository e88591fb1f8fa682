"""Turn one chunk of the world into tables shaped like CRM and enrichment exports, mess included:
misspelt industries and countries, missing headcounts, duplicate account rows sharing a domain, and
present-state fields (is_customer, customer_since, grown headcount) that leak the outcome."""

import numpy as np
import pandas as pd

from features.contract import ACTIVITY_TYPES, DEPARTMENTS, SENIORITIES, TECH_CATEGORIES, TRIGGER_TYPES
from pipeline.world import catalog as C
from pipeline.world.firms import employees_at, snapshot_days

POST_WIN_GROWTH = 1.3  # customers grow after buying: today's headcount knows the outcome


def _ids(prefix: str, numbers) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.asarray(numbers).astype(str), 7)).astype(object)


def _messy(rng, values: np.ndarray, variants: dict[str, list[str]], share: float) -> np.ndarray:
    out = values.astype(object).copy()
    for canonical, options in variants.items():
        hit = (out == canonical) & (rng.uniform(size=len(out)) < share)
        out[hit] = rng.choice(options, int(hit.sum()))
    return out


def _dates(origin: pd.Timestamp, day: np.ndarray, second=None) -> pd.Series:
    delta = np.asarray(day, "int64") * 86400 + (0 if second is None else np.asarray(second, "int64"))
    return pd.Series(origin + pd.to_timedelta(delta, unit="s")).astype("datetime64[s]")


def _null_where(values, mask) -> pd.Series:
    return pd.Series(values).where(~mask)


def accounts(rng, w: dict, first: int, n_total: int, dup_start: int):
    """Account rows (with duplicates) and a map from every account position to the id its deals use."""
    f, n, days, origin = w["firms"], len(w["firms"]["emp0"]), w["days"], w["origin"]
    ids = _ids("ACC-", first + np.arange(n))
    names = np.char.add(np.char.add(rng.choice(C.NAME_A, n), " "), rng.choice(C.NAME_B, n)).astype(object)
    domains = (
        np.char.lower(np.char.replace(names.astype(str), " ", "")).astype(object)
        + np.char.mod("%x", first + np.arange(n)).astype(object)
        + ".com"
    )
    names = names + " " + rng.choice(C.NAME_SUFFIX, n)
    customer = w["state"]["first_win"] < days
    grown = np.where(customer, POST_WIN_GROWTH, 1.0)
    emp_now = np.maximum(np.round(employees_at(f, days) * grown), 1)
    no_emp = rng.uniform(size=n) < 0.08
    no_rev = rng.uniform(size=n) < 0.10
    top = np.argsort(-f["emp0"])[: max(1, n // 20)]
    has_parent = (rng.uniform(size=n) < 0.04) & ~np.isin(np.arange(n), top)
    country = np.array(C.COUNTRIES, object)[f["country"]]
    df = pd.DataFrame(
        {
            "account_id": ids,
            "name": names,
            "domain": np.where(rng.uniform(size=n) < 0.05, "www." + domains, domains),
            "industry": _messy(rng, np.array(C.INDUSTRIES, object)[f["industry"]], C.INDUSTRY_VARIANTS, 0.15),
            "employees": _null_where(emp_now, no_emp).astype("Int64"),
            "annual_revenue": _null_where(np.round(emp_now * f["rev_per_emp"], -3), no_rev),
            "founded_year": pd.array(f["founded"], "Int64"),
            "country": _messy(rng, country, C.COUNTRY_VARIANTS, 0.15),
            "region": pd.Series(country).map(C.COUNTRY_REGION).to_numpy(),
            "ownership": f["ownership"],
            "funding_stage": f["funding"],
            "parent_account_id": np.where(has_parent, ids[rng.choice(top, n)], None),
            "employee_growth_1y": _null_where(np.round(grown * (1 + f["growth"]) - 1, 3), no_emp),
            "is_customer": customer,
            "customer_since": _dates(origin, np.where(customer, w["state"]["first_win"], 0)).where(customer),
            "snapshot_date": _dates(origin, np.full(n, days)),
        }
    )
    dup = np.nonzero(rng.uniform(size=n) < 0.02)[0]
    dup_ids = _ids("ACC-", n_total + dup_start + np.arange(len(dup)))
    copies = df.iloc[dup].assign(
        account_id=dup_ids,
        name=df["name"].iloc[dup].str.upper().to_numpy(),
        domain="https://www." + df["domain"].iloc[dup].str.removeprefix("www.").str.upper() + "/",
        employees=pd.array([pd.NA] * len(dup), "Int64"),
    )
    return pd.concat([df, copies], ignore_index=True), ids, (dup, dup_ids), no_emp, no_rev, customer


def snapshots(w: dict, ids, no_emp, no_rev, customer) -> pd.DataFrame:
    f, days = w["firms"], w["days"]
    snap = snapshot_days(days)
    n = len(ids)
    acc = np.repeat(np.arange(n), len(snap))
    day = np.tile(snap, n)
    after_win = customer[acc] & (day > w["state"]["first_win"][acc])
    emp = np.maximum(
        np.round(
            employees_at({k: f[k][acc] for k in ("emp0", "growth")}, day)
            * np.where(after_win, POST_WIN_GROWTH, 1.0)
        ),
        1,
    )
    return pd.DataFrame(
        {
            "account_id": ids[acc],
            "snapshot_date": _dates(w["origin"], day),
            "employees": _null_where(emp, no_emp[acc]).astype("Int64"),
            "annual_revenue": _null_where(np.round(emp * f["rev_per_emp"][acc], -3), no_rev[acc]),
        }
    )


def _person_names(numbers: np.ndarray) -> np.ndarray:
    """A name for each contact number, from the number alone (never the world's random draws, so no other
    table changes): first names cycle, last names step by five, so colleagues numbered one after another do
    not share a surname and every pair comes once before any repeats."""
    first, last = np.array(C.FIRST_NAMES, object), np.array(C.LAST_NAMES, object)
    return first[numbers % len(first)] + " " + last[(5 * numbers + numbers // len(first)) % len(last)]


def contacts(rng, w: dict, ids, contact_ids, numbers) -> pd.DataFrame:
    c = w["contacts"]
    seniority = np.array(SENIORITIES, object)[c["seniority"]]
    department = np.array(DEPARTMENTS, object)[c["department"]]
    words = np.array([d.title() if d != "it" else "IT" for d in DEPARTMENTS], object)[c["department"]]
    title = np.array([C.TITLE_WORD[s].format(d) for s, d in zip(seniority, words, strict=True)], object)
    return pd.DataFrame(
        {
            "contact_id": contact_ids,
            "account_id": ids[c["account"]],
            "name": _person_names(numbers),
            "title": title,
            "seniority": seniority,
            "department": department,
            "created_date": _dates(w["origin"], c["created"]),
        }
    )


def technographics(w: dict, ids, tech: dict) -> pd.DataFrame:
    products = np.array([p[0] for p in C.PRODUCTS], object)
    categories = np.array([p[1] for p in C.PRODUCTS], object)
    assert set(categories) <= set(TECH_CATEGORIES)
    return pd.DataFrame(
        {
            "account_id": ids[tech["account"]],
            "technology": products[tech["product"]],
            "category": categories[tech["product"]],
            "first_seen": _dates(w["origin"], tech["first"]),
            "last_seen": _dates(w["origin"], tech["last"]),
        }
    )


def activities(rng, w: dict, ids, contact_ids, acts: dict) -> pd.DataFrame:
    kind = np.array(ACTIVITY_TYPES, object)[acts["kind"]]
    detail = np.full(len(kind), None, object)
    for k, options in C.DETAILS.items():
        hit = kind == k
        detail[hit] = rng.choice(options, int(hit.sum()))
    return pd.DataFrame(
        {
            "account_id": ids[acts["account"]],
            "contact_id": np.where(acts["contact"] >= 0, contact_ids[np.maximum(acts["contact"], 0)], None),
            "timestamp": _dates(w["origin"], acts["day"], acts["second"]),
            "activity_type": kind,
            "detail": detail,
        }
    )


def intent(w: dict, ids) -> pd.DataFrame:
    i = w["intent"]
    return pd.DataFrame(
        {
            "account_id": ids[i["account"]],
            "topic": np.array(C.TOPICS, object)[i["topic"]],
            "week": _dates(w["origin"], i["day"]),
            "score": i["score"].astype("int64"),
        }
    )


def triggers(w: dict, ids) -> pd.DataFrame:
    g = w["triggers"]
    kinds = np.array(TRIGGER_TYPES, object)[g["kind"]]
    return pd.DataFrame(
        {
            "account_id": ids[g["account"]],
            "date": _dates(w["origin"], g["day"]),
            "trigger_type": kinds,
            "detail": pd.Series(kinds).map({k: d for k, (_, d) in C.TRIGGERS.items()}).to_numpy(),
        }
    )


def opportunities(rng, w: dict, deal_account_ids, opp_ids) -> pd.DataFrame:
    o, origin = w["opps"], w["origin"]
    closed = ~o["open"]
    stage = np.where(o["open"], "open", np.where(o["won"], "won", "lost")).astype(object)
    amount_missing = (stage == "lost") & (rng.uniform(size=len(stage)) < 0.25)
    inbound_source = rng.choice(
        ["inbound", "event", "referral", "partner"], len(stage), p=[0.6, 0.15, 0.1, 0.15]
    )
    return pd.DataFrame(
        {
            "opportunity_id": opp_ids,
            "account_id": deal_account_ids,
            "created_date": _dates(origin, o["day"]),
            "close_date": _dates(origin, np.where(closed, o["close"], 0)).where(closed),
            "stage": stage,
            "amount": _null_where(o["amount"], amount_missing),
            "type": np.where(o["expansion"], "expansion", "new business").astype(object),
            "lead_source": np.where(o["inbound"], inbound_source, "outbound").astype(object),
        }
    )
