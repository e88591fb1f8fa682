"""The buying committee, learned from deals: the roles (a department, a seniority, or both) whose engagement
before a deal goes with winning it.

More people engaged win more on their own (the committee's breadth), so any role looks good beside deals with
fewer people engaged. Deals are compared like with like: grouped by how many of their contacts were engaged, a
role's odds ratio is the Mantel-Haenszel one across the groups, with the Robins-Breslow-Greenland variance of
its log (closed forms: no seed, sound with many small groups). Honest like the ICP profile's segments: roles
are chosen on the deals the model learned from (those engaged in at least `min_deals` of them whose
Bonferroni-adjusted interval lies above 1), and every figure shown is measured on the holdout deals, which did
not choose them; a role is confirmed when its holdout 95% interval lies above 1.
"""

from statistics import NormalDist

import numpy as np
import pandas as pd

from features.committee import ENGAGED_DAYS
from features.vocabulary import said
from models.split import LEARNED

LEVEL = 0.95
ROLE = ["department", "seniority"]  # a role; a missing one means any


def label(department: str | None, seniority: str | None) -> str:
    """A role in words: 'Finance', 'C-level', 'Finance VP'."""
    return " ".join(said(v) for v in (department, seniority) if v is not None)


def _roles(engaged: pd.DataFrame) -> pd.DataFrame:
    """Each deal's roles engaged (opportunity_id, department, seniority), once each: a contact stands for its
    department, its seniority and the two together; an unknown department or seniority is no role."""
    e = engaged[["opportunity_id", *ROLE]].astype({"department": object, "seniority": object})
    dept, level = e["department"].notna(), e["seniority"].notna()
    parts = [e[dept].assign(seniority=None), e[level].assign(department=None), e[dept & level]]
    return pd.concat(parts, ignore_index=True).drop_duplicates(ignore_index=True)


def _figures(roles: pd.DataFrame, deals: pd.DataFrame) -> dict[tuple, dict]:
    """Per role (department, seniority), on `deals` (opportunity_id, won, engaged: how many contacts were):
    the deals it was engaged in, the shares of won and of lost deals it was engaged in, and the log of its
    Mantel-Haenszel odds ratio of a win across the groups of deals with as many contacts engaged with its
    standard error (None when, in every group, the deals with the role or those without are all won or all
    lost)."""
    x = roles.merge(deals, on="opportunity_id")
    x[ROLE] = x[ROLE].fillna("")  # "" is any: groupby drops missing keys
    cells = x.groupby([*ROLE, "engaged"])["won"].agg(a="sum", k="size").reset_index()
    cells = cells.join(deals.groupby("engaged")["won"].agg(wins="sum", n="size"), on="engaged")
    a, n = cells["a"], cells["n"]
    b, c = cells["k"] - a, cells["wins"] - a  # lost with the role; won without it
    d = n - cells["wins"] - b  # lost without it
    r, s, p, q = a * d / n, b * c / n, (a + d) / n, (b + c) / n
    cells = cells.assign(b=b, r=r, s=s, pr=p * r, ps_qr=p * s + q * r, qs=q * s)
    sums = cells.groupby(ROLE)[["k", "a", "b", "r", "s", "pr", "ps_qr", "qs"]].sum()
    wins = int(deals["won"].sum())
    out = {}
    for (dept, level), g in sums.iterrows():
        out[(dept or None, level or None)] = {
            "deals": len(deals),
            "with_role": int(g["k"]),
            "won_share": g["a"] / max(wins, 1),
            "lost_share": g["b"] / max(len(deals) - wins, 1),
            "log_odds_ratio": None,
        }
        if g["r"] > 0 and g["s"] > 0:  # Robins-Breslow-Greenland
            var = (
                g["pr"] / (2 * g["r"] ** 2) + g["ps_qr"] / (2 * g["r"] * g["s"]) + g["qs"] / (2 * g["s"] ** 2)
            )
            out[(dept or None, level or None)].update(
                log_odds_ratio=float(np.log(g["r"] / g["s"])), se=float(np.sqrt(var))
            )
    return out


def _z(tests: int) -> float:
    """The normal quantile of a two-sided LEVEL interval, Bonferroni-adjusted for `tests` of them."""
    return NormalDist().inv_cdf(1 - (1 - LEVEL) / (2 * max(tests, 1)))


def _shown(figures: dict | None, deals: pd.DataFrame, z: float) -> dict:
    """A role's figures (_figures') with the odds ratio's `z` interval; `deals`: those of its part, for a
    role engaged in none of them."""
    none = {"deals": len(deals), "with_role": 0, "won_share": 0, "lost_share": 0, "log_odds_ratio": None}
    f = figures or none
    ratio = {"odds_ratio": None, "low": None, "high": None}
    if f["log_odds_ratio"] is not None:
        centre, half = f["log_odds_ratio"], z * f["se"]
        ends = (centre, centre - half, centre + half)
        ratio = {k: round(float(np.exp(v)), 6) for k, v in zip(ratio, ends, strict=True)}
    return {
        "deals": f["deals"],
        "with_role": f["with_role"],
        "won_share": round(float(f["won_share"]), 6),
        "lost_share": round(float(f["lost_share"]), 6),
        **ratio,
    }


def _chosen(learned: dict[tuple, dict]) -> list[tuple]:
    """The roles whose interval (`learned`: _shown's) lies above 1, the highest odds ratio first; a
    department x seniority pair only when its interval lies above the odds ratio of its department and of its
    seniority where those are chosen too: else the broader role says it already."""
    up = {role: f for role, f in learned.items() if f["low"] is not None and f["low"] > 1}

    def says_more(role: tuple) -> bool:
        dept, level = role
        broader = [(dept, None), (None, level)] if dept and level else []
        return all(up[role]["low"] > up[b]["odds_ratio"] for b in broader if b in up)

    return sorted((r for r in up if says_more(r)), key=lambda r: (-up[r]["odds_ratio"], label(*r)))


