"""Stage `evaluate`: the model against baselines (and the oracle, on the demo world) on the newest deals.

`python -m pipeline.evaluate` reads params.yaml. Writes `evaluate.out`/metrics.json (for `dvc metrics`) and
`evaluate.out`/plots/{roc,precision_recall,calibration,gains}.csv (for the top-level `plots:` of dvc.yaml).
"""

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from models.baselines import checklist_points, checklist_proba, fit_checklist, fit_logistic
from models.bundle import Bundle, predict
from models.metrics import (
    GRID,
    calibration_table,
    gains_on_grid,
    precision_on_grid,
    roc_on_grid,
    score_metrics,
)
from models.spec import encode
from pipeline import params as P
from pipeline.io import new_folder, say, to_json, write_text
from pipeline.train import load_bundle, split_deals

METHODS = ("model", "logistic", "checklist", "oracle")


def read_oracle(truth: str, deals: pd.DataFrame) -> pd.DataFrame | None:
    """True P(win) and expected amount of each deal, when `evaluate.truth` names an existing folder."""
    if not truth or not Path(truth).is_dir():
        return None
    oracle = pd.read_parquet(Path(truth) / "opportunities.parquet",
                             columns=["opportunity_id", "true_p_win", "true_expected_amount"])
    oracle = deals[["opportunity_id"]].merge(oracle, on="opportunity_id", how="left", validate="one_to_one")
    if oracle["true_p_win"].isna().any():
        raise ValueError(f"{truth}: {oracle['true_p_win'].isna().sum()} holdout deals have no true_p_win")
    return oracle.set_index(deals.index)


def _rounded(obj):
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    return round(obj, 6) if isinstance(obj, float) else obj


def score_methods(bundle: Bundle, train: pd.DataFrame, hold: pd.DataFrame, truth: str) -> tuple[dict, dict]:
    """P(win) and expected value on the holdout for the model, the baselines and, if truth exists, the oracle.

    Baselines get the model's amounts, so their value metrics differ from the model's by P(win) ranking only.
    """
    pred = predict(bundle, hold)
    p = {"model": pred["p_win"].to_numpy()}
    X_train, X_hold = encode(train, bundle.spec), encode(hold, bundle.spec)
    p["logistic"] = fit_logistic(X_train, train["won"], bundle.spec).predict_proba(X_hold)[:, 1]
    rates = fit_checklist(checklist_points(train), train["won"])
    p["checklist"] = checklist_proba(checklist_points(hold), rates)
    ev = {m: p[m] * pred["amount"].to_numpy() for m in p}
    oracle = read_oracle(truth, hold)
    if oracle is not None:
        p["oracle"] = oracle["true_p_win"].to_numpy()
        ev["oracle"] = p["oracle"] * oracle["true_expected_amount"].to_numpy()
    return p, ev


def plot_tables(won: np.ndarray, p: dict, bins: int) -> dict[str, pd.DataFrame]:
    """The CSVs of dvc.yaml's top-level `plots:`; a method without scores (no oracle) gets an empty column."""
    curves = {"roc": ("fpr", roc_on_grid), "precision_recall": ("recall", precision_on_grid),
              "gains": ("share_of_deals", gains_on_grid)}
    tables = {name: pd.DataFrame({x: GRID, **{m: curve(won, p[m]) if m in p else np.nan for m in METHODS}})
              for name, (x, curve) in curves.items()}
    tables["gains"]["random"] = GRID
    calibration = calibration_table(won, p["model"], bins)
    tables["calibration"] = calibration[["predicted", "observed"]].assign(perfect=calibration["predicted"])
    return tables


def run(cfg: P.Evaluate, score: P.Score, features: str | Path, model: str | Path, log=say) -> dict:
    start = time.perf_counter()
    deals, split = split_deals(features, model)
    summary = json.loads((Path(model) / "train_summary.json").read_text())
    train, hold = deals[split == "train"], deals[split == "holdout"]
    won = hold["won"].to_numpy(bool)
    if not 0 < won.sum() < len(won):
        raise ValueError(f"the holdout's {len(hold):,} deals need both wins and losses to be evaluated")
    log(f"evaluate: {len(hold):,} holdout deals, {won.sum():,} won")

    p, ev = score_methods(load_bundle(model), train, hold, cfg.truth)
    won_amount = hold["amount"].where(hold["won"], 0.0).fillna(0.0).to_numpy(float)
    ks = {"tier1": score.tier1_size, "tier1_2": score.tier1_size + score.tier2_size}
    tier_k = {f"{k}_k": min(v, len(hold)) for k, v in ks.items()}
    metrics = {"holdout": {**summary["splits"]["holdout"], **tier_k}}
    for m in p:
        metrics[m] = score_metrics(won, p[m], ev[m], won_amount, ks, cfg.ece_bins)
        log(f"evaluate: {m:<9} ROC AUC {metrics[m]['roc_auc']:.3f}  PR AUC {metrics[m]['pr_auc']:.3f}  "
            f"log loss {metrics[m]['log_loss']:.4f}  ECE {metrics[m]['ece']:.4f}  "
            f"top-decile lift {metrics[m]['top_decile_lift']:.2f}  "
            f"value captured at tier 1+2 {metrics[m]['value_captured_at_tier1_2']:.1%}")
    if "oracle" in p:
        model_m, best = metrics["model"], metrics["oracle"]
        metrics["model_vs_oracle"] = {
            "ratio_to_oracle": (model_m["roc_auc"] - 0.5) / (best["roc_auc"] - 0.5),
            "top_decile_lift_ratio": model_m["top_decile_lift"] / best["top_decile_lift"]}
    metrics = _rounded(metrics)

    out = Path(cfg.out)
    tables = plot_tables(won, p, cfg.ece_bins)
    with new_folder(out / "plots") as tmp:
        for name, table in tables.items():
            table.round(6).to_csv(tmp / f"{name}.csv", index=False)
    write_text(out / "metrics.json", to_json(metrics))
    log(f"evaluate: wrote {out / 'metrics.json'} ({len(p)} methods on {len(hold):,} holdout deals) and "
        f"{len(tables)} plot files in {out / 'plots'} in {time.perf_counter() - start:.1f}s")
    return metrics


def main() -> None:
    params = P.load()
    run(params.evaluate, params.score, params.features.out, params.train.out)


if __name__ == "__main__":
    main()
