"""A user's export mapped onto the data contract: which file is which table, column renames, recoded values,
units, defaults and look-ups (docs/bring_your_own_data.md). Pure: frames in, contract-named frames out.

The mapped frames keep the source's rows in order (row N of the file stays row N), so rejects point at the
user's own file; only a field history (features/history.py) becomes rows of its own. Values are recoded here,
then parsed, scaled (`scales`, passed on like the date formats) and checked by features/ingest.py, so a bad
value is rejected quoting it as the file has it (unless `values:` recoded it). A looked-up value is its other
file's: a column beside it (rules.looked_up) says which, for the reject to name file, column and key.

Over 300 lines: one check and one step per mapping key, all on the same frames and file names.
"""

import math
import re

import pandas as pd

from features import custom as C
from features import history as H
from features.contract import (
    DOMAIN_KEY,
    DOMAIN_KEYED,
    REQUIRED_TABLES,
    SCHEMAS,
    TABLES,
    date_columns,
    number_columns,
)
from features.errors import ContractError
from features.parse import (
    EXCEL,
    ISO,
    clean_text,
    format_dates,
    is_date_format,
    listed,
    parse_dates,
    read_dates,
)
from features.rules import looked_up

TABLE_KEYS = (
    "file",
    "sheet",
    "header_row",
    "columns",
    "values",
    "scale",
    "defaults",
    "date_format",
    "number_format",
    "lookup",
)
NUMBER_FORMAT = r"1[ .,']?234[.,]56"  # how a mapping states its numbers: 1,234.56 or 1.234,56 or 1 234,56
# what only that table may say
OWN_KEYS = {"accounts": ("technologies", "custom"), "opportunities": ("custom",), "snapshots": ("history",)}
LOOKUP_KEYS = ("file", "column", "key", "value")


class MappingError(ContractError):
    """A mapping file that does not say what the pipeline needs, or names what is not there."""


def contract_columns(table: str) -> list[str]:
    cols = list(SCHEMAS[table].columns)
    return cols + [DOMAIN_KEY] if table in DOMAIN_KEYED else cols


def date_formats(table: str, spec: dict) -> dict[str, str]:
    """Contract date column -> its format, from `date_format:`: one format for every date column of the table,
    or a map per column (a CRM keeps a creation datetime beside a plain close date). A column left out is read
    as ISO 8601."""
    return _per_column(spec.get("date_format"), date_columns(table))


def number_formats(table: str, spec: dict) -> dict[str, str]:
    """Contract number column -> how it is written ('1.234,56'), from `number_format:` as date_formats. A
    column left out has its decimal mark told by its values (features/parse.py)."""
    return _per_column(spec.get("number_format"), number_columns(table))


def formats(table: str, spec: dict) -> dict[str, str]:
    """How each column the mapping says anything about is written: its date or number format."""
    return {**date_formats(table, spec), **number_formats(table, spec)}


def _per_column(given, columns: list[str]) -> dict[str, str]:
    if isinstance(given, dict):
        return dict(given)
    return dict.fromkeys(columns, given) if given else {}


