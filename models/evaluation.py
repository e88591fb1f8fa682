"""The model and the baselines scored on the same evaluated deals: the chronological holdout, or in small-data
mode the pooled test blocks of the folds; and the curves of dvc.yaml's plots. Pure functions of frames."""

from pathlib import Path

import numpy as np
import pandas as pd

from models.baselines import (
    CHECKLIST,
    checklist_points,
    checklist_proba,
    fit_checklist,
    fit_logistic,
    logistic_proba,
)
from models.bootstrap import paired_metrics, resampled_figures
from models.bundle import Bundle, predict
from models.metrics import GRID, calibration_table, gains_on_grid, precision_on_grid, roc_on_grid
from models.spec import make_spec, names
from models.split import LEARNED, folds_of

METHODS = (
    "model",
    "logistic",
    "checklist",
    "oracle",
)  # the oracle only on the demo world, whose truth is known


def read_oracle(truth: Path | None, deals: pd.DataFrame) -> pd.DataFrame | None:
    """True P(win) and expected amount of each deal from the truth's opportunities table (the demo world's),
    when there is one."""
    if truth is None or not Path(truth).exists():
        return None
    oracle = pd.read_parquet(truth, columns=["opportunity_id", "true_p_win", "true_expected_amount"])
    oracle = deals[["opportunity_id"]].merge(oracle, on="opportunity_id", how="left", validate="one_to_one")
    if oracle["true_p_win"].isna().any():
        raise ValueError(f"{truth}: {oracle['true_p_win'].isna().sum()} evaluated deals have no true_p_win")
    return oracle.set_index(deals.index)


def baseline_scores(
    deals: pd.DataFrame, learned: pd.Series, scored: pd.Series, spec: dict
) -> dict[str, np.ndarray]:
    """P(win) of the `scored` deals by the logistic and the checklist baselines fitted on the `learned` deals
    (both masks of `deals`), both seeing only the model's features (a field the leak guard left out is left
    out of the baselines too). Masks, not frames: on a million deals the learned deals' copy alone is half a
    GiB, held while the logistic fits."""
    ticked = [c for c, _ in CHECKLIST.values() if c in names(spec)]  # the checklist's columns the model sees
    logistic = fit_logistic(deals, learned, spec)
    rates = fit_checklist(checklist_points(deals.loc[learned, ticked]), deals.loc[learned, "won"])
    return {
        "logistic": logistic_proba(logistic, deals, scored),
        "checklist": checklist_proba(checklist_points(deals.loc[scored, ticked]), rates),
    }


def holdout_scores(
    bundle: Bundle, deals: pd.DataFrame, split: pd.Series
) -> tuple[pd.DataFrame, dict, np.ndarray]:
    """The holdout deals, P(win) of the model and the baselines and the model's predicted amounts. The
    baselines learn from the deals the model learned from (train and validation), no fewer."""
    p = baseline_scores(deals, split.isin(LEARNED), split == "holdout", bundle.spec)
    hold = deals[split == "holdout"]
    pred = predict(bundle, hold)
    return hold, {"model": pred["p_win"].to_numpy(), **p}, pred["amount"].to_numpy()


def head_to_head(
    new: tuple[Bundle, ...],
    old: tuple[Bundle, ...],
    old_holdout: pd.Timestamp,
    deals: pd.DataFrame,
    split: pd.Series,
    resamples: int,
    seed: int,
) -> dict:
    """A challenger and the champion (whose own holdout began on `old_holdout`), each with its twin where it
    has one (`new`, `old`: the model first), on the same deals: those of the challenger's holdout that
    neither learned from (created on or after both holdout boundaries). Their deals and dates, `metrics` of
    the challenger against the champion and `pairs`, every model of `new` against every model of `old`
    (models/bootstrap.paired_metrics, on the same resamples); or `reason` when the two cannot be compared on
    them."""
    hold = deals[(split == "holdout") & (deals["created_date"].dt.normalize() >= old_holdout)]
    if not 0 < hold["won"].sum() < len(hold):
        return {
            "reason": f"the champion learned from deals up to {old_holdout.date()}, and the "
            f"{len(hold):,} deals of this version's holdout created since hold no won and lost deal to "
            "compare the two on"
        }
    missing = sorted(set(names(old[0].spec)) - set(deals.columns))
    if missing:
        return {"reason": f"the champion needs features these deals lack ({', '.join(missing[:5])})"}
    won = hold["won"].to_numpy()
    p_new, p_old = ([predict(b, hold)["p_win"].to_numpy() for b in side] for side in (new, old))
    scores = {("new", i): a for i, a in enumerate(p_new)} | {("old", j): b for j, b in enumerate(p_old)}
    figures = resampled_figures(won, scores, resamples, seed) if resamples else None  # each model once
    pairs = [
        {
            "new": i,
            "old": j,
            "metrics": paired_metrics(won, a, b, figures and (figures["new", i], figures["old", j])),
        }
        for i, a in enumerate(p_new)
        for j, b in enumerate(p_old)
    ]
    return {
        "deals": len(hold),
        "wins": int(hold["won"].sum()),
        "from": hold["created_date"].min().date().isoformat(),
        "to": hold["created_date"].max().date().isoformat(),
        "metrics": pairs[0]["metrics"],
        "pairs": pairs,
    }


def pooled_scores(
    bundle: Bundle, deals: pd.DataFrame, summary: dict, oof: pd.DataFrame
) -> tuple[pd.DataFrame, dict, np.ndarray]:
    """Small data: the same for the deals of every fold's test block, pooled: the model's out-of-fold
    predictions saved by train, the baselines fitted per fold on the fold's train and validation deals, as
    its model was (with the fold's own categories, as its model had)."""
    parts = []
    for split, pred in folds_of(deals, summary, oof):
        spec = make_spec(deals[split == "train"], bundle.spec["features"])
        parts.append(
            pd.DataFrame(
                {
                    "model": pred["p_win"],
                    **baseline_scores(deals, split.isin(LEARNED), split == "holdout", spec),
                    "amount": pred["amount"],
                },
                index=deals.index[split == "holdout"],
            )
        )
    pooled = pd.concat(parts)
    p = {m: pooled[m].to_numpy() for m in ("model", "logistic", "checklist")}
    return deals.loc[pooled.index], p, pooled["amount"].to_numpy()


def deal_model_scores(deal: Bundle, rows: pd.DataFrame, oof: pd.DataFrame | None) -> np.ndarray:
    """P(win) of the evaluated deals by the deal model, which also knows each deal's own fields: its
    out-of-fold predictions of the same test blocks in small-data mode, else its holdout predictions."""
    if oof is None:
        return predict(deal, rows)["p_win"].to_numpy()
    found = rows[["opportunity_id"]].merge(oof, on="opportunity_id", how="left", validate="one_to_one")
    return found["p_win"].to_numpy()


def plot_tables(won: np.ndarray, p: dict, bins: int) -> dict[str, pd.DataFrame]:
    """The CSVs of dvc.yaml's top-level `plots:`; a method without scores (no oracle) gets an empty column."""
    curves = {
        "roc": ("fpr", roc_on_grid),
        "precision_recall": ("recall", precision_on_grid),
        "gains": ("share_of_deals", gains_on_grid),
    }
    tables = {
        name: pd.DataFrame({x: GRID, **{m: curve(won, p[m]) if m in p else np.nan for m in METHODS}})
        for name, (x, curve) in curves.items()
    }
    tables["gains"]["random"] = GRID
    calibration = calibration_table(won, p["model"], bins)
    tables["calibration"] = calibration[["predicted", "observed"]].assign(perfect=calibration["predicted"])
    return tables
