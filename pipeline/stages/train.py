"""Stage `train`: chronological split, LightGBM classifier, calibration and value model, as native files.

`python -m pipeline.stages.train` reads params.yaml. Writes `train.out`: classifier.txt and value_model.txt
(LightGBM model files), calibration.json, feature_spec.json and train_summary.json; in small-data mode (fewer
than `train.small_data_deals` won or lost deals) also cv_predictions.parquet, the out-of-fold predictions of
the chronological folds that evaluate scores instead of the holdout. The account model learns from every
family but the deal's fields (an account without a deal has none); when the export fills a deal field, a
deal model learns from them too, on the same split, into `train.out`/deal/: it scores the open deals.
`train.out`/twin/ is the same training with the next seed, which report's promotion rule scores beside it.
Same data and params, same bytes.
"""

import json
import logging
import time
from dataclasses import replace

import pandas as pd

from features.deals import FAMILY as DEAL
from features.errors import ContractError
from models.bundle import predict, save_bundle
from models.fitting import fit_bundle, hyperparams
from models.leakage import guard, words
from models.split import (
    HELD_BACK,
    LEARNED,
    SPLITS,
    assign_fold,
    assign_split,
    cv_folds,
    describe,
    held_back,
    is_small,
    read_deals,
    split_boundaries,
    split_facts,
    still_open,
    unfit,
    usable_folds,
)
from pipeline import params as P
from pipeline.console import progress, stage_main
from pipeline.io import new_folder
from pipeline.paths import paths

log = logging.getLogger(__spec__.name)  # not __name__: that is "__main__" under python -m


def cross_validate(
    deals: pd.DataFrame, folds: list[dict], features: list[dict], cfg: P.Train, hyper: dict, who: str = ""
) -> tuple[list[dict], pd.DataFrame]:
    """Small data: the chronological folds described, and the out-of-fold P(win) and amount of every deal of
    a test block, each predicted by a bundle fitted as the final one is, on older deals only: the leak guard
    too chooses each fold's features from that fold's training deals, never from its test block."""
    described, parts = [], []
    for k, fold in enumerate(progress(folds, what=f"train: {who}folds", unit="fold"), start=1):
        split = assign_fold(deals, fold)
        left_out = {s["feature"] for s in leak_guard(deals, features, cfg, split == "train")["left_out"]}
        bundle, fitted = fit_bundle(
            deals, split, [x for x in features if x["name"] not in left_out], cfg, hyper
        )
        test = deals[split == "holdout"]
        parts.append(
            predict(bundle, test)[["p_win", "amount"]].assign(opportunity_id=test["opportunity_id"], fold=k)
        )
        counts = {s: int((split == s).sum()) for s in SPLITS}
        wins = int(test["won"].sum())
        described.append(
            {
                "boundaries": {b: d and d.date().isoformat() for b, d in fold.items()},
                "deals": counts,
                "held_back": int((split == HELD_BACK).sum()),
                "holdout_wins": wins,
                "best_iteration": fitted["classifier"],
                "left_out": sorted(left_out),
            }
        )
        log.info(
            f"train: {who}fold {k}/{len(folds)}: learned from "
            f"{counts['train'] + counts['validation']:,} deals before {fold['holdout'].date()}, predicted "
            f"{counts['holdout']:,} ({wins:,} won), "
            f"{fitted['classifier']} trees"
        )
    oof = pd.concat(parts)[["opportunity_id", "fold", "p_win", "amount"]].reset_index(drop=True)
    return described, oof


def leak_guard(
    deals: pd.DataFrame, features: list[dict], cfg: P.Train, rows=slice(None), say: bool = False
) -> dict:
    """models/leakage.guard with the train params on the training deals (`rows` of `deals`); `say`: each
    field flagged, in the console (the final model's, not every fold's)."""
    found = guard(deals, features, cfg.leak_fill_gap, cfg.leak_auc, cfg.trusted_fields, rows)
    unknown = sorted(set(cfg.trusted_fields) - {x["name"] for x in features})
    if say and unknown:
        log.warning(
            f"train: train.trusted_fields names {unknown}, which are not features: check the spelling"
        )
    if say:
        for s in found["left_out"]:
            log.warning(f"train: {words(s)}; left out")
        for s in found["trusted"]:
            log.warning(f"train: {words(s)}; kept: trusted (train.trusted_fields or the mapping)")
    return found


