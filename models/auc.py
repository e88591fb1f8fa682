"""ROC AUC without sklearn, for a stage that needs only that one number: importing sklearn.metrics costs
synthesize about a second on each `dvc repro`."""

import numpy as np


def roc_auc(won: np.ndarray, p: np.ndarray) -> float:
    """sklearn's roc_auc_score of one binary label, float for float: the trapezoids under the ROC curve's
    corners, in sklearn's order (a rank formula gives the same value but not always its last bit, and the
    demo world's truth records it in full). `won` needs a win and a loss."""
    order = np.argsort(np.asarray(p), kind="stable")[::-1]  # sklearn's descending order, ties included
    p, won = np.asarray(p)[order], np.asarray(won, float)[order]
    ends = np.r_[np.flatnonzero(np.diff(p)), len(p) - 1]  # the last deal of each group of tied scores
    tps = np.cumsum(won)[ends]
    fps = 1 + ends - tps
    if len(fps) > 2:  # sklearn drops the points in between collinear ones (drop_intermediate)
        corner = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps = fps[corner], tps[corner]
    fpr, tpr = np.r_[0.0, fps] / fps[-1], np.r_[0.0, tps] / tps[-1]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))
