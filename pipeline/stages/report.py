"""Stage `report`: one MLflow run per training, the model registered with safe promotion, and the model card.

`python -m pipeline.stages.report` reads params.yaml and what the stages before it wrote. It logs one run in
experiment `report.experiment`: every param (flattened), tags (git commit, DVC experiment, md5 of the input
data from dvc.lock, data window and counts, data.small_data), every numeric metric of metrics.json (with
their bootstrap intervals, e.g. model.roc_auc_ci_low), and as artifacts the plots, SHAP charts,
ICP profile, target list, drift reference, promotion decision and the model card (pipeline/tracking.py). It
logs the model as an MLflow pyfunc (pipeline/pyfunc.py), registers it as `report.registered_model`, applies
the promotion rule (pipeline/registry.py) and writes `report.out`. MLflow: MLFLOW_TRACKING_URI, else
sqlite:///mlflow.db at the repo root, artifacts in mlartifacts/ beside it.
"""

import json
import logging
import os
import tempfile
import time
from pathlib import Path

import mlflow
import pandas as pd

from models import drift
from models.bootstrap import METRICS
from models.bundle import Bundle, load_bundle, read_summary
from models.evaluation import head_to_head
from models.split import read_deals, split_of
from models.targets import universe
from pipeline import params as P
from pipeline import registry, tracking
from pipeline.console import stage_main
from pipeline.io import write_text
from pipeline.outputs import model_card
from pipeline.paths import paths

log = logging.getLogger(__spec__.name)  # not __name__: that is "__main__" under python -m

DRIFT_FEATURES = 8  # top drivers whose drift the card shows


def read_json(path: str | Path) -> dict | None:
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else None


def drift_rows(p: P.Params, reference: dict, importance: dict | None, spec: dict) -> list[tuple[str, float]]:
    """PSI of the top drivers (spec order without importance), scoring universe against `reference`."""
    ranked = (
        [r["feature"] for r in importance["features"]]
        if importance
        else [f["name"] for f in spec["features"]]
    )
    chosen = [f for f in ranked if f in reference][:DRIFT_FEATURES]
    frame = pd.read_parquet(paths(p).score_set, columns=[*chosen, "customer", "open_opportunity"])
    frame = frame[universe(frame, p.score.include_customers, p.score.include_open)]
    return [(f, round(drift.psi(reference[f], frame[f]), 4)) for f in chosen]


def same_deals(p: P.Params, bundle: Bundle, version: str, deals: pd.DataFrame, split: pd.Series) -> dict:
    """This model and the champion, loaded from the registry, each with its twin where it has one, on the
    same holdout deals, with paired intervals from evaluate's resampling params."""
    f = paths(p)
    with tempfile.TemporaryDirectory() as tmp:
        folder = registry.bundle_folder(p.report.registered_model, version, Path(tmp))
        old = [load_bundle(x) for x in (folder, folder / f.twin.name) if x.is_dir()]
        since = pd.Timestamp(read_summary(folder)["boundaries"]["holdout"])
    new = (bundle, load_bundle(f.twin))
    return head_to_head(new, tuple(old), since, deals, split, p.evaluate.bootstrap, p.evaluate.seed)


def card_facts(
    p: P.Params,
    model: dict,
    decision: dict,
    champion: dict | None,
    reference: dict,
    bundle: Bundle,
    inputs: dict,
) -> dict:
    """What model_card.render needs (its docstring lists the keys)."""
    f = paths(p)
    own = not (champion and champion["reference"])
    against = "this model's training deals" if own else f"champion v{champion['version']}'s training deals"
    return {
        **inputs,
        "model": model,
        "decision": decision,
        "params": p,
        "plots": {n: pd.read_csv(f.plot(n)) for n in ("gains", "calibration") if f.plot(n).exists()},
        "profile": read_json(f.profile_json),
        "bar_png": f.bar_chart.read_bytes() if f.bar_chart.exists() else None,
        "ingest": read_json(f.ingest_summary),
        "rejects": pd.read_csv(f.rejects) if f.rejects.exists() else None,
        "drift": {
            "against": against,
            "rows": drift_rows(
                p, reference if own else champion["reference"], inputs["importance"], bundle.spec
            ),
        },
    }


