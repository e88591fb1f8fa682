"""Stage `backtest`: a rolling-origin backtest, so the holdout's one figure is not the only one.

`python -m pipeline.stages.backtest` reads params.yaml. At each of the last `evaluate.backtest_origins`
calendar quarter starts (origins), a model fitted as the final one is (same params, its leak guard on its own
training deals) learns from the deals created before the origin whose outcome was known by then, and scores
the deals created in the quarter from the origin. Writes `evaluate.out`/backtest.json (per origin: the deals
learned from and tested, ROC AUC, top-decile lift, value captured by the top tenth, the oracle's ROC AUC and
the ratio to it on the demo world; their mean and spread; origins left out, with why) and backtest.csv (the
plot in dvc.yaml).
"""

import json
import logging
import time

import numpy as np
import pandas as pd

from features.deals import FAMILY as DEAL
from models.bundle import predict
from models.evaluation import read_oracle
from models.fitting import fit_bundle, hyperparams
from models.leakage import guard
from models.metrics import score_metrics
from models.split import LEARNED, assign_fold, backtest_folds, is_small, read_deals, unfit
from pipeline import params as P
from pipeline.console import progress, stage_main
from pipeline.io import to_json, write_text
from pipeline.paths import paths

log = logging.getLogger(__spec__.name)  # not __name__: that is "__main__" under python -m

# value captured by the top tenth of a quarter's deals by expected value: quarters differ in size, and a
# fixed Tier 1+2 count would be most of a small one
FIGURES = ("roc_auc", "top_decile_lift", "value_captured_at_top_decile")


def origin_figures(
    deals: pd.DataFrame, oracle: pd.DataFrame | None, fold: dict, features: list[dict], p: P.Params
) -> dict:
    """One origin: a bundle fitted on what was known at it, scored on the quarter after (and the `oracle`'s
    true P(win) of the deals, on the demo world); `reason` instead of figures when it cannot be fitted or
    judged there."""
    cfg, split = p.train, assign_fold(deals, fold)
    tested = split == "holdout"
    facts = {
        "origin": fold["holdout"].date().isoformat(),
        "learned_deals": int(split.isin(LEARNED).sum()),
        "tested_deals": int(tested.sum()),
        "tested_wins": int(deals.loc[tested, "won"].sum()),
    }
    if not 0 < facts["tested_wins"] < facts["tested_deals"]:
        return {**facts, "reason": "the quarter's deals need both wins and losses to be judged"}
    if why := unfit(deals, split):
        return {**facts, "reason": why}
    left_out = guard(
        deals, features, cfg.leak_fill_gap, cfg.leak_auc, cfg.trusted_fields, rows=split == "train"
    )
    kept = [x for x in features if x["name"] not in {s["feature"] for s in left_out["left_out"]}]
    bundle = fit_bundle(
        deals, split, kept, cfg, hyperparams(cfg, is_small(deals["won"], cfg.small_data_deals))
    )[0]
    test = deals[tested]  # after the fit: the quarter's copy need not sit beside the model's matrices
    pred = predict(bundle, test)
    won = test["won"].to_numpy(bool)
    won_amount = test["amount"].where(test["won"], 0.0).fillna(0.0).to_numpy(float)
    k = {"top_decile": max(1, round(len(test) / 10))}
    scored = score_metrics(
        won, pred["p_win"], pred["p_win"] * pred["amount"], won_amount, k, p.evaluate.ece_bins
    )
    facts |= {f: round(scored[f], 6) for f in FIGURES}
    if oracle is not None:
        true_p = oracle.loc[test.index, "true_p_win"]
        best = score_metrics(won, true_p, true_p, won_amount, k, 10)["roc_auc"]
        facts |= {
            "oracle_roc_auc": round(best, 6),
            "ratio_to_oracle": round((scored["roc_auc"] - 0.5) / (best - 0.5), 6),
        }
    return facts


def run(p: P.Params) -> dict:
    start, cfg, f = time.perf_counter(), p.train, paths(p)
    deals = read_deals(f.train_set, narrow=True)
    meta = json.loads(f.features_json.read_text())
    features = [x for x in meta["features"] if x["family"] != DEAL]
    oracle = read_oracle(f.oracle, deals)
    folds = backtest_folds(deals["created_date"], p.evaluate.backtest_origins, cfg.split)
    done = [
        origin_figures(deals, oracle, fold, features, p)
        for fold in progress(folds, what="backtest: origins", unit="origin")
    ]
    judged = [x for x in done if "reason" not in x]
    names = [f for f in (*FIGURES, "ratio_to_oracle") if judged and f in judged[0]]
    result = {
        "origins": judged,
        "left_out": [x for x in done if "reason" in x],
        "mean": {f: round(float(np.mean([x[f] for x in judged])), 6) for f in names},
        "spread": {f: round(float(np.std([x[f] for x in judged])), 6) for f in names},
    }
    for x in judged:
        log.info(
            f"backtest: origin {x['origin']}: learned from {x['learned_deals']:,} deals, scored "
            f"{x['tested_deals']:,} ({x['tested_wins']:,} won): ROC AUC {x['roc_auc']:.3f}, top-decile "
            f"lift {x['top_decile_lift']:.2f}, value captured by its top tenth "
            f"{x['value_captured_at_top_decile']:.1%}"
            + (f", ratio to the oracle {x['ratio_to_oracle']:.3f}" if "ratio_to_oracle" in x else "")
        )
    for x in result["left_out"]:
        log.warning(f"backtest: origin {x['origin']} left out: {x['reason']}")
    write_text(f.backtest, to_json(result))
    plot = pd.DataFrame(
        judged, columns=["origin", *FIGURES, *(["oracle_roc_auc"] if "ratio_to_oracle" in names else [])]
    )
    write_text(f.backtest_plot, plot.to_csv(index=False))
    log.info(
        f"backtest: wrote {f.backtest} and {f.backtest_plot.name} ({len(judged)} origins"
        + (
            f": mean ROC AUC {result['mean']['roc_auc']:.3f}, spread {result['spread']['roc_auc']:.3f}"
            if judged
            else ""
        )
        + f") in {time.perf_counter() - start:.1f}s"
    )
    return result


if __name__ == "__main__":
    stage_main(run)
