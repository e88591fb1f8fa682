"""The whole DVC graph on a tiny world, as a data scientist runs it: `dvc repro`, `dvc exp run -S`, metrics
diff."""

import json

import pytest
from conftest import sh, tiny_project


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return tiny_project(tmp_path_factory.mktemp("project"))


def test_dvc_repro_runs_the_graph_and_exp_run_changes_the_metrics(project):
    sh(project, "dvc", "repro")
    metrics = json.loads((project / "data/reports/metrics.json").read_text())
    assert 0.5 < metrics["model"]["roc_auc"] <= 1
    for name in ("roc.csv", "precision_recall.csv", "calibration.csv", "gains.csv"):
        assert (project / "data/reports/plots" / name).stat().st_size > 0
    status = sh(project, "dvc", "status").stdout
    assert "up to date" in status.lower() or status.strip() == ""
    sh(project, "git", "add", "-A")
    sh(project, "git", "commit", "-qm", "baseline run")
    sh(
        project,
        "dvc",
        "exp",
        "run",
        "-S",
        "train.classifier.num_leaves=4",
        "-S",
        "train.calibration=isotonic",
    )
    diff = sh(project, "dvc", "metrics", "diff", "--json").stdout
    changed = json.loads(diff)["data/reports/metrics.json"]
    assert changed["model.roc_auc"]["diff"] != 0
    shown = sh(project, "dvc", "plots", "show", "-o", str(project / "plots_html")).stdout
    assert (project / "plots_html" / "index.html").exists(), shown
