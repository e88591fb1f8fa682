"""Ingest: raw tables to canonical contract form, with a plain-language reason for every row left out.

Pure functions of data frames, so each rule is testable on a few rows. This module runs the steps in order and
counts: values parsed (features/parse.py), contacts' empty seniority and department derived from their titles
(features/titles.py), each table's rows checked (features/rules.py), then duplicate accounts merged and keys
checked across tables (features/keys.py). A row is rejected once per problem, so the user sees everything
wrong with it, but counted once.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.contract import DOMAIN_KEY, DOMAIN_KEYED, REQUIRED_TABLES, SCHEMAS, TABLES, date_columns
from features.errors import ContractError
from features.keys import by_domain, check_keys, merge_duplicate_accounts, repoint
from features.rules import concat_issues, contract_problems, custom_values, issue, normalise, origins, shown
from features.titles import fill_from_titles

REJECT_COLUMNS = ["table", "row", "column", "value", "reason"]
# Tables with no key of their own (the big ones): checked chunk by chunk against the keyed tables' kept ids.
STREAMED = DOMAIN_KEYED


@dataclass(frozen=True)
class Ingested:
    tables: dict[str, pd.DataFrame]  # kept rows: contract columns, canonical values, contract dtypes
    rejects: pd.DataFrame  # REJECT_COLUMNS, every problem, merged duplicate and cleared value
    problems: pd.DataFrame  # the rejects that removed a row because of a data problem
    merges: pd.DataFrame  # duplicate_account_id, kept_account_id, domain
    # per table: rows_in, rows_kept, rows_rejected, values_cleared; contacts also seniority_from_title and
    # department_from_title, the kept rows whose empty value was derived from the title
    counts: dict[str, dict[str, int]]
    canon: dict[str, pd.DataFrame]  # accounts and contacts before rejection: to explain a later orphan


def ingest(
    raw: dict[str, pd.DataFrame],
    files: dict[str, str],
    source: str,
    date_formats: dict[str, dict[str, str]] | None = None,
    custom: dict[str, dict[str, str]] | None = None,
    scales: dict[str, dict[str, float]] | None = None,
) -> Ingested:
    """Normalise, validate, merge duplicate accounts and check keys of the `raw` tables read from `files`
    (dates as `date_formats[table][column]` says, ISO 8601 by default; numbers times their mapping's factor,
    `scales[table][column]`); accounts and deals keep their `custom` fields (`custom[table]`: field: kind,
    features/custom.py) beside the contract's columns."""
    for name in REQUIRED_TABLES:
        if name not in raw:
            raise ContractError(
                f"{source}: no {name}.csv or {name}.parquet. The {name} table is required "
                f"(docs/data_contract.md): export it into that folder."
            )
    raw = {name: _headers(name, df, files[name]) for name, df in raw.items() if name in TABLES}
    canon, issues, filled = {}, {}, {}
    for name, df in raw.items():
        canon[name], parse = normalise(name, df, (date_formats or {}).get(name), (scales or {}).get(name))
        if name == "contacts":  # many exports carry only a title: seniority and department from it
            canon[name], filled[name] = fill_from_titles(canon[name])
        issues[name] = [parse, contract_problems(name, canon[name], df, parse)]
        if (custom or {}).get(name):
            values, cleared = custom_values(df, custom[name])
            canon[name] = canon[name].join(values)
            issues[name] += cleared
    kept = {name: canon[name].drop(index=_rows(issues[name])) for name in canon}
    kept["accounts"], merges = merge_duplicate_accounts(kept["accounts"])
    issues["accounts"].append(
        issue(
            merges.index,
            "domain",
            "duplicate of "
            + merges["kept_account_id"]
            + " (same domain "
            + merges["domain"]
            + "): merged into it",
            "merge",
        )
    )
    repoint(kept, merges)
    check_keys(kept, canon, issues, list(kept))
    return _result(raw, kept, issues, merges, canon, filled=filled)


