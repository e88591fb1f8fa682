"""Chronological split: train on older deals, validate on newer, hold out the newest (DESIGN section 2); and
the same split (or small data's folds) re-derived from what train saved, for every stage after it.

A day is never cut: deals created the same day share a part, and a cut is a day, the first of the newer part.
A deal learns only what was known at the next cut: a train or validation deal that closed on or after it is
held back (nobody knew its outcome there), or the newest part would teach the model the future.
Real histories have days holding many deals (an import, a bulk entry), so the cuts the fractions point at may
leave a part empty or tiny; then the cuts move (`_fairest`), and `split_facts` says so.

Over 300 lines: where the cuts fall, which deals each part may learn from, and how later stages re-derive both
are one rule, and they change together.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from features.errors import ContractError

SPLITS = ("train", "validation", "holdout")
LEARNED = SPLITS[:2]  # the deals a model learns from: fitted, early-stopped, calibrated
HELD_BACK = "held back"  # created before a boundary, closed on or after it: its outcome was unknown there
FAIR = 0.5  # the cuts stay where the fractions put them while every part keeps this much of its share
LARGE_DAY = 0.1  # a day holding this share of the deals is named in the facts (an import? a bulk entry?)


def _days(created: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The distinct creation days in order, and how many deals were created before each: the cut positions."""
    day, deals = np.unique(created.dt.normalize().to_numpy(), return_counts=True)
    return day, np.cumsum(deals) - deals


def _enough(days: int, n: int, need: int, what: str) -> None:
    """Stop, in one line the CLI prints, when there are fewer creation days than parts need."""
    if days < need:
        raise ContractError(
            f"the {n:,} closed deals were created on {days} distinct day{'s' * (days != 1)}: too few "
            f"creation days for {what} ({need} at least, so that no part is empty: a day is never cut); "
            "check that created_date is each deal's own creation date, not the day the deals were imported, "
            "or export a longer history"
        )


def _at(starts: np.ndarray, n: int, position: float) -> int:
    """The fractions' own cut: the day of the deal at `position` of the deals ordered by day, which goes whole
    to the newer part."""
    return int(np.searchsorted(starts, min(position, n - 1), side="right")) - 1


def _fair(starts: np.ndarray, end: int, cuts: list[int], targets: list[float]) -> bool:
    """Whether the parts the cuts make of the deals before `end` each keep FAIR of their target size."""
    sizes = np.diff([0, *starts[cuts], end])
    return bool((sizes >= FAIR * np.asarray(targets)).all())


def _fairest(starts: np.ndarray, end: int, weights: list[float]) -> list[int]:
    """The cuts of the deals before `end` into parts sized by `weights` that make the smallest part, as a
    share of its target, as large as possible; every part gets a day. A big day then pushes the cuts around
    it to the nearest days that leave the other parts their fair share.

    Bisection on that share: the cuts placed oldest first, each at the first day leaving its part the share,
    fit exactly when the share is reachable."""
    targets = np.asarray(weights) / sum(weights) * end

    def place(share: float) -> list[int] | None:
        cuts = [0]
        for target in targets[:-1]:
            cuts.append(max(cuts[-1] + 1, int(np.searchsorted(starts, starts[cuts[-1]] + share * target))))
            if cuts[-1] >= len(starts):
                return None
        return cuts[1:] if end - starts[cuts[-1]] >= share * targets[-1] else None

    low, high = 0.0, 1.0  # the parts add up to their targets: the smallest share is at most 1
    for _ in range(40):
        low, high = ((low + high) / 2, high) if place((low + high) / 2) else (low, (low + high) / 2)
    return place(low)


def _learn(fractions: dict) -> float:
    """The train share of the deals a fold learns from: the rest of them validate it."""
    return fractions["train"] / (fractions["train"] + fractions["validation"])


def _split_cuts(starts: np.ndarray, n: int, fractions: dict) -> tuple[list[int], bool]:
    """The cut days of validation and of holdout, and whether they moved off the fractions' own cuts."""
    _enough(len(starts), n, 3, "a chronological train / validation / holdout split")
    cuts = [_at(starts, n, t) for t in np.round(np.cumsum([fractions["train"], fractions["validation"]]) * n)]
    if _fair(starts, n, cuts, [fractions[s] * n for s in SPLITS]):
        return cuts, False
    return _fairest(starts, n, [fractions[s] for s in SPLITS]), True


