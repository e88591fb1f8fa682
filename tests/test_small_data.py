"""Small data and bootstrap intervals: the resampled metrics, the chronological folds, and train ->
evaluate -> explain -> model card in small-data mode on a seeded 15% of the small world's closed deals."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from test_models import deals_frame, imported, instant
from test_report import card_facts

from features.errors import ContractError
from models.bootstrap import (
    draw_counts,
    metric_intervals,
    paired_differences,
    rate_intervals,
    resampled_figures,
    resampled_metrics,
    resampled_value_captured,
)
from models.bundle import read_summary
from models.metrics import compared, difference, score_metrics, top_k_sums, verdict
from models.split import assign_fold, cv_folds, read_deals, split_facts, usable_folds
from pipeline import params as P
from pipeline.outputs.model_card import render
from pipeline.run import run_stages
from pipeline.stages import evaluate, train
from pipeline.tracking import run_tags
from tests.conftest import said

SPLIT = {"train": 0.6, "validation": 0.2, "holdout": 0.2}


def scored(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes and scores with signal, rounded so that many scores tie."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return rng.random(n) < expit(-1 + x), np.round(expit(x + rng.normal(0, 1, n)), 1)


# --- the bootstrap ------------------------------------------------------------------------------------------


def test_each_resample_gets_exactly_the_metrics_of_its_drawn_deals():
    won, p = scored(400)
    counts = next(draw_counts(len(won), 30, seed=3))
    assert counts.shape == (30, 400) and (counts.sum(axis=1) == 400).all()
    fast = resampled_metrics(won, p, counts)
    for i in range(30):
        rows = np.repeat(np.arange(400), counts[i].astype(int))
        w, s = won[rows], p[rows]
        assert fast["roc_auc"][i] == pytest.approx(roc_auc_score(w, s), abs=1e-12)
        assert fast["pr_auc"][i] == pytest.approx(average_precision_score(w, s), abs=1e-12)
        assert fast["brier"][i] == pytest.approx(brier_score_loss(w, s), abs=1e-12)
        lift = top_k_sums(s, w, [40])[0] / 40 / w.mean()
        assert fast["top_decile_lift"][i] == pytest.approx(lift, abs=1e-12)


def test_each_resample_gets_the_value_captured_by_its_top_k():
    won, p = scored(400)
    amount = np.where(won, np.random.default_rng(5).lognormal(9, 1, 400), 0.0)
    ev = p * np.random.default_rng(6).lognormal(9, 0.5, 400)
    counts = next(draw_counts(len(won), 20, seed=4))
    fast = resampled_value_captured(ev, amount, 50, counts)
    for i in range(20):
        rows = np.repeat(np.arange(400), counts[i].astype(int))
        want = score_metrics(won[rows], p[rows], ev[rows], amount[rows], {"k": 50}, 10)["value_captured_at_k"]
        assert fast[i] == pytest.approx(want, abs=1e-9)


def test_a_model_identical_to_its_baseline_is_not_distinguishable_and_a_real_gain_is_better():
    """Paired: the same resamples for both, so a tie is exactly 0 on each, and a clear gain on a few hundred
    deals has its whole interval above 0."""
    won, p = scored(600)
    amount = np.where(won, 1000.0, 0.0)
    noise = np.random.default_rng(9).uniform(size=600)
    for other, words in (
        (p, "not distinguishable from the baseline on these deals"),
        (noise, "better than the baseline"),
    ):
        figures = resampled_figures(
            won, {"a": p, "b": other}, 500, 2, {"a": p * 1000, "b": other * 1000}, amount, 60
        )
        ci = paired_differences(figures["a"], figures["b"])
        a, b = (score_metrics(won, x, x * 1000, amount, {"tier1_2": 60}, 10) for x in (p, other))
        diff = difference(a, b, {**ci, "value_captured_at_tier1_2": ci["value_captured_at_k"]})
        assert verdict(diff, "roc_auc", "the baseline") == words
        assert verdict(diff, "top_decile_lift", "the baseline") == words
        assert words in compared(diff, "the baseline")


def intervals(won, p, resamples, seed):
    return metric_intervals(resampled_figures(won, {"p": p}, resamples, seed)["p"])


def test_intervals_hold_the_estimate_narrow_with_more_deals_and_repeat_with_the_seed():
    widths = []
    for n in (300, 3000):
        won, p = scored(n)
        point = score_metrics(won, p, p, won.astype(float), {}, 10)
        ci = intervals(won, p, 1000, seed=7)
        for metric, (low, high) in ci.items():
            assert low < point[metric] < high, (n, metric)
        widths.append(ci["roc_auc"][1] - ci["roc_auc"][0])
        assert intervals(won, p, 1000, seed=7) == ci
        assert intervals(won, p, 1000, seed=8) != ci
    assert widths[1] < widths[0] / 2  # ten times the deals: about a third of the width


def test_a_resample_without_wins_has_no_ranking_metrics_and_is_left_out():
    won = np.zeros(20, bool)
    won[0] = True  # one win in 20: some resamples never draw it
    counts = np.vstack([np.r_[0, np.full(19, 20 / 19)], np.ones(20)])
    m = resampled_metrics(won, np.linspace(1, 0, 20), counts)
    assert np.isnan(m["roc_auc"][0]) and m["roc_auc"][1] == 1.0
    low, high = intervals(won, np.linspace(1, 0, 20), 200, seed=1)["roc_auc"]
    assert low == high == 1.0  # the win always ranks first when it is drawn


def test_win_rate_intervals_of_groups_hold_their_rates():
    rng = np.random.default_rng(0)
    group = rng.integers(0, 3, 2000)
    won = rng.random(2000) < np.array([0.1, 0.3, 0.6])[group]
    low, high = rate_intervals(group, won, 1000, seed=7)
    rates = np.array([won[group == g].mean() for g in range(3)])
    assert (low < rates).all() and (rates < high).all() and (high < 0.1 + rates).all()


# --- the folds ----------------------------------------------------------------------------------------------


def test_folds_are_chronological_keep_days_whole_and_test_each_pooled_deal_once():
    created = deals_frame(seed=2)["created_date"]
    folds = cv_folds(created, 5, SPLIT)
    tested = pd.Series(0, index=created.index)
    for fold in folds:
        part = assign_fold(instant(created.to_frame()), fold)
        learned, test = created[part.isin(["train", "validation"])], created[part == "holdout"]
        assert learned.max() < test.min()  # every test deal is newer than every deal its model learned from
        assert created[part == "train"].max() < created[part == "validation"].min()
        assert (created[part == ""] >= fold["end"]).all() if fold["end"] else (part != "").all()
        assert len(test) == pytest.approx(len(created) / 6, rel=0.05)
        tested += part == "holdout"
    assert tested.max() == 1 and (tested == 1).sum() == (created >= folds[0]["holdout"]).sum()
    days = created.dt.normalize()
    assert days[tested == 1].min() > days[tested == 0].max()  # the oldest block only ever trains


def test_too_few_creation_days_for_the_folds_are_refused():
    created = pd.Series(pd.to_datetime(["2024-01-01"] * 50 + ["2024-01-02"] * 50 + ["2024-01-03"] * 50))
    with pytest.raises(ValueError, match="too few creation days"):
        cv_folds(created, 5, SPLIT)


def test_folds_of_a_history_with_an_import_day_keep_every_part_and_say_so():
    created = imported(deals_frame(n=600, seed=2), 0.52, 0.0)["created_date"]  # the oldest 52%: one day
    folds = cv_folds(created, 5, SPLIT)
    assert len(folds) == 5
    for fold in folds:
        part = assign_fold(instant(created.to_frame()), fold)
        assert set(part) >= {"train", "validation", "holdout"}
        assert created[part == "train"].max() < created[part == "validation"].min()
        assert created[part == "validation"].max() < created[part == "holdout"].min()
    facts = split_facts(created, SPLIT, 5)
    assert facts["folds"] == {"requested": 5, "used": 5, "moved": True} and not facts["moved"]
    assert facts["note"] == (
        f"312 of 600 deals (52%) were created on {created.min().date()} (an import?): the folds' blocks "
        "moved off equal sizes (their deals: cv in train_summary.json)"
    )


def test_few_creation_days_give_fewer_folds_and_too_few_stop_in_one_line():
    days = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"])
    created = pd.Series(days.repeat([60, 50, 40, 30, 20]))
    folds = cv_folds(created, 5, SPLIT)
    assert [f["holdout"] for f in folds] == list(days[2:]) and folds[-1]["end"] is None  # a day a part
    assert "3 folds instead of 5: 5 creation days allow no more" in split_facts(created, SPLIT, 5)["note"]
    with pytest.raises(ContractError) as e:
        cv_folds(created[created < days[3]], 5, SPLIT)
    assert str(e.value).startswith(
        "the 150 closed deals were created on 3 distinct days: too few creation days for 2 chronological "
        "folds, the fewest small data uses (4 at least, so that no part is empty: a day is never cut)"
    )


# --- the stages in small-data mode --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def few(small_run, tmp_path_factory):
    """A seeded 15% of the small world's closed deals (about 170 won): a project in small-data mode."""
    p, root = small_run["params"], tmp_path_factory.mktemp("few")
    (root / "features").mkdir()
    deals = pd.read_parquet(Path(p.features.out) / "train.parquet").sample(frac=0.15, random_state=0)
    deals.to_parquet(root / "features" / "train.parquet")
    shutil.copy(Path(p.features.out) / "features.json", root / "features" / "features.json")
    p = P.override(
        p,
        {
            "features.out": str(root / "features"),
            "train.out": str(root / "model"),
            "evaluate.out": str(root / "reports"),
            "explain.out": str(root / "explain"),
            "explain.profile": str(root / "icp_profile"),
            "explain.profile_min_deals": 60,
            "explain.few_deals": 100,
        },
    )
    with said() as messages:
        results = run_stages(p, ["train", "evaluate", "explain"])
    summary, metrics, explained = results["train"], results["evaluate"], results["explain"]
    return {
        "root": root,
        "params": p,
        "deals": deals,
        "summary": summary,
        "metrics": metrics,
        "explained": explained,
        "messages": messages,
    }


