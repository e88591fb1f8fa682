"""The rows features are computed for: closed deals as of their creation (training), accounts as of the
scoring date (scoring). A spine is `key, account_id, as_of` plus what the row carries beside its features."""

import ibis
import pandas as pd

# the dated columns of each contract table: the scoring date defaults to the day after the latest of them
DATED = {
    "opportunities": ["created_date", "close_date"],
    "snapshots": ["snapshot_date"],
    "technographics": ["first_seen", "last_seen"],
    "activities": ["timestamp"],
    "intent": ["week"],
    "triggers": ["date"],
    "contacts": ["created_date"],
    "accounts": ["snapshot_date"],
}
TRAIN_META = ["opportunity_id", "account_id", "as_of", "created_date", "close_date", "won", "amount"]


def latest_date(tables: dict) -> pd.Timestamp:
    """One query for every dated column (on Spark each query is a job of its own)."""
    t = tables
    latest = [
        t[n].aggregate(d=t[n][c].max().cast("timestamp")) for n, cols in DATED.items() if n in t for c in cols
    ]
    return pd.Timestamp(ibis.union(*latest).d.max().execute())


def scoring_date(tables: dict, as_of: str | None) -> pd.Timestamp:
    """The date a list is as of: `as_of` when given, else the day after the latest date in the data."""
    return pd.Timestamp(as_of) if as_of else latest_date(tables).normalize() + pd.Timedelta(days=1)


def training_spine(tables: dict, types: list, lag_days: int):
    o = tables["opportunities"]
    closed = o.filter(o.stage.isin(["won", "lost"]) & o.type.isin(list(types)))
    return closed.select(
        key=closed.opportunity_id,
        opportunity_id=closed.opportunity_id,
        account_id=closed.account_id,
        # the day as a timestamp without zone on every engine (Spark's date_trunc would give it one)
        as_of=closed.created_date.date().cast("timestamp") - ibis.interval(days=lag_days),
        created_date=closed.created_date,
        close_date=closed.close_date,
        won=closed.stage == "won",
        amount=closed.amount,
    )


def scoring_spine(tables: dict, as_of: pd.Timestamp):
    a = tables["accounts"]
    o = tables["opportunities"]
    when = ibis.literal(as_of.to_pydatetime(), type="timestamp")
    won = o.filter((o.stage == "won") & (o.close_date < when)).select("account_id").distinct()
    open_ = o.filter((o.created_date < when) & (o.close_date.isnull() | (o.close_date >= when)))
    open_ = open_.select("account_id").distinct()
    s = a.select(key=a.account_id, account_id=a.account_id, as_of=when)
    s = s.mutate(
        customer=s.account_id.isin(won.account_id), open_opportunity=s.account_id.isin(open_.account_id)
    )
    return s


def open_spine(tables: dict, types: list, as_of: pd.Timestamp):
    """The open deals of the modelled types created before `as_of`, each scored as of it by the deal model:
    the deals open_deals.csv lists."""
    o = tables["opportunities"]
    when = ibis.literal(as_of.to_pydatetime(), type="timestamp")
    open_ = o.filter((o.stage == "open") & o.type.isin(list(types)) & (o.created_date < when))
    return open_.select(
        key=open_.opportunity_id,
        opportunity_id=open_.opportunity_id,
        account_id=open_.account_id,
        as_of=when,
    )
