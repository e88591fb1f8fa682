"""Stage `evaluate`: the model against baselines (and the oracle, on the demo world) on the newest deals.

`python -m pipeline.stages.evaluate` reads params.yaml. Writes `evaluate.out`/metrics.json (for `dvc metrics`)
and `evaluate.out`/plots/{roc,precision_recall,calibration,gains}.csv (for the top-level `plots:` of
dvc.yaml).
The deals are the chronological holdout, or in small-data mode (train_summary.json) the pooled test blocks of
the chronological folds; ROC AUC, PR AUC, Brier and top-decile lift get 95% bootstrap intervals.
"""

import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from models.baselines import checklist_points, checklist_proba, fit_checklist, fit_logistic
from models.bootstrap import metric_intervals
from models.bundle import Bundle, load_bundle, predict, read_oof, read_summary
from models.metrics import (
    GRID,
    calibration_table,
    gains_on_grid,
    precision_on_grid,
    roc_on_grid,
    score_metrics,
)
from models.spec import encode, make_spec
from models.split import describe, folds_of, read_deals, split_of
from pipeline import params as P
from pipeline.console import stage_main
from pipeline.io import new_folder, to_json, write_text
from pipeline.paths import paths

log = logging.getLogger(__spec__.name)  # not __name__: that is "__main__" under python -m

METHODS = ("model", "logistic", "checklist", "oracle")


def read_oracle(truth: Path | None, deals: pd.DataFrame) -> pd.DataFrame | None:
    """True P(win) and expected amount of each deal, when `evaluate.truth` names an existing folder."""
    if truth is None or not truth.is_dir():
        return None
    oracle = pd.read_parquet(
        truth / "opportunities.parquet", columns=["opportunity_id", "true_p_win", "true_expected_amount"]
    )
    oracle = deals[["opportunity_id"]].merge(oracle, on="opportunity_id", how="left", validate="one_to_one")
    if oracle["true_p_win"].isna().any():
        raise ValueError(f"{truth}: {oracle['true_p_win'].isna().sum()} evaluated deals have no true_p_win")
    return oracle.set_index(deals.index)


def _rounded(obj):
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    return round(obj, 6) if isinstance(obj, float) else obj


def baseline_scores(train: pd.DataFrame, rows: pd.DataFrame, spec: dict) -> dict[str, np.ndarray]:
    """P(win) of `rows` by the logistic and the checklist baselines fitted on the `train` deals."""
    logistic = fit_logistic(encode(train, spec), train["won"], spec)
    rates = fit_checklist(checklist_points(train), train["won"])
    return {
        "logistic": logistic.predict_proba(encode(rows, spec))[:, 1],
        "checklist": checklist_proba(checklist_points(rows), rates),
    }


def holdout_scores(
    bundle: Bundle, deals: pd.DataFrame, split: pd.Series
) -> tuple[pd.DataFrame, dict, np.ndarray]:
    """The holdout deals, P(win) of the model and the baselines (fitted on the train deals) and the model's
    predicted amounts."""
    hold = deals[split == "holdout"]
    pred = predict(bundle, hold)
    p = {"model": pred["p_win"].to_numpy(), **baseline_scores(deals[split == "train"], hold, bundle.spec)}
    return hold, p, pred["amount"].to_numpy()


def pooled_scores(
    bundle: Bundle, deals: pd.DataFrame, summary: dict, oof: pd.DataFrame
) -> tuple[pd.DataFrame, dict, np.ndarray]:
    """Small data: the same for the deals of every fold's test block, pooled: the model's out-of-fold
    predictions saved by train, the baselines fitted per fold on the fold's train deals (with the fold's own
    categories, as its model had)."""
    parts = []
    for split, pred in folds_of(deals, summary, oof):
        train, test = deals[split == "train"], deals[split == "holdout"]
        spec = make_spec(train, bundle.spec["features"])
        parts.append(
            pd.DataFrame(
                {"model": pred["p_win"], **baseline_scores(train, test, spec), "amount": pred["amount"]},
                index=test.index,
            )
        )
    pooled = pd.concat(parts)
    p = {m: pooled[m].to_numpy() for m in ("model", "logistic", "checklist")}
    return deals.loc[pooled.index], p, pooled["amount"].to_numpy()


