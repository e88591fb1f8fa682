"""The ICP profile: a few segments, in words, that say what kind of company wins.

A shallow regression tree is fitted to the model's scores of the deals it learned from (a surrogate: it
describes the model, not the noise of single outcomes); each leaf is a segment, and the headline segment is
chosen there too. The figures of a segment are then the actual outcomes of holdout deals, which neither
trained the model nor chose the segments, with a Wilson interval (a bootstrap one for small data): a segment
picked as the best of several on the same deals would look better than it is.
"""

import re

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeRegressor

from models.bootstrap import rate_intervals
from models.phrases import describe, phrase, span
from models.spec import encode


def wilson(wins: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a win rate: sane for small n and rates near 0 or 1."""
    if n == 0:
        return 0.0, 1.0
    p = wins / n
    centre, half = p + z * z / (2 * n), z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def _tree_input(frame: pd.DataFrame, spec: dict, orders: dict, horizons: dict) -> pd.DataFrame:
    """The tree's inputs: categories as their rank in `orders` (so one split is a set of categories; one
    unseen there is missing), and a missing 'days since' (never happened) as one day past its horizon."""
    X = encode(frame, spec)
    for c in X.columns:
        if c in orders:
            X[c] = X[c].map({cat: float(i) for i, cat in enumerate(orders[c])}).astype(float)
        elif c in horizons:
            X[c] = X[c].fillna(horizons[c] + 1)
    return X


def _orders(frame: pd.DataFrame, spec: dict, score: np.ndarray, words: dict) -> tuple[dict, dict]:
    """Categories ordered by mean model score, and per 'days since' feature the oldest day on record (its
    horizon), both from the deals the tree is fitted on."""
    X, orders, horizons = encode(frame, spec), {}, {}
    for c in X.columns:
        if X[c].dtype == "category":
            means = (
                pd.Series(score, index=X.index).groupby(X[c], observed=True).mean().sort_values(kind="stable")
            )
            orders[c] = list(means.index)
        elif phrase(c, words).kind == "since" and X[c].notna().any():
            horizons[c] = float(X[c].max())
    return orders, horizons


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


def _figures(won: np.ndarray, amount: np.ndarray, low: float, high: float, base: float, few: int) -> dict:
    """A segment's outcomes on the deals it is measured on (None for the rates when it holds none)."""
    n, wins = len(won), int(won.sum())
    values = amount[won]
    values = values[np.isfinite(values)]
    return {
        "deals": n,
        "wins": wins,
        "win_rate": round(wins / n, 6) if n else None,
        "ci_low": round(low, 6),
        "ci_high": round(high, 6),
        "lift": round(wins / n / base, 6) if n and base else None,
        "avg_deal_value": round(float(values.mean()), 2) if len(values) else None,
        "uncertain": n < few,
    }


