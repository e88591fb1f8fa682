"""The ICP profile: a few segments, in words, that say what kind of company wins.

A shallow regression tree is fitted to the model's scores of the closed deals (a surrogate: it describes the
model, not the noise of single outcomes); each leaf is a segment. The figures of a segment are the deals'
actual outcomes, with a Wilson interval (a bootstrap one for small data), so a segment resting on few deals
says how uncertain it is.
"""

import re

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeRegressor

from models.bootstrap import rate_intervals
from models.reasons import describe, phrase, span
from models.spec import encode


def wilson(wins: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a win rate: sane for small n and rates near 0 or 1."""
    if n == 0:
        return 0.0, 1.0
    p = wins / n
    centre, half = p + z * z / (2 * n), z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def _numeric(
    frame: pd.DataFrame, spec: dict, score: np.ndarray, words: dict
) -> tuple[pd.DataFrame, dict, dict]:
    """The tree's inputs: categories ordered by mean model score (so one split is a set of categories), and a
    missing 'days since' (never happened) as one day older than the oldest on record; that horizon per
    feature."""
    X, orders, horizons = encode(frame, spec), {}, {}
    for c in X.columns:
        if X[c].dtype == "category":
            means = (
                pd.Series(score, index=X.index).groupby(X[c], observed=True).mean().sort_values(kind="stable")
            )
            orders[c] = list(means.index)
            X[c] = X[c].map({cat: float(i) for i, cat in enumerate(orders[c])}).astype(float)
        elif phrase(c, words).kind == "since" and X[c].notna().any():
            horizons[c] = float(X[c].max())
            X[c] = X[c].fillna(horizons[c] + 1)
    return X, orders, horizons


def _natural(label: str) -> tuple:
    """Bands like '11-50' < '201-1,000' < '5,001+' in numeric order; other labels alphabetically."""
    lead = re.match(r"[\d,]+", label)
    return (0, int(lead[0].replace(",", "")), label) if lead else (1, 0, label)


def _rule(path: list, orders: dict, horizons: dict, gaps: set, words: dict) -> str:
    """Conditions along a tree path, merged per feature, as one phrase; `gaps`: features with missing
    values."""
    bounds: dict[str, list] = {}
    for feature, above, threshold, with_missing in path:
        low, high, missing = bounds.get(feature, [-np.inf, np.inf, True])
        bounds[feature] = [
            max(low, threshold) if above else low,
            high if above else min(high, threshold),
            missing and with_missing,
        ]
    parts = []
    for feature, (low, high, missing) in bounds.items():
        if feature in orders:
            kept = {c for i, c in enumerate(orders[feature]) if low < i <= high}
            left = kept if len(kept) <= len(orders[feature]) / 2 else set(orders[feature]) - kept
            said = ", ".join(sorted(left, key=_natural))
            parts.append(
                f"{phrase(feature, words).noun} {'' if left is kept else 'not '}{said}"
                + (" (or unknown)" if missing and feature in gaps else "")
            )
            continue
        if feature in horizons and low >= horizons[feature]:  # only accounts where it never happened
            parts.append(describe(feature, np.nan, words))
            continue
        if feature in horizons and high >= horizons[feature]:  # "or never": no upper bound to say
            high = np.inf
        said = span(feature, low, high, words)
        if said:
            parts.append(said + (" (or unknown)" if missing and feature in gaps else ""))
    return "; ".join(parts)


def _leaves(tree, columns) -> list[tuple[int, list]]:
    t, out = tree.tree_, []

    def walk(node: int, path: list) -> None:
        if t.children_left[node] == -1:
            out.append((node, path))
            return
        feature, threshold = columns[t.feature[node]], float(t.threshold[node])
        left_missing = bool(t.missing_go_to_left[node])
        walk(t.children_left[node], path + [(feature, False, threshold, left_missing)])
        walk(t.children_right[node], path + [(feature, True, threshold, not left_missing)])

    walk(0, [])
    return out


def segments(
    frame: pd.DataFrame,
    spec: dict,
    score: np.ndarray,
    won: np.ndarray,
    amount: np.ndarray,
    depth: int,
    min_deals: int,
    few_deals: int,
    words: dict,
    resamples: int = 0,
    seed: int = 0,
) -> dict:
    """Segments of the closed deals in `frame` from a surrogate tree on `score` (the model's log-odds).

    Each: rule, deals, wins, win rate with its 95% interval, lift over the base rate, mean amount of its won
    deals, and `uncertain` when it rests on fewer than `few_deals` deals. Sorted by win rate, best first.
    The interval is Wilson's, or with `resamples` the percentile bootstrap over resamples of all the deals
    (small data); a segment all won or all lost keeps Wilson's, as no resample can move its rate.
    """
    X, orders, horizons = _numeric(frame, spec, score, words)
    gaps = set(X.columns[X.isna().any()])
    tree = DecisionTreeRegressor(max_depth=depth, min_samples_leaf=min_deals, random_state=0).fit(X, score)
    leaf = tree.apply(X)
    won, amount = np.asarray(won, bool), np.asarray(amount, float)
    base = float(won.mean())
    nodes, group = np.unique(leaf, return_inverse=True)
    boot = rate_intervals(group, won, resamples, seed) if resamples else None
    out = []
    for node, path in _leaves(tree, list(X.columns)):
        inside = leaf == node
        n, wins = int(inside.sum()), int(won[inside].sum())
        low, high = wilson(wins, n)
        if boot is not None and 0 < wins < n:
            low, high = (float(end[np.searchsorted(nodes, node)]) for end in boot)
        values = amount[inside & won]
        values = values[np.isfinite(values)]
        out.append(
            {
                "rule": _rule(path, orders, horizons, gaps, words) or "all deals",
                "deals": n,
                "wins": wins,
                "win_rate": round(wins / n, 6),
                "ci_low": round(low, 6),
                "ci_high": round(high, 6),
                "lift": round(wins / n / base, 6) if base else None,
                "avg_deal_value": round(float(values.mean()), 2) if len(values) else None,
                "uncertain": n < few_deals,
            }
        )
    out.sort(key=lambda s: (-s["win_rate"], s["rule"]))
    fidelity = float(tree.score(X, score))
    return {
        "base_win_rate": round(base, 6),
        "deals": int(len(won)),
        "wins": int(won.sum()),
        "surrogate_r2": round(fidelity, 6),
        "interval": "bootstrap" if resamples else "wilson",
        "resamples": resamples,
        "segments": out,
        "summary": summary(out, base),
    }


def _pct(x: float) -> str:
    return f"{x:.0%}"


def interval_words(profile: dict) -> str:
    """What the segments' intervals are, for the profile and the model card."""
    if profile["interval"] == "bootstrap":
        return (
            f"95% bootstrap intervals ({profile['resamples']:,} resamples of the closed deals, as the "
            "data are few; a segment all won or all lost keeps its Wilson interval)"
        )
    return "95% Wilson intervals"


def line(s: dict, base: float) -> str:
    """One segment in a sentence: rule, win rate vs base, lift, deals, value, and its uncertainty."""
    value = f", average won deal ${s['avg_deal_value']:,.0f}" if s["avg_deal_value"] is not None else ""
    caution = " (few deals: treat as a hint)" if s["uncertain"] else ""
    return (
        f"{s['rule']}: win rate {_pct(s['win_rate'])} (95% CI {_pct(s['ci_low'])}-{_pct(s['ci_high'])}) "
        f"vs {_pct(base)} base ({s['lift']:.1f}x), {s['deals']:,} deals{value}{caution}"
    )


def no_icp(chance: str) -> str:
    """The profile's summary when the model is no better than chance (`chance`: metrics.chance_verdict):
    segments of scores without signal would dress the training deals' noise up as an ICP."""
    return (
        f"No ICP: {chance}. The segments below describe what it learned from its training deals, not "
        "what wins; do not target by them."
    )


def summary(segs: list[dict], base: float) -> str:
    """The ideal customer in one sentence: the best segment whose interval lies above the base rate."""
    sure = [s for s in segs if s["ci_low"] > base]
    if not sure:
        return f"No segment wins clearly more than the base rate of {_pct(base)}: the data show no sharp ICP."
    return f"The ideal customer: {line(sure[0], base)}."
