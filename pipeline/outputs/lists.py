"""The ranked target-account list as the three files people open: CSV (every account), Excel and HTML.

Called by the `score` stage with the ranked frame and the temporary folder that becomes `score.out`. The .xlsx
and .html hold at most `rows_per_tier` rows per tier (Excel stops at 1,048,576 rows, a browser slows down long
before) and say so where a tier is cut; the .csv always has every account. Same input, same bytes.
"""

import datetime as dt
import html
import io
import math
import zipfile
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.xml.functions import tostring

# The CSV contract, in order (docs/outputs.md describes every column).
COLUMNS = ["rank", "account_id", "name", "domain", "tier", "strategic", "p_win", "predicted_value",
           "expected_value", "reason_1", "reason_2", "reason_3", "reason_against", "why_now", "industry",
           "employees", "country", "customer", "open_opportunity", "as_of"]
TIERS = (1, 2, 3, 4)
TIER_ROLES = {1: "one-to-one work", 2: "industry / persona personalisation", 3: "the larger programme list",
              4: "nurture automation"}

# (column, header, kind) of the Excel sheets; kind decides number format, alignment and sort.
SHEET = [("rank", "Rank", "int"), ("name", "Account", "text"), ("domain", "Domain", "text"),
         ("tier", "Tier", "int"), ("strategic", "Global/strategic", "flag"), ("p_win", "P(win)", "pct"),
         ("predicted_value", "Predicted deal value", "money"), ("expected_value", "Expected value", "money"),
         ("reason_1", "Reason 1", "text"), ("reason_2", "Reason 2", "text"), ("reason_3", "Reason 3", "text"),
         ("reason_against", "Reason against", "text"), ("why_now", "Why now", "text"),
         ("industry", "Industry", "text"), ("employees", "Employees", "money"),
         ("country", "Country", "text"),
         ("customer", "Customer", "flag"), ("open_opportunity", "Open opportunity", "flag"),
         ("account_id", "Account ID", "text")]
# The HTML table: the same columns, the three positive reasons in one cell so the page stays narrow.
PAGE = SHEET[:8] + [("reasons", "Reasons", "text")] + SHEET[11:]
NUMBER_FORMATS = {"int": "0", "pct": "0.0%", "money": "#,##0"}
MAX_WIDTH = 60  # characters, the widest an Excel column gets
PAGE_ROWS = 500  # rows the page lays out at once ("Show more" adds as many): thousands at once take seconds


def write_lists(targets: pd.DataFrame, folder: Path, rows_per_tier: int, title: str,
                warning: str | None = None) -> dict:
    """Write target_accounts.csv, .xlsx and .html into `folder`; returns row counts for the stage's log.
    `warning`: what readers of the .xlsx and .html must know before using the ranking, shown at the top."""
    missing = [c for c in COLUMNS if c not in targets.columns]
    if missing:
        raise ValueError(f"write_lists: targets lacks columns {missing}")
    folder = Path(folder)
    targets.to_csv(folder / "target_accounts.csv", columns=COLUMNS, index=False, encoding="utf-8",
                   lineterminator="\n")
    shown = targets.groupby("tier", sort=False).head(rows_per_tier)
    totals = {int(t): int(n) for t, n in targets["tier"].value_counts().items()}
    counts = {t: (int((shown["tier"] == t).sum()), totals.get(t, 0)) for t in TIERS}
    as_of = str(targets["as_of"].iloc[0]) if len(targets) else ""
    write_xlsx(shown, folder / "target_accounts.xlsx", counts, title, as_of, warning)
    (folder / "target_accounts.html").write_text(page(shown, counts, title, as_of, warning), encoding="utf-8")
    return {"csv": len(targets), "xlsx": len(shown), "html": len(shown),
            "truncated": {t: total for t, (n, total) in counts.items() if n < total}}


def truncation_note(tier: int, shown: int, total: int) -> str:
    """The one sentence both lists show under a cut tier, so nobody mistakes it for the whole tier."""
    return (f"showing the top {shown:,} of {total:,} accounts of Tier {tier}; "
            "the full list is target_accounts.csv")


