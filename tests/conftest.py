"""Small seeded worlds made by the generator itself, shared by the tests of a session; throwaway projects."""

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
import yaml

from features.rules import CLEARED
from pipeline import params as P
from pipeline.console import messages
from pipeline.run import run_stages
from pipeline.stages import ingest
from pipeline.stages.synthesize import write_world
from pipeline.world import WorldConfig

ROOT = Path(__file__).resolve().parents[1]
PARAMS = P.load(ROOT / "params.yaml")

CHROMIUM = "/usr/bin/chromium"
SPREAD = {"test_hostile_exports"}  # each test a whole run, cheap fixtures: spread over the workers
SMALL = WorldConfig(accounts=6000, seed=11, chunk_size=3000)  # two chunks, so chunking is exercised


def params_at(root: Path, values: dict | None = None) -> P.Params:
    """The project's params.yaml with every output under `root` and dotted `values` set on top."""
    return P.override(
        P.rooted(PARAMS, root), {k: str(v) if isinstance(v, Path) else v for k, v in (values or {}).items()}
    )


def ingest_into(
    source: Path, out: Path, max_reject_share: float = 0.2, mapping: Path | str = "", **more
) -> dict:
    """The ingest stage on `source` into `out` (`more`: other dotted params)."""
    values = {"ingest.source": str(source), "ingest.out": str(out), "ingest.mapping": str(mapping)}
    return ingest.run(P.override(PARAMS, {**values, "ingest.max_reject_share": max_reject_share, **more}))


@contextmanager
def chromium():
    """Debian's chromium driven by Playwright, offline and quiet (skips when `make browser` was not run)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"Debian chromium not installed ({CHROMIUM}): run `make browser` "
            "(apt-get install chromium) to run the HTML browser test"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def said() -> Iterator[list[str]]:
    """The messages of the project's loggers (INFO and up) inside the block, for fixtures wider than
    caplog."""
    said = []
    handler = logging.Handler()
    handler.emit = lambda record: said.append(record.getMessage())
    with messages(0, handler):
        yield said


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test` runs on every core (pytest-xdist, `--dist loadgroup`): a module's tests stay on one worker
    so its fixtures are built once, except the modules in SPREAD, whose tests share the workers one by one."""
    for item in items:
        if item.module.__name__ not in SPREAD:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


@pytest.fixture(scope="session")
def small_world(tmp_path_factory):
    root = tmp_path_factory.mktemp("world")
    summary = write_world(SMALL, root / "raw", root / "truth", "parquet")
    return {"data": root / "raw", "truth": root / "truth", "summary": summary}


@pytest.fixture(scope="session")
def small_run(small_world, tmp_path_factory):
    """The project's params.yaml run through ingest ... score on the small world, in a tmp folder."""
    p = params_at(
        tmp_path_factory.mktemp("run"),
        {"ingest.source": small_world["data"], "evaluate.truth": small_world["truth"]},
    )
    results = run_stages(p, ["ingest", "featurize", "train", "evaluate", "explain", "score"])
    return {"params": p, "explained": results["explain"], "summary": results["score"]}


def sh(cwd: Path, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command in a throwaway project as a user would (the venv on PATH, a git identity), with MLflow at
    the project's own sqlite store: never the user's tracking server or mlflow.db. `check`: must succeed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "DVC_"))}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@t",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@t",
        MLFLOW_TRACKING_URI=f"sqlite:///{cwd / 'mlflow.db'}",
    )
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0 or not check, (
        f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done


def tiny_project(root: Path, lighter: dict | None = None) -> Path:
    """A copy of the project (code, dvc.yaml, params.yaml with a 2,500-account world) in a fresh git + DVC
    repo with one commit: what a user has after cloning, at test size. `lighter`: params sections updated on
    top, for tests that judge something else than the figures those params make (fewer resamples, say)."""
    for name in ("pipeline", "features", "models"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "dvc.yaml", root / "dvc.yaml")
    shutil.copy(ROOT / ".gitignore", root / ".gitignore")
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["synthesize"].update(accounts=2500, chunk_size=2500)
    for section, values in (lighter or {}).items():
        params[section].update(values)
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    sh(root, "git", "init", "-q")
    sh(root, "dvc", "init", "-q")
    shutil.copy(ROOT / ".dvcignore", root / ".dvcignore")
    sh(root, "git", "add", "-A")
    sh(root, "git", "commit", "-qm", "tiny project")
    return root


def rejects_of(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "rejects.csv", dtype=str, keep_default_na=False).astype({"row": int})


def assert_reconciles(out: Path, summary: dict) -> None:
    """rows in = kept + rejected per table; kept rows are in the Parquet, rejected ones in rejects.csv (each
    dropped row once, whatever its number of problems)."""
    rejects = rejects_of(out)
    dropped = rejects[~rejects["reason"].str.endswith(CLEARED)]
    for name, c in summary["tables"].items():
        assert c["rows_in"] == c["rows_kept"] + c["rows_rejected"], name
        if (out / f"{name}.parquet").exists():
            assert len(pd.read_parquet(out / f"{name}.parquet")) == c["rows_kept"], name
        assert dropped[dropped["table"] == name]["row"].nunique() == c["rows_rejected"], name
