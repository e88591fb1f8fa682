"""Chronological split: train on older deals, validate on newer, hold out the newest (DESIGN section 2); and
the same split (or small data's folds) re-derived from what train saved, for every stage after it."""

from pathlib import Path

import numpy as np
import pandas as pd

SPLITS = ("train", "validation", "holdout")


def split_boundaries(created: pd.Series, fractions: dict) -> dict[str, pd.Timestamp]:
    """First creation day of validation and of holdout: the deals ordered by day, cut at the fractions.

    Cuts fall between days, never inside one, so deals created the same day always share a split.
    """
    days = np.sort(created.dt.normalize().to_numpy())
    n = len(days)
    cuts = np.round(np.cumsum([fractions["train"], fractions["validation"]]) * n).astype(int)
    if n == 0 or cuts[1] >= n:
        raise ValueError(f"{n} deals are too few to split {fractions}")
    boundaries = {"validation": pd.Timestamp(days[cuts[0]]), "holdout": pd.Timestamp(days[cuts[1]])}
    _every_part(assign_split(created, boundaries), f"chronological split {fractions} of {n} deals")
    return boundaries


def _every_part(labels: pd.Series, what: str) -> None:
    """Stop when a split or fold part has no deal: nothing to learn from, stop early on or test."""
    counts = labels.value_counts()
    empty = [s for s in SPLITS if counts.get(s, 0) == 0]
    if empty:
        raise ValueError(f"{what} leaves {empty} empty: too few creation days")


def assign_split(created: pd.Series, boundaries: dict[str, pd.Timestamp]) -> pd.Series:
    """Each deal's split from the boundary days, so evaluate re-derives exactly the split train used."""
    day = created.dt.normalize()
    labels = np.select([day < boundaries["validation"], day < boundaries["holdout"]], SPLITS[:2], SPLITS[2])
    return pd.Series(labels, index=created.index, name="split")


def cv_folds(created: pd.Series, folds: int, fractions: dict) -> list[dict[str, pd.Timestamp | None]]:
    """Expanding-window chronological folds for small data: the deals ordered by day are cut into `folds` + 1
    blocks of about equal size; fold k tests on block k (k = 1..folds) and learns from every older deal, the
    newest validation / (train + validation) share of them as its validation part (early stopping and
    calibration).

    Each fold is a boundaries dict as split_boundaries gives (first day of validation, of "holdout", its test
    block) plus "end", the first day after its test block (None for the last). Cuts fall between days.
    """
    days = np.sort(created.dt.normalize().to_numpy())
    n, learn = len(days), fractions["train"] / (fractions["train"] + fractions["validation"])
    tests = [pd.Timestamp(days[min(round(k * n / (folds + 1)), n - 1)]) for k in range(1, folds + 1)]
    out = []
    for k, test in enumerate(tests):
        older = np.searchsorted(days, test.to_datetime64())
        out.append(
            {
                "validation": pd.Timestamp(days[min(round(older * learn), n - 1)]),
                "holdout": test,
                "end": tests[k + 1] if k + 1 < folds else None,
            }
        )
    for k, fold in enumerate(out, start=1):
        _every_part(assign_fold(created, fold), f"fold {k} of {folds} chronological folds of {n} deals")
    return out


def assign_fold(created: pd.Series, fold: dict) -> pd.Series:
    """Each deal's part in one fold: train, validation, holdout (its test block) or "" (newer than it)."""
    split = assign_split(created, fold)
    return split if fold["end"] is None else split.where(created.dt.normalize() < fold["end"], "")


def read_deals(train_set: str | Path) -> pd.DataFrame:
    """The closed deals of featurize's training set in one fixed order, so row order in the file never changes
    the model."""
    deals = pd.read_parquet(train_set)
    return deals.sort_values(["created_date", "opportunity_id"], kind="stable").reset_index(drop=True)


def split_of(deals: pd.DataFrame, summary: dict) -> pd.Series:
    """The split each deal had at training, from the boundaries train saved in its summary."""
    split = assign_split(
        deals["created_date"], {k: pd.Timestamp(v) for k, v in summary["boundaries"].items()}
    )
    for s in SPLITS:
        if (split == s).sum() != summary["splits"][s]["deals"]:
            raise ValueError(
                f"the features have {(split == s).sum():,} {s} deals, the model was trained with "
                f"{summary['splits'][s]['deals']:,}: retrain (dvc repro)"
            )
    return split


def folds_of(deals: pd.DataFrame, summary: dict, oof: pd.DataFrame) -> list[tuple[pd.Series, pd.DataFrame]]:
    """Small data: each fold's part of every deal (assign_fold) and the out-of-fold predictions train saved
    for its test block, indexed like `deals`."""
    out = []
    for k, fold in enumerate(summary["cv"], start=1):
        boundaries = {b: d and pd.Timestamp(d) for b, d in fold["boundaries"].items()}
        split = assign_fold(deals["created_date"], boundaries)
        test = deals.loc[split == "holdout", "opportunity_id"]
        pred = oof[oof["fold"] == k].set_index("opportunity_id").reindex(test).set_axis(test.index)
        if len(test) != fold["deals"]["holdout"] or pred["p_win"].isna().any():
            raise ValueError(
                f"the deals of fold {k} are not those the model was cross-validated on: retrain (dvc repro)"
            )
        out.append((split, pred))
    return out


def describe(deals: pd.DataFrame) -> dict:
    """Deals, wins, win rate and creation window of a set of closed deals (for summaries and metrics)."""
    return {
        "deals": len(deals),
        "wins": int(deals["won"].sum()),
        "win_rate": round(float(deals["won"].mean()), 6),
        "from": deals["created_date"].min().date().isoformat(),
        "to": deals["created_date"].max().date().isoformat(),
    }