def _is_missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _text(value) -> str:
    return "" if _is_missing(value) else str(value)


def _flag(value) -> bool:
    return not _is_missing(value) and bool(value)


def _formatted(values: pd.Series, kind: str) -> list[str]:
    """How a cell reads to a person (the HTML text, and the measure of an Excel column's width)."""
    if kind == "pct":
        return ["" if _is_missing(v) else f"{v:.1%}" for v in values]
    if kind == "money":
        return ["" if _is_missing(v) else f"{v:,.0f}" for v in values]
    if kind == "flag":
        return ["Yes" if _flag(v) else "" for v in values]
    return [_text(v) for v in values]


# --- Excel -------------------------------------------------------------------------------------------------

def _sheet_text(ws, value):
    """Text as Excel text: no control characters (openpyxl refuses them); `=...` never becomes a formula."""
    if _is_missing(value) or value == "":
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
        return "Yes" if _flag(value) else "No"
    if _is_missing(value):
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


def _tier_sheet(wb: Workbook, tier: int, rows: pd.DataFrame, shown: int, total: int) -> None:
    ws = wb.create_sheet(f"Tier {tier}")
    for i, (column, header, kind) in enumerate(SHEET, start=1):
        longest = max(map(len, _formatted(rows[column], kind)), default=0)
        ws.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH, max(len(header), longest) + 2)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(SHEET))}{len(rows) + 1}"
    ws.append(_header(ws, [header for _, header, _ in SHEET]))
    kinds = [kind for _, _, kind in SHEET]
    for values in rows[[column for column, _, _ in SHEET]].itertuples(index=False, name=None):
        ws.append([_sheet_value(ws, v, k) for v, k in zip(values, kinds)])
    if shown < total:
        note = WriteOnlyCell(ws, truncation_note(tier, shown, total))
        note.font = Font(italic=True)
        ws.append([])
        ws.append([note])


def _about_sheet(wb: Workbook, counts: dict, title: str, as_of: str, warning: str | None) -> None:
    ws = wb.create_sheet("About")
    for letter, width in zip("ABCD", (18, 12, 18, 90)):
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


def _fixed_zip(raw: bytes, core_xml: bytes, when: dt.datetime, path: Path) -> None:
    """Re-pack the workbook with fixed entry dates and document properties, so same input gives same bytes."""
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = core_xml if info.filename == "docProps/core.xml" else src.read(info)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6]), data)


def write_xlsx(shown: pd.DataFrame, path: Path, counts: dict, title: str, as_of: str,
               warning: str | None) -> None:
    """An "About" sheet, then one sheet per tier (write-only mode: memory stays flat)."""
    wb = Workbook(write_only=True)
    _about_sheet(wb, counts, title, as_of, warning)
    for tier, (n, total) in counts.items():
        _tier_sheet(wb, tier, shown[shown["tier"] == tier], n, total)
    when = dt.datetime.fromisoformat(as_of) if as_of else dt.datetime(1980, 1, 1)
    wb.properties.title, wb.properties.creator = title, "icp-pipeline"
    wb.properties.created = wb.properties.modified = when
    core_xml = tostring(wb.properties.to_tree())  # before save, which stamps `modified` with the clock
    raw = io.BytesIO()
    wb.save(raw)
    _fixed_zip(raw.getvalue(), core_xml, when, path)


# --- HTML --------------------------------------------------------------------------------------------------

