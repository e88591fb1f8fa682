"""Where MLflow lives, and the model registry: the promotion rule, the champion, promotion by hand, rollback.

The `champion` alias names the model in use. A new version always gets `challenger`; it also becomes
`champion` when there is none yet, or when, both scored on the same holdout deals, its paired improvement on
the promotion metric is above the margin with 95% confidence (`report` params), or when a person runs
`icp promote VERSION`. Every champion is appended to the registered model's
tag `champion_history`, so `icp rollback` steps back through it; the alias `previous_champion` shows the step
back in the MLflow UI.
"""

import os
from pathlib import Path

import mlflow
import numpy as np
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.models import Model

from pipeline import params as P
from pipeline.pyfunc import BUNDLE

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


# a pairing of head_to_head: (challenger or its twin, champion or its twin), in words
PAIRS = {
    (0, 1): "it against the champion's twin (the same training, the next seed)",
    (1, 0): "its twin (the same training, the next seed) against the champion",
    (1, 1): "its twin against the champion's twin",
}


def _gain(figures: dict, metric: str) -> tuple[float, tuple[float, float] | None]:
    """The improvement over the champion on `metric` (lower is better for the Brier score) and its
    interval, if there is one."""
    sign = -1 if metric in LOWER_IS_BETTER else 1
    ci = tuple(sorted((sign * figures["ci_low"], sign * figures["ci_high"]))) if "ci_low" in figures else None
    return sign * figures["difference"], ci


def _words(gain: float, ci: tuple | None) -> str:
    return f"{gain:+.4f}" + (
        f" (95% CI {ci[0]:+.4f} to {ci[1]:+.4f})" if ci else " (no interval: evaluate.bootstrap is 0)"
    )


def decide(
    metric: str, margin: float, champion: str | None, same: dict | None, unlike: str | None = None
) -> dict:
    """Whether the new version becomes champion: none yet, or, scored with the champion on the same deals
    (models/evaluation.head_to_head: `same`), its paired improvement on `metric` has a 95% interval whose
    lower end is above `margin`, and so has every pairing of it or its twin (the same training with the
    next seed) with the champion or the champion's twin: an improvement that a reseed on either side undoes
    is noise. Without intervals the points decide. Figures and reason included. `unlike`: why the two
    cannot be compared, if they cannot: then a person decides."""
    decision = {"metric": metric, "margin": margin, "champion": champion, "same_deals": same}
    if champion is None:
        return {**decision, "promote": True, "reason": "there was no champion yet"}
    unlike = unlike or (same or {"reason": f"champion v{champion} was not scored"}).get("reason")
    if unlike:
        return {
            **decision,
            "promote": False,
            "reason": f"{unlike}, so the two are not comparable: promote by hand (icp promote) if this "
            "version should be used",
        }
    gains = [(*_gain(x["metrics"][metric], metric), x) for x in same["pairs"]]
    low = [(ci[0] if ci else gain) for gain, ci, _ in gains]
    gain, ci, _ = gains[0]
    weakest = int(np.argmin(low))
    promote = min(low) > margin
    said = f"improvement {_words(gain, ci)}"
    if low[0] <= margin:
        said += f": not above the margin {margin}"
    elif not promote:
        w_gain, w_ci, pair = gains[weakest]
        said += (
            f", but {PAIRS[pair['new'], pair['old']]} improves by {_words(w_gain, w_ci)}, not above the "
            f"margin {margin}: a reseed alone undoes the gain"
        )
    elif len(gains) > 1:
        said += f"; every pairing with the twins (same training, next seed) is above the margin {margin} too"
    m = same["metrics"][metric]
    return {
        **decision,
        "improvement": gain,
        "promote": promote,
        "reason": f"on the same {same['deals']:,} holdout deals, {metric} {m['new']:.4f} vs champion "
        f"v{champion} {m['old']:.4f}: {said}",
    }


def champion_of(client, name: str) -> dict | None:
    """The current champion: its version, its run's tags and its drift reference."""
    version = aliases(client, name).get(CHAMPION)
    if version is None:
        return None
    run = client.get_run(client.get_model_version(name, version).run_id)
    logged = {a.path for a in client.list_artifacts(run.info.run_id)}
    return {
        "version": version,
        "tags": run.data.tags,
        "reference": (
            mlflow.artifacts.load_dict(f"{run.info.artifact_uri}/{REFERENCE}")
            if REFERENCE in logged
            else None
        ),
    }


def bundle_folder(name: str, version: str, into: Path) -> Path:
    """The native bundle a registered version was logged with, downloaded into `into`: the champion is
    scored from the registry, not from files on this machine."""
    local = Path(
        mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{name}/{version}", dst_path=str(into))
    )
    return local / Model.load(local).flavors["python_function"]["artifacts"][BUNDLE]["path"]


def promotion(p: P.Params, champion: dict | None, same: dict | None, tags: dict, new_version: str) -> dict:
    """The rule's decision on the new version (`same`: it and the champion on the same deals), and whether
    the champion was trained on the same input data. A small-data version's metrics pool chronological
    folds, others' come from one holdout: never compared."""
    metric, key = p.report.promotion_metric, f"data.md5.{p.features.out}"
    ours, theirs = str(tags["data.small_data"]), champion and champion["tags"].get("data.small_data")
    unlike = (
        f"this version's {metric} is {EVALUATED[ours]}, champion v{champion['version']}'s is "
        f"{EVALUATED[theirs]}"
        if theirs in EVALUATED and theirs != ours
        else None
    )
    decision = decide(metric, p.report.promotion_margin, champion and champion["version"], same, unlike)
    same_data = champion["tags"].get(key) == tags.get(key) if champion else None
    return {**decision, "version": new_version, "same_data": same_data}


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