def run(p: P.Params) -> dict:
    start, cfg, f = time.perf_counter(), p.train, paths(p)
    deals = read_deals(f.train_set, narrow=True)
    meta = json.loads(f.features_json.read_text())
    won, lost = int(deals["won"].sum()), int((~deals["won"]).sum())
    small = is_small(deals["won"], cfg.small_data_deals)
    hyper = hyperparams(cfg, small)
    created = deals["created_date"]
    boundaries = split_boundaries(created, cfg.split)
    split = assign_split(deals, boundaries)
    if why := unfit(deals, split):  # the final model's split first: the folds are cut from the same deals
        raise ContractError(why)
    folds, dropped = usable_folds(deals, cv_folds(created, cfg.cv_folds, cfg.split)) if small else ([], [])
    facts = split_facts(created, cfg.split, cfg.cv_folds if small else None)
    if dropped:
        facts["folds"] |= {"used": len(folds), "left_out": dropped}
    if small:
        log.warning(
            f"train: WARNING: only {won:,} won and {lost:,} lost deals (fewer than {cfg.small_data_deals} "
            "of each): small-data mode: stronger regularisation, metrics cross-validated over "
            f"{len(folds)} chronological folds with bootstrap intervals; treat every figure as uncertain"
        )
    counts, late = split.value_counts(), held_back(deals, boundaries)
    log.info(
        f"train: {len(deals):,} deals ({counts['train']:,} train, {counts['validation']:,} validation, "
        f"{counts['holdout']:,} holdout; {counts.get(HELD_BACK, 0):,} held back: they closed after the "
        f"next boundary), {len(meta['features'])} features"
    )
    for said in ([facts["note"]] if "note" in facts else []) + dropped:
        log.warning(f"train: {said}")

    described = {s: describe(deals.loc[split == s, ["won", "created_date"]]) for s in SPLITS}
    if not small:  # no model learns from the holdout or the held-back deals: let them go before the fits
        deals, split = deals[split.isin(LEARNED)], split[split.isin(LEARNED)]
    guard = leak_guard(deals, meta["features"], cfg, split == "train", say=True)
    usable = [x for x in meta["features"] if x["name"] not in {s["feature"] for s in guard["left_out"]}]
    features = [x for x in usable if x["family"] != DEAL]
    bundle, fitted = fit_bundle(deals, split, features, cfg, hyper)
    # the promotion rule asks that an improvement survive a reseed on either side: the twin
    twin = fit_bundle(deals, split, features, replace(cfg, seed=cfg.seed + 1), hyper)[0]
    summary = {
        "small_data": small,
        "closed_deals": {"won": won, "lost": lost},
        "small_data_deals": cfg.small_data_deals,
        "boundaries": {k: v.date().isoformat() for k, v in boundaries.items()},
        "splits": described,
        "held_back": late,
        "still_open": still_open(f.interim_table("opportunities"), p.features.opportunity_types, boundaries),
        "split": facts,
        "classifier": {
            "best_iteration": fitted["classifier"],
            "calibration": cfg.calibration,
            "params": "small_data_classifier" if small else "classifier",
        },
        "value_model": {
            "best_iteration": fitted["value_model"],
            "won_deals_with_amount": fitted["won_deals_with_amount"],
            "smearing": fitted["smearing"],
        },
        "leak_guard": guard,
    }
    account_features = [x for x in meta["features"] if x["family"] != DEAL]
    oof = None
    if small:
        summary["cv"], oof = cross_validate(deals, folds, account_features, cfg, hyper)
    deal = None
    if len(features) < len(usable):  # the export fills a deal field: the deal model too
        deal = fit_bundle(deals, split, usable, cfg, hyper)[0]
        summary["deal_model"] = {"fields": [x["name"] for x in usable if x["family"] == DEAL]}
        deal_oof = (
            cross_validate(deals, folds, meta["features"], cfg, hyper, "deal model ")[1] if small else None
        )
        log.info(
            f"train: deal model with {', '.join(summary['deal_model']['fields'])}: it scores the open deals"
        )
    with new_folder(f.model) as tmp:
        save_bundle(tmp, bundle, summary, oof)
        (tmp / f.twin.name).mkdir()
        save_bundle(tmp / f.twin.name, twin, {"seed": cfg.seed + 1})
        if deal is not None:
            (tmp / f.deal_model.name).mkdir()
            save_bundle(tmp / f.deal_model.name, deal, summary["deal_model"], deal_oof)
    log.info(
        f"train: wrote {f.model} (classifier {fitted['classifier']} trees, value model "
        f"{fitted['value_model']} trees, {won + lost:,} deals"
        + (f", {len(oof):,} out-of-fold predictions" if small else "")
        + f") in {time.perf_counter() - start:.1f}s"
    )
    return summary


if __name__ == "__main__":
    stage_main(run)
