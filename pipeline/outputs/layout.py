"""What the Excel and the HTML target lists share: their columns, how a cell reads to a person, and the note
under a tier cut short."""

import math

import pandas as pd

from models.contacts import CONTACT_COLUMNS

# (column, header, kind) of the Excel sheets; kind decides number format, alignment and sort.
SHEET = [
    ("rank", "Rank", "int"),
    ("name", "Account", "text"),
    ("domain", "Domain", "text"),
    ("tier", "Tier", "int"),
    ("strategic", "Global/strategic", "flag"),
    ("p_win", "P(win)", "pct"),
    ("predicted_value", "Predicted deal value", "money"),
    ("expected_value", "Expected value", "money"),
    ("reason_1", "Reason 1", "text"),
    ("reason_2", "Reason 2", "text"),
    ("reason_3", "Reason 3", "text"),
    ("reason_against", "Reason against", "text"),
    ("why_now", "Why now", "text"),
    ("roles_engaged", "Roles engaged", "text"),
    ("roles_missing", "Roles missing", "text"),
    ("contacts", "Contacts to work", "text"),
    ("industry", "Industry", "text"),
    ("employees", "Employees", "money"),
    ("country", "Country", "text"),
    ("customer", "Customer", "flag"),
    ("open_opportunity", "Open opportunity", "flag"),
    ("account_id", "Account ID", "text"),
]
# The HTML table: the same columns, the three positive reasons in one cell so the page stays narrow.
PAGE = SHEET[:8] + [("reasons", "Reasons", "text")] + SHEET[11:]
# What changed since the previous list (a refresh's changes.csv), as the sheet and the page show it.
CHANGED = [
    ("what", "Change", "text"),
    ("name", "Account", "text"),
    ("previous_tier", "Tier before", "int"),
    ("tier", "Tier now", "int"),
    ("previous_p_win", "P(win) before", "pct"),
    ("p_win", "P(win) now", "pct"),
    ("reason", "What changed most, now", "text"),
    ("reason_before", "Before", "text"),
    ("account_id", "Account ID", "text"),
]
# The Contacts sheet: contacts.csv's columns in its order, with headers for people.
CONTACT_HEADERS = {
    "rank": ("Rank", "int"),
    "account_id": ("Account ID", "text"),
    "account_name": ("Account", "text"),
    "tier": ("Tier", "int"),
    "contact_order": ("Order", "int"),
    "contact_id": ("Contact ID", "text"),
    "name": ("Name", "text"),
    "title": ("Title", "text"),
    "department": ("Department", "text"),
    "seniority": ("Seniority", "text"),
    "engaged": ("Engaged (90 days)", "flag"),
    "last_activity": ("Last activity", "text"),
    "last_activity_type": ("Last activity type", "text"),
    "activities_90d": ("Activities (90 days)", "int"),
    "role_confirmed": ("Fills role", "text"),
}
CONTACT_SHEET = [(column, *CONTACT_HEADERS[column]) for column in CONTACT_COLUMNS]
NUMBER_FORMATS = {"int": "0", "pct": "0.0%", "money": "#,##0"}


def truncation_note(tier: int, shown: int, total: int) -> str:
    """The one sentence both lists show under a cut tier, so nobody mistakes it for the whole tier."""
    return (
        f"showing the top {shown:,} of {total:,} accounts of Tier {tier}; "
        "the full list is target_accounts.csv"
    )


def is_missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def flag(value) -> bool:
    return not is_missing(value) and bool(value)


def formatted(values: pd.Series, kind: str) -> list[str]:
    """How a cell reads to a person (the HTML text, and the measure of an Excel column's width)."""
    if kind == "pct":
        return ["" if is_missing(v) else f"{v:.1%}" for v in values]
    if kind == "money":
        return ["" if is_missing(v) else f"{v:,.0f}" for v in values]
    if kind == "flag":
        return ["Yes" if flag(v) else "" for v in values]
    return ["" if is_missing(v) else str(v) for v in values]
