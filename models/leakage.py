"""A guard against fields recorded after the outcome. Undated account fields (today's values standing in
for the past) are where a leak hides: a field a team fills in once a deal is won looks like a perfect
predictor and is worthless for prospects. Two signs, measured on the training deals only: the share of deals
with the field filled differs sharply between won and lost, or the field alone separates won from lost far
better than a field known before a deal can."""

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

# today's account values (or derived from them): the other families are dated, but for technographics
# listed without dates (features.json's undated_families says when)
UNDATED_FAMILIES = ("firmographic", "custom")
MIN_DEALS = 30  # fewest deals a category needs to get its own win rate; rarer ones are pooled


def single_field_auc(values: pd.Series, won: np.ndarray) -> float | None:
    """ROC AUC of one field alone on the deals where it is filled, either direction (0.5 = no signal);
    a categorical scores each category by its win rate. None with too few won or lost deals."""
    filled = values.notna().to_numpy()
    y = won[filled]
    if min(y.sum(), (~y).sum()) < MIN_DEALS:
        return None
    x = values[filled]
    if not pd.api.types.is_numeric_dtype(x):
        counts = x.map(x.value_counts())
        pooled = x.astype(object).where(counts >= MIN_DEALS, "(rare)")
        x = pooled.map(pd.Series(y, index=pooled.index).groupby(pooled).mean())
    auc = roc_auc_score(y, x.to_numpy(float))
    return max(auc, 1 - auc)


def suspects(
    deals: pd.DataFrame, features: list[dict], fill_gap: float, max_auc: float, rows=slice(None)
) -> list[dict]:
    """The undated features (`undated` in features.json, else of UNDATED_FAMILIES) that show a sign of being
    recorded after the outcome on the training deals (`rows` of `deals`, a mask: a field at a time, never a
    copy of them all), with their figures and their label in the export's words."""
    won = deals.loc[rows, "won"].to_numpy(bool)
    if min(won.sum(), (~won).sum()) < MIN_DEALS:  # a fill-rate gap on a handful of deals is noise
        return []
    found = []
    for f in (f for f in features if f.get("undated", f["family"] in UNDATED_FAMILIES)):
        values = deals.loc[rows, f["name"]]
        filled_won, filled_lost = values[won].notna().mean(), values[~won].notna().mean()
        auc = single_field_auc(values, won)
        if abs(filled_won - filled_lost) >= fill_gap or (auc is not None and auc >= max_auc):
            found.append(
                {
                    "feature": f["name"],
                    "label": f.get("label", f["name"]),
                    "filled_won": round(float(filled_won), 4),
                    "filled_lost": round(float(filled_lost), 4),
                    "auc": auc and round(float(auc), 4),
                }
            )
    return found


def words(s: dict) -> str:
    """One suspect in a sentence, for the console and the model card."""
    auc = f", alone it reaches ROC AUC {s['auc']:.2f}" if s["auc"] is not None else ""
    return (
        f"{s.get('label', s['feature'])} is filled for {s['filled_won']:.0%} of won and "
        f"{s['filled_lost']:.0%} of lost deals{auc}: probably recorded after the outcome"
    )


def guard(
    deals: pd.DataFrame, features: list[dict], fill_gap: float, auc: float, trusted: list, rows=slice(None)
) -> dict:
    """The fields `suspects` flags on the training deals (`rows` of `deals`), split into `left_out` and
    `trusted` (named in `trusted`, or a feature the mapping marks trusted), with the thresholds used."""
    found = suspects(deals, features, fill_gap, auc, rows)
    kept = set(trusted) | {x["name"] for x in features if x.get("trusted")}
    return {
        "fill_gap": fill_gap,
        "auc": auc,
        "left_out": [s for s in found if s["feature"] not in kept],
        "trusted": [s for s in found if s["feature"] in kept],
    }