def run(p: P.Params) -> dict:
    start, f = time.perf_counter(), paths(p)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # progress bars, not warnings
    cfg, name = p.report, p.report.registered_model
    metrics = json.loads(f.metrics.read_text())
    if cfg.promotion_metric not in METRICS:
        raise SystemExit(
            f"report: report.promotion_metric {cfg.promotion_metric!r} cannot decide a promotion: one of "
            f"{', '.join(METRICS)} (the figures with a paired interval)"
        )
    inputs = {
        "metrics": metrics,
        "train_summary": read_summary(f.model),
        "features": json.loads(f.features_json.read_text()),
        "targets": read_json(f.targets_summary),
        "backtest": read_json(f.backtest),
        "importance": read_json(f.importance),
    }
    bundle, deals = load_bundle(f.model), read_deals(f.train_set)
    split = split_of(deals, inputs["train_summary"])
    reference = drift.reference(deals[split == "train"], bundle.spec)
    tags = tracking.run_tags(
        p, inputs["train_summary"], inputs["features"], inputs["targets"], deals["account_id"].nunique()
    )
    commit = tags.get("mlflow.source.git.commit")

    uri = registry.tracking_uri()
    mlflow.set_tracking_uri(uri)
    client = mlflow.MlflowClient(uri)
    experiment = registry.experiment_id(client, cfg.experiment)
    champion = registry.champion_of(client, name)
    same = champion and same_deals(p, bundle, champion["version"], deals, split)
    run_name = tags.get("dvc.experiment") or (f"repro@{commit[:7]}" if commit else None)
    with mlflow.start_run(experiment_id=experiment, run_name=run_name) as active:
        run_id = active.info.run_id
        tracking.log_contents(p, metrics, tags, reference)
        log.info(f"report: logging the model to MLflow and registering it as {name}")
        logged = tracking.log_model(p, bundle)
        new_version = str(logged.registered_model_version)
        decision = registry.promotion(p, champion, same, tags, new_version)
        model = {
            "name": name,
            "version": new_version,
            "run_id": run_id,
            "experiment": cfg.experiment,
            "tracking_uri": uri,
            "commit": commit,
        }
        facts = card_facts(p, model, decision, champion, reference, bundle, inputs)
        write_text(f.model_card, model_card.render(facts))
        mlflow.log_artifact(str(f.model_card))
        mlflow.log_dict(decision, "promotion.json")
        role = "champion" if decision["promote"] else "challenger"
        mlflow.set_tags(
            {
                "promotion.promoted": decision["promote"],
                "promotion.reason": decision["reason"],
                "promotion.version": new_version,
                "promotion.champion_before": decision["champion"] or "none",
                "mlflow.note.content": f"{name} v{new_version}: {role} ({decision['reason']}). "
                f"Model card: {f.model_card.name}",
            }
        )
        # the aliases last: a failure above leaves the registry as it was
        client.set_registered_model_alias(name, registry.CHALLENGER, new_version)
        if decision["promote"]:
            registry.promote(client, name, new_version, f"promotion rule: {decision['reason']}")
    outcome = (
        f"v{new_version} is champion and challenger"
        if decision["promote"]
        else f"v{new_version} is challenger, champion stays v{decision['champion']}"
    )
    log.info(
        f"report: promotion on holdout {cfg.promotion_metric} (margin {cfg.promotion_margin}): {outcome}: "
        f"{decision['reason']}"
    )
    log.info(
        f"report: wrote {f.model_card} and MLflow run {run_id} in experiment {cfg.experiment!r} ({uri}); "
        f"registered {name} v{new_version}: {outcome} in {time.perf_counter() - start:.1f}s"
    )
    return {"run_id": run_id, "version": new_version, "decision": decision}


if __name__ == "__main__":
    stage_main(run)