def segments(
    learned: pd.DataFrame,
    score: np.ndarray,
    holdout: pd.DataFrame,
    spec: dict,
    depth: int,
    min_deals: int,
    few_deals: int,
    words: dict,
    resamples: int = 0,
    seed: int = 0,
) -> dict:
    """Segments from a surrogate tree fitted on `score` (the model's log-odds) of the `learned` deals (those
    that trained, stopped or calibrated it), each of at least `min_deals` of them; measured on `holdout`.

    Each segment: rule, its `learned` deals and win rate there, and on the holdout deals: deals, wins, win
    rate with its 95% interval, lift over the holdout's base rate, mean amount of its won deals, and
    `uncertain` when fewer than `few_deals` holdout deals fall in it. Ordered by the model's mean score on
    the learned deals, best first. The interval is Wilson's, or with `resamples` the percentile bootstrap
    over resamples of all the holdout deals (small data); a segment all won or all lost keeps Wilson's, as
    no resample can move its rate. `headline` is the best segment whose learned deals' Wilson interval lies
    above their base rate: chosen without the holdout.
    """
    orders, horizons = _orders(learned, spec, score, words)
    X = _tree_input(learned, spec, orders, horizons)
    gaps, columns = set(X.columns[X.isna().any()]), list(X.columns)
    X = X.to_numpy(np.float32)  # the tree's own dtype, converted once, not at every call: half the memory
    tree = DecisionTreeRegressor(max_depth=depth, min_samples_leaf=min_deals, random_state=0).fit(X, score)
    fit_leaf = tree.apply(X)
    leaf = tree.apply(_tree_input(holdout, spec, orders, horizons).to_numpy(np.float32))
    fit_won = learned["won"].to_numpy(bool)
    won, amount = holdout["won"].to_numpy(bool), holdout["amount"].to_numpy(float)
    fit_base, base = float(fit_won.mean()), float(won.mean()) if len(won) else 0.0
    nodes, group = np.unique(leaf, return_inverse=True)
    boot = rate_intervals(group, won, resamples, seed) if resamples and len(won) else None
    out = []
    for node, path in sorted(_leaves(tree, columns), key=lambda x: -tree.tree_.value[x[0]].item()):
        inside, fit_inside = leaf == node, fit_leaf == node
        fit_wins, n, wins = int(fit_won[fit_inside].sum()), int(inside.sum()), int(won[inside].sum())
        low, high = wilson(wins, n)
        if boot is not None and 0 < wins < n:
            low, high = (float(end[np.searchsorted(nodes, node)]) for end in boot)
        out.append(
            {
                "rule": _rule(path, orders, horizons, gaps, words) or "all deals",
                "learned": {
                    "deals": int(fit_inside.sum()),
                    "win_rate": round(fit_wins / fit_inside.sum(), 6),
                    "above_base": bool(wilson(fit_wins, int(fit_inside.sum()))[0] > fit_base),
                },
                **_figures(won[inside], amount[inside], low, high, base, few_deals),
            }
        )
    headline = next((i for i, s in enumerate(out) if s["learned"]["above_base"]), None)
    return {
        "base_win_rate": round(base, 6),
        "deals": int(len(won)),
        "wins": int(won.sum()),
        "learned": {"deals": len(learned), "win_rate": round(fit_base, 6)},
        "surrogate_r2": round(float(tree.score(X, score)), 6),
        "interval": "bootstrap" if boot is not None else "wilson",
        "resamples": resamples if boot is not None else 0,
        "segments": out,
        "headline": headline,
        "summary": summary(out, headline, base),
    }


def _pct(x: float) -> str:
    return f"{x:.0%}"


def interval_words(profile: dict) -> str:
    """What the segments' intervals are, for the profile and the model card."""
    if profile["interval"] == "bootstrap":
        return (
            f"95% bootstrap intervals ({profile['resamples']:,} resamples of the holdout deals, as the "
            "data are few; a segment all won or all lost keeps its Wilson interval)"
        )
    return "95% Wilson intervals"


def line(s: dict, base: float) -> str:
    """One segment in a sentence: rule, holdout win rate vs base, lift, deals, value, and its uncertainty."""
    if not s["deals"]:
        return f"{s['rule']}: no holdout deal falls here"
    value = f", average won deal ${s['avg_deal_value']:,.0f}" if s["avg_deal_value"] is not None else ""
    caution = " (few deals: treat as a hint)" if s["uncertain"] else ""
    return (
        f"{s['rule']}: win rate {_pct(s['win_rate'])} (95% CI {_pct(s['ci_low'])}-{_pct(s['ci_high'])}) "
        f"vs {_pct(base)} base ({s['lift']:.1f}x), {s['deals']:,} holdout deals{value}{caution}"
    )


def no_icp(chance: str) -> str:
    """The profile's summary when the model is no better than chance (`chance`: metrics.chance_verdict):
    segments of scores without signal would dress the training deals' noise up as an ICP."""
    return (
        f"No ICP: {chance}. The segments below describe what it learned from its training deals, not "
        "what wins; do not target by them."
    )


def summary(segs: list[dict], headline: int | None, base: float) -> str:
    """The ideal customer in one sentence: the headline segment (chosen on the learned deals) when its
    holdout interval lies above the holdout's base rate."""
    if headline is None:
        return (
            "No segment of the deals the model learned from wins clearly more than their base rate: the data "
            "show no sharp ICP."
        )
    s = segs[headline]
    if s["deals"] and s["ci_low"] > base:
        return f"The ideal customer: {line(s, base)}."
    return (
        f"No sharp ICP: the segment the model points to ({line(s, base)}) does not win clearly more than the "
        "base rate on the holdout deals, which neither trained the model nor chose the segment."
    )
