"""The whole DVC graph on a tiny world, as a data scientist runs it: `dvc repro`, `dvc exp run -S`, metrics
diff."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import sh, tiny_project

from models.bundle import load_bundle, predict, read_summary
from models.metrics import calibration_table
from models.split import read_deals, split_of
from pipeline import params as P
from pipeline.paths import paths

METHODS = ["model", "logistic", "checklist", "oracle"]
CURVES = {"roc": "fpr", "precision_recall": "recall", "gains": "share_of_deals"}  # each curve's x


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return tiny_project(tmp_path_factory.mktemp("project"))


def test_dvc_repro_runs_the_graph_and_exp_run_changes_the_metrics(project):
    sh(project, "dvc", "repro")
    metrics = json.loads((project / "data/reports/metrics.json").read_text())
    assert 0.5 < metrics["model"]["roc_auc"] <= 1
    backtest = json.loads((project / "data/reports/backtest.json").read_text())
    assert len(backtest["origins"]) >= 4 and all("ratio_to_oracle" in x for x in backtest["origins"])
    assert_plots_agree_with_metrics(project)
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
    assert_plots_agree_with_metrics(project)  # the experiment's
    sh(project, "dvc", "plots", "show", "-o", str(project / "plots_html"))
    assert_page_draws_the_plots(project, (project / "plots_html" / "index.html").read_text())


def assert_plots_agree_with_metrics(project: Path) -> None:
    """The plot CSVs describe the deals and the scores metrics.json does: the areas under the curves are the
    AUCs, the gains at 10% of deals the top-decile lift, the calibration bins the model's on the holdout."""
    p = P.load(project / "params.yaml")
    f = paths(p)
    reports = project / p.evaluate.out
    metrics = json.loads((project / f.metrics).read_text())
    plots = {name: pd.read_csv(reports / "plots" / f"{name}.csv") for name in (*CURVES, "calibration")}
    for name, x in CURVES.items():
        assert list(plots[name].columns[:5]) == [x, *METHODS], name
        np.testing.assert_allclose(plots[name][x], np.linspace(0, 1, 101))
    roc, pr, gains = plots["roc"], plots["precision_recall"], plots["gains"]
    for m in METHODS:
        # A monotone curve sampled every 0.01: the trapezoid is within 0.01 of the area under it. Interpolated
        # precision is at least the precision that average precision sums, and at least the win rate.
        assert np.trapezoid(roc[m], roc["fpr"]) == pytest.approx(metrics[m]["roc_auc"], abs=0.01), m
        assert np.trapezoid(pr[m], pr["recall"]) > metrics[m]["pr_auc"] - 0.01, m
        assert pr[m].min() >= metrics["holdout"]["win_rate"] - 1e-6, m
        assert gains[m].iloc[0] == 0 and gains[m].iloc[-1] == pytest.approx(1), m
        # top-decile lift: the share of all wins among the top 10% of deals, over 10%
        assert gains[m].iloc[10] / 0.1 == pytest.approx(metrics[m]["top_decile_lift"], abs=1e-4), m

    assert metrics["holdout"]["evaluation"] == "chronological_holdout"  # not pooled folds: the holdout below
    deals = read_deals(project / f.train_set)
    held = deals[split_of(deals, read_summary(project / f.model)) == "holdout"]
    p_win = predict(load_bundle(project / f.model), held)["p_win"].to_numpy()
    bins = calibration_table(held["won"].to_numpy(), p_win, p.evaluate.ece_bins)
    assert bins["deals"].sum() == metrics["holdout"]["deals"] == len(held)
    calibration = plots["calibration"]
    assert list(calibration.columns) == ["predicted", "observed", "perfect"]
    np.testing.assert_allclose(
        calibration[["predicted", "observed"]], bins[["predicted", "observed"]], atol=2e-6
    )
    assert calibration["perfect"].equals(calibration["predicted"])
    ece = np.sum(bins["deals"] * np.abs(calibration["predicted"] - calibration["observed"])) / len(held)
    assert ece == pytest.approx(metrics["model"]["ece"], abs=1e-5)


def assert_page_draws_the_plots(project: Path, page: str) -> None:
    """`dvc plots show`'s page has each plot of dvc.yaml under its title, drawing the CSV's columns."""
    specs = {}
    for text in re.findall(r"var spec = (\{.*\});", page):
        spec = json.loads(text)
        specs[spec.get("title", {}).get("text", "(no title)")] = spec  # none on a plot DVC cannot draw
    out = P.load(project / "params.yaml").evaluate.out
    plots = [next(iter(p.items())) for p in yaml.safe_load((project / "dvc.yaml").read_text())["plots"]]
    assert sorted(specs) == sorted(title for title, _ in plots)
    for title, plot in plots:
        (file, ys), spec = next(iter(plot["y"].items())), specs[title]
        csv = pd.read_csv(project / file.replace("${evaluate.out}", out))
        drawn = pd.DataFrame(spec["data"]["values"])
        assert spec["encoding"]["x"]["field"] == plot["x"] and sorted(drawn["field"].unique()) == sorted(ys)
        for y in ys:
            line = drawn[drawn["field"] == y]
            if not pd.api.types.is_numeric_dtype(csv[plot["x"]]):  # dates, as the backtest's origins
                assert line[plot["x"]].astype(str).tolist() == csv[plot["x"]].tolist()
            else:
                np.testing.assert_allclose(line[plot["x"]].astype(float), csv[plot["x"]])
            np.testing.assert_allclose(line["dvc_inferred_y_value"].astype(float), csv[y])
