"""Reading raw cells as contract values: text, numbers, booleans, dates and coded values.

Values are parsed here, not by the file reader, so an unparsable value becomes a reject quoting it, never a
silent empty cell: each parser returns the values and (mask, reason maker) for the cells it could not read,
and features/rules.py turns those into rejects. Text is stripped; coded columns are matched ignoring case.
Dates are ISO 8601 unless the mapping gives a column a format (a strptime format, or `excel` for Excel's
serial day numbers); a column of nothing but serial day numbers is read as them without one. A number or
date cell spelling nothing (NaN, N/A, null, -) is empty; money may be written with currency signs and either
decimal mark ($1,200.50, 1.200,50 €), the mark told by the column's values or stated by the mapping's
`number_format`; a percentage is a fraction (5.1% is 0.051). Dates keep the export's own clock: a time's `Z`
or offset is dropped, not converted, so the day written is the day kept (a deal created 20:00-05:00 and
closed that day closed the day it was created). A partial date (2017, 2017-03) is rejected, not read as the
1st, unless a format says so ('%Y-%m'). A date after tomorrow is a typo or a planned date, not history:
rejected.
"""

import logging

import numpy as np
import pandas as pd

from features.contract import DATE

_TRUE, _FALSE = {"true", "t", "yes", "y", "1"}, {"false", "f", "no", "n", "0"}
_CURRENCY = r"[$€£¥]|\b(?:USD|EUR|GBP|CHF|CAD|AUD|JPY|SEK|INR|BRL|MXN)\b"
_WRITTEN = _CURRENCY + r"|[,\s\u00a0'%]"  # a number written with any of these needs _as_written
NOTHING = {"nan", "n/a", "na", "#n/a", "null", "none", "nil", "-", "--", "—", "?"}  # lower case
_FIRST_DATE, _LAST_DATE = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")
_DATE_RANGE = f"{_FIRST_DATE:%Y-%m-%d} to {_LAST_DATE:%Y-%m-%d}"
ISO, EXCEL = "ISO8601", "excel"  # the date formats that are no strptime format
# Excel's day 0: its serial 1 is 1900-01-01, but it counts a 29 February 1900 that never was, so serials from
# 61 (1900-03-01) on are right from here and those before are a day off: not read.
_EXCEL_DAY0, _EXCEL_FIRST = pd.Timestamp("1899-12-30"), 61
EXCEL_SERIALS = (20_000, 60_000)  # Excel serial day numbers of 1954-10-03 to 2064-04-08: a CRM's dates
_PARTIAL = r"\d{4}(?:[-/]\d{1,2})?"  # 2017, 2017-03: ISO 8601 readers take them for the 1st
_ZONE = (
    r"(?<=\d:\d\d)(\.\d+)?\s*(?:Z|UTC|GMT|[+-]\d\d(?::?\d\d)?)$"  # after a time: 18:09:07.000Z, 20:00-05:00
)

log = logging.getLogger(__name__)


def parse_as(values: pd.Series, dtype: str, written: str | None = None) -> tuple[pd.Series, list]:
    """Values of one column as `dtype`, and (mask, reason maker) for the values that cannot be read as it;
    `written`: the column's date format or number format, from the mapping."""
    if dtype.startswith("datetime64"):
        return parse_dates(values, written)
    if dtype in ("Int64", "float64"):
        return _numbers(values, dtype, written)
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


def _something(text: pd.Series) -> pd.Series:
    """Text with the common spellings of nothing (NaN, N/A, null, -) as missing: in a number or a date column
    they mean an empty cell, not a value to reject the row for."""
    return text.mask(text.str.lower().isin(NOTHING))


def clean_text(values: pd.Series) -> pd.Series:
    """Text stripped of surrounding spaces; an empty cell is missing."""
    s = values.astype("str").str.strip()
    return s.mask(s == "")


def parse_dates(values: pd.Series, date_format: str | None = None) -> tuple[pd.Series, list]:
    """Dates as written (ISO 8601, or `date_format`), in UTC without zone; (mask, reason maker) for the values
    that are unreadable, partial, out of range, or after tomorrow (history cannot be in the future; the reason
    leaves today's date out, so the same file gives the same rejects any day)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed, given, partial = values, values.notna(), pd.Series(False, index=values.index)
        if parsed.dt.tz is not None:
            parsed = parsed.dt.tz_convert(None)
    else:
        text = _something(clean_text(values))
        if date_format is None and serial_days(text):
            date_format = EXCEL
            first = text.dropna().iloc[0]
            log.info(f"{values.name}: holds numbers only, read as Excel serial day numbers ('{first}')")
        parsed, given, partial = read_dates(text, date_format), text.notna(), _partial(text, date_format)
    outside = parsed.notna() & ((parsed < _FIRST_DATE) | (parsed > _LAST_DATE))
    unreadable = given & parsed.isna() & ~partial
    parsed = parsed.mask(outside)
    latest = pd.Timestamp.now("UTC").tz_convert(None).normalize() + pd.Timedelta(days=2)
    future = parsed.notna() & (parsed >= latest)
    parsed = parsed.mask(future).astype(DATE)
    expected = {None: "YYYY-MM-DD", ISO: "YYYY-MM-DD", EXCEL: "an Excel serial day number"}.get(
        date_format, date_format
    )
    return parsed, [
        (unreadable, lambda v: "unparsable date '" + v + f"' (expected {expected})"),
        (partial, lambda v: "partial date '" + v + "' (no day): not read as the 1st"),
        (outside, lambda v: "date " + v + " is outside " + _DATE_RANGE),
        (future, lambda v: "date " + v + " is in the future"),
    ]


def serial_days(text: pd.Series) -> bool:
    """Every value a number in EXCEL_SERIALS: a spreadsheet's dates (or date-times) saved as numbers."""
    given = text.dropna()
    return len(given) > 0 and bool(pd.to_numeric(given, errors="coerce").between(*EXCEL_SERIALS).all())