def test_small_data_mode_starts_just_below_the_threshold(small_run, few, tmp_path):
    deals, cfg = few["deals"], few["params"].train
    fewest = int(min(deals["won"].sum(), (~deals["won"]).sum()))
    assert fewest < cfg.small_data_deals and few["summary"]["small_data"] is True
    assert few["summary"]["classifier"]["params"] == "small_data_classifier"
    assert (Path(cfg.out) / "cv_predictions.parquet").exists()
    for threshold, small in ((fewest, False), (fewest + 1, True)):
        s = train.run(
            P.override(
                few["params"],
                {"train.out": str(tmp_path / str(threshold)), "train.small_data_deals": threshold},
            )
        )
        assert s["small_data"] is small and ("cv" in s) is small
        assert (tmp_path / str(threshold) / "cv_predictions.parquet").exists() is small
    whole = read_summary(small_run["params"].train.out)  # 1,146 won: the whole small world is not small
    assert whole["small_data"] is False and min(whole["closed_deals"].values()) >= 200


def test_train_warns_plainly_and_records_the_counts_and_folds(few):
    s, messages = few["summary"], few["messages"]
    won, lost = int(few["deals"]["won"].sum()), int((~few["deals"]["won"]).sum())
    assert s["closed_deals"] == {"won": won, "lost": lost} and s["small_data_deals"] == 200
    warning = next(m for m in messages if "WARNING" in m)
    assert warning.startswith(
        f"train: WARNING: only {won:,} won and {lost:,} lost deals (fewer than 200 of each)"
    )
    used, left_out = len(s["cv"]), s["split"]["folds"].get("left_out", [])
    assert f"{used} chronological folds" in warning and "uncertain" in warning
    assert used + len(left_out) == 5 and sum(m.startswith("train: fold ") for m in messages) == 5
    assert all(f"train: {line}" in messages for line in left_out)


