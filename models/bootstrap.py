"""Bootstrap intervals: how far a metric or a win rate could move on another sample of the same size.

A resample of n deals drawn with replacement is the same as weighting each deal by how often it was drawn, so
every figure here is computed from a matrix of draw counts (resamples x deals) for all resamples at once:
1,000 resamples of a few thousand deals take well under a second. The same seed and n give the same resamples,
so methods scored on the same deals are compared on the same resamples (paired).
"""

from collections.abc import Iterator

import numpy as np

BLOCK = 2_000_000  # draw counts held at once (resamples x deals): bounds memory on a large holdout
METRICS = ("roc_auc", "pr_auc", "brier", "top_decile_lift")


def draw_counts(n: int, resamples: int, seed: int) -> Iterator[np.ndarray]:
    """How often each of n deals is drawn in each resample, as (resamples, n) blocks of rows."""
    rng = np.random.default_rng(seed)
    rows = max(1, BLOCK // n)
    for first in range(0, resamples, rows):
        b = min(rows, resamples - first)
        drawn = rng.integers(0, n, size=(b, n)) + n * np.arange(b)[:, None]
        yield np.bincount(drawn.ravel(), minlength=b * n).reshape(b, n).astype(float)


def resampled_metrics(won: np.ndarray, p: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
    """The METRICS of each resample (one row of `counts`) as models/metrics.score_metrics defines them, ties
    included; NaN where a resample has no win or no loss (the ranking metrics do not exist there)."""
    won, p = np.asarray(won, bool), np.asarray(p, float)
    order = np.argsort(-p, kind="stable")  # best first, in groups of tied scores
    starts = np.r_[0, np.flatnonzero(np.diff(p[order])) + 1]
    c = counts[:, order]
    wins, losses = c * won[order], c * ~won[order]  # (resamples, tie groups): one deal each without ties
    if len(starts) < len(p):
        wins, losses = np.add.reduceat(wins, starts, axis=1), np.add.reduceat(losses, starts, axis=1)
    n, n_won, n_lost = counts.shape[1], wins.sum(axis=1), losses.sum(axis=1)
    tp, fp = np.cumsum(wins, axis=1), np.cumsum(losses, axis=1)
    rows = np.arange(len(c))
    size = wins + losses
    k = n / 10  # the top decile; a tie group straddling the cut counts at its mean (metrics.top_k_sums)
    cut = (tp + fp < k).sum(axis=1)
    before = (tp + fp - size)[rows, cut]
    top_wins = (tp - wins)[rows, cut] + (k - before) * wins[rows, cut] / size[rows, cut]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {
            "roc_auc": (wins * (n_lost[:, None] - fp + 0.5 * losses)).sum(axis=1) / (n_won * n_lost),
            "pr_auc": (wins * tp / np.maximum(tp + fp, 1)).sum(axis=1) / n_won,
            "brier": counts @ (p - won) ** 2 / n,
            "top_decile_lift": top_wins / k / (n_won / n),
        }
    defined = (n_won > 0) & (n_lost > 0)
    return {m: np.where(defined, v, np.nan) for m, v in out.items()}


def percentile(values: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The central `level` percentile interval of each column, leaving out resamples where the figure does
    not exist."""
    low, high = np.nanquantile(values, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return low, high


def resampled_figures(
    won: np.ndarray,
    p: dict[str, np.ndarray],
    resamples: int,
    seed: int,
    captured: dict[str, np.ndarray] | None = None,
    won_amount: np.ndarray | None = None,
    k: int = 0,
) -> dict[str, dict[str, np.ndarray]]:
    """Each method's METRICS in every resample (`p`: its scores), and for the methods of `captured` (their
    expected values) the value captured by the top `k` (`value_captured_at_k`): all methods on the same
    resamples, drawn once, so a paired comparison subtracts figures computed once per method."""
    blocks: dict[str, dict[str, list]] = {m: {} for m in p}
    for c in draw_counts(len(won), resamples, seed):
        for m, scores in p.items():
            for metric, values in resampled_metrics(won, scores, c).items():
                blocks[m].setdefault(metric, []).append(values)
        for m, ev in (captured or {}).items():
            value = resampled_value_captured(ev, won_amount, k, c)
            blocks[m].setdefault("value_captured_at_k", []).append(value)
    return {m: {f: np.concatenate(v) for f, v in figures.items()} for m, figures in blocks.items()}


def metric_intervals(figures: dict[str, np.ndarray], level: float = 0.95) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap interval of each of METRICS, from one method's resampled_figures."""
    return {m: tuple(float(x) for x in percentile(figures[m], level)) for m in METRICS}


def resampled_value_captured(
    expected_value: np.ndarray, won_amount: np.ndarray, k: int, counts: np.ndarray
) -> np.ndarray:
    """The share of won amount among the top `k` deals by expected value, in each resample (a deal straddling
    the cut counts for the part of its draws inside it); NaN where a resample holds no won amount."""
    order = np.argsort(-np.asarray(expected_value, float), kind="stable")
    c, amount = counts[:, order], np.asarray(won_amount, float)[order]
    inside = np.clip(k - (np.cumsum(c, axis=1) - c), 0, c)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = (inside @ amount) / (c @ amount)
    return np.where(c @ amount > 0, share, np.nan)


def paired_differences(a: dict, b: dict, level: float = 0.95) -> dict[str, tuple[float, float]]:
    """Percentile interval of method A minus method B, from their resampled_figures (the same resamples of
    the same deals: paired, what the deals have in common cancels), for ROC AUC, top-decile lift and the value
    captured by the top k (value_captured_at_k)."""
    return {
        m: tuple(float(x) for x in percentile(a[m] - b[m], level))
        for m in ("roc_auc", "top_decile_lift", "value_captured_at_k")
    }


def paired_metrics(
    won: np.ndarray,
    new: np.ndarray,
    old: np.ndarray,
    resampled: tuple[dict, dict] | None,
    level: float = 0.95,
) -> dict[str, dict[str, float]]:
    """Each of METRICS for two models' scores of the same deals, and new minus old with the percentile
    interval of that difference over the same resamples (paired), from the two models' resampled_figures
    (`resampled`: new's, old's; none: no interval)."""
    ones = np.ones((1, len(won)))
    a, b = resampled_metrics(won, new, ones), resampled_metrics(won, old, ones)
    out = {
        m: {"new": float(a[m][0]), "old": float(b[m][0]), "difference": float(a[m][0] - b[m][0])} for m in a
    }
    if resampled:
        x, y = resampled
        for m in METRICS:
            low, high = percentile(x[m] - y[m], level)
            out[m] |= {"ci_low": float(low), "ci_high": float(high)}
    return out


def rate_intervals(
    group: np.ndarray, won: np.ndarray, resamples: int, seed: int, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of the win rate of each group 0..g-1 (e.g. ICP segments), the whole set
    of deals resampled, so a group's size varies as it would in another sample; arrays of low and high
    ends."""
    group, won = np.asarray(group, int), np.asarray(won, float)
    member = np.eye(group.max() + 1)[group]  # (deals, groups)
    rates = []
    for c in draw_counts(len(group), resamples, seed):
        with np.errstate(divide="ignore", invalid="ignore"):
            rates.append((c @ (member * won[:, None])) / (c @ member))
    return percentile(np.concatenate(rates), level)