def check(mapping: dict, where: str) -> dict:
    """The mapping's structure, or a MappingError naming the key that is wrong and what it may be."""
    if not isinstance(mapping, dict) or not isinstance(mapping.get("tables"), dict):
        raise MappingError(
            f"{where}: needs a `tables:` section naming a file per table (see docs/bring_your_own_data.md)"
        )
    unknown = set(mapping) - {"tables", "params"}
    if unknown:
        raise MappingError(f"{where}: unknown top-level key {sorted(unknown)[0]!r}; known: tables, params")
    tables = mapping["tables"]
    for name in REQUIRED_TABLES:
        if name not in tables:
            raise MappingError(f"{where}: tables.{name} is missing: accounts and opportunities are required")
    for name, spec in tables.items():
        at = f"{where}: tables.{name}"
        if name not in TABLES:
            raise MappingError(f"{at}: {name!r} is not a table of the contract; known: {', '.join(TABLES)}")
        if not isinstance(spec, dict) or not spec.get("file"):
            raise MappingError(f"{at}: needs `file:`, the file of your export that holds this table")
        keys = TABLE_KEYS + OWN_KEYS.get(name, ())
        bad = set(spec) - set(keys)
        if bad:
            raise MappingError(f"{at}: unknown key {sorted(bad)[0]!r}; known: {', '.join(keys)}")
        if "technologies" in spec:
            _check_technologies(at, spec["technologies"], tables)
        if "custom" in spec:
            C.declared(spec, at)
        if "history" in spec:
            H.check(spec["history"], at, ["employees", "annual_revenue"])
            if not {"account_id", "snapshot_date"} <= set(spec.get("columns") or {}):
                raise MappingError(f"{at}.history: name account_id and snapshot_date under `columns:` too")
        known = contract_columns(name)
        for key in ("columns", "values", "scale", "defaults", "lookup"):
            if not isinstance(spec.get(key) or {}, dict):
                raise MappingError(f"{at}.{key}: must be a map (key: value lines), not {spec[key]!r}")
        _check_joined(at, spec)
        for key in ("columns", "scale", "defaults"):
            wrong = set(spec.get(key) or {}) - set(known)
            if wrong:
                raise MappingError(
                    f"{at}.{key}: {sorted(wrong)[0]!r} is not a column of the {name} contract; "
                    f"known: {', '.join(known)}"
                )
        _check_scale(at, name, spec.get("scale") or {})
        for col, codes in (spec.get("values") or {}).items():
            if not isinstance(codes, dict):
                raise MappingError(
                    f"{at}.values.{col}: must map your values to the contract's "
                    f"({{your value: contract value}}), not {codes!r}"
                )
            if any(isinstance(k, bool) for k in codes):
                raise MappingError(
                    f"{at}.values.{col}: YAML reads yes/no/on/off/true/false as booleans: quote "
                    f"them ('Yes': won)"
                )
        _check_layout(at, spec, name)
        dates = date_columns(name)
        for col, fmt in date_formats(name, spec).items():
            key = f"{at}.date_format" + (f".{col}" if isinstance(spec["date_format"], dict) else "")
            if col not in dates:
                raise MappingError(
                    f"{at}.date_format: {col!r} is not a date column of the {name} contract; "
                    f"its date columns: {', '.join(dates)}"
                )
            if not is_date_format(fmt):
                raise MappingError(
                    f"{key}: {fmt!r} is not a date format: write {ISO}, {EXCEL} (serial day numbers) or "
                    f"a strptime format of a whole date, like '%d/%m/%Y' or '%m/%d/%Y %H:%M'"
                )
        for target, look in (spec.get("lookup") or {}).items():
            if target not in known or not isinstance(look, dict) or set(look) != set(LOOKUP_KEYS):
                raise MappingError(
                    f"{at}.lookup.{target}: needs a contract column and exactly the keys "
                    f"{', '.join(LOOKUP_KEYS)} (file, your column, its key column there, the "
                    f"column to take)"
                )
    return mapping


def _check_layout(at: str, spec: dict, name: str) -> None:
    """`header_row:` a line number; `number_format:` a stated decimal mark, for the table's number columns."""
    row = spec.get("header_row", 1)
    if isinstance(row, bool) or not isinstance(row, int) or row < 1:
        raise MappingError(f"{at}.header_row: the line (or sheet row) of the header, from 1, not {row!r}")
    numbers = number_columns(name)
    for col, fmt in number_formats(name, spec).items():
        if col not in numbers:
            raise MappingError(
                f"{at}.number_format: {col!r} is not a number column of the {name} contract; its number "
                f"columns: {', '.join(numbers)}"
            )
        if not re.fullmatch(NUMBER_FORMAT, str(fmt)) or str(fmt)[-3] in str(fmt)[1:-3]:
            raise MappingError(
                f"{at}.number_format: write 1234.56 as your file writes it ('1,234.56', '1.234,56', "
                f"'1 234,56'), not {fmt!r}"
            )