def ingest_part(
    name: str,
    raw: pd.DataFrame,
    file: str,
    base: Ingested,
    offset: int,
    date_formats: dict[str, str] | None = None,
    scales: dict[str, float] | None = None,
) -> Ingested:
    """Rows `offset` + 1 ... of a STREAMED table, checked like `ingest` does against the accounts (and
    contacts) that `base` kept, so a table of any length is validated in chunks of bounded memory."""
    raw = _headers(name, raw, file, need_rows=False)
    unmatched = issue([], "", [])
    if "account_id" not in raw:
        raw, unmatched = by_domain(raw, base.tables["accounts"])
    canon, parse = normalise(name, raw, date_formats, scales)
    issues = {name: [unmatched, parse, contract_problems(name, canon, raw, parse)]}
    kept = {name: canon.drop(index=_rows(issues[name]))}
    repoint(kept, base.merges)
    kept |= {t: base.tables[t] for t in ("accounts", "contacts") if t in base.tables}
    check_keys(kept, base.canon, issues, [name])
    return _result({name: raw}, {name: kept[name]}, issues, base.merges, base.canon, offset)


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


def _rows(frames: list[pd.DataFrame]) -> np.ndarray:
    """The rows a problem drops (a cleared value keeps its row)."""
    found = concat_issues(frames)
    return np.unique(found.loc[found["kind"] == "drop", "row"].to_numpy())


def _result(raw, kept, issues, merges, canon, offset: int = 0, filled=None) -> Ingested:
    """Rejects with the source value of each cell (and where a looked-up one came from), 1-based rows (after
    `offset` rows of earlier chunks), in table then row order; counts per table, with the kept cells
    `filled[table]` says were derived."""
    found, counts = [], {}
    for name in (t for t in TABLES if t in raw):
        table = concat_issues(issues[name])
        table["value"] = ""
        for col, group in table[table["column"] != ""].groupby("column"):
            cells = raw[name].iloc[group["row"]]
            table.loc[group.index, "value"] = shown(cells[col]).to_numpy()
            table.loc[group.index, "reason"] += origins(cells, col)
        found.append(table.assign(table=name))
        counts[name] = {
            "rows_in": len(raw[name]),
            "rows_kept": len(kept[name]),
            "rows_rejected": len(raw[name]) - len(kept[name]),
            "values_cleared": int((table["kind"] == "clear").sum()),
        }
        if name in (filled or {}):
            derived = filled[name].loc[kept[name].index]
            counts[name] |= {f"{col}_from_title": int(n) for col, n in derived.sum().items()}
        kept[name] = kept[name].reset_index(drop=True)
    every = pd.concat(found, ignore_index=True).sort_values("row", kind="stable")
    every = every.sort_values("table", key=lambda t: t.map(TABLES.index), kind="stable")
    every = every.reset_index(drop=True)
    every["row"] += 1 + offset
    problems = every[every["kind"] == "drop"][REJECT_COLUMNS].reset_index(drop=True)
    keyed = {t: canon[t] for t in ("accounts", "contacts") if t in canon}
    return Ingested(kept, every[REJECT_COLUMNS], problems, merges.reset_index(drop=True), counts, keyed)


def combined(name: str, parts: list[Ingested], base: Ingested) -> Ingested:
    """The chunks of one streamed table as one result: their rejects, problems and counts together."""
    counts = {k: sum(p.counts[name][k] for p in parts) for k in parts[0].counts[name]} if parts else {}
    return Ingested(
        {},
        *(pd.concat([getattr(p, f) for p in parts], ignore_index=True) for f in ("rejects", "problems")),
        base.merges,
        {name: counts},
        {},
    )


def _remedy(table: str, column: str) -> str:
    """What a mapping can do about a column's rejects: a date column's format, else recoded values."""
    if column in date_columns(table):
        return "give the column's format under `date_format:` in a mapping: `icp init` guesses it"
    return "map the values under `values:`"


def too_many_rejects(result: Ingested, files: dict[str, str], max_share: float) -> str | None:
    """Why a required table lost more than `max_share` of its rows to data problems (merges do not count),
    quoting the column that lost the most rows."""
    for name in REQUIRED_TABLES:
        problems = result.problems[result.problems["table"] == name]
        bad, rows = problems["row"].nunique(), result.counts[name]["rows_in"]
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


def no_closed_deals(result: Ingested, files: dict[str, str]) -> str | None:
    """Why there is nothing to learn from: no won or lost deal survived validation."""
    stages = result.tables["opportunities"]["stage"]
    if stages.isin(["won", "lost"]).any():
        return None
    found = ", ".join(f"{v} ({n:,})" for v, n in stages.value_counts().items()) or "no valid rows"
    return (
        f"{files['opportunities']}: column stage has no won or lost deal to learn from (kept rows: {found}). "
        f"Export closed deals too, or map your closed stages to won and lost (tables.opportunities.values)."
    )
