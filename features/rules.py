"""Row rules: one table in contract form, and what is wrong with its rows, in plain words.

The pandera schemas of features/contract.py find the failures; this module says them as a user reads them,
quoting the value as the file has it (before a mapping's `scale:`; a looked-up value with the file, column
and key it came from). Every problem is an `issue` (rows, column, reason, and whether the row is dropped,
merged or kept with a value cleared), the form features/keys.py and features/ingest.py use too.
- Industries, countries and every coded column are matched ignoring case and aliases.
- Only the deal's stage and type are closed lists: they define what is learned. Every other coded column
  (industry, country, ownership, lead source, activity type, technology category, trigger type, seniority,
  department, ...) is an open vocabulary: a known spelling or alias becomes its canonical form, any other
  value stays the export's own word (LinkedIn's, Marketo's, a team's), and the model learns from it as it is.
- An open deal's close_date is the date it is expected to close (Salesforce fills it): cleared, row kept.
"""

from functools import cache

import numpy as np
import pandas as pd
import pandera.pandas as pandera

from features import custom
from features.contract import SCHEMAS, STAGES
from features.normalize import (
    canonical_country,
    canonical_industry,
    normalise_domain,
    pricing_visits,
    region_of,
)
from features.parse import canonical_codes, clean_text, listed, parse_as

CLEARED = "cleared, row kept"
LOOKED_UP = "lookup:"  # a mapped table's columns saying where a looked-up value came from
_SPECIAL = {"industry": canonical_industry, "country": canonical_country, "domain": normalise_domain}


