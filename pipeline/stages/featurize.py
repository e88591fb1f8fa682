"""Stage `featurize`: the point-in-time training set (one row per closed deal) and scoring set (one per
account).

Reads the validated tables of `ingest`, runs the Ibis feature definitions of features/pointintime.py on the
engine of params `engine` (DuckDB, or Spark: pipeline/engines.py) and writes `train.parquet`,
`score.parquet` and `features.json` (the feature list with families and kinds), and `committee.parquet`: each
closed deal's contacts engaged before it (features/committee.py). Spark writes each set as a folder of part
files under the same name.
"""

import json
import logging
import time
from dataclasses import asdict

import duckdb
import pandas as pd

from features.committee import engaged_contacts
from features.contract import TABLES
from features.custom import custom_features
from features.deals import present
from features.pointintime import (
    FeatureConfig,
    accounts_without_history,
    available_families,
    build,
    feature_columns,
)
from features.spines import TRAIN_META, open_spine, scoring_date, scoring_spine, training_spine
from features.today import static_used, todays_values, undated_note
from features.vocabulary import EVENT_VALUES, frequent_values, missing_topics_note, named_products
from models.split import learning_cutoff
from pipeline import engines
from pipeline import params as P
from pipeline.console import progress, stage_main
from pipeline.io import new_folder, parquet_rows, to_json
from pipeline.paths import paths

log = logging.getLogger(__spec__.name)  # not __name__: that is "__main__" under python -m


def run(p: P.Params) -> dict:
    start, f, where = time.perf_counter(), p.features, paths(p)
    con = engines.connect(p)
    tables = {
        name: engines.read(con, path) for name in TABLES if (path := where.interim_table(name)).exists()
    }
    train_spine = training_spine(tables, f.opportunity_types, f.as_of_lag_days)
    deals = train_spine.select("created_date", "won").execute()
    if deals.empty:
        raise SystemExit(f"featurize: no closed deals of types {f.opportunity_types} in {where.interim}")
    cutoff = learning_cutoff(deals["created_date"], deals["won"], p.train)
    values = {
        family: frequent_values(tables, family, cutoff, f.top_values, f.min_value_records)
        for family in EVENT_VALUES
    }
    log.info(
        f"featurize: values with features of their own, chosen from records before {cutoff.date()}: "
        + "; ".join(f"{EVENT_VALUES[k][1]} {', '.join(v) or '(none)'}" for k, v in values.items())
    )
    if note := missing_topics_note(tables, tuple(f.intent_topics)):
        log.warning(f"featurize: {note}")
    ingested = json.loads(where.ingest_summary.read_text())
    fields = ingested.get("custom_fields", {})
    cfg = FeatureConfig(
        families=tuple(f.families),
        windows=tuple(f.windows),
        intent_topics=tuple(f.intent_topics),
        surge_threshold=f.surge_threshold,
        strategic_employees=f.strategic_employees,
        tech_seen_within_days=f.tech_seen_within_days,
        named_products=named_products(tables, cutoff),
        activity_types=values["behaviour"],
        trigger_types=values["triggers"],
        tech_categories=values["technographic"],
        departments=values["departments"],
        topics=values["intent"],
        undated_firmographics=f.undated_firmographics,
        static_fields=tuple(f.static_fields),
        custom_fields=custom_features(tables["accounts"], fields, f.top_values, f.min_value_records),
        deal_fields=present(tables, ingested.get("deal_custom_fields", {})),
    )
    families = available_families(tables, cfg)
    unasked = {
        name for name, fields in (("custom", cfg.custom_fields), ("deal", cfg.deal_fields)) if not fields
    }
    dropped = sorted(set(f.families) - set(families) - unasked)
    if dropped:
        log.info(f"featurize: no source table for {', '.join(dropped)}: those feature families are dropped")
    undated = {
        "mode": f.undated_firmographics,
        "accounts": int(tables["accounts"].count().execute()),
        "without_history": int(accounts_without_history(tables).count().execute()),
    }
    if note := undated_note(undated):
        log.info(f"featurize: {note}")
    score_as_of = scoring_date(tables, p.score.as_of)

    sets = {
        "train": build(train_spine, tables, cfg),
        "score": build(scoring_spine(tables, score_as_of), tables, cfg),
    }
    if "deal" in families:  # the deal model scores the open deals, with their own fields
        sets["open"] = build(open_spine(tables, f.opportunity_types, score_as_of), tables, cfg)
    earlier = score_as_of - pd.Timedelta(days=p.score.stability_days)
    if p.score.stability_days:  # the list a refresh that many days earlier would have made: its churn
        sets["earlier"] = build(scoring_spine(tables, earlier), tables, cfg)
    if "contacts" in tables:  # the buying committee of each closed deal, which explain learns roles from
        engaged = engaged_contacts(train_spine, tables)
        sets["committee"] = engaged.select(
            "key", engaged.key.name("opportunity_id"), "contact_id", "department", "seniority"
        )
    rows = {}
    files = {
        "train": where.train_set,
        "score": where.score_set,
        "open": where.open_set,
        "earlier": where.earlier_set,
        "committee": where.committee,
    }
    with new_folder(where.features) as folder:
        for name, expr in progress(sets.items(), total=len(sets), what="featurize", unit="set"):
            # the engine writes the Parquet itself, streaming: a million accounts never sit in pandas at once
            try:
                con.to_parquet(expr.drop("key"), folder / files[name].name)
            except duckdb.OutOfMemoryException as e:
                raise SystemExit(
                    f"featurize: the {name} set needs more than features.memory_limit = "
                    f"{f.memory_limit} of working memory: raise it in params.yaml ({e})"
                ) from e
            rows[name] = parquet_rows(folder / files[name].name)
            what = {
                "train": "deals",
                "score": "accounts",
                "open": "open deals",
                "earlier": "accounts",
                "committee": "engaged contacts of the closed deals",
            }[name]
            when = {"score": score_as_of, "open": score_as_of, "earlier": earlier}.get(name)
            what += f" as of {when.date()}" if when is not None else ""
            log.info(f"featurize: {name} set {rows[name]:,} {what} ({time.perf_counter() - start:.1f}s)")
        features = feature_columns(sets["train"].drop("key").columns, TRAIN_META, cfg)
        if "technographics" in tables and tables["technographics"].first_seen.isnull().any().execute():
            # a list of today's technologies stands in for the past, like undated firmographics: the leak
            # guard checks these features too
            features = [x | {"undated": True} if x["family"] == "technographic" else x for x in features]
        spec = {
            "features": features,
            "families": families,
            "dropped_families": dropped,
            "score_as_of": str(score_as_of.date()),
            "opportunity_types": list(f.opportunity_types),
            "config": asdict(cfg),
            "values_chosen_before": str(cutoff.date()),
            "undated_firmographics": undated,
            "static_fields": static_used(features),  # the accounts' undated fields used as today's value
            "rows": rows,
        }
        (folder / where.features_json.name).write_text(to_json(spec))
    if todays := todays_values(spec):
        log.info(f"featurize: today's values stand in for every deal's: {'; '.join(todays)}")
    log.info(
        f"featurize: wrote {where.train_set} ({rows['train']:,} deals), {where.score_set.name} "
        f"({rows['score']:,} accounts), {len(spec['features'])} features "
        f"in {time.perf_counter() - start:.1f}s"
    )
    return spec


if __name__ == "__main__":
    stage_main(run)