def factor(given) -> float | None:
    """A scale factor as a number, None if it is none. YAML 1.1 reads 1e6 as text, so text float() reads
    counts; a boolean (YAML's yes) and nan or inf do not."""
    if isinstance(given, bool):
        return None
    try:
        number = float(given)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def scales(spec: dict) -> dict[str, float]:
    """Contract number column -> its factor, from a checked `scale:`. Ingest applies them to the parsed
    numbers, so a rejected value is quoted as the file has it."""
    return {target: factor(given) for target, given in (spec.get("scale") or {}).items()}


def _check_joined(at: str, spec: dict) -> None:
    """A list under `columns:` names the columns whose cells make one value (`name: [FirstName, LastName]`);
    a field history's keys are one column each."""
    for column, given in (spec.get("columns") or {}).items():
        if not isinstance(given, list):
            continue
        if not given or not all(isinstance(g, str) and g.strip() for g in given):
            raise MappingError(
                f"{at}.columns.{column}: a list names your columns whose cells are joined with a space "
                f"([FirstName, LastName]), not {given!r}"
            )
        if "history" in spec and column in ("account_id", "snapshot_date"):
            raise MappingError(f"{at}.columns.{column}: one column of yours with `history:`, not {given!r}")


def _check_scale(at: str, table: str, scale: dict) -> None:
    numbers = number_columns(table)
    for target, given in scale.items():
        if target not in numbers:
            raise MappingError(
                f"{at}.scale: {target!r} is not a number column of the {table} contract; its number "
                f"columns: {', '.join(numbers) or 'none'}"
            )
        if factor(given) is None:
            raise MappingError(f"{at}.scale.{target}: must be a number (a factor), not {given!r}")


def _check_technologies(at: str, column, tables: dict) -> None:
    if not isinstance(column, str) or not column.strip():
        raise MappingError(f"{at}.technologies: name the column of your accounts file listing technologies")
    if "technographics" in tables:
        raise MappingError(
            f"{at}.technologies: technographics come from tables.technographics already: give one of the two"
        )


def listed_technologies(
    spec: dict, frames: dict[tuple, pd.DataFrame], accounts: pd.DataFrame
) -> pd.DataFrame:
    """Technographics rows from the technologies the accounts file lists in one cell (`technologies:`), one
    per account and technology (features/parse.py's listed). The rows are undated (today's list:
    features/pointintime.py) and their category is the column's own name."""
    column = spec["technologies"]
    frame = frames[source_of(spec)].reset_index(drop=True)
    _need(frame, [column], spec["file"], "named in tables.accounts.technologies")
    items = listed(frame[column])
    empty = pd.Series(None, index=range(len(items)), dtype="str")
    return pd.DataFrame(
        {
            "account_id": accounts["account_id"].reindex(items.index).to_numpy(),
            "technology": items.to_numpy(),
            "category": column.strip(),
            "first_seen": empty,
            "last_seen": empty,
        }
    )


def source_of(spec: dict) -> tuple[str, str | int, int]:
    """(file, sheet, header row) a table or look-up reads: two sheets of one workbook are two sources."""
    return spec["file"], spec.get("sheet", 0), spec.get("header_row", 1)


def sources(mapping: dict) -> set[tuple[str, str | int, int]]:
    """Every (file, sheet, header row) the mapping reads: the tables' and their look-ups'."""
    specs = mapping["tables"].values()
    looks = [look for s in specs for look in (s.get("lookup") or {}).values()]
    return {source_of(s) for s in [*specs, *looks]}


def _named(columns: dict) -> list:
    """Your columns that `columns:` names, a joined list's each."""
    return [c for given in columns.values() for c in (given if isinstance(given, list) else [given])]


def _shown(given) -> str:
    """A `columns:` value as messages name it: `FirstName + LastName` for joined columns."""
    return " + ".join(map(str, given)) if isinstance(given, list) else str(given)


