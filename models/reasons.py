"""Per-account reasons picked by SHAP value, and the "why now" timing signal, said in models/phrases.py's
words."""

import pandas as pd

from models.phrases import TRIGGER, describe

REASONS = ["reason_1", "reason_2", "reason_3", "reason_against", "why_now"]
# Events that say "why now": recent, positive timing signals (layoffs are recent too, but not a reason to
# call).
WHY_NOW = [
    "trig_days_since_funding_round",
    "trig_days_since_executive_hire",
    "trig_days_since_product_launch",
    "trig_days_since_hiring_surge",
    "trig_days_since_acquisition",
    "intent_days_since_surge",
    "beh_days_since_pricing",
]
OWN_TRIGGER = "trig_days_since_"  # an event type of the export's own words (Funding, M&A) is timing too


def reasons(
    contributions: pd.Series, values: pd.Series, words: dict[str, str], positive: int = 3
) -> tuple[list[tuple[str, float, str]], tuple[str, float, str] | None]:
    """The `positive` features that raise this account's score most and the one that lowers it most, as
    (feature, SHAP value, phrase). Only features that move the score count (SHAP > 0 up, < 0 down)."""
    order = contributions.sort_values(ascending=False, kind="stable")
    up = [(f, float(s), describe(f, values[f], words)) for f, s in order.head(positive).items() if s > 0]
    low_name, low = order.index[-1], float(order.iloc[-1])
    down = (low_name, low, describe(low_name, values[low_name], words)) if low < 0 else None
    return up, down


def why_now(values: pd.Series, contributions: pd.Series, words: dict[str, str], within_days: int = 90) -> str:
    """The most recent timing signal (trigger, intent surge, pricing-page visit; an event type in the export's
    own words too) within `within_days` that raises this account's score (positive SHAP value), or ''."""
    own = [
        f for f in values.index if f.startswith(OWN_TRIGGER) and f.removeprefix(OWN_TRIGGER) not in TRIGGER
    ]
    timing = WHY_NOW + own
    recent = {
        f: values[f]
        for f in timing
        if f in values.index
        and pd.notna(values[f])
        and values[f] <= within_days
        and contributions.get(f, 0.0) > 0
    }
    if not recent:
        return ""
    newest = min(recent, key=lambda f: (recent[f], timing.index(f)))
    return describe(newest, recent[newest], words)


def explain_rows(contributions: pd.DataFrame, frame: pd.DataFrame, words: dict[str, str]) -> pd.DataFrame:
    """reason_1..3, reason_against and why_now for each row of `frame` (same index as `contributions`)."""
    rows = []
    for key in contributions.index:
        shap_row, values = contributions.loc[key], frame.loc[key]  # looked up once: each lookup costs
        up, down = reasons(shap_row, values, words)
        texts = [t for _, _, t in up] + [""] * (3 - len(up))
        rows.append([*texts, down[2] if down else "", why_now(values, shap_row, words)])
    return pd.DataFrame(rows, index=contributions.index, columns=REASONS, dtype=object)
