"""The feature spec: the columns, their order and their coding, fixed at training so scoring cannot drift."""

import numpy as np
import pandas as pd

# An open vocabulary (an export's own industries, a custom field) has long tails: a value held by fewer train
# rows than this has no win rate worth a category of its own, and joins the others in RARE.
MIN_ROWS = 30
RARE = "(rare)"


def make_spec(train: pd.DataFrame, features: list[dict]) -> dict:
    """Names in order, kinds, dtypes and each categorical's categories as seen in the TRAIN rows only.

    Categories come from the train rows so a value first seen later is "unknown" to the model, as it would be
    when scoring. Values with fewer than MIN_ROWS train rows are pooled in RARE; where there is such a pool, a
    value first seen later joins it, else it becomes missing instead of a code the trees never split on.
    """
    spec = []
    for f in features:
        if f["kind"] == "categorical":
            counts = train[f["name"]].dropna().astype("str").value_counts()
            categories = sorted(counts.index[counts >= MIN_ROWS]) + (
                [RARE] if (counts < MIN_ROWS).any() else []
            )
            spec.append({**f, "dtype": "category", "categories": categories})
        elif f["kind"] == "numeric":
            spec.append({**f, "dtype": "float64"})
        else:
            raise ValueError(f"feature {f['name']!r}: kind must be numeric or categorical, not {f['kind']!r}")
    return {"features": spec}


def names(spec: dict, kind: str | None = None) -> list[str]:
    return [f["name"] for f in spec["features"] if kind is None or f["kind"] == kind]


def encode(frame: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """The model matrix: the spec's columns in the spec's order, numerics as float, categoricals as `category`
    with the persisted categories (pandas 3 `str` is rejected by LightGBM)."""
    absent = [n for n in names(spec) if n not in frame.columns]
    if absent:
        raise KeyError(f"the frame lacks features the model was trained on: {absent}")
    return pd.DataFrame(
        {f["name"]: encode_column(frame[f["name"]], f) for f in spec["features"]}, index=frame.index
    )


def encode_column(values: pd.Series, feature: dict) -> pd.Categorical | pd.Series:
    """One feature of the model matrix; a categorical value outside the persisted categories is RARE where
    the spec pooled rare ones, else missing."""
    if feature["kind"] == "numeric":
        return pd.to_numeric(values).astype("float64")
    known = values.where(values.isin(feature["categories"]))
    if RARE in feature["categories"]:
        known = known.mask(values.notna() & known.isna(), RARE)
    return pd.Categorical(known, categories=feature["categories"])


def matrix(frame: pd.DataFrame, spec: dict, rows=slice(None)) -> np.ndarray:
    """`rows` of `frame` as LightGBM reads them: one float64 matrix in column order, categoricals as their
    codes in the persisted categories (missing: NaN), filled a column at a time. Given encode's frame,
    LightGBM makes this matrix itself while it builds a Dataset, so the two are held at once beside the
    deals' frame: past 2 GiB for half a million deals; this is the only copy."""
    n = len(frame.index[rows])
    X = np.empty((n, len(spec["features"])), order="F")
    for j, f in enumerate(spec["features"]):
        column = encode_column(frame.loc[rows, f["name"]], f)
        X[:, j] = np.where(column.codes >= 0, column.codes, np.nan) if f["kind"] == "categorical" else column
    return X