def committee(engaged: pd.DataFrame | None, deals: pd.DataFrame, split: pd.Series, min_deals: int) -> dict:
    """The roles whose engagement raises the win rate, from `engaged` (opportunity_id, department, seniority:
    one row per contact engaged in the ENGAGED_DAYS before a deal; None when the export has no contacts) and
    the closed `deals` (opportunity_id, won) with their `split` (models.split's parts, indexed like
    `deals`)."""
    if engaged is None:
        engaged = pd.DataFrame(columns=["opportunity_id", *ROLE])
    count = engaged.groupby("opportunity_id").size()
    deals = deals[["opportunity_id", "won"]].assign(
        engaged=deals["opportunity_id"].map(count).fillna(0).astype(int)
    )
    learned = deals[split.isin(LEARNED)]
    holdout = deals[split == "holdout"]
    roles = _roles(engaged)
    candidates = {r: f for r, f in _figures(roles, learned).items() if f["with_role"] >= min_deals}
    z = _z(len(candidates))
    chosen = {r: _shown(f, learned, z) for r, f in candidates.items()}
    measured = _figures(roles, holdout)
    out = []
    for role in _chosen(chosen):
        shown = _shown(measured.get(role), holdout, _z(1))
        out.append(
            {
                "label": label(*role),
                "department": role[0],
                "seniority": role[1],
                "holdout": shown,
                "learned": chosen[role],
                "confirmed": shown["low"] is not None and shown["low"] > 1,
            }
        )
    result = {
        "engaged_days": ENGAGED_DAYS,
        "min_deals": min_deals,
        "learned": {
            "deals": len(learned),
            "candidates": len(candidates),
            "level": round(1 - (1 - LEVEL) / max(len(candidates), 1), 6),
        },
        "holdout": {"deals": len(holdout), "wins": int(holdout["won"].sum())},
        "roles": out,
    }
    return result | {"summary": summary(result, len(engaged))}


def _x(value: float) -> str:
    return f"{value:.2f}x"


def line(role: dict) -> str:
    """One role in a sentence, its holdout figures: how much more often won deals had it engaged than lost
    ones, then the odds of a win with as many contacts engaged, with its interval."""
    h, who = role["holdout"], f"an engaged {role['label']} contact"
    if h["lost_share"]:
        shares = (
            f"Won deals had {who} {h['won_share'] / h['lost_share']:.1f}x as often as lost deals "
            f"({h['won_share']:.0%} vs {h['lost_share']:.0%})"
        )
    else:
        shares = f"{h['won_share']:.0%} of won deals had {who}, no lost deal did"
    if h["odds_ratio"] is None:
        odds = "too few holdout deals to compare with deals with as many contacts engaged"
    else:
        odds = (
            f"with as many contacts engaged, the odds of a win were {_x(h['odds_ratio'])} "
            f"(95% CI {_x(h['low'])}-{_x(h['high'])})"
        )
    verdict = "" if role["confirmed"] else " Not confirmed: its holdout interval reaches 1."
    return f"{shares}; {odds}; {h['deals']:,} holdout deals, {h['with_role']:,} with one.{verdict}"


def summary(result: dict, engaged: int) -> str:
    """The committee in a sentence: the confirmed roles, or plainly why there are none."""
    learned, days, least = result["learned"], result["engaged_days"], result["min_deals"]
    if not engaged:
        return (
            f"No contact was engaged (an activity in the {days} days before a deal) before any closed deal: "
            "no buying committee to learn from."
        )
    if not learned["candidates"]:
        return (
            f"No role of the buying committee was engaged before {least:,} or more of the "
            f"{learned['deals']:,} deals learned from (explain.committee_min_deals): too few to tell which "
            "roles win."
        )
    roles = result["roles"]
    confirmed = [r["label"] for r in roles if r["confirmed"]]
    if confirmed:
        return (
            f"The buying committee: engaged {', '.join(confirmed)} contacts go with winning, beyond how many "
            "people were engaged (confirmed on the holdout deals, which did not choose them)."
        )
    if not roles:
        return (
            f"No role is confirmed: of the {learned['candidates']} roles engaged before {least:,} or more "
            "learned deals, none raised the odds of a win clearly, with as many contacts engaged."
        )
    return (
        f"No role is confirmed: {', '.join(r['label'] for r in roles)} stood out on the deals learned from "
        "but not on the holdout deals, which did not choose them."
    )


def section(result: dict) -> list[str]:
    """The ICP profile's buying-committee section, in Markdown lines."""
    learned = result["learned"]
    rows = ["## Buying committee\n", f"{result['summary']}\n"]
    if learned["candidates"]:
        rows.append(
            "A role is a department, a seniority or both, engaged when one of its contacts had an activity "
            f"in the {result['engaged_days']} days before the deal. Chosen on the {learned['deals']:,} deals "
            f"learned from: of the {learned['candidates']} roles engaged before {result['min_deals']:,} or "
            "more of them, those whose odds of a win, against deals with as many contacts engaged "
            f"(Mantel-Haenszel), had a {learned['level']:.2%} interval above 1 (95% with Bonferroni's "
            f"correction for {learned['candidates']})."
            + (
                f" Every figure below is measured on the {result['holdout']['deals']:,} holdout deals, which "
                "did not choose them."
                if result["roles"]
                else ""
            )
            + "\n"
        )
    rows += [f"- {r['label']}: {line(r)}" for r in result["roles"]]
    return rows + ([""] if result["roles"] else [])
