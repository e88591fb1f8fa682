"""Baselines the model must beat on the same holdout rows: a hand-made ICP checklist, a logistic model."""

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from models.spec import names

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


def fit_logistic(X: pd.DataFrame, won: np.ndarray, spec: dict) -> Pipeline:
    """The usual linear baseline on the model's own features (X from spec.encode), fit on the train rows:
    numerics median-imputed with missing indicators and standardised, categoricals one-hot. A feature with no
    value in the train rows is kept (as a constant) so the column set never depends on the data. BLAS on one
    thread: each lbfgs step is one matrix-vector product, which a second thread slows down (3.5 s of CPU on
    the demo's 10,000 deals, 0.2 s on one), and the fit no longer depends on the machine's cores."""
    numeric = make_pipeline(_impute(names(spec, "numeric")), StandardScaler(copy=False))
    categorical = OneHotEncoder(handle_unknown="ignore")
    prepare = ColumnTransformer(
        [
            ("numeric", numeric, names(spec, "numeric")),
            ("categorical", categorical, names(spec, "categorical")),
        ]
    )
    with threadpool_limits(1, user_api="blas"):
        return make_pipeline(prepare, LogisticRegression(max_iter=5000)).fit(X, np.asarray(won, bool))


def _impute(columns: list[str]) -> ColumnTransformer:
    """What SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True) does (each column's
    median, then the indicators of the columns missing in the train rows), with the same output, but the
    medians fitted a column at a time: over all columns at once SimpleImputer sorts masked copies of the
    whole matrix, about four times its size (1.8 GiB on half a million deals)."""
    medians = [
        (f"median_{i}", SimpleImputer(strategy="median", keep_empty_features=True), [c])
        for i, c in enumerate(columns)
    ]
    return ColumnTransformer([*medians, ("missing", MissingIndicator(error_on_new=False), columns)])
