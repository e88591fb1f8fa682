"""Probability calibration on the validation deals: tree log-odds rank well but are biased probabilities."""

import numpy as np

METHODS = ("isotonic", "sigmoid")  # the values train.calibration accepts


def fit_calibration(raw_score: np.ndarray, won: np.ndarray, method: str) -> dict:
    """A JSON-able map from the classifier's raw log-odds to P(win), fitted on deals the trees did not see.

    isotonic: a monotone step map, bounded to [0.5/n, 1 - 0.5/n]: no wins among n deals only says the rate is
    below about 1/n, and a probability of exactly 0 would make one later win cost an infinite log loss.
    sigmoid: Platt scaling, an unpenalised logistic regression on the raw log-odds.
    """
    # heavy, and only fitting needs them: params.py reads METHODS here in every stage
    from sklearn.isotonic import IsotonicRegression
    from sklearn.linear_model import LogisticRegression

    raw_score, won = np.asarray(raw_score, float), np.asarray(won, bool)
    if method == "isotonic":
        floor = 0.5 / len(won)
        iso = IsotonicRegression(y_min=floor, y_max=1 - floor, out_of_bounds="clip").fit(raw_score, won)
        return {"method": "isotonic", "x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist()}
    if method == "sigmoid":
        platt = LogisticRegression(C=np.inf).fit(raw_score.reshape(-1, 1), won)
        return {
            "method": "sigmoid",
            "slope": float(platt.coef_[0, 0]),
            "intercept": float(platt.intercept_[0]),
        }
    raise ValueError(f"calibration method must be one of {', '.join(METHODS)}, not {method!r}")


def calibrate(raw_score: np.ndarray, calibration: dict) -> np.ndarray:
    """Apply a saved calibration; isotonic as IsotonicRegression.predict does (linear between thresholds)."""
    from scipy.special import expit  # only where a model is applied (params.py reads METHODS everywhere)

    raw_score = np.asarray(raw_score, float)
    if calibration["method"] == "isotonic":
        return np.interp(raw_score, calibration["x"], calibration["y"])
    return expit(calibration["slope"] * raw_score + calibration["intercept"])