def _fold_cuts(starts: np.ndarray, n: int, folds: int, learn: float) -> tuple[list[tuple[int, int]], bool]:
    """Each fold's cut days of validation and of its test block, as many folds as the days allow up to
    `folds`, and whether they moved off the fractions' own cuts (see cv_folds)."""
    _enough(len(starts), n, 4, "2 chronological folds, the fewest small data uses")
    folds = min(folds, len(starts) - 2)
    tests = [_at(starts, n, round(k * n / (folds + 1))) for k in range(1, folds + 1)]
    cuts = [(_at(starts, n, round(starts[t] * learn)), t) for t in tests]
    ends, block = [*(starts[t] for t in tests[1:]), n], n / (folds + 1)
    parts = [[learn * k * block, (1 - learn) * k * block, block] for k in range(1, folds + 1)]
    if all(_fair(starts, end, list(cut), p) for cut, end, p in zip(cuts, ends, parts, strict=True)):
        return cuts, False
    # fold 1's train and validation are parts of the oldest block: it needs room for both
    tests = _fairest(starts, n, [learn, 1 - learn, *[1] * folds])[1:]
    return [(_fairest(starts[:t], starts[t], [learn, 1 - learn])[0], t) for t in tests], True


def split_boundaries(created: pd.Series, fractions: dict) -> dict[str, pd.Timestamp]:
    """First creation day of validation and of holdout: the deals ordered by day, cut at the fractions, or
    where a big day leaves every part its fairest share."""
    days, starts = _days(created)
    cuts, _ = _split_cuts(starts, len(created), fractions)
    return {"validation": pd.Timestamp(days[cuts[0]]), "holdout": pd.Timestamp(days[cuts[1]])}


def cv_folds(created: pd.Series, folds: int, fractions: dict) -> list[dict[str, pd.Timestamp | None]]:
    """Expanding-window chronological folds for small data: the deals ordered by day are cut into `folds` + 1
    blocks of about equal size; fold k tests on block k (k = 1..folds) and learns from every older deal, the
    newest validation / (train + validation) share of them as its validation part (early stopping and
    calibration). Fewer folds when the creation days cannot give each fold's parts a day of their own.

    Each fold is a boundaries dict as split_boundaries gives (first day of validation, of "holdout", its test
    block) plus "end", the first day after its test block (None for the last). Cuts fall between days.
    """
    days, starts = _days(created)
    cuts, _ = _fold_cuts(starts, len(created), folds, _learn(fractions))
    ends = [*(pd.Timestamp(days[t]) for _, t in cuts[1:]), None]
    return [
        {"validation": pd.Timestamp(days[v]), "holdout": pd.Timestamp(days[t]), "end": end}
        for (v, t), end in zip(cuts, ends, strict=True)
    ]


def backtest_folds(created: pd.Series, origins: int, fractions: dict) -> list[dict]:
    """Rolling origins: the `origins` most recent calendar quarter starts after the first creation day, oldest
    first, each a fold as cv_folds gives: its model learns from the deals created before the origin (the
    newest validation / (train + validation) share of them validates it, and assign_fold holds back those
    that closed after the next cut, as ever) and is tested on the deals created in the quarter from the
    origin ("holdout", up to "end")."""
    day = created.dt.normalize()
    starts = pd.date_range(day.min() + pd.Timedelta(days=1), day.max(), freq="QS")[-origins:]
    folds = []
    for origin in starts:
        before = day[day < origin]
        days, cuts = _days(before)
        folds.append(
            {
                "validation": pd.Timestamp(
                    days[_at(cuts, len(before), round(len(before) * _learn(fractions)))]
                ),
                "holdout": origin,
                "end": origin + pd.offsets.QuarterBegin(startingMonth=1),
            }
        )
    return folds


def is_small(won: pd.Series, deals_of_each: int) -> bool:
    """Small data: fewer than `deals_of_each` won or lost deals (train.small_data_deals)."""
    n_won = int(won.sum())
    return min(n_won, len(won) - n_won) < deals_of_each


def learning_cutoff(created: pd.Series, won: pd.Series, train) -> pd.Timestamp:
    """The first creation day whose deals validate or test a model (fold 1's validation in small data), from
    the `train` params: what featurize chooses from records dated before it has seen none of them."""
    if is_small(won, train.small_data_deals):
        return cv_folds(created, train.cv_folds, train.split)[0]["validation"]
    return split_boundaries(created, train.split)["validation"]


