"""`icp init`'s guess of each date column's format, from its values: ISO 8601 (any precision, `Z` or an
offset), day first or month first with `/`, `.` or `-` (a four- or two-digit year), English month names, with
or without a time, or Excel serial day numbers.
The formats are tried with the reader ingest uses (features/parse.py), so a guess is what ingest reads. A
column whose days are all 12 or less reads both ways: it takes the order another column settles, else day
first, and a note says so; what no format reads becomes a note too, never an error.
"""

import pandas as pd

from features.parse import EXCEL, ISO, read_dates, serial_days

# The formats tried on a date column: ISO 8601 first, then day first before month first (kept when the values
# cannot tell them apart and nothing else in the export does); two-digit years as a spreadsheet saves them
# (`1/31/24`), and English month names (`31-Jan-2024`, `Jan 31, 2024`).
DAYS = (
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%Y/%m/%d",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d.%m.%y",
    "%d-%m-%y",
)
MONTH_NAMES = ("%d-%b-%Y", "%d-%b-%y", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y")
DATE_FORMATS = (
    ISO,
    *(f"{day}{time}" for day in DAYS + MONTH_NAMES for time in ("", " %H:%M", " %H:%M:%S", " %I:%M %p")),
)


def readings(text: pd.Series) -> dict[str, pd.Series]:
    """The formats that read the most of a date column's values (`text`, none missing), each with the dates
    it reads, one per distinct reading: two when day first and month first both fit. Excel serial day numbers
    when every value is a number in their range (parse.serial_days); none when no format reads a value."""
    if serial_days(text):
        return {EXCEL: read_dates(text, EXCEL)}
    iso = read_dates(text, ISO)
    if iso.notna().all():  # most exports: no other format to try
        return {ISO: iso}
    read = {ISO: iso} | {f: read_dates(text, f) for f in DATE_FORMATS[1:]}
    most = max(dates.notna().sum() for dates in read.values())
    found = {}
    for f, dates in read.items():
        if most and dates.notna().sum() == most and not any(dates.equals(d) for d in found.values()):
            found[f] = dates
    return found


def _day(fmt: str) -> str:
    """A format's order of day, month and year: `%m/%d/%y 10:00` and `%m/%d/%Y` are one order."""
    return fmt.split(" ")[0].replace("%y", "%Y")


def settled(found: dict[str, dict[str, dict[str, pd.Series]]]) -> set[str]:
    """The date orders (a format without its time) that columns of the export read one way only, by table and
    column of `readings`: what decides a column that reads day first and month first alike."""
    return {
        _day(f) for columns in found.values() for reads in columns.values() if len(reads) == 1 for f in reads
    }


def date_formats(
    table: str, found: dict[str, dict[str, pd.Series]], texts: dict[str, pd.Series], orders: set[str]
) -> tuple[str | dict[str, str] | None, list[str]]:
    """The table's `date_format` from each date column's `readings` (`found`, of the values `texts`): one
    format when the columns agree (None for ISO 8601), else one per column; and notes on what to review. A
    column that reads both day first and month first takes the order another column of the export settles
    (`orders`, as `settled` gives them), else day first, with a note saying why."""
    chosen, notes = {}, []
    for c, reads in found.items():
        text, header = texts[c], texts[c].name
        if not reads:
            notes.append(
                f"{table}.{c}: no common format reads the dates of {header} (first: '{text.iloc[0]}'): set "
                f"date_format for it, or export its dates as YYYY-MM-DD"
            )
            continue
        fmt = chosen[c] = next((f for f in reads if _day(f) in orders), next(iter(reads)))
        others = [f for f in reads if f != fmt]
        mine, theirs = reads[fmt], reads[others[0]] if others else reads[fmt]
        differ = text[mine.notna() & theirs.notna() & (mine != theirs)]
        if len(differ):  # no day above 12: the values cannot tell day first from month first
            why = "like other dates of the export" if _day(fmt) in orders else "day first: nothing else tells"
            notes.append(
                f"{table}.{c}: no day in {header} is above 12, so '{differ.iloc[0]}' may be day first or "
                f"month first: read as {fmt} ({why}); if it is {' or '.join(others)}, write that instead"
            )
        if fmt == EXCEL:
            notes.append(
                f"{table}.{c}: {header} holds numbers, read as Excel serial day numbers ('{text.iloc[0]}' is "
                f"{reads[fmt].iloc[0]:%Y-%m-%d}): date_format {EXCEL}"
            )
        unread = text[reads[fmt].isna()]
        if len(unread):
            notes.append(
                f"{table}.{c}: {len(unread):,} of {len(text):,} values of {header} are no date in {fmt} "
                f"(first: '{unread.iloc[0]}'): ingest will reject their rows"
            )
    if len(set(chosen.values())) > 1:
        return chosen, notes
    fmt = next(iter(chosen.values()), ISO)
    return (None if fmt == ISO else fmt), notes