def normalise(
    name: str,
    raw: pd.DataFrame,
    formats: dict[str, str] | None = None,
    scales: dict[str, float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The table in contract form (contract columns and dtypes, index = source row - 1); parse problems. Dates
    and numbers are read in their column's format of `formats` (a mapping's date_format and number_format),
    ISO 8601 and the decimal mark the values tell by default; numbers are multiplied by their column's factor
    of `scales`."""
    out, issues, source = {}, [], raw
    if name == "opportunities":  # an open deal's close_date is an expected date, often in the future: cleared
        stage = canonical_codes(clean_text(raw["stage"]), STAGES)
        expected = (stage == "open") & clean_text(raw["close_date"]).notna()
        issues.append(
            issue(
                raw.index[expected],
                "close_date",
                "open deal's close_date is the date it is expected to close, not an outcome: " + CLEARED,
                "clear",
            )
        )
        source = raw.assign(close_date=raw["close_date"].mask(expected))
    for col, spec in SCHEMAS[name].columns.items():
        if col not in source and not spec.required:  # an optional column the file leaves out: none
            continue
        values, bad = _read(source[col], str(spec.dtype), (formats or {}).get(col), (scales or {}).get(col))
        for mask, reason in bad:
            issues.append(issue(raw.index[mask], col, reason(shown(raw[col][mask]))))
        if col in _SPECIAL:
            values = _SPECIAL[col](values)
        elif spec.checks and spec.checks[0].name == "isin":
            values = canonical_codes(values, spec.checks[0].statistics["allowed_values"])
        elif spec.metadata:
            values = canonical_codes(values, spec.metadata["known"])
        out[col] = values
    if name == "activities" and "detail" in out:
        out["activity_type"] = pricing_visits(out["activity_type"], out["detail"])
    if "region" in out:
        out["region"] = out["region"].fillna(region_of(out["country"]))
    df = pd.DataFrame(out, index=raw.index)
    return df.astype({c: "str" for c in df if df[c].dtype == object}), concat_issues(issues)


def _read(values: pd.Series, dtype: str, written: str | None, scale: float | None) -> tuple[pd.Series, list]:
    """parse_as, with a mapping's `scale:` factor applied to the number before it is read as `dtype`
    (employees in thousands: 1.5 is 1500): the contract's checks judge the scaled number, reasons quote the
    file's."""
    if scale is None:
        return parse_as(values, dtype, written)
    number, bad = parse_as(values, "float64", written)
    scaled, more = parse_as(number * scale, dtype)
    return scaled, bad + more


# The contract's column checks in plain words: (column, its values as text, check statistics) -> reasons.
_CHECKS = {
    "isin": lambda col, v, s: col + " '" + v + "' is not one of " + ", ".join(s["allowed_values"]),
    "in_range": lambda col, v, s: col + " " + v + f" is outside {s['min_value']} to {s['max_value']}",
    "greater_than_or_equal_to": lambda col, v, s: col + " " + v + f" is less than {s['min_value']}",
}
# The contract's table-wide rules in plain words: (column blamed, other columns involved, reason from texts).
_RULES = {
    "close_date >= created_date": (
        "close_date",
        ["created_date"],
        lambda t: "close_date " + t["close_date"] + " is before created_date " + t["created_date"],
    ),
    "closed deals have a close_date, open deals none": (
        "close_date",
        ["stage"],
        lambda t: np.where(
            t["close_date"] == "",
            t["stage"].str.lower() + " deal has no close_date",
            "open deal has a close_date " + t["close_date"],
        ),
    ),
    "won deals have an amount": (
        "amount",
        ["stage"],
        lambda t: t["stage"].str.lower() + " deal has no amount",
    ),
    "last_seen >= first_seen": (
        "last_seen",
        ["first_seen"],
        lambda t: "last_seen " + t["last_seen"] + " is before first_seen " + t["first_seen"],
    ),
}


def contract_problems(name: str, df: pd.DataFrame, raw: pd.DataFrame, parse: pd.DataFrame) -> pd.DataFrame:
    """The pandera schema's failures, in plain words. A cell already rejected when parsed is not blamed again,
    and a table-wide rule is not blamed on a row whose columns it involves already failed their own checks.
    Unique keys are not checked here: `df` is one chunk of the table (features/keys.py checks them)."""
    schema = _row_schema(name)
    try:
        schema.validate(df, lazy=True)
        return concat_issues([])
    except pandera.errors.SchemaErrors as e:
        failures = e.failure_cases
    failures = failures[failures["index"].notna()].astype({"index": "int64"})
    wide = failures["check_number"].notna() & (failures["schema_context"] == "DataFrameSchema")
    cells = concat_issues(
        [_cell_problems(schema, raw, f) for _, f in failures[~wide].groupby(["column", "check"], sort=False)]
    )
    cells = cells.drop_duplicates(["row", "column", "reason"])
    cells = cells[~_cell(cells).isin(_cell(parse))]
    blamed = concat_issues([parse, cells])
    rules = [
        _rule_problems(schema.checks[int(n)].name, raw, f["index"].unique(), blamed)
        for n, f in failures[wide].groupby("check_number")
    ]
    return concat_issues([cells, *rules])


@cache
def _row_schema(name: str) -> pandera.DataFrameSchema:
    """The contract's schema of table `name` without its unique keys: the checks of each row on its own."""
    schema = SCHEMAS[name].update_columns({c: {"unique": False} for c in SCHEMAS[name].columns})
    schema.unique = None
    return schema


def _cell(issues: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_frame(issues[["row", "column"]])


def _cell_problems(schema: pandera.DataFrameSchema, raw: pd.DataFrame, f: pd.DataFrame) -> pd.DataFrame:
    col, check, number = f["column"].iloc[0], f["check"].iloc[0], f["check_number"].iloc[0]
    rows = f["index"].to_numpy()
    text = shown(raw[col].iloc[rows])
    if check == "not_nullable":
        return issue(rows, col, col + " is empty")
    spec = schema.columns[col].checks[int(number)] if pd.notna(number) else None
    if spec is not None and spec.name in _CHECKS:
        return issue(rows, col, _CHECKS[spec.name](col, text, spec.statistics))
    return issue(rows, col, col + " '" + text + f"' fails the contract check {check}")


def _rule_problems(rule: str, raw: pd.DataFrame, rows: np.ndarray, blamed: pd.DataFrame) -> pd.DataFrame:
    if rule not in _RULES:
        return issue(rows, "", f"breaks the contract rule '{rule}'")
    col, others = _RULES[rule][:2]
    involved = blamed[blamed["column"].isin([col, *others])]["row"]
    rows = np.setdiff1d(rows, involved.to_numpy())
    texts = pd.DataFrame({c: shown(raw[c].iloc[rows]) for c in [col, *others]})
    return issue(rows, col, _RULES[rule][2](texts))


def issue(rows, column: str, reason, kind: str = "drop") -> pd.DataFrame:
    """Problems by 0-based source row; `kind`: the row is dropped, merged, or kept with a value cleared."""
    rows = np.asarray(rows, dtype="int64")
    reason = np.asarray(reason, dtype=object) if not isinstance(reason, str) else reason
    return pd.DataFrame({"row": rows, "column": column, "reason": reason, "kind": kind})


def concat_issues(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else issue([], "", [])


def shown(values: pd.Series) -> pd.Series:
    """Source values as text, as the user would find them in the file ('' when empty)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        text = values.dt.strftime("%Y-%m-%d %H:%M:%S").str.removesuffix(" 00:00:00")
    else:
        text = values.astype("str")
    return text.where(values.notna(), "").reset_index(drop=True)


def looked_up(column: str) -> str:
    """The column of a mapped table saying, per row, where a looked-up value of `column` came from."""
    return LOOKED_UP + column


def origins(cells: pd.DataFrame, column: str) -> np.ndarray | str:
    """' (looked up in products.csv, sales_price of GTX Pro)' for the `cells` whose `column` a mapping looked
    up in another file ('' for the others): added to a reason, it says whose value is wrong."""
    if looked_up(column) not in cells:
        return ""
    said = shown(cells[looked_up(column)])
    return np.where(said != "", " (" + said + ")", "")


def custom_values(rows: pd.DataFrame, fields: dict[str, str]) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """A table's custom fields (field: kind, features/custom.py) read as their kinds, in their column(); a
    value that is not of its kind is cleared, the row kept."""
    out, problems = {}, []
    for field, kind in fields.items():
        raw = rows[custom.column(field)]
        if kind == "number":  # "1,200" or "n/a" is no number: cleared, quoted, the account kept
            values, bad = parse_as(raw.rename(field), "float64")
            for mask, reason in bad:
                said = reason(shown(raw[mask])) + f" in custom field {field}: " + CLEARED
                problems.append(issue(raw.index[mask], custom.column(field), said, "clear"))
        else:
            values = _listed(raw) if kind == "list" else clean_text(raw)
        out[custom.column(field)] = values
    return pd.DataFrame(out, index=rows.index), problems


def _listed(cells: pd.Series) -> pd.Series:
    """A list cell's values (parse.listed) kept as one text, joined by custom.JOINED."""
    joined = listed(cells).groupby(level=0).agg(custom.JOINED.join)
    return pd.Series(joined.reindex(cells.index), dtype="str")
