"""Holdout metrics and the curves of the DVC plots, the same for the model, the baselines and the oracle."""

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

GRID = np.linspace(0.0, 1.0, 101)  # the common x of every curve, so methods share rows in one CSV


def top_k_sums(score: np.ndarray, value: np.ndarray, ks) -> np.ndarray:
    """Sum of `value` over the k highest scores, for each k (fractional k allowed).

    A group of tied scores straddling the cut counts at its mean value (the expectation under a random
    tie-break), so a coarse score such as the checklist is neither flattered nor punished by row order.
    """
    score, value, ks = np.asarray(score, float), np.asarray(value, float), np.asarray(ks, float)
    order = np.argsort(-score, kind="stable")
    score, value = score[order], value[order]
    ends = np.r_[np.flatnonzero(np.diff(score)) + 1, len(score)]  # exclusive end of each tie group
    starts = np.r_[0, ends[:-1]]
    cumulative = np.r_[0.0, np.cumsum(value)]
    group = np.minimum(np.searchsorted(ends, ks), len(ends) - 1)
    s, e = starts[group], ends[group]
    return cumulative[s] + (ks - s) * (cumulative[e] - cumulative[s]) / (e - s)


def calibration_table(won: np.ndarray, p: np.ndarray, bins: int) -> pd.DataFrame:
    """Mean predicted P(win), observed win rate and deals per non-empty equal-width bin, binned as sklearn's
    calibration_curve does."""
    won, p = np.asarray(won, float), np.asarray(p, float)
    ids = np.searchsorted(np.linspace(0.0, 1.0, bins + 1)[1:-1], p)
    deals = np.bincount(ids, minlength=bins)
    keep = deals > 0
    return pd.DataFrame(
        {
            "predicted": np.bincount(ids, p, bins)[keep] / deals[keep],
            "observed": np.bincount(ids, won, bins)[keep] / deals[keep],
            "deals": deals[keep],
        }
    )


def expected_calibration_error(won: np.ndarray, p: np.ndarray, bins: int) -> float:
    """Deal-weighted mean |predicted - observed| over equal-width bins."""
    t = calibration_table(won, p, bins)
    return float(np.sum(t["deals"] * np.abs(t["predicted"] - t["observed"])) / t["deals"].sum())


def chance_verdict(model: dict) -> str | None:
    """'the model ranks the evaluated deals no better than chance (ROC AUC ...)' when its ROC AUC, or the
    low end of its 95% interval where evaluate computed one, is at most 0.5; else None.
    `model`: the "model" part of metrics.json."""
    auc, low, high = (model.get(k) for k in ("roc_auc", "roc_auc_ci_low", "roc_auc_ci_high"))
    if (auc if low is None else low) > 0.5:
        return None
    said = f"ROC AUC {auc:.3f}" + ("" if low is None else f", 95% CI {low:.3f}-{high:.3f}")
    return f"the model ranks the evaluated deals no better than chance ({said})"


def score_metrics(
    won: np.ndarray,
    p: np.ndarray,
    expected_value: np.ndarray,
    won_amount: np.ndarray,
    ks: dict[str, int],
    bins: int,
) -> dict[str, float]:
    """Probability quality (ROC AUC, PR AUC as average precision, log loss, Brier, ECE), top-decile lift of
    P(win), and for each named k the precision and the share of won amount among the top k by expected value
    (the ranking tiers are built from)."""
    won, p = np.asarray(won, bool), np.asarray(p, float)
    n = len(won)
    out = {
        "roc_auc": roc_auc_score(won, p),
        "pr_auc": average_precision_score(won, p),
        "log_loss": log_loss(won, p, labels=[False, True]),
        "brier": brier_score_loss(won, p),
        "ece": expected_calibration_error(won, p, bins),
        "top_decile_lift": top_k_sums(p, won, [n / 10])[0] / (n / 10) / won.mean(),
    }
    for name, k in ks.items():
        k = min(k, n)
        wins, amount = (top_k_sums(expected_value, v, [k])[0] for v in (won, won_amount))
        out[f"precision_at_{name}"] = wins / k
        out[f"value_captured_at_{name}"] = amount / np.sum(won_amount)
    return {k: float(v) for k, v in out.items()}


def roc_on_grid(won: np.ndarray, p: np.ndarray) -> np.ndarray:
    """TPR at each FPR of GRID, linear between ROC points; on a vertical step, its top."""
    fpr, tpr, _ = roc_curve(won, p)
    last = np.r_[fpr[1:] != fpr[:-1], True]
    return np.interp(GRID, fpr[last], tpr[last])


def precision_on_grid(won: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Interpolated precision at each recall of GRID: the best precision reachable at that recall or more."""
    precision, recall, _ = precision_recall_curve(won, p)
    precision, recall = precision[::-1], recall[::-1]  # recall ascending
    best_from_here = np.maximum.accumulate(precision[::-1])[::-1]
    return best_from_here[np.minimum(np.searchsorted(recall, GRID), len(recall) - 1)]


def gains_on_grid(won: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Share of all wins among the top GRID share of deals by P(win)."""
    won = np.asarray(won, float)
    return top_k_sums(p, won, GRID * len(won)) / won.sum()


BASELINES = {"logistic": "logistic regression", "checklist": "the checklist"}  # what the model must beat
# The figures a model is compared with a baseline on, by their name in score_metrics: (words, the resampled
# figure of models/bootstrap.paired_differences).
COMPARED = {
    "roc_auc": ("ROC AUC", "roc_auc"),
    "top_decile_lift": ("top-decile lift", "top_decile_lift"),
    "value_captured_at_tier1_2": ("value captured at Tier 1+2", "value_captured_at_k"),
}


def difference(a: dict, b: dict, intervals: dict) -> dict[str, float]:
    """Method A minus method B on each COMPARED figure, with the paired interval where there is one."""
    out = {}
    for key, (_, resampled) in COMPARED.items():
        out[key] = a[key] - b[key]
        if resampled in intervals:
            out[f"{key}_ci_low"], out[f"{key}_ci_high"] = intervals[resampled]
    return out


def verdict(diff: dict, key: str, baseline: str) -> str:
    """'better than <baseline>' only when the whole paired interval is above 0; 'worse than' when below;
    else not distinguishable on these deals."""
    if f"{key}_ci_low" not in diff:
        return f"not tested against {baseline} (evaluate.bootstrap is 0)"
    if diff[f"{key}_ci_low"] > 0:
        return f"better than {baseline}"
    if diff[f"{key}_ci_high"] < 0:
        return f"worse than {baseline}"
    return f"not distinguishable from {baseline} on these deals"


def compared(diff: dict, baseline: str) -> str:
    """A comparison in words, figure by figure, with the difference and its paired interval."""
    parts = []
    for key, (words, _) in COMPARED.items():
        ci = (
            f" (95% CI {diff[key + '_ci_low']:+.3f} to {diff[key + '_ci_high']:+.3f})"
            if key + "_ci_low" in diff
            else ""
        )
        parts.append(f"{words} {diff[key]:+.3f}{ci}: {verdict(diff, key, baseline)}")
    return "; ".join(parts)
