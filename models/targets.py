"""Ranking and capacity tiers of a scored universe: pure functions of the scores."""

import numpy as np
import pandas as pd


def universe(frame: pd.DataFrame, include_customers: bool, include_open: bool) -> pd.Series:
    """Who is scored: by default prospects only (no customers, no open opportunity); params widen it."""
    keep = pd.Series(True, index=frame.index)
    if not include_customers:
        keep &= ~frame["customer"].astype(bool)
    if not include_open:
        keep &= ~frame["open_opportunity"].astype(bool)
    return keep


def rank(scored: pd.DataFrame) -> pd.DataFrame:
    """Best first by expected value (ties: higher P(win), then account id), with `rank` 1..n."""
    ranked = scored.sort_values(
        ["expected_value", "p_win", "account_id"], ascending=[False, False, True], kind="stable"
    ).reset_index(drop=True)
    return ranked.assign(rank=np.arange(1, len(ranked) + 1))


def tiers(p_win: pd.Series, tier1: int, tier2: int, tier3: int, tier3_min_p_win: float) -> np.ndarray:
    """Tier of each row of a ranked list: 1 = the first `tier1`, 2 = the next `tier2`, 3 = the next `tier3`
    accounts with P(win) >= the floor (a big account with a low P(win) goes to nurture instead), 4 = the
    rest."""
    n = len(p_win)
    tier = np.full(n, 4, dtype=np.int64)
    tier[: min(tier1, n)] = 1
    tier[min(tier1, n) : min(tier1 + tier2, n)] = 2
    rest = np.flatnonzero(p_win.to_numpy()[tier1 + tier2 :] >= tier3_min_p_win) + tier1 + tier2
    tier[rest[:tier3]] = 3
    return tier


def open_deals(deals: pd.DataFrame, scored: pd.DataFrame) -> pd.DataFrame:
    """Open deals ranked by expected value: the P(win) of their account as scored today, times the deal's own
    amount where the CRM has one (else the predicted deal value). `scored`: account_id, p_win, predicted_value
    and, for accounts in the target list, rank and tier."""
    out = deals.merge(scored, on="account_id", how="inner", validate="many_to_one")
    out["deal_value"] = out["amount"].fillna(out["predicted_value"])
    out["expected_value"] = out["p_win"] * out["deal_value"]
    return out.sort_values(
        ["expected_value", "opportunity_id"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


def tier_table(ranked: pd.DataFrame) -> list[dict]:
    """Per tier: accounts, expected wins (sum of P(win)), expected pipeline value, mean P(win)."""
    g = ranked.groupby("tier")
    table = pd.DataFrame(
        {
            "accounts": g.size(),
            "expected_wins": g["p_win"].sum(),
            "expected_value": g["expected_value"].sum(),
            "mean_p_win": g["p_win"].mean(),
        }
    )
    table = table.reindex(range(1, 5)).fillna({"accounts": 0, "expected_wins": 0.0, "expected_value": 0.0})
    return [
        {
            "tier": int(t),
            "accounts": int(r.accounts),
            "expected_wins": round(float(r.expected_wins), 3),
            "expected_value": round(float(r.expected_value), 2),
            # empty tier: none
            "mean_p_win": None if pd.isna(r.mean_p_win) else round(float(r.mean_p_win), 6),
        }
        for t, r in table.iterrows()
    ]
