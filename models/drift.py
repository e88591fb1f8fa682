"""Input drift: has the population the model scores moved away from the one it learned on?

The population stability index (PSI) compares the shares of rows per bin in a reference (the training deals,
summarised once as bins and shares, so the summary can travel with a model) with the shares in new data.
Rule of thumb: below 0.1 stable, 0.1 to 0.25 a moderate shift, above 0.25 a large one.
"""

import numpy as np
import pandas as pd

MODERATE, LARGE = 0.1, 0.25
_FLOOR = 1e-4  # an empty bin still counts a little, so a share of 0 never makes the log infinite


def reference(frame: pd.DataFrame, spec: dict, bins: int = 10) -> dict:
    """Per feature of the spec: its bins (decile edges of a numeric, or the categories) and each bin's share.

    The last share of each feature is the missing values; categories also have "other" (values not seen here).
    """
    out = {}
    for f in spec["features"]:
        values = frame[f["name"]]
        if f["kind"] == "numeric":
            present = pd.to_numeric(values).astype("float64").dropna()
            deciles = present.quantile(np.linspace(0, 1, bins + 1)[1:-1]) if len(present) else []
            cuts = np.unique(deciles).tolist()
        else:
            cuts = sorted(str(v) for v in values.dropna().unique())
        out[f["name"]] = {"kind": f["kind"], "bins": cuts, "shares": shares(f["kind"], cuts, values)}
    return out


def shares(kind: str, bins: list, values: pd.Series) -> list[float]:
    """Share of `values` per bin: numeric (-inf, e1], (e1, e2], ..., (ek, inf), missing; categorical: each
    category, other, missing."""
    missing = values.isna().to_numpy()
    if kind == "numeric":
        index = np.searchsorted(np.asarray(bins, float), pd.to_numeric(values).astype("float64"), side="left")
    else:
        codes = pd.Categorical(values.where(values.isin(bins)), categories=bins).codes
        index = np.where(codes < 0, len(bins), codes)
    counts = np.bincount(np.where(missing, len(bins) + 1, index), minlength=len(bins) + 2)
    return (counts / max(len(values), 1)).round(6).tolist()


def psi(ref: dict, values: pd.Series) -> float:
    """Population stability index of `values` against one feature's reference."""
    expected = np.maximum(np.asarray(ref["shares"]), _FLOOR)
    actual = np.maximum(np.asarray(shares(ref["kind"], ref["bins"], values)), _FLOOR)
    return float(np.sum((actual - expected) * np.log(actual / expected)))
