"""The ranked target-account list as the three files people open: CSV (every account), Excel and HTML.

Called by the `score` stage with the ranked frame and the three files' paths (in the folder that becomes
`score.out`). The .xlsx (workbook.py) and .html (webpage.py) hold at most `rows_per_tier` rows per tier (Excel
stops at 1,048,576 rows, a browser slows down long before) and say so where a tier is cut; the .csv always has
every account. The .xlsx also has a Contacts sheet: contacts.csv's rows of the accounts it shows. Same input,
same bytes.
"""

from pathlib import Path

import pandas as pd

from models.contacts import CONTACT_COLUMNS
from pipeline.outputs.webpage import write_html
from pipeline.outputs.workbook import write_xlsx

# The CSV contract, in order (docs/outputs.md describes every column).
COLUMNS = [
    "rank",
    "account_id",
    "name",
    "domain",
    "tier",
    "strategic",
    "p_win",
    "predicted_value",
    "expected_value",
    "reason_1",
    "reason_2",
    "reason_3",
    "reason_against",
    "why_now",
    "roles_engaged",
    "roles_missing",
    "contacts",
    "industry",
    "employees",
    "country",
    "customer",
    "open_opportunity",
    "as_of",
]
TIERS = (1, 2, 3, 4)


def write_lists(
    targets: pd.DataFrame,
    files: dict[str, Path],
    rows_per_tier: int,
    title: str,
    warning: str | None = None,
    changes: pd.DataFrame | None = None,
    contacts: pd.DataFrame | None = None,
) -> dict:
    """Write the list to `files` ({"csv": path, "xlsx": path, "html": path}); returns the row counts of each
    (summary.json's `files`). `warning`: what readers of the .xlsx and .html must know before using the
    ranking, shown at the top. `changes`: what changed since the previous list (a refresh's), a sheet and a
    section of their own. `contacts`: contacts.csv's rows (models/contacts.py), for the Contacts sheet."""
    missing = [c for c in COLUMNS if c not in targets.columns]
    if missing:
        raise ValueError(f"write_lists: targets lacks columns {missing}")
    targets.to_csv(files["csv"], columns=COLUMNS, index=False, encoding="utf-8", lineterminator="\n")
    shown = targets.groupby("tier", sort=False).head(rows_per_tier)
    totals = {int(t): int(n) for t, n in targets["tier"].value_counts().items()}
    counts = {t: (int((shown["tier"] == t).sum()), totals.get(t, 0)) for t in TIERS}
    as_of = str(targets["as_of"].iloc[0]) if len(targets) else ""
    contacts = pd.DataFrame(columns=CONTACT_COLUMNS) if contacts is None else contacts
    contacts = contacts[contacts["account_id"].isin(shown["account_id"])]
    write_xlsx(shown, files["xlsx"], counts, title, as_of, warning, changes, contacts)
    write_html(shown, files["html"], counts, title, as_of, warning, changes)
    return {
        "csv": len(targets),
        "xlsx": len(shown),
        "html": len(shown),
        "truncated": {t: total for t, (n, total) in counts.items() if n < total},
    }
