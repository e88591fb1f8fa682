"""`icp refresh`: the list as of a new date from the same model, and what changed since the previous list.

The previous list is the last refresh's (`refresh.out`) or, before the first refresh, the score stage's. The
new scoring set is built with the feature configuration the model was trained with (features.json), listed by
pipeline/target_list.py exactly as the score stage lists, and compared with the previous one: entrants,
leavers and tier moves, each with the feature whose SHAP value moved most (models/changes.py). It is outside
the DVC graph on purpose: `dvc repro` would retrain on the new week's closed deals, a refresh keeps the model.
"""

import json
import logging
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from features.contract import TABLES
from features.pointintime import build, config_of
from features.spines import open_spine, scoring_date, scoring_spine
from models.changes import churn, moves, reasons_of_change
from models.explain import as_seen, contributions
from pipeline import engines, target_list
from pipeline import params as P
from pipeline.io import new_folder, parquet_parts
from pipeline.paths import Paths, paths

log = logging.getLogger(__name__)
LISTED = ["account_id", "name", "tier", "rank", "p_win", "expected_value", "as_of"]


def previous_list(f: Paths) -> tuple[pd.DataFrame, Path]:
    """The list to compare with and the scoring set it was made from: the last refresh's, else score's."""
    folder, scored = (f.refresh, f.refresh_set) if f.refresh_set.exists() else (f.targets, f.score_set)
    listed = folder / f.target_list("csv").name
    if not listed.exists():
        raise SystemExit(
            f"refresh: no list to compare with in {folder}: run `dvc repro` (or `icp run`) first"
        )
    frame = pd.read_csv(listed, usecols=LISTED, dtype={"account_id": str, "name": str, "as_of": str})
    made = pq.read_table(scored, columns=["as_of"]).column(0)[0].as_py() if scored.exists() else None
    if made is None or str(made.date()) != frame["as_of"].iloc[0]:
        raise SystemExit(
            f"refresh: {listed} is as of {frame['as_of'].iloc[0]} but {scored} is "
            f"{'missing' if made is None else f'as of {made.date()}'}: its moves cannot be explained; run "
            "`dvc repro score` (or `icp run`) to make the two agree"
        )
    return frame, scored


def _rows(path: Path, ids: list[str]) -> pd.DataFrame:
    """The scoring set's rows of these accounts only (a few, of possibly millions)."""
    rows = (
        pd.read_parquet(path, filters=[("account_id", "in", ids)])
        if ids
        else pq.read_schema(parquet_parts(path)[0]).empty_table().to_pandas()
    )
    return rows.set_index("account_id", drop=False)


def run(p: P.Params, as_of: str | None = None) -> dict:
    """Refresh the list as of `as_of` (default refresh.as_of; null: the day after the data's latest date)."""
    start, f = time.perf_counter(), paths(p)
    previous, previous_set = previous_list(f)
    meta = json.loads(f.features_json.read_text())
    con = engines.connect(p)
    tables = {name: engines.read(con, path) for name in TABLES if (path := f.interim_table(name)).exists()}
    when = scoring_date(tables, as_of or p.refresh.as_of)
    cfg = config_of(meta["config"])
    with new_folder(f.refresh) as tmp:
        scoring_set, open_set = tmp / f.refresh_set.name, tmp / f.open_set.name
        con.to_parquet(build(scoring_spine(tables, when), tables, cfg).drop("key"), scoring_set)
        if "deal" in meta["families"]:  # the deal model's rows of the deals open at the new date
            deals = build(open_spine(tables, meta["opportunity_types"], when), tables, cfg)
            con.to_parquet(deals.drop("key"), open_set)
        t = target_list.build(p, scoring_set, "refresh", open_set=open_set)
        moved = moves(previous, t.targets)
        ids = moved["account_id"].tolist()
        before, now = _rows(previous_set, ids), _rows(scoring_set, ids)
        spec = t.bundle.spec
        changes = reasons_of_change(
            moved,
            contributions(t.bundle, before)[0],
            contributions(t.bundle, now)[0],
            as_seen(before, spec),
            as_seen(now, spec),
            t.said,
        )
        t.summary |= {
            "previous_as_of": previous["as_of"].iloc[0],
            "churn": churn(previous, t.targets),
            "changes": {
                "up": int((changes["change"] == "up").sum()),
                "down": int((changes["change"] == "down").sum()),
            },
        }
        summary = target_list.write(t, tmp, p, changes)
    target_list.log_written("refresh", f.refresh, p, t, start)
    c = summary["churn"]["tier_1"]
    log.info(
        f"refresh: {len(changes):,} accounts changed tier since {summary['previous_as_of']}; "
        f"{c['replaced']} of {c['previous']} Tier 1 accounts replaced; {f.changes}"
    )
    return summary
