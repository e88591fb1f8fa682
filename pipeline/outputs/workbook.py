"""The target list as an Excel workbook: an "About" sheet, "What changed" after a refresh, one sheet per tier,
then the contacts to work at Tier 1-2 accounts, laid out for people.

Same input, same bytes: the document properties and the zip entries' dates come from the list's date, never
from the clock.
"""

import datetime as dt
import io
import zipfile
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.xml.functions import tostring

from pipeline.outputs.layout import (
    CHANGED,
    CONTACT_SHEET,
    NUMBER_FORMATS,
    SHEET,
    flag,
    formatted,
    is_missing,
    truncation_note,
)

TIER_ROLES = {
    1: "one-to-one work",
    2: "industry / persona personalisation",
    3: "the larger programme list",
    4: "nurture automation",
}
MAX_WIDTH = 60  # characters, the widest an Excel column gets


def _sheet_text(ws, value):
    """Text as Excel text: no control characters (openpyxl refuses them); `=...` never becomes a formula."""
    if is_missing(value) or value == "":
        return None
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if not text.startswith("="):
        return text
    cell = WriteOnlyCell(ws, text)
    cell.data_type = "s"
    return cell


def _sheet_value(ws, value, kind: str):
    if kind == "text":
        return _sheet_text(ws, value)
    if kind == "flag":
        return "Yes" if flag(value) else "No"
    if is_missing(value):
        return None
    cell = WriteOnlyCell(ws, int(value) if kind == "int" else float(value))
    cell.number_format = NUMBER_FORMATS[kind]
    return cell


def _header(ws, labels: list[str]) -> list:
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE4EE")
    cells = []
    for label in labels:
        cell = WriteOnlyCell(ws, label)
        cell.font, cell.fill = bold, fill
        cells.append(cell)
    return cells


def _table_sheet(wb: Workbook, name: str, rows: pd.DataFrame, columns: list[tuple]):
    """A sheet of `rows` with `columns` ((column, header, kind), as layout.SHEET); header frozen."""
    ws = wb.create_sheet(name)
    for i, (column, header, kind) in enumerate(columns, start=1):
        longest = max(map(len, formatted(rows[column], kind)), default=0)
        ws.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH, max(len(header), longest) + 2)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    ws.append(_header(ws, [header for _, header, _ in columns]))
    kinds = [kind for _, _, kind in columns]
    for values in rows[[column for column, _, _ in columns]].itertuples(index=False, name=None):
        ws.append([_sheet_value(ws, v, k) for v, k in zip(values, kinds, strict=True)])
    return ws


def _tier_sheet(wb: Workbook, tier: int, rows: pd.DataFrame, shown: int, total: int) -> None:
    ws = _table_sheet(wb, f"Tier {tier}", rows, SHEET)
    if shown < total:
        note = WriteOnlyCell(ws, truncation_note(tier, shown, total))
        note.font = Font(italic=True)
        ws.append([])
        ws.append([note])


def _about_sheet(wb: Workbook, counts: dict, title: str, as_of: str, warning: str | None) -> None:
    ws = wb.create_sheet("About")
    for letter, width in zip("ABCD", (18, 12, 18, 90), strict=True):
        ws.column_dimensions[letter].width = width
    heading = WriteOnlyCell(ws, title)
    heading.font = Font(bold=True, size=14)
    ws.append([heading])
    if warning:
        alarm = WriteOnlyCell(ws, warning)
        alarm.font = Font(bold=True, color="B00020")
        ws.append([alarm])
    ws.append(["Accounts as of", as_of])
    ws.append(["Ranked by", "expected value = P(win) x predicted deal value"])
    ws.append([])
    ws.append(_header(ws, ["Tier", "Accounts", "In this workbook", "For"]))
    for tier, (shown, total) in counts.items():
        ws.append([f"Tier {tier}", total, shown, TIER_ROLES[tier]])
    ws.append(["All", sum(t for _, t in counts.values()), sum(s for s, _ in counts.values())])
    ws.append([])
    for tier, (shown, total) in counts.items():
        if shown < total:
            ws.append([truncation_note(tier, shown, total)])
    ws.append(["target_accounts.csv has every account, with P(win) at full precision."])
    ws.append(["The Contacts sheet names the contacts to work at the Tier 1-2 accounts shown, best first."])


def _fixed_zip(raw: bytes, core_xml: bytes, when: dt.datetime, path: Path) -> None:
    """Re-pack the workbook with fixed entry dates and document properties, so same input gives same bytes."""
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = core_xml if info.filename == "docProps/core.xml" else src.read(info)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6]), data)


def write_xlsx(
    shown: pd.DataFrame,
    path: Path,
    counts: dict,
    title: str,
    as_of: str,
    warning: str | None,
    changes: pd.DataFrame | None = None,
    contacts: pd.DataFrame | None = None,
) -> None:
    """An "About" sheet, a "What changed" one after a refresh, one sheet per tier, then "Contacts" when given
    (write-only mode: memory stays flat)."""
    wb = Workbook(write_only=True)
    _about_sheet(wb, counts, title, as_of, warning)
    if changes is not None:
        _table_sheet(wb, "What changed", changes, CHANGED)
    for tier, (n, total) in counts.items():
        _tier_sheet(wb, tier, shown[shown["tier"] == tier], n, total)
    if contacts is not None:
        _table_sheet(wb, "Contacts", contacts, CONTACT_SHEET)
    when = dt.datetime.fromisoformat(as_of) if as_of else dt.datetime(1980, 1, 1)
    wb.properties.title, wb.properties.creator = title, "icp-pipeline"
    wb.properties.created = wb.properties.modified = when
    core_xml = tostring(wb.properties.to_tree())  # before save, which stamps `modified` with the clock
    raw = io.BytesIO()
    wb.save(raw)
    _fixed_zip(raw.getvalue(), core_xml, when, path)
