"""The feature spec: the columns, their order and their coding, fixed at training so scoring cannot drift."""

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
    with the persisted categories (pandas 3 `str` is rejected by LightGBM); a value outside them is RARE where
    the spec pooled rare ones, else missing."""
    absent = [n for n in names(spec) if n not in frame.columns]
    if absent:
        raise KeyError(f"the frame lacks features the model was trained on: {absent}")
    columns = {}
    for f in spec["features"]:
        values = frame[f["name"]]
        if f["kind"] == "categorical":
            known = values.where(values.isin(f["categories"]))
            if RARE in f["categories"]:
                known = known.mask(values.notna() & known.isna(), RARE)
            columns[f["name"]] = pd.Categorical(known, categories=f["categories"])
        else:
            columns[f["name"]] = pd.to_numeric(values).astype("float64")
    return pd.DataFrame(columns, index=frame.index)
