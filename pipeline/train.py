"""Stage `train`: chronological split, LightGBM classifier, calibration and value model, as native files.

`python -m pipeline.train` reads params.yaml. Writes `train.out`: classifier.txt and value_model.txt (LightGBM
model files), calibration.json, feature_spec.json and train_summary.json. Same data and params, same bytes.
"""

import json
import time
from pathlib import Path

import lightgbm as lgb
import pandas as pd

from models.boosting import fit_classifier, fit_value_model
from models.bundle import Bundle
from models.calibration import fit_calibration
from models.spec import encode, make_spec
from models.split import SPLITS, assign_split, split_boundaries
from pipeline import params as P
from pipeline.io import new_folder, say, to_json, write_text


def read_deals(features: str | Path) -> pd.DataFrame:
    """The closed deals in one fixed order, so row order in the file never changes the model."""
    deals = pd.read_parquet(Path(features) / "train.parquet")
    return deals.sort_values(["created_date", "opportunity_id"], kind="stable").reset_index(drop=True)


def split_deals(features: str | Path, model: str | Path) -> tuple[pd.DataFrame, pd.Series]:
    """The closed deals and the split each one had at training (the boundaries the model saved)."""
    deals = read_deals(features)
    summary = json.loads((Path(model) / "train_summary.json").read_text())
    split = assign_split(deals["created_date"], {k: pd.Timestamp(v) for k, v in summary["boundaries"].items()})
    for s in SPLITS:
        if (split == s).sum() != summary["splits"][s]["deals"]:
            raise ValueError(f"{features} has {(split == s).sum():,} {s} deals, the model in {model} was trained "
                             f"with {summary['splits'][s]['deals']:,}: retrain (dvc repro)")
    return deals, split


def load_bundle(model: str | Path) -> Bundle:
    model = Path(model)
    boosters = (lgb.Booster(model_file=model / f) for f in ("classifier.txt", "value_model.txt"))
    jsons = (json.loads((model / f).read_text()) for f in ("calibration.json", "feature_spec.json"))
    return Bundle(*boosters, *jsons)


def _describe(deals: pd.DataFrame) -> dict:
    return {"deals": len(deals), "wins": int(deals["won"].sum()),
            "win_rate": round(float(deals["won"].mean()), 6),
            "from": deals["created_date"].min().date().isoformat(),
            "to": deals["created_date"].max().date().isoformat()}


def run(cfg: P.Train, features: str | Path, log=say) -> dict:
    start = time.perf_counter()
    deals = read_deals(features)
    meta = json.loads((Path(features) / "features.json").read_text())
    boundaries = split_boundaries(deals["created_date"], cfg.split)
    split = assign_split(deals["created_date"], boundaries)
    spec = make_spec(deals[split == "train"], meta["features"])
    X, won = encode(deals, spec), deals["won"].to_numpy(bool)
    tr, va = (split == "train").to_numpy(), (split == "validation").to_numpy()
    log(f"train: {len(deals):,} deals ({tr.sum():,} train, {va.sum():,} validation, "
        f"{(~tr & ~va).sum():,} holdout), {len(spec['features'])} features")

    classifier = fit_classifier(X[tr], won[tr], X[va], won[va], cfg.classifier, cfg.seed, log)
    calibration = fit_calibration(classifier.predict(X[va], raw_score=True), won[va], cfg.calibration)
    priced = won & (deals["amount"] > 0).to_numpy()
    value_model, smearing = fit_value_model(X[tr & priced], deals["amount"][tr & priced], X[va & priced],
                                            deals["amount"][va & priced], cfg.value, cfg.seed, log)
    summary = {
        "boundaries": {k: v.date().isoformat() for k, v in boundaries.items()},
        "splits": {s: _describe(deals[split == s]) for s in SPLITS},
        "classifier": {"best_iteration": classifier.best_iteration, "calibration": cfg.calibration},
        "value_model": {"best_iteration": value_model.best_iteration, "won_deals_with_amount":
                        {"train": int((tr & priced).sum()), "validation": int((va & priced).sum())},
                        "smearing": round(smearing, 6)},
    }
    with new_folder(cfg.out) as tmp:
        classifier.save_model(tmp / "classifier.txt")
        value_model.save_model(tmp / "value_model.txt")
        calibrations = {"p_win": calibration, "amount": {"smearing": smearing}}
        (tmp / "calibration.json").write_text(to_json(calibrations))
        (tmp / "feature_spec.json").write_text(to_json(spec))
        (tmp / "train_summary.json").write_text(to_json(summary))
    log(f"train: wrote {cfg.out} (classifier {classifier.best_iteration} trees, value model "
        f"{value_model.best_iteration} trees, {len(deals):,} deals) in {time.perf_counter() - start:.1f}s")
    return summary


def main() -> None:
    params = P.load()
    run(params.train, params.features.out)


if __name__ == "__main__":
    main()
