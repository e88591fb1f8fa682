"""The trained bundle and the one prediction function that scoring and evaluate share."""

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd

from models.calibration import calibrate
from models.spec import encode


@dataclass(frozen=True)
class Bundle:
    """What a prediction needs, as saved by `train`: two boosters, the calibrations and the feature spec."""
    classifier: lgb.Booster
    value_model: lgb.Booster
    calibration: dict  # {"p_win": fit_calibration(...), "amount": {"smearing": float}}
    spec: dict


def predict(bundle: Bundle, frame: pd.DataFrame) -> pd.DataFrame:
    """Calibrated P(win), predicted deal amount (a mean) and expected value = P(win) x amount, per row."""
    X = encode(frame, bundle.spec)
    p_win = calibrate(bundle.classifier.predict(X, raw_score=True), bundle.calibration["p_win"])
    amount = np.exp(bundle.value_model.predict(X)) * bundle.calibration["amount"]["smearing"]
    return pd.DataFrame({"p_win": p_win, "amount": amount, "expected_value": p_win * amount},
                        index=frame.index)
