"""Where MLflow lives, and the model registry: the promotion rule, the champion, promotion by hand, rollback.

The `champion` alias names the model in use. A new version always gets `challenger`; it also becomes
`champion` when there is none yet, or when it beats the champion's holdout metric by the margin (`report`
params), or when a person runs `icp promote VERSION`. Every champion is appended to the registered model's
tag `champion_history`, so `icp rollback` steps back through it; the alias `previous_champion` shows the step
back in the MLflow UI.
"""

import os
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from pipeline import params as P

CHAMPION, CHALLENGER, PREVIOUS = "champion", "challenger", "previous_champion"
HISTORY = "champion_history"
LOWER_IS_BETTER = {"log_loss", "brier", "ece"}
REFERENCE = "drift_reference.json"  # each run's drift reference, which the next version's card compares with
# how a run's model metrics were measured, by its data.small_data tag (MLflow keeps tags as text)
EVALUATED = {
    "True": "cross-validated over chronological folds (small data)",
    "False": "measured on a holdout",
}


def tracking_uri() -> str:
    """MLFLOW_TRACKING_URI, else mlflow.db at the repo root (`DVC_ROOT` in a stage: also right when
    `dvc exp run --temp` or the queue runs the stage in a temporary copy)."""
    root = Path(os.environ.get("DVC_ROOT") or Path.cwd()).resolve()
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{root / 'mlflow.db'}"


def artifact_location(uri: str) -> str | None:
    """Artifacts of a sqlite store go to mlartifacts/ beside the database file (git- and DVC-ignored at the
    repo root); a tracking server keeps its own."""
    if uri.startswith("sqlite:///"):
        return (Path(uri.removeprefix("sqlite:///")).resolve().parent / "mlartifacts").as_uri()
    return None


def connect() -> MlflowClient:
    return MlflowClient(tracking_uri=tracking_uri())


def experiment_id(client: MlflowClient, name: str) -> str:
    found = client.get_experiment_by_name(name)
    if found is None:
        return client.create_experiment(name, artifact_location=artifact_location(client.tracking_uri))
    if found.lifecycle_stage == "deleted":
        raise SystemExit(
            f"MLflow experiment {name!r} is deleted: restore it (`mlflow experiments restore "
            f"--experiment-id {found.experiment_id}`) or change report.experiment"
        )
    return found.experiment_id


def aliases(client: MlflowClient, name: str) -> dict[str, str]:
    """Alias -> version of the registered model; empty when it is not registered yet."""
    try:
        return {alias: str(v) for alias, v in client.get_registered_model(name).aliases.items()}
    except MlflowException as e:
        if e.error_code == "RESOURCE_DOES_NOT_EXIST":
            return {}
        raise


def decide(
    metric: str,
    margin: float,
    new: float,
    champion: str | None,
    champion_value: float | None,
    unlike: str | None = None,
) -> dict:
    """Whether the new version becomes champion: none yet, or better than the champion by at least `margin`
    on the holdout `metric` (lower is better for log loss, Brier and ECE). Figures and reason included.
    `unlike`: how the two figures were measured differently, if they were: then a person decides."""
    decision = {
        "metric": metric,
        "margin": margin,
        "new_value": new,
        "champion": champion,
        "champion_value": champion_value,
        "improvement": None,
    }
    if champion is None:
        return {**decision, "promote": True, "reason": "there was no champion yet"}
    if champion_value is None:
        return {
            **decision,
            "promote": False,
            "reason": f"champion v{champion}'s run has no holdout {metric} to compare with: promote by "
            f"hand (icp promote) if this version should be used",
        }
    if unlike:
        return {
            **decision,
            "promote": False,
            "reason": f"{unlike}, so the figures are not comparable: promote by hand (icp promote) if "
            "this version should be used",
        }
    improvement = (champion_value - new) if metric in LOWER_IS_BETTER else (new - champion_value)
    promote = improvement >= margin
    return {
        **decision,
        "improvement": improvement,
        "promote": promote,
        "reason": f"holdout {metric} {new:.4f} vs champion v{champion} {champion_value:.4f}: improvement "
        f"{improvement:+.4f} is {'at least' if promote else 'below'} the margin {margin}",
    }


