"""Deals and the truth behind them.

Opportunities are created week by week from in-market windows (inbound) and at random (outbound). Each one's
true win probability is a fixed non-linear function (catalog.EFFECTS) of what was knowable strictly before its
creation day, looked up in the very records the world exports, so a point-in-time pipeline can in principle
recover it.
The outcome is a coin flip with that probability: the irreducible noise.
"""

import numpy as np

from features.contract import ACTIVITY_TYPES, DEPARTMENTS
from pipeline.world import catalog as C
from pipeline.world.firms import employees_known

MARKETING = np.arange(len(C.MARKETING_ACTIVITIES))  # activity kinds that count as engagement
COMPLEMENT = np.array([p[1] == "complement" for p in C.PRODUCTS])
COMPETITOR = np.array([p[1] == "competitor" for p in C.PRODUCTS])
ROLE = DEPARTMENTS.index(C.ROLE_DEPARTMENT)


def _pairs(row_acc: np.ndarray, q_acc: np.ndarray):
    """All (query, row) pairs where the row belongs to the query's account; rows are sorted by account."""
    start = np.searchsorted(row_acc, q_acc, "left")
    length = np.searchsorted(row_acc, q_acc, "right") - start
    q = np.repeat(np.arange(len(q_acc)), length)
    offset = np.arange(len(q)) - np.repeat(np.cumsum(length) - length, length)
    return q, np.repeat(start, length) + offset


def _any(q, mask, n) -> np.ndarray:
    return np.bincount(q[mask], minlength=n) > 0


def knowable(w: dict, acc: np.ndarray, day: np.ndarray) -> dict[str, np.ndarray]:
    """The truth's inputs for accounts `acc` as of the start of `day`: only records dated before it."""
    n = len(acc)
    f = {
        "employees": employees_known(w["firms"], acc, day),
        "industry": w["firms"]["industry"][acc],
        "age": w["origin_year"] + day / 365.0 - w["firms"]["founded"][acc],
    }
    t = w["tech"]
    q, r = _pairs(t["account"], acc)
    live = (t["first"][r] < day[q]) & (t["last"][r] >= day[q] - 1)
    f["complement"] = _any(q, live & COMPLEMENT[t["product"][r]], n)
    f["competitor"] = _any(q, live & COMPETITOR[t["product"][r]], n)
    g = w["triggers"]
    q, r = _pairs(g["account"], acc)
    age = day[q] - g["day"][r]
    for name, kind, window in (
        ("funding_90d", 0, 90),
        ("executive_hire_90d", 1, 90),
        ("layoffs_180d", 5, 180),
    ):
        f[name] = _any(q, (g["kind"][r] == kind) & (age > 0) & (age <= window), n)
    i = w["intent"]
    q, r = _pairs(i["account"], acc)
    age = day[q] - i["day"][r]
    f["intent_surge_28d"] = _any(
        q, (i["topic"][r] < C.RELEVANT_TOPICS) & (i["score"][r] >= 70) & (age > 0) & (age <= 28), n
    )
    a = w["activities"]
    q, r = _pairs(a["account"], acc)
    age = day[q] - a["day"][r]
    hit = (age > 0) & (age <= 90) & (a["contact"][r] >= 0) & np.isin(a["kind"][r], MARKETING)
    pairs = np.unique(np.stack([q[hit], a["contact"][r][hit]]), axis=1)
    f["committee_90d"] = np.bincount(pairs[0], minlength=n)
    role = w["contacts"]["department"][pairs[1]] == ROLE
    f["finance_engaged_90d"] = np.bincount(pairs[0][role], minlength=n) > 0
    return f


def win_logit(
    f: dict, E: dict, prior_lost: np.ndarray, prior_spend: np.ndarray, expansion: np.ndarray
) -> np.ndarray:
    """The true log odds of a win; `E`: the planted effects (catalog.effects)."""
    x = np.log10(f["employees"])
    midsize = (f["employees"] >= 200) & (f["employees"] <= 2000)
    committee = np.minimum(f["committee_90d"], 6)
    return (
        E["intercept"]
        + E["size_peak"]
        + np.maximum(E["size_curvature"] * (x - C.SIZE_CENTRE) ** 2, C.SIZE_FLOOR)
        + C.INDUSTRY_FIT[f["industry"]]
        + E["complementary_tech"] * f["complement"]
        + E["competing_tech"] * f["competitor"]
        + E["complement_x_midsize"] * (f["complement"] & midsize)
        + E["funding_90d"] * f["funding_90d"]
        + E["executive_hire_90d"] * f["executive_hire_90d"]
        + E["layoffs_180d"] * f["layoffs_180d"]
        + E["intent_surge_28d"] * f["intent_surge_28d"]
        + E["surge_x_committee"] * (f["intent_surge_28d"] & (committee >= 3))
        + E["committee_per_contact"] * committee
        + E["finance_engaged_90d"] * f["finance_engaged_90d"]
        + E["young_company"] * (f["age"] < 3)
        + np.clip(E["age_per_doubling"] * np.log2(np.maximum(f["age"], 0.5) / 8), -0.4, 0.6)
        + E["prior_lost_each"] * np.minimum(prior_lost, 2)
        + expansion
        * (
            E["expansion"]
            + E["prior_spend_per_decade"] * np.maximum(np.log10(np.maximum(prior_spend, 1) / 1e4), 0)
        )
    )