def read_dates(text: pd.Series, date_format: str | None = None) -> pd.Series:
    """Text (as clean_text gives it) as dates without zone, NaT where `date_format` does not read a value or
    the value is a partial date. On the export's clock: a zone after a time is dropped (a strptime format's
    %z is applied, to UTC). `icp init` guesses with it, so its guess is what ingest reads."""
    if date_format == EXCEL:
        days = pd.to_numeric(text, errors="coerce")
        return pd.to_datetime(days.where(days >= _EXCEL_FIRST), unit="D", origin=_EXCEL_DAY0, errors="coerce")
    if date_format in (None, ISO):
        text = text.str.replace(_ZONE, r"\1", regex=True)
    parsed = pd.to_datetime(text, format=date_format or ISO, errors="coerce", utc=True).dt.tz_convert(None)
    return parsed.mask(_partial(text, date_format))


def _partial(text: pd.Series, date_format: str | None) -> pd.Series:
    """Year or year-month only, where ISO 8601 is read (a strptime format or excel never reads them)."""
    if date_format not in (None, ISO):
        return pd.Series(False, index=text.index)
    return text.str.fullmatch(_PARTIAL).fillna(False).astype(bool)


def format_dates(values: pd.Series, date_format: str | None = None) -> pd.Series:
    """Dates as a file writing `date_format` has them, which read_dates reads back: for the defaults and
    derived dates that fill a column beside the file's own values."""
    if date_format == EXCEL:
        return ((values - _EXCEL_DAY0) / pd.Timedelta(days=1)).astype("str")
    return values.dt.strftime("%Y-%m-%d" if date_format in (None, ISO) else date_format)


def is_date_format(date_format) -> bool:
    """ISO8601, excel, or a strptime format that reads back the date it writes, or its month ('%Y-%m': the
    mapping says partial dates are the 1st); not '%d/%m' (no year)."""
    if date_format in (ISO, EXCEL) or not isinstance(date_format, str):
        return date_format in (ISO, EXCEL)
    probe = pd.Timestamp("2001-02-03 04:05:06", tz="UTC")
    try:
        back = pd.to_datetime(probe.strftime(date_format), format=date_format, utc=True)
    except ValueError:
        return False
    return pd.notna(back) and back.normalize() in (probe.normalize(), probe.normalize().replace(day=1))


def _numbers(values: pd.Series, dtype: str, number_format: str | None = None) -> tuple[pd.Series, list]:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        number, given = values.astype("float64"), values.notna()
    else:
        text = _something(clean_text(values))
        number, given = _as_written(text, decimal_mark(number_format)), text.notna()
    number = number.where(np.isfinite(number))
    unreadable = given & number.isna()
    fraction = (number % 1 != 0) & number.notna() & (dtype == "Int64")
    number = number.mask(fraction).astype(dtype)
    return number, [
        (unreadable, lambda v: "unparsable number '" + v + "'"),
        (fraction, lambda v: values.name + " " + v + " is not a whole number"),
    ]


def decimal_mark(number_format: str | None) -> str | None:
    """The decimal mark a mapping's number format states: '1.234,56' -> ','; None when it states none."""
    return next((c for c in reversed(number_format) if c in ".,"), None) if number_format else None


def _as_written(text: pd.Series, decimal: str | None = None) -> pd.Series:
    """Numbers as people write money and shares, made plain: currency signs and codes, spaces and apostrophes
    dropped ($1,200.50, 1 200 EUR, 1'200), a trailing % divided by 100. The decimal mark is `decimal` when
    stated; else a comma is the column's decimal mark when some value ends in a comma and one or two digits
    and none in a point and one or two (1.200,50), and a thousands separator otherwise (1,200.50): one mark
    per column, so 1.200 reads as 1200 beside 3,50 and as 1.2 beside 3.50."""
    if decimal is None and not text.str.contains(_WRITTEN, regex=True).any():
        return pd.to_numeric(text, errors="coerce").astype("float64")
    plain = text.str.replace(_CURRENCY, "", regex=True).str.replace(r"[\s\u00a0']", "", regex=True)
    share = plain.str.endswith("%").fillna(False).astype(bool)
    plain = plain.str.removesuffix("%")
    if decimal is None:
        comma = plain.str.contains(r",\d{1,2}$").any() and not plain.str.contains(r"\.\d{1,2}$").any()
        decimal = "," if comma else "."
    thousands = "." if decimal == "," else ","
    plain = plain.str.replace(thousands, "", regex=False).str.replace(decimal, ".", regex=False)
    number = pd.to_numeric(plain, errors="coerce").astype("float64")
    return number.mask(share, number / 100)


def listed(cells: pd.Series) -> pd.Series:
    """The values a column lists in its cells (`Wordpress; Salesforce`), one per item, indexed by the cell's
    row: stripped, each once per cell (ignoring case). The column's most used of `;`, `|` and `,` splits."""
    text = clean_text(cells)
    sep = max(";|,", key=lambda s: int(text.str.contains(s, regex=False).sum()))
    items = text.str.split(sep).explode().str.strip()
    items = items[items.notna() & (items != "")]
    return items[~pd.MultiIndex.from_arrays([items.index, items.str.lower()]).duplicated()]


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
