"""The target list as one self-contained HTML page: the browser filters it by tier or text, sorts any column
and lays out one page of rows at a time. The markup, styles and script are pipeline/templates/target_list.*;
this module hands them the rows."""

from pathlib import Path

import pandas as pd

from pipeline.outputs import templating
from pipeline.outputs.layout import (
    CHANGED,
    NUMBER_FORMATS,
    PAGE,
    flag,
    formatted,
    is_missing,
    truncation_note,
)

PAGE_ROWS = 500  # rows the page lays out at once ("Show more" adds as many): thousands at once take seconds
# The page's columns: how their cells show ("wide": text that wraps) and sort (value columns high to low on
# the first click, the others A to Z / 1 to n).
PAGE_COLUMNS = [
    {
        "label": label,
        "first": "desc" if kind in ("pct", "money") else "asc",
        "kind": "reasons"
        if column == "reasons"
        else "number"
        if kind in NUMBER_FORMATS
        else "wide"
        if column in ("reason_against", "why_now", "roles_missing", "contacts")
        else kind,
    }
    for column, label, kind in PAGE
]


def _cells(rows: pd.DataFrame) -> list[tuple]:
    """Every cell of the page as the template shows it: numbers as (raw value to sort on, text), the reasons
    as the list of the non-empty ones, flags as booleans, the rest as text."""
    columns = []
    for column, _, kind in PAGE:
        if column == "reasons":
            parts = zip(*(formatted(rows[f"reason_{k}"], "text") for k in (1, 2, 3)), strict=True)
            columns.append([[p for p in ps if p] for ps in parts])
        elif kind in NUMBER_FORMATS:
            raw = ["" if is_missing(v) else repr(float(v)) for v in rows[column]]
            columns.append(list(zip(raw, formatted(rows[column], kind), strict=True)))
        elif kind == "flag":
            columns.append([flag(v) for v in rows[column]])
        else:
            columns.append(formatted(rows[column], kind))
    return list(zip(*columns, strict=True))


def _changed(changes: pd.DataFrame | None) -> dict | None:
    """A refresh's changes as the page's "What changed" table: headers and rows of text."""
    if changes is None:
        return None
    cells = [formatted(changes[column], kind) for column, _, kind in CHANGED]
    return {"headers": [header for _, header, _ in CHANGED], "rows": list(zip(*cells, strict=True))}


def write_html(
    shown: pd.DataFrame,
    path: Path,
    counts: dict,
    title: str,
    as_of: str,
    warning: str | None,
    changes: pd.DataFrame | None = None,
) -> None:
    """`counts`: tier -> (rows shown, accounts in the tier); `warning` opens the page when given; `changes`
    (a refresh's) make a "What changed" section above the list."""
    rows = [
        (int(tier), flag(strategic), cells)
        for tier, strategic, cells in zip(shown["tier"], shown["strategic"], _cells(shown), strict=True)
    ]
    page = templating.render(
        "target_list.html.j2",
        title=title,
        as_of=as_of,
        warning=warning,
        columns=PAGE_COLUMNS,
        rows=rows,
        page_rows=PAGE_ROWS,
        total=sum(total for _, total in counts.values()),
        tiers=[{"tier": t, "shown": s, "total": n} for t, (s, n) in counts.items()],
        notes=[truncation_note(t, s, n) for t, (s, n) in counts.items() if s < n],
        changed=_changed(changes),
    )
    Path(path).write_text(page, encoding="utf-8")