def test_out_of_fold_predictions_are_chronological_and_cover_the_pooled_deals_once(few):
    deals = read_deals(few["root"] / "features" / "train.parquet")
    oof = pd.read_parquet(Path(few["params"].train.out) / "cv_predictions.parquet")
    created = deals.set_index("opportunity_id")["created_date"]
    for k, fold in enumerate(few["summary"]["cv"], start=1):
        boundaries = {b: d and pd.Timestamp(d) for b, d in fold["boundaries"].items()}
        part = assign_fold(deals, boundaries)
        tested = oof.loc[oof["fold"] == k, "opportunity_id"]
        assert sorted(tested) == sorted(deals.loc[part == "holdout", "opportunity_id"])
        assert deals.loc[part.isin(["train", "validation"]), "created_date"].max() < created[tested].min()
    assert oof["opportunity_id"].is_unique and oof["p_win"].between(0, 1).all()
    h = few["metrics"]["holdout"]
    assert h["evaluation"] == "chronological_cv" and h["folds"] == len(few["summary"]["cv"])
    assert h["deals"] == len(oof) == sum(f["deals"]["holdout"] for f in few["summary"]["cv"])
    assert h["wins"] == deals.set_index("opportunity_id").loc[oof["opportunity_id"], "won"].sum()


def test_cross_validated_metrics_have_intervals_and_the_same_bytes_twice(few, tmp_path):
    metrics, p = few["metrics"], few["params"]
    for m in ("model", "logistic", "checklist", "oracle"):
        for key in ("roc_auc", "pr_auc", "brier", "top_decile_lift"):
            assert metrics[m][f"{key}_ci_low"] <= metrics[m][key] <= metrics[m][f"{key}_ci_high"], (m, key)
    model = metrics["model"]
    assert model["roc_auc_ci_high"] - model["roc_auc_ci_low"] > 0.05  # a few hundred deals: wide
    line = next(m for m in few["messages"] if m.startswith("evaluate: model"))
    assert f"(95% CI {model['roc_auc_ci_low']:.2f}-{model['roc_auc_ci_high']:.2f})" in line

    again = P.override(p, {"train.out": str(tmp_path / "model"), "evaluate.out": str(tmp_path / "reports")})
    run_stages(again, ["train", "evaluate"])
    for name in ("cv_predictions.parquet", "train_summary.json", "classifier.txt"):
        assert (tmp_path / "model" / name).read_bytes() == (Path(p.train.out) / name).read_bytes(), name
    assert (tmp_path / "reports" / "metrics.json").read_bytes() == (
        Path(p.evaluate.out) / "metrics.json"
    ).read_bytes()


