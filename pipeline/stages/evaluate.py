"""Stage `evaluate`: the model against baselines (and the oracle, on the demo world) on the newest deals.

`python -m pipeline.stages.evaluate` reads params.yaml; the deal model, where train fitted one, is scored on
the same deals as `deal_model`. Writes `evaluate.out`/metrics.json (for `dvc metrics`)
and `evaluate.out`/plots/{roc,precision_recall,calibration,gains}.csv (for the top-level `plots:` of
dvc.yaml).
The deals are the chronological holdout, or in small-data mode (train_summary.json) the pooled test blocks of
the chronological folds; ROC AUC, PR AUC, Brier and top-decile lift get 95% bootstrap intervals.
"""

import logging
import time

from features.errors import ContractError
from models.bootstrap import metric_intervals, paired_differences, resampled_figures
from models.bundle import load_bundle, read_oof, read_summary
from models.evaluation import deal_model_scores, holdout_scores, plot_tables, pooled_scores, read_oracle
from models.metrics import BASELINES, compared, difference, score_metrics
from models.split import describe, read_deals, split_of
from pipeline import params as P
from pipeline.console import stage_main
from pipeline.io import new_folder, to_json, write_text
from pipeline.paths import paths

log = logging.getLogger(__spec__.name)  # not __name__: that is "__main__" under python -m


def _rounded(obj):
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    return round(obj, 6) if isinstance(obj, float) else obj


def _ci(m: dict, key: str) -> str:
    return f" (95% CI {m[key + '_ci_low']:.2f}-{m[key + '_ci_high']:.2f})" if key + "_ci_low" in m else ""


def run(params: P.Params) -> dict:
    start, cfg, score, f = time.perf_counter(), params.evaluate, params.score, paths(params)
    deals, summary = read_deals(f.train_set, narrow=True), read_summary(f.model)
    bundle = load_bundle(f.model)
    split = split_of(deals, summary)
    if summary["small_data"]:
        rows, p, amount = pooled_scores(bundle, deals, summary, read_oof(f.model))
        how = {"evaluation": "chronological_cv", "folds": len(summary["cv"])}
        what = f"the pooled test blocks of {how['folds']} chronological folds"
    else:
        rows, p, amount = holdout_scores(bundle, deals, split)
        how, what = {"evaluation": "chronological_holdout"}, "the holdout"
    if f.deal_model.is_dir():  # the export fills a deal field: the model of the open deals, on the same deals
        oof = read_oof(f.deal_model) if summary["small_data"] else None
        p["deal_model"] = deal_model_scores(load_bundle(f.deal_model), rows, oof)
    won = rows["won"].to_numpy(bool)
    if not 0 < won.sum() < len(won):
        raise ContractError(f"the {len(rows):,} deals of {what} need both wins and losses to be evaluated")
    log.info(
        f"evaluate: {len(rows):,} deals of {what}, {won.sum():,} won"
        + (f"; 95% intervals from {cfg.bootstrap:,} bootstrap resamples" if cfg.bootstrap else "")
    )

    ev = {m: p[m] * amount for m in p}
    oracle = read_oracle(f.oracle, rows)
    if oracle is not None:
        p["oracle"] = oracle["true_p_win"].to_numpy()
        ev["oracle"] = p["oracle"] * oracle["true_expected_amount"].to_numpy()
    won_amount = rows["amount"].where(rows["won"], 0.0).fillna(0.0).to_numpy(float)
    ks = {"tier1": score.tier1_size, "tier1_2": score.tier1_size + score.tier2_size}
    tier_k = {f"{k}_k": min(v, len(rows)) for k, v in ks.items()}
    metrics = {"holdout": {**describe(rows), **how, **tier_k}}
    compared_ev = {m: ev[m] for m in ("model", *BASELINES)}  # paired: the same deals, the same resamples
    resampled = cfg.bootstrap and resampled_figures(
        won, p, cfg.bootstrap, cfg.seed, compared_ev, won_amount, tier_k["tier1_2_k"]
    )
    for m in p:
        metrics[m] = score_metrics(won, p[m], ev[m], won_amount, ks, cfg.ece_bins)
        if cfg.bootstrap:
            for key, (low, high) in metric_intervals(resampled[m]).items():
                metrics[m] |= {f"{key}_ci_low": low, f"{key}_ci_high": high}
        log.info(
            f"evaluate: {m:<9} ROC AUC {metrics[m]['roc_auc']:.3f}{_ci(metrics[m], 'roc_auc')}  "
            f"PR AUC {metrics[m]['pr_auc']:.3f}{_ci(metrics[m], 'pr_auc')}  "
            f"log loss {metrics[m]['log_loss']:.4f}  ECE {metrics[m]['ece']:.4f}  "
            f"top-decile lift {metrics[m]['top_decile_lift']:.2f}{_ci(metrics[m], 'top_decile_lift')}  "
            f"value captured at tier 1+2 {metrics[m]['value_captured_at_tier1_2']:.1%}"
        )
    for base, words in BASELINES.items():
        intervals = paired_differences(resampled["model"], resampled[base]) if cfg.bootstrap else {}
        metrics[f"model_minus_{base}"] = difference(metrics["model"], metrics[base], intervals)
        log.info(f"evaluate: model minus {words}: {compared(metrics[f'model_minus_{base}'], words)}")
    for m in ("model", "deal_model") if "oracle" in p else ():
        if m in metrics:
            mine, best = metrics[m], metrics["oracle"]
            metrics[f"{m}_vs_oracle"] = {
                "ratio_to_oracle": (mine["roc_auc"] - 0.5) / (best["roc_auc"] - 0.5),
                "top_decile_lift_ratio": mine["top_decile_lift"] / best["top_decile_lift"],
            }
    metrics = _rounded(metrics)

    tables = plot_tables(won, p, cfg.ece_bins)
    with new_folder(f.plots) as tmp:
        for name, table in tables.items():
            table.round(6).to_csv(tmp / f.plot(name).name, index=False)
    write_text(f.metrics, to_json(metrics))
    log.info(
        f"evaluate: wrote {f.metrics} ({len(p)} methods on {len(rows):,} deals of {what}) and "
        f"{len(tables)} plot files in {f.plots} in {time.perf_counter() - start:.1f}s"
    )
    return metrics


if __name__ == "__main__":
    stage_main(run)
