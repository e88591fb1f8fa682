"""The feature spec: the columns, their order and their coding, fixed at training so scoring cannot drift."""

import pandas as pd


def make_spec(train: pd.DataFrame, features: list[dict]) -> dict:
    """Names in order, kinds, dtypes and each categorical's categories as seen in the TRAIN rows only.

    Categories come from the train rows so a value first seen later is "unknown" to the model, as it would be
    when scoring: it becomes missing instead of a code the trees never split on.
    """
    spec = []
    for f in features:
        if f["kind"] == "categorical":
            categories = sorted(str(v) for v in train[f["name"]].dropna().unique())
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
    with the persisted categories (pandas 3 `str` is rejected by LightGBM; unseen values become missing)."""
    absent = [n for n in names(spec) if n not in frame.columns]
    if absent:
        raise KeyError(f"the frame lacks features the model was trained on: {absent}")
    columns = {}
    for f in spec["features"]:
        values = frame[f["name"]]
        if f["kind"] == "categorical":
            known = values.where(values.isin(f["categories"]))
            columns[f["name"]] = pd.Categorical(known, categories=f["categories"])
        else:
            columns[f["name"]] = pd.to_numeric(values).astype("float64")
    return pd.DataFrame(columns, index=frame.index)