def split_facts(created: pd.Series, fractions: dict, folds: int | None = None) -> dict:
    """What the split did, for train_summary.json: the fractions asked for and reached, the distinct creation
    days, the day holding the most deals when it holds LARGE_DAY of them, whether the cuts moved off the
    fractions, and (small data) the folds used of the `folds` asked for; `note` says it in a line when cuts
    moved or folds were dropped."""
    days, starts = _days(created)
    n = len(created)
    cuts, moved = _split_cuts(starts, n, fractions)
    reached = np.diff([0, *starts[cuts], n]) / n
    facts = {
        "requested": {s: fractions[s] for s in SPLITS},
        "achieved": {s: round(float(r), 6) for s, r in zip(SPLITS, reached, strict=True)},
        "creation_days": len(days),
        "moved": moved,
    }
    deals = np.diff([*starts, n])
    big = int(deals.argmax())
    if deals[big] >= LARGE_DAY * n:
        facts["largest_day"] = {
            "date": pd.Timestamp(days[big]).date().isoformat(),
            "deals": int(deals[big]),
            "share": round(float(deals[big] / n), 6),
        }
    if folds is not None:
        fold_cuts, folds_moved = _fold_cuts(starts, n, folds, _learn(fractions))
        facts["folds"] = {"requested": folds, "used": len(fold_cuts), "moved": folds_moved}
    said = _said(facts, n, pd.Timestamp(days[cuts[1]]).date().isoformat())
    return {**facts, "note": said} if said else facts


def _said(facts: dict, n: int, holdout: str) -> str:
    """The facts in one line when cuts moved or folds were dropped ("" when the split is as asked), the big
    day first: it is the likely cause."""
    folds, said = facts.get("folds", {"requested": 0, "used": 0, "moved": False}), []
    if facts["moved"]:
        reached = ", ".join(f"{facts['achieved'][s]:.0%} {s}" for s in SPLITS)
        asked = "/".join(f"{facts['requested'][s]:.0%}" for s in SPLITS)
        said.append(
            f"a day is never cut, so the split is {reached} (asked for {asked}), holdout from {holdout}"
        )
    if folds["used"] < folds["requested"]:
        said.append(
            f"{folds['used']} folds instead of {folds['requested']}: {facts['creation_days']} creation days "
            "allow no more"
        )
    if folds["moved"]:
        said.append("the folds' blocks moved off equal sizes (their deals: cv in train_summary.json)")
    big = facts.get("largest_day")
    if said and big:
        said[0] = (
            f"{big['deals']:,} of {n:,} deals ({big['share']:.0%}) were created on {big['date']} "
            f"(an import?): {said[0]}"
        )
    return "; ".join(said)


def _by_creation(created: pd.Series, boundaries: dict[str, pd.Timestamp]) -> np.ndarray:
    """Each deal's part by its creation day alone."""
    day = created.dt.normalize()
    return np.select([day < boundaries["validation"], day < boundaries["holdout"]], SPLITS[:2], SPLITS[2])


def assign_split(deals: pd.DataFrame, boundaries: dict[str, pd.Timestamp]) -> pd.Series:
    """Each deal's split from the boundary days, so every stage re-derives exactly the split train used: by
    created_date, and HELD_BACK for a train (validation) deal whose close_date is on or after the validation
    (holdout) boundary: it neither trains, stops nor calibrates a model."""
    labels, closed = _by_creation(deals["created_date"], boundaries), deals["close_date"].dt.normalize()
    late = ((labels == "train") & (closed >= boundaries["validation"])) | (
        (labels == "validation") & (closed >= boundaries["holdout"])
    )
    return pd.Series(np.where(late, HELD_BACK, labels), index=deals.index, name="split")


def assign_fold(deals: pd.DataFrame, fold: dict) -> pd.Series:
    """Each deal's part in one fold: train, validation, holdout (its test block), HELD_BACK or "" (newer than
    it)."""
    split = assign_split(deals, fold)
    return (
        split if fold["end"] is None else split.where(deals["created_date"].dt.normalize() < fold["end"], "")
    )


def held_back(deals: pd.DataFrame, boundaries: dict[str, pd.Timestamp]) -> dict[str, dict]:
    """Of the deals created in each learning part, how many assign_split holds back: they closed on or after
    the next boundary."""
    created = _by_creation(deals["created_date"], boundaries)
    late = (assign_split(deals, boundaries) == HELD_BACK).to_numpy()
    return {
        part: {"created": int((created == part).sum()), "held_back": int(((created == part) & late).sum())}
        for part in LEARNED
    }


