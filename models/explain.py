"""SHAP explanations of the classifier: per-row contributions and the global ranking by feature and family.

LightGBM's `pred_contrib` gives exact TreeSHAP values (log-odds; the last column is the bias) and equals
SHAP's path-dependent TreeExplainer, which is the one that handles categorical splits; it needs no background
data.
"""

import numpy as np
import pandas as pd

from models.bundle import Bundle
from models.spec import encode, names


def contributions(bundle: Bundle, frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Per-row SHAP values of the raw (log-odds) score, one column per feature, and the bias per row (none
    for no row: LightGBM refuses an empty frame)."""
    if frame.empty:
        return pd.DataFrame(index=frame.index, columns=names(bundle.spec), dtype=float), np.zeros(0)
    X = encode(frame, bundle.spec)
    values = bundle.classifier.predict(X, pred_contrib=True)
    return pd.DataFrame(values[:, :-1], index=frame.index, columns=names(bundle.spec)), values[:, -1]


def importance(shap: pd.DataFrame, spec: dict) -> dict:
    """Mean |SHAP| per feature (ranked) and per family, with each family's share of the total."""
    family = {f["name"]: f["family"] for f in spec["features"]}
    mean_abs = shap.abs().mean().sort_values(ascending=False, kind="stable")
    features = [
        {"feature": f, "family": family[f], "mean_abs_shap": round(float(v), 6), "rank": i}
        for i, (f, v) in enumerate(mean_abs.items(), start=1)
    ]
    by_family = mean_abs.groupby(mean_abs.index.map(family)).sum().sort_values(ascending=False, kind="stable")
    total = float(by_family.sum()) or 1.0
    families = [
        {"family": f, "mean_abs_shap": round(float(v), 6), "share": round(float(v) / total, 6)}
        for f, v in by_family.items()
    ]
    return {"rows": len(shap), "features": features, "families": families}


def chart_data(frame: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """Feature values as numbers for colouring SHAP charts: categoricals become their category codes."""
    X = encode(frame, spec)
    return pd.DataFrame(
        {
            c: X[c].cat.codes.where(X[c].notna()).astype(float) if X[c].dtype == "category" else X[c]
            for c in X.columns
        },
        index=frame.index,
    )


def as_seen(frame: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """The frame with each categorical as the model saw it: a category unknown at training is missing, so a
    reason never quotes a value the model did not use."""
    X = encode(frame, spec)
    seen = {c: X[c].astype(object).where(X[c].notna(), None) for c in names(spec, "categorical")}
    return frame.assign(**seen)
