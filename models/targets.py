"""Ranking and capacity tiers of a scored universe: pure functions of the scores."""

import numpy as np
import pandas as pd

from models.bundle import Bundle, predict

# open_deals.csv, in order (docs/outputs.md describes every column)
OPEN_DEAL_COLUMNS = [
    "opportunity_id",
    "account_id",
    "name",
    "type",
    "created_date",
    "days_open",
    "amount",
    "predicted_value",
    "deal_value",
    "p_win",
    "account_p_win",
    "expected_value",
    "account_rank",
    "account_tier",
    "reason_1",
]
KEPT = {
    "firm_strategic": "strategic",
    "firm_industry": "industry",
    "firm_employees": "employees",
    "firm_country": "country",
}


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


def open_deals(
    deals: pd.DataFrame, scored: pd.DataFrame, deal_p_win: pd.Series | None = None
) -> pd.DataFrame:
    """Open deals ranked by expected value: the deal's P(win) by the deal model where there is one
    (`deal_p_win`, by opportunity_id), else its account's as scored today, times the deal's own amount where
    the CRM has one (else the predicted deal value). `scored`: account_id, p_win, predicted_value and, for
    accounts in the target list, rank and tier."""
    out = deals.merge(scored, on="account_id", how="inner", validate="many_to_one")
    out["account_p_win"] = out["p_win"]
    if deal_p_win is not None:
        out["p_win"] = out["opportunity_id"].map(deal_p_win).fillna(out["p_win"])
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


def scored_batch(chunk: pd.DataFrame, bundle: Bundle, customers: bool, open_: bool) -> pd.DataFrame:
    """The accounts of a chunk of the scoring set in the universe (`universe`) or with an open deal (open
    deals are listed too), predicted (P(win), predicted value, expected value), with the columns the list
    keeps."""
    chunk = chunk.assign(in_universe=universe(chunk, customers, open_))
    chunk = chunk[chunk["in_universe"] | chunk["open_opportunity"].astype(bool)]
    pred = predict(bundle, chunk).rename(columns={"amount": "predicted_value"})
    kept = chunk.reindex(
        columns=["account_id", "as_of", "customer", "open_opportunity", "in_universe", *KEPT]
    ).copy()  # its own columns: pandas' copy-on-write view would keep the chunk's every feature alive
    kept = kept.rename(columns=KEPT)
    kept["strategic"] = kept["strategic"].fillna(0).astype(bool)
    return pd.concat([kept, pred], axis=1)


def open_deal_list(
    deals: pd.DataFrame,
    types: list,
    scored: pd.DataFrame,
    targets: pd.DataFrame,
    as_of: str,
    deal_p_win: pd.Series | None = None,
) -> pd.DataFrame:
    """The open deals of the modelled types created before as_of (`deals`: opportunity_id, account_id,
    created_date, stage, type, amount), with their account's score and place in the list, as open_deals.csv
    holds them."""
    o = deals[
        (deals["stage"] == "open") & deals["type"].isin(types) & (deals["created_date"] < pd.Timestamp(as_of))
    ]
    place = targets[["account_id", "name", "rank", "tier", "reason_1"]].rename(
        columns={"rank": "account_rank", "tier": "account_tier"}
    )
    accounts = scored[["account_id", "p_win", "predicted_value"]].merge(place, on="account_id", how="left")
    out = open_deals(o.drop(columns="stage"), accounts, deal_p_win)
    out["days_open"] = (pd.Timestamp(as_of) - out["created_date"]).dt.days
    out["created_date"] = out["created_date"].dt.strftime("%Y-%m-%d")
    out = out[OPEN_DEAL_COLUMNS].astype({"account_rank": "Int64", "account_tier": "Int64"})
    return out.round(
        {"p_win": 6, "account_p_win": 6, "predicted_value": 2, "deal_value": 2, "expected_value": 2}
    )