def plot_tables(won: np.ndarray, p: dict, bins: int) -> dict[str, pd.DataFrame]:
    """The CSVs of dvc.yaml's top-level `plots:`; a method without scores (no oracle) gets an empty column."""
    curves = {
        "roc": ("fpr", roc_on_grid),
        "precision_recall": ("recall", precision_on_grid),
        "gains": ("share_of_deals", gains_on_grid),
    }
    tables = {
        name: pd.DataFrame({x: GRID, **{m: curve(won, p[m]) if m in p else np.nan for m in METHODS}})
        for name, (x, curve) in curves.items()
    }
    tables["gains"]["random"] = GRID
    calibration = calibration_table(won, p["model"], bins)
    tables["calibration"] = calibration[["predicted", "observed"]].assign(perfect=calibration["predicted"])
    return tables


def _ci(m: dict, key: str) -> str:
    return f" (95% CI {m[key + '_ci_low']:.2f}-{m[key + '_ci_high']:.2f})" if key + "_ci_low" in m else ""


def run(params: P.Params) -> dict:
    start, cfg, score, f = time.perf_counter(), params.evaluate, params.score, paths(params)
    deals, summary, bundle = read_deals(f.train_set), read_summary(f.model), load_bundle(f.model)
    split = split_of(deals, summary)
    if summary["small_data"]:
        rows, p, amount = pooled_scores(bundle, deals, summary, read_oof(f.model))
        how = {"evaluation": "chronological_cv", "folds": len(summary["cv"])}
        what = f"the pooled test blocks of {how['folds']} chronological folds"
    else:
        rows, p, amount = holdout_scores(bundle, deals, split)
        how, what = {"evaluation": "chronological_holdout"}, "the holdout"
    won = rows["won"].to_numpy(bool)
    if not 0 < won.sum() < len(won):
        raise ValueError(f"the {len(rows):,} deals of {what} need both wins and losses to be evaluated")
    log.info(
        f"evaluate: {len(rows):,} deals of {what}, {won.sum():,} won"
        + (f"; 95% intervals from {cfg.bootstrap:,} bootstrap resamples" if cfg.bootstrap else "")
    )

    ev = {m: p[m] * amount for m in p}
    oracle = read_oracle(f.truth, rows)
    if oracle is not None:
        p["oracle"] = oracle["true_p_win"].to_numpy()
        ev["oracle"] = p["oracle"] * oracle["true_expected_amount"].to_numpy()
    won_amount = rows["amount"].where(rows["won"], 0.0).fillna(0.0).to_numpy(float)
    ks = {"tier1": score.tier1_size, "tier1_2": score.tier1_size + score.tier2_size}
    tier_k = {f"{k}_k": min(v, len(rows)) for k, v in ks.items()}
    metrics = {"holdout": {**describe(rows), **how, **tier_k}}
    for m in p:
        metrics[m] = score_metrics(won, p[m], ev[m], won_amount, ks, cfg.ece_bins)
        if cfg.bootstrap:
            for key, (low, high) in metric_intervals(won, p[m], cfg.bootstrap, cfg.seed).items():
                metrics[m] |= {f"{key}_ci_low": low, f"{key}_ci_high": high}
        log.info(
            f"evaluate: {m:<9} ROC AUC {metrics[m]['roc_auc']:.3f}{_ci(metrics[m], 'roc_auc')}  "
            f"PR AUC {metrics[m]['pr_auc']:.3f}{_ci(metrics[m], 'pr_auc')}  "
            f"log loss {metrics[m]['log_loss']:.4f}  ECE {metrics[m]['ece']:.4f}  "
            f"top-decile lift {metrics[m]['top_decile_lift']:.2f}{_ci(metrics[m], 'top_decile_lift')}  "
            f"value captured at tier 1+2 {metrics[m]['value_captured_at_tier1_2']:.1%}"
        )
    if "oracle" in p:
        model_m, best = metrics["model"], metrics["oracle"]
        metrics["model_vs_oracle"] = {
            "ratio_to_oracle": (model_m["roc_auc"] - 0.5) / (best["roc_auc"] - 0.5),
            "top_decile_lift_ratio": model_m["top_decile_lift"] / best["top_decile_lift"],
        }
    metrics = _rounded(metrics)

    tables = plot_tables(won, p, cfg.ece_bins)
    with new_folder(f.plots) as tmp:
        for name, table in tables.items():
            table.round(6).to_csv(tmp / f"{name}.csv", index=False)
    write_text(f.metrics, to_json(metrics))
    log.info(
        f"evaluate: wrote {f.metrics} ({len(p)} methods on {len(rows):,} deals of {what}) and "
        f"{len(tables)} plot files in {f.plots} in {time.perf_counter() - start:.1f}s"
    )
    return metrics


if __name__ == "__main__":
    stage_main(run)
