"""Fitting a model bundle on one split of the deals: the one recipe the final model, its twin, the small-data
folds and the backtest's origins share, so that what is evaluated is what ships."""

import pandas as pd

from features.errors import ContractError
from models.boosting import fit_classifier, fit_value_model
from models.bundle import Bundle
from models.calibration import fit_calibration
from models.spec import make_spec, matrix
from models.split import unfit


def hyperparams(cfg, small: bool) -> dict:
    """The classifier's params of `cfg` (the `train` params): small data's keys over the usual ones."""
    return {**cfg.classifier, **cfg.small_data_classifier} if small else cfg.classifier


def fit_bundle(
    deals: pd.DataFrame,
    split: pd.Series,
    features: list[dict],
    cfg,
    hyper: dict,
) -> tuple[Bundle, dict]:
    """Classifier on the `train` rows early-stopped on `validation`, calibration on `validation`, value model;
    the feature spec from the train rows; `cfg`: the `train` params (seed, calibration, value). The final
    model, its twin, every small-data fold and every backtest origin are fitted by this. Each part is made
    from `deals` on its own into the one matrix LightGBM reads (spec.matrix), the learned deals never copied
    whole: on a million deals such a copy is half a GiB."""
    if why := unfit(deals, split):
        raise ContractError(why)
    tr, va = (split == "train").to_numpy(), (split == "validation").to_numpy()
    won, amount = deals["won"].to_numpy(bool), deals["amount"]
    priced = won & (amount > 0).to_numpy()
    spec = make_spec(deals.loc[tr, [f["name"] for f in features if f["kind"] == "categorical"]], features)
    X_tr, X_va = (matrix(deals, spec, rows) for rows in (tr, va))
    classifier = fit_classifier(X_tr, won[tr], X_va, won[va], spec, hyper, cfg.seed)
    calibration = fit_calibration(classifier.predict(X_va, raw_score=True), won[va], cfg.calibration)
    value_model, smearing = fit_value_model(
        X_tr[priced[tr]],
        amount[tr & priced],
        X_va[priced[va]],
        amount[va & priced],
        spec,
        cfg.value,
        cfg.seed,
    )
    fitted = {
        "classifier": classifier.best_iteration,
        "value_model": value_model.best_iteration,
        "won_deals_with_amount": {"train": int((tr & priced).sum()), "validation": int((va & priced).sum())},
        "smearing": round(smearing, 6),
    }
    calibrations = {"p_win": calibration, "amount": {"smearing": smearing}}
    return Bundle(classifier, value_model, calibrations, spec), fitted
