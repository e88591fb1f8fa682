"""Stage `report`: one MLflow run per training, the model registered with safe promotion, and the model card.

`python -m pipeline.stages.report` reads params.yaml and what the stages before it wrote. It logs one run in
experiment `report.experiment`: every param (flattened), tags (git commit, DVC experiment, md5 of the input
data from dvc.lock, data window and counts, data.small_data), every numeric metric of metrics.json (with
their bootstrap intervals, e.g. model.roc_auc_ci_low), and as artifacts the plots, SHAP charts,
ICP profile, target list, drift reference, promotion decision and the model card. It logs the model as an
MLflow pyfunc (pipeline/pyfunc.py), registers it as `report.registered_model`, applies the promotion rule
(pipeline/registry.py) and writes `report.out`. MLflow: MLFLOW_TRACKING_URI, else sqlite:///mlflow.db at the
repo root, artifacts in mlartifacts/ beside it.
"""

import json
import logging
import os
import subprocess
import time
from importlib.metadata import version
from pathlib import Path

import mlflow
import pandas as pd
import pyarrow.parquet as pq
import yaml
from mlflow.models import ModelSignature, infer_signature
from mlflow.types import ColSpec, Schema

import features
import models
import pipeline
from models import drift
from models.bundle import Bundle, load_bundle, read_summary
from models.split import read_deals, split_of
from models.targets import universe
from pipeline import params as P
from pipeline import pyfunc, registry
from pipeline.console import stage_main
from pipeline.io import write_text
from pipeline.outputs import model_card
from pipeline.paths import paths

log = logging.getLogger(__spec__.name)  # not __name__: that is "__main__" under python -m

DRIFT_FEATURES = 8  # top drivers whose drift the card shows
EXAMPLE_ROWS = 5
COLUMN_TYPES = {"categorical": "string", "numeric": "double"}  # a count with missing values is a double
REQUIREMENTS = (
    "mlflow",
    "lightgbm",
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "scipy",
    "pandera",
    "pyyaml",
)  # what the pyfunc imports when it loads


def read_json(path: str | Path) -> dict | None:
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else None


def git_commit() -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def data_hashes(lock: str | Path, paths: set[str]) -> dict[str, str]:
    """md5 of the data folders in `paths` as dvc.lock records them (deps and outs of ingest and featurize)."""
    stages = (yaml.safe_load(Path(lock).read_text()) or {}).get("stages", {}) if Path(lock).exists() else {}
    return {
        e["path"]: e["md5"]
        for s in stages.values()
        for e in [*s.get("deps", []), *s.get("outs", [])]
        if e["path"] in paths and "md5" in e
    }


def run_tags(p: P.Params, summary: dict, meta: dict, targets: dict | None, deal_accounts: int) -> dict:
    """The run's data, counts and provenance as MLflow tags."""
    splits = summary["splits"]
    deals, wins = sum(s["deals"] for s in splits.values()), sum(s["wins"] for s in splits.values())
    tags = {
        "data.window": f"{splits['train']['from']} to {splits['holdout']['to']}",
        "data.deals": deals,
        "data.won": wins,
        "data.lost": deals - wins,
        "data.deal_accounts": deal_accounts,
        "data.accounts": meta["rows"]["score"],
        "data.score_as_of": meta["score_as_of"],
        "data.small_data": summary["small_data"],
        **({"data.universe": targets["universe"]} if targets else {}),
        **{
            f"data.md5.{path}": md5
            for path, md5 in data_hashes("dvc.lock", {p.ingest.source, p.ingest.out, p.features.out}).items()
        },
    }
    context = {
        "mlflow.source.git.commit": git_commit(),
        "dvc.experiment": os.environ.get("DVC_EXP_NAME"),
        "dvc.baseline_rev": os.environ.get("DVC_EXP_BASELINE_REV"),
    }
    return {**tags, **{k: v for k, v in context.items() if v}}


