"""`icp world-report`: what the synthetic world looks like and whether its planted truth shows in the raw
data.

It may read the truth folder: it judges the world, it does not model it.
"""

import json
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from features.committee import engaged_contacts
from features.normalize import canonical_industry, normalise_domain
from pipeline.io import read_table
from pipeline.world import SUMMARY
from pipeline.world.catalog import OUR_PRODUCT, ROLE_DEPARTMENT

SIZE_BANDS = [0, 10, 50, 200, 1000, 5000, np.inf]
SIZE_LABELS = ["1-10", "11-50", "51-200", "201-1,000", "1,001-5,000", "5,000+"]


def _rate(df: pd.DataFrame, by) -> pd.DataFrame:
    g = df.groupby(by, observed=True)["won"]
    return pd.DataFrame({"deals": g.size(), "win_rate": g.mean().round(3)})


def deals_at_creation(data: Path, truth: Path) -> pd.DataFrame:
    """Closed new-business deals with what was knowable at creation: headcount and days since last funding."""
    opps = read_table(data, "opportunities")
    canonical = read_table(truth, "duplicates").set_index("duplicate_account_id")["account_id"]
    opps["account_id"] = opps["account_id"].map(canonical).fillna(opps["account_id"])
    opps["created_date"] = pd.to_datetime(opps["created_date"])
    deals = opps[(opps["stage"] != "open") & (opps["type"] == "new business")].copy()
    deals["won"] = deals["stage"] == "won"
    deals = deals.sort_values("created_date").reset_index(drop=True)
    snaps = read_table(data, "snapshots").dropna(subset=["employees"])
    snaps["snapshot_date"] = pd.to_datetime(snaps["snapshot_date"])
    deals = pd.merge_asof(
        deals,
        snaps.sort_values("snapshot_date")[["account_id", "snapshot_date", "employees"]],
        left_on="created_date",
        right_on="snapshot_date",
        by="account_id",
        allow_exact_matches=False,
    )
    trig = read_table(data, "triggers")
    fund = trig[trig["trigger_type"] == "funding_round"].assign(funded=lambda d: pd.to_datetime(d["date"]))
    deals = pd.merge_asof(
        deals,
        fund.sort_values("funded")[["account_id", "funded"]],
        left_on="created_date",
        right_on="funded",
        by="account_id",
        allow_exact_matches=False,
    )
    return deals.assign(days_since_funding=(deals["created_date"] - deals["funded"]).dt.days)


def committee_at_creation(data: Path, deals: pd.DataFrame) -> pd.DataFrame:
    """The deals with how many contacts were engaged in the 90 days before (features.committee) and whether
    one of them was in the planted role's department."""
    tables = {name: read_table(data, name) for name in ("contacts", "activities")}
    for name, column in (("contacts", "created_date"), ("activities", "timestamp")):
        tables[name][column] = pd.to_datetime(tables[name][column])
    spine = deals[["opportunity_id", "account_id", "created_date"]].set_axis(
        ["key", "account_id", "as_of"], axis=1
    )
    t = {name: ibis.memtable(df) for name, df in tables.items()}
    engaged = ibis.duckdb.connect().execute(engaged_contacts(ibis.memtable(spine), t))
    role = engaged.loc[engaged["department"] == ROLE_DEPARTMENT, "key"]
    return deals.assign(
        engaged=deals["opportunity_id"]
        .map(engaged.groupby("key").size())
        .fillna(0)
        .astype(int)
        .clip(upper=6),
        role=deals["opportunity_id"].isin(role),
    )


