"""Ingest: raw tables to canonical contract form, with a plain-language reason for every row left out.

Pure functions of data frames, so each rule is testable on a few rows; every table is read in chunks, so no
table is ever whole in memory. Each chunk's values are parsed (features/parse.py), contacts' empty seniority
and department derived from their titles (features/titles.py) and its rows checked (features/rules.py):
`check_rows`. What needs every row of a table (duplicate keys, duplicate accounts merged by domain, keys
across tables) then runs over the checked chunks of the keyed tables (features/keys.py), `keep_rows` keeps
their rows that passed, and the big tables without a key of their own are checked chunk by chunk against the
kept ids: `check_events`. A row is rejected once per problem, so the user sees everything wrong with it, but
counted once.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from features.contract import DOMAIN_KEY, DOMAIN_KEYED, REQUIRED_TABLES, SCHEMAS, TABLES, date_columns
from features.errors import ContractError
from features.keys import (
    DROP,
    EMPTY,
    ROW,
    Across,
    by_domain,
    origin_column,
    orphans,
    quoted,
    repoint,
    shown_column,
)
from features.rules import concat_issues, contract_problems, custom_values, normalise, origins, shown
from features.titles import fill_from_titles

REJECT_COLUMNS = ["table", "row", "column", "value", "reason"]
# Tables with no key of their own (the big ones): checked chunk by chunk against the keyed tables' kept ids.
STREAMED = DOMAIN_KEYED
KEYED = tuple(t for t in TABLES if t not in STREAMED)
FILLED = "_filled_"  # a contacts column whose empty value was derived from the title (its prefix)


@dataclass(frozen=True)
class Checked:
    """One chunk of a table after the rules of its rows."""

    rows: pd.DataFrame  # keyed: every row, with ROW, DROP and the quoted texts; streamed: the kept rows
    issues: pd.DataFrame  # every problem and cleared value: row (0-based, in the file), column, value, ...
    rows_in: int


def check_rows(
    name: str,
    raw: pd.DataFrame,
    file: str,
    offset: int,
    date_formats: dict[str, str] | None = None,
    scales: dict[str, float] | None = None,
    custom: dict[str, str] | None = None,
) -> Checked:
    """Rows `offset` + 1 ... of keyed table `name` from `file`, parsed (dates as `date_formats[column]`
    says, ISO 8601 by default; numbers times `scales[column]`) and checked one by one; with their `custom`
    fields (field: kind, features/custom.py). Every row is kept, DROP saying which a rule rejected: the
    rules across rows (features/keys.py) count them too."""
    raw = _headers(name, raw, file, need_rows=offset == 0)
    canon, parse = normalise(name, raw, date_formats, scales)
    filled = None
    if name == "contacts":  # many exports carry only a title: seniority and department from it
        canon, filled = fill_from_titles(canon)
    issues = [parse, contract_problems(name, canon, raw, parse)]
    if custom:
        values, cleared = custom_values(raw, custom)
        canon = canon.join(values)
        issues += cleared
    found = concat_issues(issues)
    extra = {ROW: raw.index + offset, DROP: canon.index.isin(_dropped(found))}
    if name == "accounts":
        extra[EMPTY] = canon.isna().sum(axis=1)  # ranks duplicate accounts: the most complete is kept
    for col in quoted(name):
        # dates as they are: their text is made only for the few rows a rule across rows quotes
        is_date = pd.api.types.is_datetime64_any_dtype(raw[col])
        extra[shown_column(col)] = raw[col] if is_date else shown(raw[col]).to_numpy()
        extra[origin_column(col)] = origins(raw, col)
    if filled is not None:
        extra |= {FILLED + col: filled[col] for col in filled}
    return Checked(canon.assign(**extra), _quote(found, raw, offset), len(raw))


def keep_rows(name: str, rows: pd.DataFrame, found: Across) -> tuple[pd.DataFrame, dict[str, int]]:
    """The checked `rows` of a keyed table that no rule rejected, references to merged accounts re-pointed
    and dangling parents cleared, in contract form; and (contacts) how many kept cells came from titles."""
    kept = rows[~rows[DROP] & ~np.isin(rows[ROW], found.gone[name])]
    if name == "accounts":
        kept = repoint(kept, found.repointing(), ("account_id", "parent_account_id"))
        kept = kept.assign(
            parent_account_id=kept["parent_account_id"].mask(np.isin(kept[ROW], found.cleared))
        )
    else:
        kept = repoint(kept, found.repointing())
    derived = {
        c.removeprefix(FILLED) + "_from_title": int(kept[c].sum()) for c in kept if c.startswith(FILLED)
    }
    return kept.drop(columns=[c for c in kept if c.startswith("_")]).reset_index(drop=True), derived


def check_events(
    name: str,
    raw: pd.DataFrame,
    file: str,
    offset: int,
    found: Across,
    domains: Callable[[], pd.Series] | None = None,
    date_formats: dict[str, str] | None = None,
    scales: dict[str, float] | None = None,
) -> Checked:
    """Rows `offset` + 1 ... of a STREAMED table, checked like the keyed ones and against the accounts (and
    contacts) `found` kept, so a table of any length is validated in chunks of bounded memory; `domains()`:
    the kept accounts' ids by domain, for a table keyed by account_domain."""
    raw = _headers(name, raw, file, need_rows=False)
    unmatched = concat_issues([])
    if "account_id" not in raw:
        raw, unmatched = by_domain(raw, domains())
    canon, parse = normalise(name, raw, date_formats, scales)
    issues = [unmatched, parse, contract_problems(name, canon, raw, parse)]
    drop = _dropped(concat_issues(issues))
    kept = repoint(canon.drop(index=drop) if len(drop) else canon, found.repointing())
    for col, table in (("account_id", "accounts"), ("contact_id", "contacts")):
        if col not in kept or table not in found.kept:
            continue
        # the chunk's ids read where they are (not copied), and let go after: a memtable would stay registered
        found.con.con.register("_chunk", pa.table({ROW: kept.index.to_numpy(), col: pa.array(kept[col])}))
        key = found.kept[table].select(found.kept[table].columns[0])
        hit = orphans(found.con.table("_chunk"), col, key, found.rejected[table])
        found.con.con.unregister("_chunk")
        issues.append(hit)
        if col == "account_id":
            kept = kept.drop(index=hit["row"]) if len(hit) else kept
        elif len(hit):
            kept = kept.assign(**{col: kept[col].mask(kept.index.isin(hit["row"]))})
    return Checked(kept.reset_index(drop=True), _quote(concat_issues(issues), raw, offset), len(raw))