def test_evaluate_refuses_folds_of_other_deals(few, tmp_path):
    features = tmp_path / "features"
    shutil.copytree(few["root"] / "features", features)
    deals = pd.read_parquet(features / "train.parquet")
    fold = few["summary"]["cv"][0]["boundaries"]
    moved = deals["created_date"].between(fold["holdout"], fold["end"], inclusive="left")
    deals.loc[moved.idxmax(), "opportunity_id"] = "OPP-NOT-SEEN"  # same day, same counts, another deal
    deals.to_parquet(features / "train.parquet")
    with pytest.raises(ValueError, match="fold 1 .* retrain"):
        evaluate.run(
            P.override(
                few["params"], {"features.out": str(features), "evaluate.out": str(tmp_path / "reports")}
            )
        )


def test_profile_win_rates_get_bootstrap_intervals_and_say_so(few):
    profile = few["explained"]["profile"]
    assert profile["interval"] == "bootstrap" and profile["resamples"] == 1000
    mixed = [s for s in profile["segments"] if 0 < s["wins"] < s["deals"]]  # the others keep Wilson's
    assert mixed and all(s["ci_low"] < s["win_rate"] < s["ci_high"] for s in mixed)
    md = Path(f"{few['params'].explain.profile}.md").read_text()
    assert "95% bootstrap intervals (1,000 resamples of the holdout deals" in md
    page = render(card_facts(train_summary=few["summary"], metrics=few["metrics"], profile=profile))
    assert "win rates with 95% bootstrap intervals" in page
    won, lost = few["summary"]["closed_deals"].values()
    assert f"Small data: {won:,} won and {lost:,} lost deals" in page


def test_the_mlflow_run_is_tagged_small_data(few):
    p = few["params"]
    meta = json.loads((few["root"] / "features" / "features.json").read_text())
    assert run_tags(p, few["summary"], meta, None, 1)["data.small_data"] is True


def test_folds_whose_deals_close_after_their_learning_parts_are_left_out_and_none_left_stops():
    """Deals that take a year to close: each fold's train and validation parts end before their outcomes."""
    deals = deals_frame(n=600, seed=3)
    slow = deals.assign(close_date=deals["created_date"] + pd.Timedelta(days=400))
    folds = cv_folds(slow["created_date"], 5, SPLIT)
    with pytest.raises(
        ContractError, match=r"^none of the 5 chronological folds can be learned from; fold 1: "
    ):
        usable_folds(slow, folds)
    kept, said = usable_folds(deals, folds)  # 60 days to close: the later folds keep their parts
    assert len(kept) + len(said) == 5 and kept and all(line.startswith("fold ") for line in said)
