"""The trained bundle, its folder (the one place that knows the folder's file names) and the one prediction
function that every stage and the served MLflow model share."""

import json
from dataclasses import dataclass
from pathlib import Path

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


# rows encoded and predicted at a time: LightGBM copies the matrix it predicts, so a million rows at once
# would be held three times (the frame, its matrix, LightGBM's copy); per row the scores are the same
CHUNK = 100_000


def _chunks(frame: pd.DataFrame) -> list[pd.DataFrame]:
    return [frame.iloc[i : i + CHUNK] for i in range(0, max(len(frame), 1), CHUNK)]


def predict(bundle: Bundle, frame: pd.DataFrame) -> pd.DataFrame:
    """Calibrated P(win), predicted deal amount (a mean) and expected value = P(win) x amount, per row."""
    parts = []
    for chunk in _chunks(frame):
        X = encode(chunk, bundle.spec)
        p_win = calibrate(bundle.classifier.predict(X, raw_score=True), bundle.calibration["p_win"])
        amount = np.exp(bundle.value_model.predict(X)) * bundle.calibration["amount"]["smearing"]
        parts.append(
            pd.DataFrame(
                {"p_win": p_win, "amount": amount, "expected_value": p_win * amount}, index=chunk.index
            )
        )
    return pd.concat(parts)


def log_odds(bundle: Bundle, frame: pd.DataFrame) -> np.ndarray:
    """The classifier's raw score (log-odds, before calibration) of each row."""
    return np.concatenate(
        [bundle.classifier.predict(encode(chunk, bundle.spec), raw_score=True) for chunk in _chunks(frame)]
    )


# the model folder: native LightGBM files, JSON beside them, and in small-data mode the out-of-fold
# predictions
BOOSTERS = ("classifier.txt", "value_model.txt")
CALIBRATION, SPEC, SUMMARY, OOF = (
    "calibration.json",
    "feature_spec.json",
    "train_summary.json",
    "cv_predictions.parquet",
)


def save_bundle(folder: Path, bundle: Bundle, summary: dict, oof: pd.DataFrame | None = None) -> None:
    """Write the bundle, the training summary and (small data) the out-of-fold predictions into `folder`."""
    for booster, name in zip((bundle.classifier, bundle.value_model), BOOSTERS, strict=True):
        booster.save_model(folder / name)
    for obj, name in ((bundle.calibration, CALIBRATION), (bundle.spec, SPEC), (summary, SUMMARY)):
        (folder / name).write_text(json.dumps(obj, indent=2, default=list) + "\n")
    if oof is not None:
        oof.to_parquet(folder / OOF, index=False)


def load_bundle(folder: str | Path) -> Bundle:
    folder = Path(folder)
    boosters = (lgb.Booster(model_file=folder / name) for name in BOOSTERS)
    jsons = (json.loads((folder / name).read_text()) for name in (CALIBRATION, SPEC))
    return Bundle(*boosters, *jsons)


def read_summary(folder: str | Path) -> dict:
    """What train wrote about the split, the folds and the fitted models."""
    return json.loads((Path(folder) / SUMMARY).read_text())


def read_oof(folder: str | Path) -> pd.DataFrame:
    """Small data: the out-of-fold predictions of the chronological folds."""
    return pd.read_parquet(Path(folder) / OOF)
