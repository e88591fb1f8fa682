"""Chronological split: train on older deals, validate on newer, hold out the newest (DESIGN section 2)."""

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
    counts = assign_split(created, boundaries).value_counts()
    empty = [s for s in SPLITS if counts.get(s, 0) == 0]
    if empty:
        raise ValueError(f"chronological split {fractions} of {n} deals leaves {empty} empty: "
                         "too few creation days")
    return boundaries


def assign_split(created: pd.Series, boundaries: dict[str, pd.Timestamp]) -> pd.Series:
    """Each deal's split from the boundary days, so evaluate re-derives exactly the split train used."""
    day = created.dt.normalize()
    labels = np.select([day < boundaries["validation"], day < boundaries["holdout"]], SPLITS[:2], SPLITS[2])
    return pd.Series(labels, index=created.index, name="split")