STYLE = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;color:#1d2430}
header{padding:16px 20px 8px;background:#f4f6fa;border-bottom:1px solid #d8dee8}
h1{font-size:20px;margin:0 0 4px}
.meta,.note{margin:4px 0;color:#4a5568}
.note{color:#8a4b00}
.warning{margin:6px 0;padding:6px 10px;background:#fde8eb;color:#b00020;font-weight:600;border-radius:4px}
.bar{display:flex;flex-wrap:wrap;gap:6px;align-items:center;padding:10px 20px}
.bar button{font:inherit;border:1px solid #9aa8bc;background:#fff;border-radius:4px;padding:4px 10px;
  cursor:pointer}
.bar button[aria-pressed=true]{background:#1f4e99;border-color:#1f4e99;color:#fff}
.bar input{font:inherit;padding:4px 8px;min-width:260px;border:1px solid #9aa8bc;border-radius:4px}
#shown{color:#4a5568;margin-left:8px}
table{border-collapse:collapse;margin:0 20px 20px;font-size:13px}
th,td{padding:4px 8px;border-bottom:1px solid #e5e9f0;text-align:left;vertical-align:top}
thead th{position:sticky;top:0;background:#e9eef5;z-index:1}
thead th button{all:unset;cursor:pointer;font-weight:600;white-space:nowrap}
thead th[data-dir=asc] button::after{content:" \\25B2"}
thead th[data-dir=desc] button::after{content:" \\25BC"}
td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.w{min-width:220px;max-width:420px}
td.r div+div{margin-top:2px}
tr.strategic td:first-child{box-shadow:inset 4px 0 #c77d00}
.flag{background:#fdf0d5;color:#7a4d00;border-radius:3px;padding:0 4px;font-size:12px}
"""

SCRIPT = """
(function () {
  var table = document.getElementById("list"), body = table.tBodies[0], page = +table.dataset.page;
  var rows = Array.prototype.map.call(body.rows, function (tr, i) {
    return {tr: tr, i: i, text: tr.textContent.toLowerCase()};
  });
  var tier = "all", query = "", limit = page, fmt = new Intl.NumberFormat("en-US");
  var shown = document.getElementById("shown"), more = document.getElementById("more");
  function apply() {
    var n = 0;
    rows.forEach(function (r) {
      var match = (tier === "all" || r.tr.dataset.tier === tier) && (!query || r.text.indexOf(query) >= 0);
      r.tr.hidden = !(match && n < limit);
      if (match) n++;
    });
    shown.textContent = fmt.format(Math.min(n, limit)) + " of " + fmt.format(n) + " rows shown";
    more.hidden = n <= limit;
  }
  more.addEventListener("click", function () { limit += page; apply(); });
  document.querySelectorAll("[data-filter]").forEach(function (b) {
    b.addEventListener("click", function () {
      tier = b.dataset.filter;
      limit = page;
      document.querySelectorAll("[data-filter]").forEach(function (o) {
        o.setAttribute("aria-pressed", o === b);
      });
      apply();
    });
  });
  document.getElementById("q").addEventListener("input", function (e) {
    query = e.target.value.trim().toLowerCase();
    limit = page;
    apply();
  });
  var collate = new Intl.Collator().compare;
  function key(r, col, numeric) {
    var td = r.tr.cells[col];
    if (!numeric) return td.textContent;
    return td.dataset.v ? parseFloat(td.dataset.v) : null;
  }
  document.querySelectorAll("#list thead th").forEach(function (th, col) {
    th.querySelector("button").addEventListener("click", function () {
      var numeric = th.dataset.type === "num";
      var dir = th.dataset.dir ? (th.dataset.dir === "asc" ? "desc" : "asc") : th.dataset.first;
      document.querySelectorAll("#list thead th").forEach(function (o) { delete o.dataset.dir; });
      th.dataset.dir = dir;
      var sign = dir === "asc" ? 1 : -1;
      rows.forEach(function (r) { r.k = key(r, col, numeric); });
      rows.sort(function (a, b) {  // empty cells last in both directions, ties in rank order
        var x = a.k, y = b.k;
        if (x === null || x === "") return y === null || y === "" ? a.i - b.i : 1;
        if (y === null || y === "") return -1;
        var c = numeric ? x - y : collate(x, y);
        return c ? sign * c : a.i - b.i;
      });
      apply();
      var frag = document.createDocumentFragment();
      rows.forEach(function (r) { frag.appendChild(r.tr); });
      body.appendChild(frag);
    });
  });
  apply();
})();
"""


def _cells(rows: pd.DataFrame) -> list[tuple[str, ...]]:
    """Every cell of the page as escaped HTML, column by column; numbers carry their raw value to sort on."""
    columns = []
    for column, _, kind in PAGE:
        if column == "reasons":
            parts = zip(*(_formatted(rows[f"reason_{k}"], "text") for k in (1, 2, 3)))
            columns.append(['<td class="r w">' + "".join(f"<div>{html.escape(p)}</div>" for p in ps if p)
                            + "</td>" for ps in parts])
        elif kind in NUMBER_FORMATS:
            raw = ["" if _is_missing(v) else repr(float(v)) for v in rows[column]]
            columns.append([f'<td class="n" data-v="{v}">{html.escape(t)}</td>'
                            for v, t in zip(raw, _formatted(rows[column], kind))])
        elif kind == "flag":
            columns.append(['<td><span class="flag">Yes</span></td>' if t else "<td></td>"
                            for t in _formatted(rows[column], kind)])
        else:
            td = '<td class="w">' if column in ("reason_against", "why_now") else "<td>"
            columns.append([f"{td}{html.escape(t)}</td>" for t in _formatted(rows[column], kind)])
    return list(zip(*columns))


def _rows(rows: pd.DataFrame) -> str:
    """Rows past the first page start hidden, so the browser lays out one page, not thousands of rows."""
    out = []
    for i, (tier, strategic, tds) in enumerate(zip(rows["tier"], rows["strategic"], _cells(rows))):
        klass = ' class="strategic"' if _flag(strategic) else ""
        hidden = " hidden" if i >= PAGE_ROWS else ""
        out.append(f'<tr data-tier="{int(tier)}"{klass}{hidden}>{"".join(tds)}</tr>')
    return "\n".join(out)


def page(shown: pd.DataFrame, counts: dict, title: str, as_of: str, warning: str | None) -> str:
    """One self-contained page: styles and script inline, no address of any kind, every text escaped."""
    e = html.escape
    total = sum(t for _, t in counts.values())
    summary = " · ".join(f"Tier {t}: {n:,} accounts" for t, (_, n) in counts.items())
    notes = "".join(f'<p class="note">{e(truncation_note(t, s, n))}</p>'
                    for t, (s, n) in counts.items() if s < n)
    buttons = [f'<button type="button" data-filter="all" aria-pressed="true">All ({len(shown):,})</button>']
    buttons += [f'<button type="button" data-filter="{t}" aria-pressed="false">Tier {t} ({s:,})</button>'
                for t, (s, _) in counts.items()]
    heads = "".join(  # value columns sort high to low on the first click, the others A to Z / 1 to n
        f'<th data-type="{"num" if kind in NUMBER_FORMATS else "text"}" '
        f'data-first="{"desc" if kind in ("pct", "money") else "asc"}">'
        f'<button type="button">{e(label)}</button></th>' for _, label, kind in PAGE)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>{e(title)}</h1>
{f'<p class="warning" role="alert">{e(warning)}</p>' if warning else ""}
<p class="meta">Accounts as of {e(as_of)} · {total:,} accounts ranked by expected value = P(win) ×
predicted deal value · <span class="flag">Yes</span> under Global/strategic marks the largest enterprises</p>
<p class="meta">{summary}</p>
{notes}
</header>
<div class="bar">{"".join(buttons)}
<input id="q" type="search" placeholder="Filter: name, domain, industry, reason..." aria-label="Filter rows">
<span id="shown"></span></div>
<table id="list" data-page="{PAGE_ROWS}">
<thead><tr>{heads}</tr></thead>
<tbody>
{_rows(shown)}
</tbody>
</table>
<p class="bar"><button id="more" type="button" hidden>Show {PAGE_ROWS} more</button></p>
<script>{SCRIPT}</script>
</body>
</html>
"""
