"""Stage `train`: chronological split, LightGBM classifier, calibration and value model, as native files.

`python -m pipeline.stages.train` reads params.yaml. Writes `train.out`: classifier.txt and value_model.txt (LightGBM
model files), calibration.json, feature_spec.json and train_summary.json; in small-data mode (fewer than
`train.small_data_deals` won or lost deals) also cv_predictions.parquet, the out-of-fold predictions of the
chronological folds that evaluate scores instead of the holdout. Same data and params, same bytes.
"""

import json
import time
from pathlib import Path

import lightgbm as lgb
import pandas as pd

from models.boosting import fit_classifier, fit_value_model
from models.bundle import Bundle, predict
from models.calibration import fit_calibration
from models.spec import encode, make_spec
from models.split import SPLITS, assign_fold, assign_split, cv_folds, split_boundaries
from pipeline import params as P
from pipeline.io import new_folder, say, to_json


def read_deals(features: str | Path) -> pd.DataFrame:
    """The closed deals in one fixed order, so row order in the file never changes the model."""
    deals = pd.read_parquet(Path(features) / "train.parquet")
    return deals.sort_values(["created_date", "opportunity_id"], kind="stable").reset_index(drop=True)


def read_summary(model: str | Path) -> dict:
    return json.loads((Path(model) / "train_summary.json").read_text())


def split_deals(features: str | Path, model: str | Path) -> tuple[pd.DataFrame, pd.Series]:
    """The closed deals and the split each one had at training (the boundaries the model saved)."""
    deals = read_deals(features)
    summary = read_summary(model)
    split = assign_split(deals["created_date"], {k: pd.Timestamp(v) for k, v in summary["boundaries"].items()})
    for s in SPLITS:
        if (split == s).sum() != summary["splits"][s]["deals"]:
            raise ValueError(f"{features} has {(split == s).sum():,} {s} deals, the model in {model} was trained "
                             f"with {summary['splits'][s]['deals']:,}: retrain (dvc repro)")
    return deals, split


def folds_of(deals: pd.DataFrame, model: str | Path) -> list[tuple[pd.Series, pd.DataFrame]]:
    """Small data: each fold's part of every deal (models/split.assign_fold) and the out-of-fold predictions
    train saved for its test block, indexed like `deals` (from split_deals)."""
    oof = pd.read_parquet(Path(model) / "cv_predictions.parquet")
    out = []
    for k, fold in enumerate(read_summary(model)["cv"], start=1):
        boundaries = {b: d and pd.Timestamp(d) for b, d in fold["boundaries"].items()}
        split = assign_fold(deals["created_date"], boundaries)
        test = deals.loc[split == "holdout", "opportunity_id"]
        pred = oof[oof["fold"] == k].set_index("opportunity_id").reindex(test).set_axis(test.index)
        if len(test) != fold["deals"]["holdout"] or pred["p_win"].isna().any():
            raise ValueError(f"the deals of fold {k} are not those the model in {model} was cross-validated "
                             "on: retrain (dvc repro)")
        out.append((split, pred))
    return out


def load_bundle(model: str | Path) -> Bundle:
    model = Path(model)
    boosters = (lgb.Booster(model_file=model / f) for f in ("classifier.txt", "value_model.txt"))
    jsons = (json.loads((model / f).read_text()) for f in ("calibration.json", "feature_spec.json"))
    return Bundle(*boosters, *jsons)


def describe(deals: pd.DataFrame) -> dict:
    """Deals, wins, win rate and creation window of a set of closed deals (for summaries and metrics)."""
    return {"deals": len(deals), "wins": int(deals["won"].sum()),
            "win_rate": round(float(deals["won"].mean()), 6),
            "from": deals["created_date"].min().date().isoformat(),
            "to": deals["created_date"].max().date().isoformat()}


def fit_bundle(deals: pd.DataFrame, split: pd.Series, features: list[dict], cfg: P.Train, hyper: dict,
               log=None) -> tuple[Bundle, dict]:
    """Classifier on the `train` rows early-stopped on `validation`, calibration on `validation`, value model;
    the feature spec from the train rows. The final model and every small-data fold are fitted by this."""
    deals = deals[split.isin(["train", "validation"])]
    tr, va = (split[deals.index] == "train").to_numpy(), (split[deals.index] == "validation").to_numpy()
    won, amount = deals["won"].to_numpy(bool), deals["amount"]
    priced = won & (amount > 0).to_numpy()
    for part, rows in (("train", tr), ("validation", va)):
        if not priced[rows].any() or won[rows].all():
            raise ValueError(f"the {rows.sum():,} {part} deals need a lost deal and a won deal with an "
                             "amount")
    spec = make_spec(deals[tr], features)
    X = encode(deals, spec)
    classifier = fit_classifier(X[tr], won[tr], X[va], won[va], hyper, cfg.seed, log)
    calibration = fit_calibration(classifier.predict(X[va], raw_score=True), won[va], cfg.calibration)
    value_model, smearing = fit_value_model(X[tr & priced], amount[tr & priced], X[va & priced],
                                            amount[va & priced], cfg.value, cfg.seed, log)
    fitted = {"classifier": classifier.best_iteration, "value_model": value_model.best_iteration,
              "won_deals_with_amount": {"train": int((tr & priced).sum()),
                                        "validation": int((va & priced).sum())},
              "smearing": round(smearing, 6)}
    calibrations = {"p_win": calibration, "amount": {"smearing": smearing}}
    return Bundle(classifier, value_model, calibrations, spec), fitted


