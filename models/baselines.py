"""Baselines the model must beat on the same holdout rows: a hand-made ICP checklist, a logistic model."""

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from models.spec import encode_column

# The kind of checklist teams write by hand: one point per rule; a missing feature (family off) scores 0.
CHECKLIST = {
    "200-2,000 employees": ("firm_employees", lambda s: s.between(200, 2000)),
    "founded 5+ years ago": ("firm_age_years", lambda s: s >= 5),
    "prior spend with us": ("rel_prior_spend", lambda s: s > 0),
    "complementary technology": ("tech_n_complement", lambda s: s > 0),
    "trigger in the last 90 days": ("trig_days_since_any", lambda s: s <= 90),
}


def checklist_points(frame: pd.DataFrame) -> pd.Series:
    """0 to 5 checklist points per row; a missing value fails its rule, as it would on a sales rep's sheet."""
    points = pd.Series(0, index=frame.index, dtype="int64")
    for column, rule in CHECKLIST.values():
        if column in frame.columns:
            points += rule(pd.to_numeric(frame[column])).fillna(False).astype("int64")
    return points


def fit_checklist(points: pd.Series, won: pd.Series) -> pd.Series:
    """P(win) for each possible point count: its win rate on the train rows, the overall rate where unseen."""
    rates = pd.Series(np.asarray(won, float), index=points.index).groupby(points).mean()
    return rates.reindex(range(len(CHECKLIST) + 1)).fillna(float(np.mean(won)))


def checklist_proba(points: pd.Series, rates: pd.Series) -> np.ndarray:
    return rates.reindex(points).to_numpy()


def fit_logistic(frame: pd.DataFrame, rows: pd.Series, spec: dict) -> dict:
    """The usual linear baseline on the model's own features, fit on `rows` (a mask of `frame`) to learn their
    "won": numerics median-imputed, with missing indicators, and standardised; categoricals one-hot (a missing
    value its own column). What sklearn's ColumnTransformer of SimpleImputer(median), MissingIndicator,
    StandardScaler and OneHotEncoder makes (tests/test_models.py holds the two together), but filled a column
    at a time into one float64 matrix: the ColumnTransformer holds the encoded frame, each transformer's
    output and their stack at once (3 GiB on half a million deals). A feature with no value in the rows is
    kept (a constant) so the columns never depend on the data. BLAS on one thread: each lbfgs step is one
    matrix-vector product, which a second thread slows down (3.5 s of CPU on the demo's 10,000 deals, 0.2 s
    on one), and the fit no longer depends on the machine's cores."""
    parts = {"value": [], "missing": [], "is": []}  # ColumnTransformer's order: values, indicators, one-hot
    for feature in spec["features"]:
        values = _values(frame.loc[rows, feature["name"]], feature)
        if feature["kind"] == "numeric":
            missing = np.isnan(values)
            median = np.median(values[~missing]) if (~missing).any() else 0.0
            made = [("value", median)] + [("missing", None)] * bool(missing.any())
        else:
            seen = sorted(pd.unique(values[pd.notna(values)])) + [None] * bool(pd.isna(values).any())
            made = [("is", v) for v in seen]
        for what, arg in made:
            parts[what].append((feature["name"], what, arg, *_standard(values, what, arg)))
    fitted = {"spec": spec, "columns": [c for part in parts.values() for c in part]}
    X = design(frame, fitted, rows)
    with threadpool_limits(1, user_api="blas"):
        fitted["model"] = LogisticRegression(max_iter=5000).fit(X, frame.loc[rows, "won"].to_numpy(bool))
    return fitted


def logistic_proba(fitted: dict, frame: pd.DataFrame, rows=slice(None)) -> np.ndarray:
    """P(win) of `rows` of `frame` (a mask; all by default) by a fit_logistic baseline; a category it never
    saw is no column's."""
    return fitted["model"].predict_proba(design(frame, fitted, rows))[:, 1]


def _values(values: pd.Series, feature: dict) -> np.ndarray:
    """A feature as the model sees it (spec.encode_column): floats with NaN, or objects with NaN."""
    encoded = encode_column(values, feature)
    return encoded.to_numpy() if feature["kind"] == "numeric" else np.asarray(encoded, dtype=object)


def _standard(values: np.ndarray, what: str, arg) -> tuple[float, float]:
    """A column's centre and scale: StandardScaler's for the numeric part, none for the one-hot columns."""
    if what == "is":
        return 0.0, 1.0
    scaler = StandardScaler().fit(_column(values, what, arg)[:, None])
    return float(scaler.mean_[0]), float(scaler.scale_[0])


def _column(values: np.ndarray, what: str, arg) -> np.ndarray:
    if what == "value":
        return np.where(np.isnan(values), arg, values)
    if what == "missing":
        return np.isnan(values).astype("float64")
    return (pd.isna(values) if arg is None else values == arg).astype("float64")


def design(frame: pd.DataFrame, fitted: dict, rows=slice(None)) -> np.ndarray:
    """The logistic's matrix of `rows` of `frame` (a mask; all by default), one column at a time into its
    place, as spec.matrix makes the model's."""
    X = np.empty((len(frame.index[rows]), len(fitted["columns"])))
    for feature in fitted["spec"]["features"]:
        values = _values(frame.loc[rows, feature["name"]], feature)
        for j, (name, what, arg, centre, scale) in enumerate(fitted["columns"]):
            if name == feature["name"]:
                X[:, j] = (_column(values, what, arg) - centre) / scale
    return X
