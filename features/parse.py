"""Reading raw cells as contract values: text, numbers, booleans, dates and coded values.

Values are parsed here, not by the file reader, so an unparsable value becomes a reject quoting it, never a
silent empty cell: each parser returns the values and (mask, reason maker) for the cells it could not read,
and features/rules.py turns those into rejects. Text is stripped; coded columns are matched ignoring case.
A date after tomorrow (UTC) is a typo or a planned date, not history: rejected.
"""

import numpy as np
import pandas as pd

from features.contract import DATE

_TRUE, _FALSE = {"true", "t", "yes", "y", "1"}, {"false", "f", "no", "n", "0"}
_FIRST_DATE, _LAST_DATE = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")
_DATE_RANGE = f"{_FIRST_DATE:%Y-%m-%d} to {_LAST_DATE:%Y-%m-%d}"


def parse_as(values: pd.Series, dtype: str, date_format: str | None = None) -> tuple[pd.Series, list]:
    """Values of one column as `dtype`, and (mask, reason maker) for the values that cannot be read as it."""
    if dtype.startswith("datetime64"):
        return parse_dates(values, date_format)
    if dtype in ("Int64", "float64"):
        return _numbers(values, dtype)
    if dtype == "bool" and pd.api.types.is_bool_dtype(values):
        return values.astype(bool), []
    text = clean_text(values)
    if dtype == "bool":
        lower = text.str.lower()
        parsed = lower.isin(_TRUE)
        unknown = text.notna() & ~parsed & ~lower.isin(_FALSE)
        return parsed, [
            (text.isna(), lambda v: values.name + " is empty"),
            (unknown, lambda v: values.name + " '" + v + "' is not true or false"),
        ]
    return text, []


def clean_text(values: pd.Series) -> pd.Series:
    """Text stripped of surrounding spaces; an empty cell is missing."""
    s = values.astype("str").str.strip()
    return s.mask(s == "")


def parse_dates(values: pd.Series, date_format: str | None = None) -> tuple[pd.Series, list]:
    """Dates as written (ISO 8601, or `date_format`), in UTC without zone; (mask, reason maker) for the values
    that are unreadable, out of range, or after tomorrow (history cannot be in the future; the reason leaves
    today's date out, so the same file gives the same rejects any day)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed, given = values, values.notna()
        if parsed.dt.tz is not None:
            parsed = parsed.dt.tz_convert(None)
    else:
        text = clean_text(values)
        parsed = pd.to_datetime(text, format=date_format or "ISO8601", errors="coerce", utc=True)
        parsed, given = parsed.dt.tz_convert(None), text.notna()
    outside = parsed.notna() & ((parsed < _FIRST_DATE) | (parsed > _LAST_DATE))
    unreadable = given & parsed.isna()
    parsed = parsed.mask(outside)
    latest = pd.Timestamp.now("UTC").tz_convert(None).normalize() + pd.Timedelta(days=2)
    future = parsed.notna() & (parsed >= latest)
    parsed = parsed.mask(future).astype(DATE)
    expected = date_format or "YYYY-MM-DD"
    return parsed, [
        (unreadable, lambda v: "unparsable date '" + v + f"' (expected {expected})"),
        (outside, lambda v: "date " + v + " is outside " + _DATE_RANGE),
        (future, lambda v: "date " + v + " is in the future"),
    ]


def _numbers(values: pd.Series, dtype: str) -> tuple[pd.Series, list]:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        number, given = values.astype("float64"), values.notna()
    else:
        text = clean_text(values)
        number, given = pd.to_numeric(text, errors="coerce").astype("float64"), text.notna()
    number = number.where(np.isfinite(number))
    unreadable = given & number.isna()
    fraction = (number % 1 != 0) & number.notna() & (dtype == "Int64")
    number = number.mask(fraction).astype(dtype)
    return number, [
        (unreadable, lambda v: "unparsable number '" + v + "'"),
        (fraction, lambda v: values.name + " " + v + " is not a whole number"),
    ]


def canonical_codes(values: pd.Series, allowed) -> pd.Series:
    """Codes matched ignoring case and spaces vs '_' ('Web Visit' is web_visit); unknown ones kept for the
    check to quote. Done on the distinct spellings, so a million rows cost a dictionary look-up each."""
    lookup = {_code(a): a for a in allowed}
    spelt = values.dropna().unique()
    if set(spelt) <= set(allowed):
        return values
    return values.map({v: lookup.get(_code(v), v) for v in spelt})


def _code(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").split())