def unfit(deals: pd.DataFrame, split: pd.Series) -> str | None:
    """Why no model can be fitted on `split`: its train or validation part lacks a lost deal or a won deal
    with an amount (early stopping, calibration and the value model need both); None when it can."""
    won, priced = deals["won"].to_numpy(bool), (deals["won"] & (deals["amount"] > 0)).to_numpy(bool)
    for part in LEARNED:
        rows = (split == part).to_numpy()
        if not priced[rows].any() or won[rows].all():
            return (
                f"the {rows.sum():,} {part} deals need a lost deal and a won deal with an amount: export a "
                "longer history, or check that the closed deals are not all of one outcome"
            )
    return None


def usable_folds(deals: pd.DataFrame, folds: list[dict]) -> tuple[list[dict], list[str]]:
    """The folds a model can be fitted on whose learning parts each keep FAIR of the deals created in them
    once the late closers are held back, and a line for each fold left out: in a short validation window
    most deals close after the test block begins (fold 1's, when deals take months to close), and a model
    stopped and calibrated on the few fast closers says little. A ContractError when no fold is left."""
    kept, said, why_not = [], [], []
    for k, fold in enumerate(folds, start=1):
        count = held_back(deals[deals["created_date"].dt.normalize() < fold["holdout"]], fold)
        thin = [
            f"{c['held_back']:,} of the {c['created']:,} deals of its {part} part closed after the {part} "
            "part ended: their outcomes were unknown then"
            for part, c in count.items()
            if c["created"] - c["held_back"] < FAIR * c["created"]
        ]
        why = thin[0] if thin else unfit(deals, assign_fold(deals, fold))
        if why:
            said.append(f"fold {k} of {len(folds)} left out: {why}")
            why_not.append(why)
        else:
            kept.append(fold)
    if not kept:
        raise ContractError(
            f"none of the {len(folds)} chronological folds can be learned from; fold 1: {why_not[0]}; use "
            "fewer folds (train.cv_folds), so that each is longer, or export a longer history"
        )
    return kept, said


def still_open(opportunities: str | Path, types: list, boundaries: dict[str, pd.Timestamp]) -> dict:
    """Of the deals of the modelled types created in the holdout period, how many are still open: the holdout
    holds only those that closed, the faster ones."""
    o = pd.read_parquet(opportunities, columns=["created_date", "stage", "type"])
    o = o[o["type"].isin(types) & (o["created_date"].dt.normalize() >= boundaries["holdout"])]
    n_open = int((o["stage"] == "open").sum())
    return {"created": len(o), "open": n_open, "share": round(n_open / len(o), 6) if len(o) else 0.0}


def read_deals(train_set: str | Path, narrow: bool = False) -> pd.DataFrame:
    """The closed deals of featurize's training set in one fixed order, so row order in the file never changes
    the model. Sorted in Arrow a column at a time, each read column dropped once its sorted copy is made: a
    million deals then take about half the memory of pandas' read and sort, which hold two whole copies.

    `narrow`: a float64 column whose every value float32 holds exactly (counts, whole days: 103 of the 110 of
    a million deals) is held as float32, half the memory, losing nothing. For the stages that read features
    only through spec.encode, spec.matrix or comparisons (train, evaluate, backtest), which give back the
    same float64 values; not where a column is summed or averaged as it is."""
    table = pq.read_table(train_set)
    order = pc.sort_indices(table, [("created_date", "ascending"), ("opportunity_id", "ascending")])
    columns = {}
    for name in table.column_names:
        columns[name] = table.column(name).take(order)
        table = table.drop_columns([name])
        if narrow and columns[name].type == pa.float64():
            values = columns[name].to_numpy()
            if np.array_equal(values.astype("float32"), values, equal_nan=True):
                columns[name] = pa.array(values.astype("float32"))
    deals = pa.table(columns).to_pandas(self_destruct=True, split_blocks=True)
    pa.default_memory_pool().release_unused()  # Arrow's allocator keeps what it freed, else
    return deals


def split_of(deals: pd.DataFrame, summary: dict) -> pd.Series:
    """The split each deal had at training, from the boundaries train saved in its summary."""
    split = assign_split(deals, {k: pd.Timestamp(v) for k, v in summary["boundaries"].items()})
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
        split = assign_fold(deals, boundaries)
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
