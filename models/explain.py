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


def _bins(a: np.ndarray, width: int) -> list[np.ndarray]:
    """The rows of `a` in consecutive bins of `width` (the last may be shorter): (bins, width, ...) blocks."""
    full = len(a) // width * width
    blocks = [a[:full].reshape(-1, width, *a.shape[1:])]
    return blocks + [a[full:][None]] if full < len(a) else blocks


def _binned_correlation(ref: list[np.ndarray], ref_ok: list[np.ndarray], other: np.ndarray, width: int):
    """Per column of `other`, the sum over bins of |correlation| with the binned SHAP values `ref`, over the
    bins where both vary; None when a bin holds a constant that np.std does not see as one (there
    np.corrcoef correlates rounding noise, which only SHAP's own loop reproduces)."""
    total = np.zeros(other.shape[1])
    for block, r, r_ok in zip(_bins(other, width), ref, ref_ok, strict=True):
        finite = ~np.isnan(block).any(axis=1)
        varying = finite & (block.max(axis=1) != block.min(axis=1))
        first = block[:, 0, :]
        for b, c in zip(*np.nonzero(finite & ~varying & (first != np.round(first))), strict=True):
            if np.std(block[b, :, c]) > 0:  # a whole number's mean is exact: only these can differ
                return None
        centred = block - block.mean(axis=1, keepdims=True)
        rc = r - r.mean(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = (centred * rc[:, :, None]).sum(axis=1) / np.sqrt(
                (centred**2).sum(axis=1) * (rc**2).sum(axis=1)[:, None]
            )
        total += np.where(varying & r_ok[:, None], np.abs(np.clip(corr, -1, 1)), 0).sum(axis=0)
    return total


def interaction_partner(values: np.ndarray, data: np.ndarray, index: int) -> int | None:
    """The feature SHAP's dependence plot of feature `index` is coloured by: the one
    shap.utils.approximate_interactions puts first (in bins of the rows sorted by the feature, the summed
    |correlation| of its SHAP values with each other feature's values, or with their being missing), computed
    for every bin at once rather than by a np.corrcoef call per bin and feature (seconds per chart). None
    when the choice is not clear-cut (no interaction, a near tie, rounding noise in a bin): SHAP's own search
    decides then."""
    rows = np.arange(len(values))
    if len(rows) > 10_000:  # SHAP's own subsample: the same draw, the global generator left as it was
        state = np.random.get_state()
        np.random.shuffle(rows)
        np.random.set_state(state)
        rows = rows[:10_000]
    x = data[rows, index]
    order = np.argsort(x)
    ref, other = values[rows, index][order], data[rows][order].astype(float)
    width = max(min(int(len(x) / 10.0), 50), 1)
    ref_bins = _bins(ref, width)
    ref_ok = [np.array([np.std(bin_) > 0 for bin_ in block]) for block in ref_bins]
    for ok, block in zip(ref_ok, ref_bins, strict=True):
        if (ok & (block.max(axis=1) == block.min(axis=1))).any():  # rounding noise np.std sees as spread
            return None
    scores = []
    for columns in (other, np.isnan(other).astype(float)):
        total = _binned_correlation(ref_bins, ref_ok, columns, width)
        if total is None:
            return None
        skipped = np.array([np.sum(np.abs(col)) < 1e-8 for col in columns.T])  # SHAP skips these
        skipped[index] = True
        scores.append(np.where(skipped, 0.0, total))
    interaction = np.maximum(*scores)
    best = int(np.argmax(interaction))
    runner_up = np.partition(interaction, -2)[-2] if len(interaction) > 1 else 0.0
    return best if interaction[best] > 0 and runner_up < interaction[best] * (1 - 1e-9) else None