def cross_validate(deals: pd.DataFrame, features: list[dict], cfg: P.Train, hyper: dict,
                   log=say) -> tuple[list[dict], pd.DataFrame]:
    """Small data: the chronological folds, and the out-of-fold P(win) and amount of every deal of a test
    block, each predicted by a bundle fitted as the final one is, on older deals only."""
    folds = cv_folds(deals["created_date"], cfg.cv_folds, cfg.split)
    described, parts = [], []
    for k, fold in enumerate(folds, start=1):
        split = assign_fold(deals["created_date"], fold)
        try:
            bundle, fitted = fit_bundle(deals, split, features, cfg, hyper)
        except ValueError as e:
            raise ValueError(f"fold {k} of train.cv_folds={cfg.cv_folds}: {e}: use fewer folds") from e
        test = deals[split == "holdout"]
        parts.append(predict(bundle, test)[["p_win", "amount"]]
                     .assign(opportunity_id=test["opportunity_id"], fold=k))
        counts = {s: int((split == s).sum()) for s in SPLITS}
        wins = int(test["won"].sum())
        described.append({"boundaries": {b: d and d.date().isoformat() for b, d in fold.items()},
                          "deals": counts, "holdout_wins": wins, "best_iteration": fitted["classifier"]})
        log(f"train: fold {k}/{len(folds)}: learned from {counts['train'] + counts['validation']:,} deals "
            f"before {fold['holdout'].date()}, predicted {counts['holdout']:,} ({wins:,} won), "
            f"{fitted['classifier']} trees")
    oof = pd.concat(parts)[["opportunity_id", "fold", "p_win", "amount"]].reset_index(drop=True)
    return described, oof


def run(cfg: P.Train, features: str | Path, log=say) -> dict:
    start = time.perf_counter()
    deals = read_deals(features)
    meta = json.loads((Path(features) / "features.json").read_text())
    won, lost = int(deals["won"].sum()), int((~deals["won"]).sum())
    small = min(won, lost) < cfg.small_data_deals
    hyper = {**cfg.classifier, **cfg.small_data_classifier} if small else cfg.classifier
    if small:
        log(f"train: WARNING: only {won:,} won and {lost:,} lost deals (fewer than {cfg.small_data_deals} "
            "of each): small-data mode: stronger regularisation, metrics cross-validated over "
            f"{cfg.cv_folds} chronological folds with bootstrap intervals; treat every figure as uncertain")
    boundaries = split_boundaries(deals["created_date"], cfg.split)
    split = assign_split(deals["created_date"], boundaries)
    counts = split.value_counts()
    log(f"train: {len(deals):,} deals ({counts['train']:,} train, {counts['validation']:,} validation, "
        f"{counts['holdout']:,} holdout), {len(meta['features'])} features")

    bundle, fitted = fit_bundle(deals, split, meta["features"], cfg, hyper, log)
    summary = {
        "small_data": small, "closed_deals": {"won": won, "lost": lost},
        "small_data_deals": cfg.small_data_deals,
        "boundaries": {k: v.date().isoformat() for k, v in boundaries.items()},
        "splits": {s: describe(deals[split == s]) for s in SPLITS},
        "classifier": {"best_iteration": fitted["classifier"], "calibration": cfg.calibration,
                       "params": "small_data_classifier" if small else "classifier"},
        "value_model": {"best_iteration": fitted["value_model"],
                        "won_deals_with_amount": fitted["won_deals_with_amount"],
                        "smearing": fitted["smearing"]},
    }
    if small:
        summary["cv"], oof = cross_validate(deals, meta["features"], cfg, hyper, log)
    with new_folder(cfg.out) as tmp:
        bundle.classifier.save_model(tmp / "classifier.txt")
        bundle.value_model.save_model(tmp / "value_model.txt")
        (tmp / "calibration.json").write_text(to_json(bundle.calibration))
        (tmp / "feature_spec.json").write_text(to_json(bundle.spec))
        (tmp / "train_summary.json").write_text(to_json(summary))
        if small:
            oof.to_parquet(tmp / "cv_predictions.parquet", index=False)
    log(f"train: wrote {cfg.out} (classifier {fitted['classifier']} trees, value model "
        f"{fitted['value_model']} trees, {len(deals):,} deals"
        + (f", {len(oof):,} out-of-fold predictions" if small else "")
        + f") in {time.perf_counter() - start:.1f}s")
    return summary


def main() -> None:
    params = P.load()
    run(params.train, params.features.out)


if __name__ == "__main__":
    main()
