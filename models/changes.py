"""What changed since the previous list: entrants, leavers and tier moves, each with the feature whose SHAP
value moved most in the move's direction (in words), and how much of the top tiers was replaced.

Both lists come from the same model, so a move is the data's doing: the feature whose contribution to the
score rose most (for a move up) or fell most (down) between the two as-of dates is what changed most.
"""

import numpy as np
import pandas as pd

from models.phrases import describe

WATCHED = 3  # a tier change is reported when either tier is at most this (Tier 3 <-> 4 moves, not 4 <-> 4)
OUT = 5  # the tier of an account not in a list: below every tier
# a move whose own score did not go that way: tiers are places in a ranking, so others moved past it
OTHERS = {
    True: "no change of its own: accounts above it fell back",
    False: "no change of its own: others rose past it",
}
CHANGES = [
    "account_id",
    "name",
    "change",
    "previous_tier",
    "tier",
    "previous_rank",
    "rank",
    "previous_p_win",
    "p_win",
    "previous_expected_value",
    "expected_value",
    "what",
    "reason",
    "reason_before",
    "feature",
]


def moves(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Accounts whose tier changed, where either tier is at most WATCHED, best new tier first. Each list has
    account_id, name, tier, rank, p_win and expected_value; an account missing from one list has no tier
    there."""
    cols = ["account_id", "name", "tier", "rank", "p_win", "expected_value"]
    both = previous[cols].merge(current[cols], on="account_id", how="outer", suffixes=("_before", ""))
    before, now = both["tier_before"].fillna(OUT), both["tier"].fillna(OUT)
    kept = (before != now) & (np.minimum(before, now) <= WATCHED)
    both = both[kept].astype(
        {"tier_before": "Int64", "tier": "Int64", "rank_before": "Int64", "rank": "Int64"}
    )
    both["name"] = both["name"].fillna(both["name_before"])
    both["change"] = np.where(now[kept] < before[kept], "up", "down")
    both["what"] = [_what(b, n) for b, n in zip(both["tier_before"], both["tier"], strict=True)]
    both = both.rename(columns={f"{c}_before": f"previous_{c}" for c in cols[2:]})
    order = [both[c].astype(float).fillna(np.inf).to_numpy() for c in ("tier", "rank", "previous_rank")]
    both = both.iloc[np.lexsort(order[::-1])]
    return both[[c for c in CHANGES if c in both.columns]].reset_index(drop=True)


def _what(before, now) -> str:
    if pd.isna(before):
        return f"new in the list: Tier {now}"
    if pd.isna(now):
        return f"left the list (was Tier {before})"
    verb = "entered" if now < before else "fell to"
    return f"{verb} Tier {now} (was Tier {before})"


def reasons_of_change(
    moved: pd.DataFrame,
    shap_before: pd.DataFrame,
    shap_now: pd.DataFrame,
    values_before: pd.DataFrame,
    values_now: pd.DataFrame,
    words: dict[str, str],
) -> pd.DataFrame:
    """`moved` with `feature`, `reason` (its value now, in words) and `reason_before` (then): the feature
    whose SHAP value rose most for a move up, fell most for a move down. The list ranks by expected value,
    so an account whose own expected value went the other way moved because others did, and says so. All
    frames are indexed by account_id; an account without rows on both dates (new in the export, or gone from
    it) gets no feature."""
    out = moved.copy()
    both = out["account_id"].isin(shap_before.index) & out["account_id"].isin(shap_now.index)
    ids = out.loc[both, "account_id"]
    delta = shap_now.loc[ids] - shap_before.loc[ids, shap_now.columns]
    up = (out.loc[both, "change"] == "up").to_numpy()
    signed = delta.to_numpy() * np.where(up, 1.0, -1.0)[:, None]
    best = signed.argmax(axis=1) if len(ids) else np.array([], int)
    went = (out.loc[both, "expected_value"] - out.loc[both, "previous_expected_value"]).to_numpy()
    own = (signed[np.arange(len(ids)), best] > 0) & (went * np.where(up, 1, -1) > 0)
    feature = np.where(own, delta.columns.to_numpy()[best], "") if len(ids) else np.array([], object)
    out["feature"], out["reason"], out["reason_before"] = "", "", ""
    out.loc[both, "feature"] = feature
    out.loc[both, "reason"] = [
        describe(f, values_now.at[a, f], words) if f else OTHERS[u]
        for a, f, u in zip(ids, feature, up, strict=True)
    ]
    out.loc[both, "reason_before"] = [
        describe(f, values_before.at[a, f], words) if f else "" for a, f in zip(ids, feature, strict=True)
    ]
    gone = ~both & out["tier"].isna()
    out.loc[gone, "reason"] = (
        "not in the scoring universe now (a customer, an open deal, or not in the export)"
    )
    out.loc[~both & out["previous_tier"].isna(), "reason"] = "new in the export"
    return out[CHANGES]


def churn(previous: pd.DataFrame, current: pd.DataFrame, tiers=(1, 2)) -> dict:
    """Per top tier, the share of its previous accounts not in it now (0 = the same accounts), with the
    counts behind it."""
    out = {}
    for top in tiers:
        was = set(previous.loc[previous["tier"] <= top, "account_id"])
        now = set(current.loc[current["tier"] <= top, "account_id"])
        label = f"tier_1_to_{top}" if top > 1 else "tier_1"
        out[label] = {
            "previous": len(was),
            "replaced": len(was - now),
            "share_replaced": round(len(was - now) / len(was), 6) if was else 0.0,
        }
    return out
