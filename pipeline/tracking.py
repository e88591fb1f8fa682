"""The MLflow run of a training: its params, tags (provenance and data), metrics and files, and the model
logged as a pyfunc with a signature that accepts the scoring set as featurize writes it."""

import csv
import os
import subprocess
import tempfile
from importlib.metadata import version
from itertools import chain
from pathlib import Path

import mlflow
import pandas as pd
import yaml
from mlflow.models import ModelSignature, infer_signature
from mlflow.types import ColSpec, Schema

import features
import models
import pipeline
from models.bundle import Bundle
from models.contacts import PEOPLE_COLUMNS
from pipeline import params as P
from pipeline import pyfunc, registry
from pipeline.io import parquet_batches
from pipeline.paths import paths

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
    example = next(parquet_batches(paths(p).score_set, EXAMPLE_ROWS))
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=Path(pyfunc.__file__),
        artifacts={pyfunc.BUNDLE: str(paths(p).model)},
        code_paths=[str(Path(pkg.__file__).parent) for pkg in (features, models, pipeline)],
        signature=signature(example, pyfunc.predictions(bundle, example), bundle.spec),
        input_example=example,
        pip_requirements=[f"{d}=={version(d)}" for d in REQUIREMENTS],
        registered_model_name=p.report.registered_model,
    )


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
        (f.targets_summary, "targets"),
        (f.ingest_summary, "data"),
    ]:
        if path.is_dir():
            mlflow.log_artifacts(str(path), folder)
        elif path.is_file():
            mlflow.log_artifact(str(path), folder)
    if f.target_list("csv").is_file():
        _log_without_people(f.target_list("csv"), "targets")
    mlflow.log_dict(reference, registry.REFERENCE)


def _log_without_people(path: Path, folder: str) -> None:
    """The target list into the run without its columns about people (contacts.csv is never logged): nothing
    about a contact goes to MLflow beyond summary.json's counts. Streamed: a million rows use no memory."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / path.name
        with (
            path.open(newline="", encoding="utf-8") as src,
            copy.open("w", newline="", encoding="utf-8") as dst,
        ):
            rows = csv.reader(src)
            header = next(rows)
            keep = [i for i, column in enumerate(header) if column not in PEOPLE_COLUMNS]
            csv.writer(dst, lineterminator="\n").writerows(
                [row[i] for i in keep] for row in chain([header], rows)
            )
        mlflow.log_artifact(str(copy), folder)
