"""Field history as dated snapshots. CRMs keep the history of a field as one row per recorded value (HubSpot's
property history: `Record ID, Property, Value, Timestamp`; Salesforce's field history: `AccountId, Field,
NewValue, CreatedDate`). The mapping's `history:` on the snapshots table names the column of the field's name,
the column of its value, and which field is which contract column:

    snapshots:
      file: company_property_history.csv
      columns: {account_id: Record ID, snapshot_date: Timestamp}
      history: {field: Property, value: Value, fields: {employees: Number of Employees,
                                                        annual_revenue: Annual Revenue}}

Rows of one account and time become one snapshot, with the fields recorded then; a field not recorded at that
time stays empty, and the features take each field's latest value before a deal (features/pointintime.py).
"""

import pandas as pd

from features.errors import ContractError
from features.parse import clean_text

KEYS = ("field", "value", "fields")


def check(history, at: str, measured: list[str]) -> None:
    """The `history:` key's structure; `measured`: the contract columns a field may fill."""
    if not isinstance(history, dict) or set(history) != set(KEYS) or not isinstance(history["fields"], dict):
        raise ContractError(
            f"{at}.history: needs exactly field (your column naming the field), value (your column of its "
            f"value) and fields (contract column: your field's name), not {history!r}"
        )
    wrong = sorted(set(history["fields"]) - set(measured))
    if wrong:
        raise ContractError(f"{at}.history.fields: {wrong[0]!r} is not one of {', '.join(measured)}")


def pivoted(frame: pd.DataFrame, history: dict, keys: list[str]) -> tuple[pd.DataFrame, str]:
    """One row per `keys` (your account and time columns) with a column per field, named as your field, from
    the history rows of the fields `history` names; and a note saying how many rows became how many."""
    names = {str(v).strip() for v in history["fields"].values()}
    field = clean_text(frame[history["field"]])
    rows = frame[field.isin(names)].assign(_field=field)
    wide = (
        rows.groupby([*keys, "_field"], dropna=False, sort=False)[history["value"]]
        .last()
        .unstack("_field")
        .reindex(columns=sorted(names))
        .reset_index()
    )
    note = (
        f"{len(rows):,} history rows of {', '.join(sorted(names))} (of {len(frame):,}) are "
        f"{len(wide):,} dated snapshots"
    )
    return wide, note