def _headers(name: str, df: pd.DataFrame, file: str, need_rows: bool = True) -> pd.DataFrame:
    """Column names matched ignoring case and surrounding spaces; a missing contract column is fatal (an
    enrichment table may give account_domain for account_id; an optional column may be left out)."""
    given = [str(c) for c in df.columns]
    df = df.rename(columns=lambda c: str(c).strip().lower()).reset_index(drop=True)
    twice = df.columns[df.columns.duplicated()]
    if len(twice):
        same = [c for c in given if c.strip().lower() == twice[0]]
        raise ContractError(
            f"{file}: columns {' and '.join(map(repr, same))} are one name ignoring case and spaces: "
            "rename or drop one of them"
        )
    keyed_by_domain = name in DOMAIN_KEYED and DOMAIN_KEY in df.columns
    missing = [
        c
        for c, col in SCHEMAS[name].columns.items()
        if c not in df.columns and col.required and not (c == "account_id" and keyed_by_domain)
    ]
    if missing:
        raise ContractError(
            f"{file}: missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}, "
            f"required by the data contract (docs/data_contract.md). The file has: {', '.join(df.columns)}. "
            f"Add the column (values may be empty where the contract allows it) or rename yours to it."
        )
    if need_rows and name in REQUIRED_TABLES and df.empty:
        raise ContractError(f"{file}: no data rows, but the {name} table is required. Export its rows.")
    return df


