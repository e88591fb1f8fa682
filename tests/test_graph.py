"""The whole DVC graph on a tiny world, as a data scientist runs it: `dvc repro`, `dvc exp run -S`, metrics diff."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def sh(cwd: Path, *cmd: str) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("project")
    for name in ("pipeline", "features", "models"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("dvc.yaml", ".gitignore"):
        shutil.copy(ROOT / name, root / name)
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["synthesize"].update(accounts=2500, chunk_size=2500)
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    sh(root, "git", "init", "-q")
    sh(root, "dvc", "init", "-q")
    sh(root, "git", "add", "-A")
    sh(root, "git", "commit", "-qm", "tiny project")
    return root


def test_dvc_repro_runs_the_graph_and_exp_run_changes_the_metrics(project):
    sh(project, "dvc", "repro")
    metrics = json.loads((project / "data/reports/metrics.json").read_text())
    assert 0.5 < metrics["model"]["roc_auc"] <= 1
    for name in ("roc.csv", "precision_recall.csv", "calibration.csv", "gains.csv"):
        assert (project / "data/reports/plots" / name).stat().st_size > 0
    assert "up to date" in sh(project, "dvc", "status").lower() or sh(project, "dvc", "status").strip() == ""
    sh(project, "git", "add", "-A")
    sh(project, "git", "commit", "-qm", "baseline run")
    sh(project, "dvc", "exp", "run", "-S", "train.classifier.num_leaves=4", "-S", "train.calibration=sigmoid")
    diff = sh(project, "dvc", "metrics", "diff", "--json")
    changed = json.loads(diff)["data/reports/metrics.json"]
    assert changed["model.roc_auc"]["diff"] != 0
    shown = sh(project, "dvc", "plots", "show", "-o", str(project / "plots_html"))
    assert (project / "plots_html" / "index.html").exists(), shown