def report(data: str | Path, truth: str | Path) -> str:
    data, truth = Path(data), Path(truth)
    world = json.loads((truth / SUMMARY).read_text())
    accounts = read_table(data, "accounts")
    deals = deals_at_creation(data, truth)
    oracle = read_table(truth, "opportunities").set_index("opportunity_id")["true_p_win"]
    lines = [
        f"Synthetic world {data} (seed {world['config']['seed']}, {world['config']['accounts']:,} accounts, "
        f"last date {world['config']['end_date']})",
        "",
        "Rows per table:",
    ]
    lines += [f"  {k:<15}{v:>12,}" for k, v in world["rows"].items()]
    auc = roc_auc_score(deals["won"], deals["opportunity_id"].map(oracle))
    lines += [
        "",
        f"Closed deals {world['closed_deals']:,}; win rate {world['win_rate']:.1%} (all types), "
        f"{deals['won'].mean():.1%} on {len(deals):,} new-business deals",
        f"Oracle ROC AUC of the true win probability: {world['oracle_roc_auc_closed']:.3f} on all closed "
        f"deals, {auc:.3f} on new business",
        "",
    ]
    deals["size band"] = pd.cut(deals["employees"], SIZE_BANDS, labels=SIZE_LABELS)
    ind = accounts.assign(industry=canonical_industry(accounts["industry"]))[["account_id", "industry"]]
    deals = deals.merge(ind, on="account_id", how="left")
    deals["funding"] = pd.cut(
        deals["days_since_funding"].fillna(10**6),
        [0, 90, 365, 10**7],
        labels=["funded <= 90 days ago", "funded 91-365 days ago", "no funding in a year"],
    )
    for title, by in (
        ("headcount at creation (knowable snapshot)", "size band"),
        ("industry", "industry"),
        ("trigger recency", "funding"),
    ):
        lines += [f"Win rate by {title}:", _rate(deals, by).to_string(), ""]
    committee = committee_at_creation(data, deals)
    lines += [
        f"Win rate by contacts engaged in the 90 days before (6 = 6 or more) and whether one was in "
        f"{ROLE_DEPARTMENT} (the planted role; drivers.json says whether it is on):",
        _rate(committee, ["engaged", "role"])["win_rate"]
        .unstack("role")
        .rename(columns={False: f"no {ROLE_DEPARTMENT} contact", True: f"a {ROLE_DEPARTMENT} contact"})
        .to_string(),
        "",
    ]
    lines += ["Leakage traps (present-state or post-deal data a careless pipeline would use):"] + _traps(
        data, deals
    )
    lines += ["", "Mess of real exports:"] + _mess(accounts)
    return "\n".join(lines)


def _traps(data: Path, deals: pd.DataFrame) -> list[str]:
    accounts = read_table(data, "accounts")
    tech = read_table(data, "technographics")
    acts = read_table(data, "activities")
    is_cust = (
        deals["account_id"].map(accounts.set_index("account_id")["is_customer"]).fillna(False).astype(bool)
    )
    ours = set(tech.loc[tech["technology"] == OUR_PRODUCT, "account_id"])
    post = acts["activity_type"].isin(["onboarding_session", "support_ticket"])
    onboarded = set(acts.loc[post, "account_id"])
    now = deals["account_id"].map(accounts.set_index("account_id")["employees"]).astype(float)
    growth = (now / deals["employees"]).groupby(deals["won"]).median()
    return [
        f"  is_customer (today's state): true for {accounts['is_customer'].mean():.1%} of accounts; "
        f"as a score of closed new-business deals it has ROC AUC "
        f"{roc_auc_score(deals['won'], is_cust):.3f}",
        f"  our own product ({OUR_PRODUCT}) in technographics: {len(ours):,} accounts, "
        f"{deals['won'][deals['account_id'].isin(ours)].mean():.1%} of their deals won",
        f"  onboarding/support activities (only after a win): {post.mean():.1%} of activity rows, "
        f"{deals['won'][deals['account_id'].isin(onboarded)].mean():.1%} of those accounts' deals won",
        f"  headcount today / at deal creation (median): won {growth.get(True, np.nan):.2f}, "
        f"lost {growth.get(False, np.nan):.2f}",
    ]


def _mess(accounts: pd.DataFrame) -> list[str]:
    canonical = canonical_industry(accounts["industry"])
    return [
        f"  employees missing: {accounts['employees'].isna().mean():.1%}; annual_revenue missing: "
        f"{accounts['annual_revenue'].isna().mean():.1%}",
        f"  industry spellings: {accounts['industry'].nunique()} raw values "
        f"for {canonical.nunique()} industries",
        f"  account rows sharing a domain with another row: "
        f"{normalise_domain(accounts['domain']).duplicated(keep=False).sum():,}",
    ]