def _dropped(found: pd.DataFrame) -> np.ndarray:
    """The rows a problem drops (a cleared value keeps its row)."""
    return np.unique(found.loc[found["kind"] == "drop", "row"].to_numpy())


def _quote(found: pd.DataFrame, raw: pd.DataFrame, offset: int) -> pd.DataFrame:
    """Issues with the source value of each cell (and where a looked-up one came from), rows after `offset`
    rows of earlier chunks, in row order."""
    found = found.assign(value="")
    for col, group in found[found["column"] != ""].groupby("column"):
        cells = raw.iloc[group["row"]]
        found.loc[group.index, "value"] = shown(cells[col]).to_numpy()
        found.loc[group.index, "reason"] += origins(cells, col)
    found["row"] += offset
    return found.sort_values("row", kind="stable").reset_index(drop=True)


def rejects(issues: dict[str, list[pd.DataFrame]]) -> pd.DataFrame:
    """Every table's issues as rejects.csv lists them: in table then row order, 1-based rows, with kind."""
    every = []
    for name in (t for t in TABLES if t in issues):
        found = concat_issues(issues[name]).assign(table=name)
        every.append(
            found.reindex(columns=[*REJECT_COLUMNS, "kind"], fill_value="").sort_values("row", kind="stable")
        )
    every = pd.concat(every, ignore_index=True)
    return every.assign(row=every["row"] + 1)


def counts(rows_in: int, rows_kept: int, found: pd.DataFrame) -> dict[str, int]:
    """A table's counts: rows in, kept and rejected, and values cleared in its `found` issues."""
    cleared = int((found["kind"] == "clear").sum()) if len(found) else 0
    return {
        "rows_in": rows_in,
        "rows_kept": rows_kept,
        "rows_rejected": rows_in - rows_kept,
        "values_cleared": cleared,
    }


def _remedy(table: str, column: str) -> str:
    """What a mapping can do about a column's rejects: a date column's format, else recoded values."""
    if column in date_columns(table):
        return "give the column's format under `date_format:` in a mapping: `icp init` guesses it"
    return "map the values under `values:`"


def too_many_rejects(
    every: pd.DataFrame, table_counts: dict[str, dict], files: dict[str, str], max_share: float
) -> str | None:
    """Why a required table lost more than `max_share` of its rows to data problems (merges do not count),
    quoting the column that lost the most rows."""
    for name in REQUIRED_TABLES:
        problems = every[(every["table"] == name) & (every["kind"] == "drop")]
        bad, rows = problems["row"].nunique(), table_counts[name]["rows_in"]
        if bad > max_share * rows:
            # the column with the most rejected rows is the likely cause (an unmapped stage), not row 1
            per_column = problems.groupby("column", sort=False)["row"].nunique()
            cause = per_column.index[per_column.to_numpy().argmax()]
            first = problems[problems["column"] == cause].iloc[0]
            return (
                f"{files[name]}: {bad:,} of {rows:,} rows ({bad / rows:.0%}) rejected, more than "
                f"ingest.max_reject_share = {max_share}; {per_column[cause]:,} of them for column {cause}, "
                f"first: row {first['row']}, value '{first['value']}': {first['reason']}. "
                f"Fix the file (or {_remedy(name, cause)}), or raise ingest.max_reject_share "
                f"in params.yaml (icp run: --set ingest.max_reject_share=...)."
            )
    return None


def no_closed_deals(stages: pd.Series, files: dict[str, str]) -> str | None:
    """Why there is nothing to learn from: no won or lost deal among the kept deals' `stages` (a count by
    stage)."""
    if stages.reindex(["won", "lost"]).fillna(0).sum() > 0:
        return None
    stages = stages[stages > 0].astype("int64").sort_values(ascending=False, kind="stable")
    found = ", ".join(f"{v} ({n:,})" for v, n in stages.items()) or "no valid rows"
    return (
        f"{files['opportunities']}: column stage has no won or lost deal to learn from (kept rows: {found}). "
        f"Export closed deals too, or map your closed stages to won and lost (tables.opportunities.values)."
    )