def signature(example: pd.DataFrame, output: pd.DataFrame, spec: dict) -> ModelSignature:
    """The scoring set's columns: the model's features required (text as string, numbers as double), the
    other columns (account_id, as_of, ...) optional, so the file as featurize writes it is accepted whole."""
    kinds = {f["name"]: f["kind"] for f in spec["features"]}
    inferred = infer_signature(example, output)
    inputs = [
        ColSpec(COLUMN_TYPES[kinds[c.name]] if c.name in kinds else c.type, c.name, required=c.name in kinds)
        for c in inferred.inputs.inputs
    ]
    return ModelSignature(Schema(inputs), inferred.outputs)


def log_model(p: P.Params, bundle: Bundle):
    """The pyfunc model, registered; returns MLflow's ModelInfo."""
    example = next(pq.ParquetFile(paths(p).score_set).iter_batches(batch_size=EXAMPLE_ROWS)).to_pandas()
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=Path(pyfunc.__file__),
        artifacts={pyfunc.BUNDLE: p.train.out},
        code_paths=[str(Path(pkg.__file__).parent) for pkg in (features, models, pipeline)],
        signature=signature(example, pyfunc.predictions(bundle, example), bundle.spec),
        input_example=example,
        pip_requirements=[f"{d}=={version(d)}" for d in REQUIREMENTS],
        registered_model_name=p.report.registered_model,
    )


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


def log_contents(p: P.Params, metrics: dict, tags: dict, reference: dict) -> None:
    """Params, tags, metrics and the files of the stages before, into the active run (explain and score
    outputs when they exist)."""
    mlflow.log_params(P.flatten(P.as_dict(p)))  # the params in effect (`icp run` overrides some)
    mlflow.set_tags(tags)
    mlflow.log_metrics({k: v for k, v in P.flatten(metrics).items() if isinstance(v, int | float)})
    f = paths(p)
    for path, folder in [
        (f.plots, "plots"),
        (f.explain, "explain"),
        (f.profile_md, "profile"),
        (f.profile_json, "profile"),
        (f.target_list("csv"), "targets"),
        (f.targets_summary, "targets"),
        (f.ingest_summary, "data"),
    ]:
        if path.is_dir():
            mlflow.log_artifacts(str(path), folder)
        elif path.is_file():
            mlflow.log_artifact(str(path), folder)
    mlflow.log_dict(reference, registry.REFERENCE)


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
        "champion_metrics": champion["metrics"] if champion else None,
        "plots": {
            n: pd.read_csv(f.plots / f"{n}.csv")
            for n in ("gains", "calibration")
            if (f.plots / f"{n}.csv").exists()
        },
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
    if cfg.promotion_metric not in metrics["model"]:
        raise SystemExit(
            f"report: report.promotion_metric {cfg.promotion_metric!r} is not a holdout metric; "
            f"one of {sorted(metrics['model'])}"
        )
    inputs = {
        "metrics": metrics,
        "train_summary": read_summary(f.model),
        "features": json.loads(f.features_json.read_text()),
        "targets": read_json(f.targets_summary),
        "importance": read_json(f.importance),
    }
    bundle, deals = load_bundle(f.model), read_deals(f.train_set)
    split = split_of(deals, inputs["train_summary"])
    reference = drift.reference(deals[split == "train"], bundle.spec)
    tags = run_tags(
        p, inputs["train_summary"], inputs["features"], inputs["targets"], deals["account_id"].nunique()
    )
    commit = tags.get("mlflow.source.git.commit")

    uri = registry.tracking_uri()
    mlflow.set_tracking_uri(uri)
    client = mlflow.MlflowClient(uri)
    experiment = registry.experiment_id(client, cfg.experiment)
    champion = registry.champion_of(client, name)
    run_name = tags.get("dvc.experiment") or (f"repro@{commit[:7]}" if commit else None)
    with mlflow.start_run(experiment_id=experiment, run_name=run_name) as active:
        run_id = active.info.run_id
        log_contents(p, metrics, tags, reference)
        log.info(f"report: logging the model to MLflow and registering it as {name}")
        logged = log_model(p, bundle)
        new_version = str(logged.registered_model_version)
        decision = registry.promotion(p, metrics, champion, tags, new_version)
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
                "Model card: model_card.html",
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