def champion_of(client, name: str) -> dict | None:
    """The current champion: its version, its run's tags and holdout metrics, and its drift reference."""
    version = aliases(client, name).get(CHAMPION)
    if version is None:
        return None
    run = client.get_run(client.get_model_version(name, version).run_id)
    logged = {a.path for a in client.list_artifacts(run.info.run_id)}
    metrics = run.data.metrics
    return {
        "version": version,
        "tags": run.data.tags,
        "metrics": {k.removeprefix("model."): v for k, v in metrics.items() if k.startswith("model.")},
        "reference": (
            mlflow.artifacts.load_dict(f"{run.info.artifact_uri}/{REFERENCE}")
            if REFERENCE in logged
            else None
        ),
    }


def promotion(p: P.Params, metrics: dict, champion: dict | None, tags: dict, new_version: str) -> dict:
    """The rule's decision on the new version, and whether the champion was measured on the same data. A
    small-data version's metrics pool chronological folds, others' come from one holdout: never compared."""
    metric, key = p.report.promotion_metric, f"data.md5.{p.features.out}"
    ours, theirs = str(tags["data.small_data"]), champion and champion["tags"].get("data.small_data")
    unlike = (
        f"this version's {metric} is {EVALUATED[ours]}, champion v{champion['version']}'s is "
        f"{EVALUATED[theirs]}"
        if theirs in EVALUATED and theirs != ours
        else None
    )
    decision = decide(
        metric,
        p.report.promotion_margin,
        metrics["model"][metric],
        champion and champion["version"],
        champion and champion["metrics"].get(metric),
        unlike,
    )
    same = champion["tags"].get(key) == tags.get(key) if champion else None
    return {**decision, "version": new_version, "same_data": same}


def promote(client: MlflowClient, name: str, version: str, reason: str) -> str:
    """Make `version` the champion, recording the step in the history; says what changed."""
    version = str(version)
    try:
        client.get_model_version(name, version)
    except MlflowException as e:
        if e.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise SystemExit(f"{name} has no version {version}") from e
        raise
    current = aliases(client, name).get(CHAMPION)
    if current == version:
        return f"{name} v{version} is already the champion"
    history = _history(client, name, current)
    _set_champion(client, name, [*history, version])
    client.set_model_version_tag(name, version, "champion_reason", reason)
    return f"{name}: champion is now v{version} (was {f'v{current}' if current else 'none'}): {reason}"


def rollback(client: MlflowClient, name: str) -> str:
    """Move the champion back to the one before it."""
    current = aliases(client, name).get(CHAMPION)
    history = _history(client, name, current)
    if len(history) < 2:
        raise SystemExit(
            f"{name}: no previous champion to roll back to (champions so far: "
            f"{', '.join(f'v{v}' for v in history) or 'none'})"
        )
    _set_champion(client, name, history[:-1])
    client.set_model_version_tag(name, history[-2], "champion_reason", f"rollback from v{current}")
    return f"{name}: champion rolled back to v{history[-2]} (was v{current})"


def status(client: MlflowClient, cfg: P.Report) -> str:
    """Where the records are: the experiment's latest run, the registry's aliases, how to open them. The
    last lines of `make run`."""
    found = client.get_experiment_by_name(cfg.experiment)
    latest = (
        client.search_runs([found.experiment_id], order_by=["attributes.start_time DESC"], max_results=1)
        if found
        else []
    )
    run = f"latest run {latest[0].info.run_id} ({latest[0].info.run_name})" if latest else "no run yet"
    uri = client.tracking_uri
    held = ", ".join(f"{alias} v{v}" for alias, v in sorted(aliases(client, cfg.registered_model).items()))
    ui = uri if uri.startswith("http") else f"mlflow ui --backend-store-uri {uri} --host 127.0.0.1"
    return "\n".join(
        [
            f"MLflow {uri}, experiment {cfg.experiment!r}: {run}",
            f"registry: {cfg.registered_model}: {held or 'no version yet'}",
            f"model card: {cfg.out} (also in the run's artifacts)",
            f"open: {ui}",
        ]
    )


def _history(client: MlflowClient, name: str, current: str | None) -> list[str]:
    """The champions so far, oldest first, ending with the current one (also when it was moved by hand in
    the UI, which does not update the history)."""
    tags = client.get_registered_model(name).tags if current else {}
    history = [v for v in tags.get(HISTORY, "").split(",") if v]
    return history if not current or history[-1:] == [current] else [*history, current]


def _set_champion(client: MlflowClient, name: str, history: list[str]) -> None:
    client.set_registered_model_alias(name, CHAMPION, history[-1])
    if len(history) > 1:
        client.set_registered_model_alias(name, PREVIOUS, history[-2])
    else:
        client.delete_registered_model_alias(name, PREVIOUS)
    client.set_registered_model_tag(name, HISTORY, ",".join(history))
