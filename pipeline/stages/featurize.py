"""Stage `featurize`: the point-in-time training set (one row per closed deal) and scoring set (one per account).

Reads the validated tables of `ingest`, runs the Ibis feature definitions of features/pointintime.py on DuckDB and
writes `train.parquet`, `score.parquet` and `features.json` (the feature list with families and kinds).
"""

import json
import time
from dataclasses import asdict
from pathlib import Path

import duckdb
import ibis
import pandas as pd
import pyarrow.parquet as pq

from features.contract import TABLES
from features.pointintime import FeatureConfig, available_families, build, feature_columns
from models.reasons import products_by_slug
from pipeline import params as P
from pipeline.io import new_folder, say, to_json

DATED = {"opportunities": ["created_date", "close_date"], "snapshots": ["snapshot_date"],
         "technographics": ["first_seen", "last_seen"], "activities": ["timestamp"], "intent": ["week"],
         "triggers": ["date"], "contacts": ["created_date"], "accounts": ["snapshot_date"]}
TRAIN_META = ["opportunity_id", "account_id", "as_of", "created_date", "close_date", "won", "amount"]


def load_tables(con, folder: str | Path) -> dict:
    return {name: con.read_parquet(p) for name in TABLES if (p := Path(folder) / f"{name}.parquet").exists()}


def latest_date(tables: dict) -> pd.Timestamp:
    dates = [tables[t][c].max().execute() for t, cols in DATED.items() if t in tables for c in cols]
    return pd.Timestamp(max(d for d in dates if d is not None and not pd.isna(d)))


def named_products(tables: dict, limit: int = 20) -> tuple:
    """The most common complement and competitor products: each gets its own presence flag."""
    if "technographics" not in tables:
        return ()
    t = tables["technographics"]
    top = (t.filter(t.category.isin(["complement", "competitor"])).group_by("technology")
           .aggregate(n=t.account_id.nunique()).order_by([ibis.desc("n"), "technology"]).limit(limit))
    return tuple(top.execute()["technology"])


def products(features: str | Path) -> dict[str, str]:
    """The named products of a features folder, by the slug of their tech_has_ flag."""
    config = json.loads((Path(features) / "features.json").read_text())["config"]
    return products_by_slug(config["named_products"])


def training_spine(tables: dict, types: list, lag_days: int):
    o = tables["opportunities"]
    closed = o.filter(o.stage.isin(["won", "lost"]) & o.type.isin(list(types)))
    return closed.select(key=closed.opportunity_id, opportunity_id=closed.opportunity_id,
                         account_id=closed.account_id,
                         as_of=closed.created_date.truncate("D") - ibis.interval(days=lag_days),
                         created_date=closed.created_date, close_date=closed.close_date,
                         won=closed.stage == "won", amount=closed.amount)


def scoring_spine(tables: dict, as_of: pd.Timestamp):
    a = tables["accounts"]
    o = tables["opportunities"]
    when = ibis.literal(as_of.to_pydatetime(), type="timestamp")
    won = o.filter((o.stage == "won") & (o.close_date < when)).select("account_id").distinct()
    open_ = o.filter((o.created_date < when) & (o.close_date.isnull() | (o.close_date >= when)))
    open_ = open_.select("account_id").distinct()
    s = a.select(key=a.account_id, account_id=a.account_id, as_of=when)
    s = s.mutate(customer=s.account_id.isin(won.account_id), open_opportunity=s.account_id.isin(open_.account_id))
    return s


def run(p: P.Params, log=say) -> dict:
    start = time.perf_counter()
    f = p.features
    con = ibis.duckdb.connect(memory_limit=f.memory_limit)  # DuckDB spills to disk beyond it
    tables = load_tables(con, p.ingest.out)
    cfg = FeatureConfig(families=tuple(f.families), windows=tuple(f.windows), intent_topics=tuple(f.intent_topics),
                        surge_threshold=f.surge_threshold, strategic_employees=f.strategic_employees,
                        tech_seen_within_days=f.tech_seen_within_days, named_products=named_products(tables))
    dropped = sorted(set(f.families) - set(available_families(tables, cfg)))
    if dropped:
        log(f"featurize: no source table for {', '.join(dropped)}: those feature families are dropped")
    score_as_of = pd.Timestamp(p.score.as_of) if p.score.as_of else latest_date(tables).normalize() + pd.Timedelta(days=1)

    sets = {"train": build(training_spine(tables, f.opportunity_types, f.as_of_lag_days), tables, cfg),
            "score": build(scoring_spine(tables, score_as_of), tables, cfg)}
    rows = {}
    with new_folder(f.out) as folder:
        for name, expr in sets.items():
            # DuckDB writes the Parquet itself, streaming: a million accounts never sit in pandas at once
            try:
                con.to_parquet(expr.drop("key"), folder / f"{name}.parquet")
            except duckdb.OutOfMemoryException as e:
                raise SystemExit(f"featurize: the {name} set needs more than features.memory_limit = "
                                 f"{f.memory_limit} of working memory: raise it in params.yaml ({e})") from e
            rows[name] = pq.ParquetFile(folder / f"{name}.parquet").metadata.num_rows
            what = "deals" if name == "train" else f"accounts as of {score_as_of.date()}"
            log(f"featurize: {name} set {rows[name]:,} {what} ({time.perf_counter() - start:.1f}s)")
        if not rows["train"]:
            raise SystemExit(f"featurize: no closed deals of types {f.opportunity_types} in {p.ingest.out}")
        spec = {"features": feature_columns(sets["train"].drop("key").columns, TRAIN_META),
                "families": available_families(tables, cfg), "dropped_families": dropped,
                "score_as_of": str(score_as_of.date()), "opportunity_types": list(f.opportunity_types),
                "config": asdict(cfg), "rows": rows}
        (folder / "features.json").write_text(to_json(spec))
    log(f"featurize: wrote {f.out}/train.parquet ({rows['train']:,} deals), score.parquet ({rows['score']:,} "
        f"accounts), {len(spec['features'])} features in {time.perf_counter() - start:.1f}s")
    return spec


def main() -> None:
    run(P.load())


if __name__ == "__main__":
    main()
