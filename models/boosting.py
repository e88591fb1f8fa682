"""LightGBM models: the won/lost classifier and the value model of won deals' amounts."""

import logging

import lightgbm as lgb
import numpy as np

from models.spec import names

# Below this many rows a model boosts on one thread: CRM-sized data trains in seconds, and waking a second
# thread for each small step costs more than it saves. From here on, every core (num_threads 0, OpenMP's
# default), the histograms built a block of rows per thread (row-wise: 10% faster than a feature per thread
# on 403,521 deals and 2 threads). The setting is written into the model file, the same on every machine;
# with `deterministic` LightGBM sums in a fixed order, so the trees are the same however many threads built
# them, row-wise or column-wise (checked on 403,521 deals, 300 rounds: the same trees all four ways).
THREADED_ROWS = 100_000

log = logging.getLogger(__name__)


def _params(objective: str, hyper: dict, seed: int, rows: int) -> tuple[dict, int, int]:
    """LightGBM params from a params.yaml section (n_estimators and early_stopping_rounds are taken apart)."""
    params = dict(hyper)
    rounds, patience = params.pop("n_estimators"), params.pop("early_stopping_rounds")
    params |= {
        "objective": objective,
        "seed": seed,
        "deterministic": True,
        "force_row_wise" if rows >= THREADED_ROWS else "force_col_wise": True,
        "num_threads": 1 if rows < THREADED_ROWS else 0,
        "verbosity": -1,
    }
    return params, rounds, patience


def _progress(what: str, every: int = 100):
    """Every `every` rounds, the validation loss, for `icp -v`."""

    def callback(env: lgb.callback.CallbackEnv) -> None:
        if (env.iteration + 1) % every == 0 and log.isEnabledFor(logging.DEBUG):
            _, metric, value, _ = env.evaluation_result_list[0]
            log.debug(f"train: {what}: round {env.iteration + 1}, validation {metric} {value:.5f}")

    return callback


def _fit(
    objective: str,
    X: np.ndarray,
    y: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    spec: dict,
    hyper: dict,
    seed: int,
    what: str,
) -> lgb.Booster:
    """Boosting on spec.matrix's matrices, early-stopped on the validation rows. The booster is given the
    categories a pandas frame would have given it (`pandas_categorical`, saved in its file), so it predicts
    from encode's frames as if it had been trained on one: the same Dataset, the same trees, the same file."""
    params, rounds, patience = _params(objective, hyper, seed, len(X))
    train = lgb.Dataset(X, label=y, feature_name=names(spec), categorical_feature=names(spec, "categorical"))
    valid = lgb.Dataset(X_val, label=y_val, reference=train)
    callbacks = [lgb.early_stopping(patience, verbose=False), _progress(what)]
    booster = lgb.train(params, train, num_boost_round=rounds, valid_sets=[valid], callbacks=callbacks)
    booster.pandas_categorical = [f["categories"] for f in spec["features"] if f["kind"] == "categorical"]
    return booster


def fit_classifier(
    X: np.ndarray,
    won: np.ndarray,
    X_val: np.ndarray,
    won_val: np.ndarray,
    spec: dict,
    hyper: dict,
    seed: int,
) -> lgb.Booster:
    """Binary classifier early-stopped on the validation deals' log loss; its best iteration is kept."""
    return _fit(
        "binary",
        X,
        np.asarray(won, float),
        X_val,
        np.asarray(won_val, float),
        spec,
        hyper,
        seed,
        "classifier",
    )


def fit_value_model(
    X: np.ndarray,
    amount: np.ndarray,
    X_val: np.ndarray,
    amount_val: np.ndarray,
    spec: dict,
    hyper: dict,
    seed: int,
) -> tuple[lgb.Booster, float]:
    """Regression of log amount on won deals, plus Duan's smearing factor from the validation residuals.

    exp(predicted log) is a median-like amount; times mean(exp(residual)) it is a mean, which expected value
    = P(win) x amount needs. Validation residuals, because training residuals are shrunk by the fit.
    """
    y, y_val = np.log(np.asarray(amount, float)), np.log(np.asarray(amount_val, float))
    booster = _fit("regression", X, y, X_val, y_val, spec, hyper, seed, "value model")
    return booster, float(np.mean(np.exp(y_val - booster.predict(X_val))))