def expected_amount(f: dict, expansion: np.ndarray) -> np.ndarray:
    """Mean deal amount in USD: grows with size and depends on industry; expansions are half a new deal."""
    return 6000 * (f["employees"] / 100) ** 0.45 * C.DEAL_MULT[f["industry"]] * np.where(expansion, 0.5, 1.0)


def truth(w: dict, acc, day, prior_lost, prior_spend, expansion):
    f = knowable(w, acc, day)
    p = 1 / (1 + np.exp(-win_logit(f, w["effects"], prior_lost, prior_spend, expansion)))
    return f, p, expected_amount(f, expansion)


def make_opportunities(rng, w: dict, first_day: int) -> tuple[dict, dict]:
    """Week-by-week deal creation and outcomes; returns the deals and each account's state at the end."""
    n, days = len(w["firms"]["emp0"]), w["days"]
    in_market = w["in_market"]
    outbound_rate = 0.0012 * np.clip(0.5 + 0.3 * np.log10(w["firms"]["emp0"]), 0.5, 2)
    founded_at = (w["firms"]["founded"] + 0.5 - w["origin_year"]) * 365  # day a company can first buy
    busy = np.zeros(n, bool)
    pend_close, pend_won, pend_amount = np.zeros(n, int), np.zeros(n, bool), np.zeros(n)
    state = {
        "won": np.zeros(n, int),
        "lost": np.zeros(n, int),
        "spend": np.zeros(n),
        "first_win": np.full(n, 10**9),
    }

    def resolve(cutoff: int):
        """Deals that closed before `cutoff` become history: prior wins, losses and spend."""
        done = busy & (pend_close < cutoff)
        win = done & pend_won
        state["won"] += win
        state["lost"] += done & ~pend_won
        state["spend"] += np.where(win, pend_amount, 0)
        state["first_win"] = np.where(win, np.minimum(state["first_win"], pend_close), state["first_win"])
        busy[done] = False

    rows = []
    for week in range(first_day // 7, (days + 6) // 7):
        resolve(week * 7)
        u = rng.uniform(size=n)
        ready = ~busy & (founded_at < week * 7)
        inbound = ready & in_market[:, week] & (u < 0.12)
        outbound = ready & ~inbound & (u > 1 - outbound_rate)
        acc = np.nonzero(inbound | outbound)[0]
        day = week * 7 + rng.integers(0, 7, len(acc))
        keep = (day >= first_day) & (day < days)
        acc, day = acc[keep], day[keep]
        if not len(acc):
            continue
        expansion = state["won"][acc] > 0
        f, p, mean_amount = truth(w, acc, day, state["lost"][acc], state["spend"][acc], expansion)
        won = rng.uniform(size=len(acc)) < p
        cycle = np.clip(np.exp(rng.normal(np.log(20 + 18 * np.log10(f["employees"])), 0.5)), 7, 365).astype(
            int
        )
        amount = np.round(mean_amount * np.exp(rng.normal(-(0.45**2) / 2, 0.45, len(acc))), -2)
        busy[acc], pend_close[acc], pend_won[acc], pend_amount[acc] = True, day + cycle, won, amount
        rows.append(
            {
                "account": acc,
                "day": day,
                "close": day + cycle,
                "won": won,
                "amount": amount,
                "expansion": expansion,
                "inbound": inbound[acc],
                "p": p,
                "mean_amount": mean_amount,
            }
        )
    resolve(days)
    opps = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]} if rows else {}
    if opps:
        opps["open"] = opps["close"] >= days
    return opps, state


def post_deal_records(rng, w: dict, opps: dict) -> tuple[dict, dict]:
    """The leakage traps: onboarding and support activity and our own product, which only exist after a
    win."""
    days = w["days"]
    won = opps["won"] & ~opps["open"]
    acc, close = opps["account"][won], opps["close"][won]
    k = 3 + rng.poisson(3, len(acc))
    a_acc, a_day = np.repeat(acc, k), np.repeat(close, k) + rng.integers(1, 60, k.sum())
    s = 1 + rng.poisson(4, len(acc))
    s_acc = np.repeat(acc, s)
    s_day = np.repeat(close, s) + (rng.uniform(size=s.sum()) * (days - np.repeat(close, s))).astype(int)
    kind = np.concatenate(
        [
            np.full(len(a_acc), ACTIVITY_TYPES.index("onboarding_session")),
            np.full(len(s_acc), ACTIVITY_TYPES.index("support_ticket")),
        ]
    )
    acc_all, day_all = np.concatenate([a_acc, s_acc]), np.concatenate([a_day, s_day])
    contacts = w["contacts"]["account"]
    lo, hi = np.searchsorted(contacts, acc_all, "left"), np.searchsorted(contacts, acc_all, "right")
    contact = lo + (rng.uniform(size=len(acc_all)) * (hi - lo)).astype(int)
    keep = day_all < days
    activities = {
        "account": acc_all[keep],
        "contact": contact[keep],
        "kind": kind[keep],
        "day": day_all[keep],
        "second": rng.integers(8 * 3600, 18 * 3600, int(keep.sum())),
    }
    first_win = w["state"]["first_win"]
    ours_acc = np.nonzero(first_win < days)[0]
    ours_day = first_win[ours_acc] + rng.integers(7, 45, len(ours_acc))
    keep = ours_day < days
    tech = {
        "account": ours_acc[keep],
        "product": np.full(int(keep.sum()), C.PRODUCT_INDEX[C.OUR_PRODUCT]),
        "first": ours_day[keep],
        "last": np.full(int(keep.sum()), days - 1),
    }
    return activities, tech