def _cells(frame: pd.DataFrame, given) -> pd.Series:
    """Your column, or the cells of a list's columns joined with a space, empty cells left out (a first name
    without a last name is the first name; no cell at all is an empty value)."""
    if not isinstance(given, list):
        return frame[given]
    out = clean_text(frame[given[0]])
    for column in given[1:]:
        part = clean_text(frame[column])
        out = part.where(out.isna(), out.where(part.isna(), out + " " + part))
    return out


def _need(frame: pd.DataFrame, columns, file: str, what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MappingError(
            f"{file}: no column {missing[0]!r} ({what}). The file has: "
            f"{', '.join(map(str, frame.columns))}. Fix the mapping or the export."
        )


def _recode(values: pd.Series, codes: dict) -> pd.Series:
    """Exact matches (ignoring surrounding spaces) replaced; other values left for validation to judge."""
    codes = {str(k).strip(): v for k, v in codes.items()}
    text = clean_text(values)
    return values.mask(text.isin(list(codes)), text.map(codes))


def _first_of_several(ids: pd.Series) -> tuple[pd.Series, int]:
    """The first id where a cell lists several (`123;456`, HubSpot's associations), and how many did."""
    text = clean_text(ids)
    several = text.str.contains(";", regex=False).fillna(False)
    return ids.mask(several, text[several].str.split(";").str[0].str.strip()), int(several.sum())


def _empty(values: pd.Series) -> pd.Series:
    return clean_text(values).isna()


def apply(name: str, spec: dict, frames: dict[tuple, pd.DataFrame]) -> tuple[pd.DataFrame, list[str]]:
    """Table `name` in contract column names, from `frames` by (file, sheet); notes on look-ups that
    missed."""
    file, columns, notes = spec["file"], spec.get("columns") or {}, []
    frame = frames[source_of(spec)].reset_index(drop=True)
    if "history" in spec:  # one row per recorded value of a field: one per account and time
        history = spec["history"]
        _need(frame, [history["field"], history["value"]], file, f"named in tables.{name}.history")
        _need(frame, _named(columns), file, f"named in tables.{name}.columns")
        frame, said = H.pivoted(frame, history, [columns["account_id"], columns["snapshot_date"]])
        notes.append(f"{file}: {said}")
        columns = {**columns, **{k: str(v).strip() for k, v in history["fields"].items()}}
    _need(frame, _named(columns), file, f"named in tables.{name}.columns")
    _need(frame, list(spec.get("values") or {}), file, f"named in tables.{name}.values")
    frame = frame.copy()
    for col, codes in (spec.get("values") or {}).items():
        frame[col] = _recode(frame[col], codes)
    out = pd.DataFrame({target: _cells(frame, given) for target, given in columns.items()}, index=frame.index)
    if name != "accounts" and "account_id" in columns:
        out["account_id"], several = _first_of_several(out["account_id"])
        if several:
            notes.append(
                f"{file}: {several:,} rows name several companies in {_shown(columns['account_id'])} (CRM "
                "associations): the first is used"
            )
    fields = list(C.declared(spec, f"tables.{name}")) if name in C.TABLES else []
    _need(frame, fields, file, f"named in tables.{name}.custom")
    out = out.assign(**{C.column(f): frame[f] for f in fields})
    for target in spec.get("lookup") or {}:
        found, origin = _lookup(name, target, spec, frame, frames, notes)
        empty = _empty(out[target]) if target in out else pd.Series(True, index=out.index)
        out[target] = out[target].mask(empty, found) if target in out else found
        out[looked_up(target)] = origin.where(empty)
    scaled = list(spec.get("scale") or {})  # by ingest, once parsed
    _need(out, scaled, file, f"tables.{name}.scale names a column the mapping does not fill")
    formats = date_formats(name, spec)
    for target, value in (spec.get("defaults") or {}).items():
        value = _default(name, target, value, formats.get(target))
        out[target] = out[target].mask(_empty(out[target]), value) if target in out else value
    return out, notes


def _lookup(
    name: str, target: str, spec: dict, frame: pd.DataFrame, frames: dict[tuple, pd.DataFrame], notes: list
) -> tuple[pd.Series, pd.Series]:
    """The values table `name`'s look-up of `target` finds for each row of `frame`, and where each came from
    (file, column and key; empty where the key is not there, which `notes` counts)."""
    look, file, at = spec["lookup"][target], spec["file"], f"tables.{name}.lookup.{target}"
    table = frames[source_of(look)]
    _need(frame, [look["column"]], file, f"{at}.column")
    _need(table, [look["key"], look["value"]], look["file"], at)
    keys = clean_text(table[look["key"]])
    # an empty key names nothing, and a key repeated with the same value is one: only two values stop the run
    pairs = pd.DataFrame({"key": keys, "value": table[look["value"]]})[keys.notna()].drop_duplicates()
    twice = pairs["key"][pairs["key"].duplicated()]
    if len(twice):
        raise MappingError(
            f"{look['file']}: {look['key']} '{twice.iloc[0]}' appears twice, with two {look['value']}, so "
            f"{at} cannot tell which"
        )
    keys = pairs["key"]
    wanted = clean_text(frame[look["column"]])
    known = wanted.isin(list(keys))
    missed = wanted[wanted.notna() & ~known]
    if len(missed):
        notes.append(
            f"{file}: {len(missed):,} rows have a {look['column']} that {look['file']} lacks in "
            f"{look['key']} ({', '.join(sorted(missed.unique())[:5])}): their {target} stays empty"
        )
    found = wanted.map(dict(zip(keys, pairs["value"], strict=True)))
    return found, (f"looked up in {look['file']}, {look['value']} of " + wanted).where(known)


def _default(table: str, column: str, value, date_format: str | None) -> str:
    """A default as the file would write it: a date (YAML, ISO 8601) in its column's date_format."""
    if column not in date_columns(table) or not date_format:
        return str(value)
    when = read_dates(pd.Series([str(value)]))
    if when.isna().all():
        raise MappingError(f"tables.{table}.defaults.{column}: write the date as YYYY-MM-DD, not {value!r}")
    return format_dates(when, date_format).iloc[0]


def derive_customers(
    accounts: pd.DataFrame, opportunities: pd.DataFrame, formats: dict[str, dict[str, str]]
) -> tuple[pd.DataFrame, list[str]]:
    """is_customer and customer_since from the won deals, where the export does not carry them: an account is
    a customer from its first won deal's close date (dates read and written in each column's format of
    `formats`, by table). These are present-state columns, never features."""
    notes = []
    won = opportunities[clean_text(opportunities["stage"]).str.lower() == "won"]
    closed = parse_dates(won["close_date"], formats.get("opportunities", {}).get("close_date"))[0]
    first = closed.groupby(clean_text(won["account_id"])).min()
    ids = clean_text(accounts["account_id"])
    if "is_customer" not in accounts:
        accounts = accounts.assign(
            is_customer=ids.isin(first.dropna().index).map({True: "true", False: "false"})
        )
        notes.append("is_customer: from the won deals (an account with a won deal is a customer)")
    if "customer_since" not in accounts:
        since = format_dates(first, formats.get("accounts", {}).get("customer_since"))
        accounts = accounts.assign(customer_since=ids.map(since))
        notes.append("customer_since: the close date of each account's first won deal")
    return accounts, notes


def complete(name: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Contract columns the mapping leaves out, added empty where the contract allows it (an optional one
    stays out); a required one that nothing fills stops the run saying how to fill it."""
    columns = SCHEMAS[name].columns
    for c, col in columns.items():
        if c not in frame and not col.nullable and not (c == "account_id" and DOMAIN_KEY in frame):
            raise MappingError(
                f"tables.{name}: nothing fills {c} ({col.description}), which the contract "
                f"requires. Name your column for it under `columns:`, or give every row one "
                f"value under `defaults:`."
            )
    added = [
        c
        for c, col in columns.items()
        if c not in frame and col.required and not (c == "account_id" and DOMAIN_KEY in frame)
    ]
    empty = pd.Series(None, index=frame.index, dtype="str")  # text, like every column a file gives
    return frame.assign(**{c: empty for c in added}), added
