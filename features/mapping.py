"""A user's export mapped onto the data contract: which file is which table, column renames, recoded values,
units, defaults and look-ups (docs/bring_your_own_data.md). Pure: frames in, contract-named frames out.

The mapped frames keep the source's rows in order (row N of the file stays row N), so rejects point at the
user's own file. Values are recoded and scaled here, but still parsed and checked by features/validate.py,
so a bad value is rejected quoting what the file says.
"""

import pandas as pd

from features.contract import DOMAIN_KEY, DOMAIN_KEYED, REQUIRED_TABLES, SCHEMAS, TABLES
from features.validate import ContractError

TABLE_KEYS = ("file", "sheet", "columns", "values", "scale", "defaults", "date_format", "lookup")
LOOKUP_KEYS = ("file", "column", "key", "value")


class MappingError(ContractError):
    """A mapping file that does not say what the pipeline needs, or names what is not there."""


def contract_columns(table: str) -> list[str]:
    cols = list(SCHEMAS[table].columns)
    return cols + [DOMAIN_KEY] if table in DOMAIN_KEYED else cols


def check(mapping: dict, where: str) -> dict:
    """The mapping's structure, or a MappingError naming the key that is wrong and what it may be."""
    if not isinstance(mapping, dict) or not isinstance(mapping.get("tables"), dict):
        raise MappingError(f"{where}: needs a `tables:` section naming a file per table (see "
                           f"docs/bring_your_own_data.md)")
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
        bad = set(spec) - set(TABLE_KEYS)
        if bad:
            raise MappingError(f"{at}: unknown key {sorted(bad)[0]!r}; known: {', '.join(TABLE_KEYS)}")
        known = contract_columns(name)
        for key in ("columns", "scale", "defaults"):
            wrong = set(spec.get(key) or {}) - set(known)
            if wrong:
                raise MappingError(f"{at}.{key}: {sorted(wrong)[0]!r} is not a column of the {name} contract; "
                                   f"known: {', '.join(known)}")
        for target, look in (spec.get("lookup") or {}).items():
            if target not in known or not isinstance(look, dict) or set(look) != set(LOOKUP_KEYS):
                raise MappingError(f"{at}.lookup.{target}: needs a contract column and exactly the keys "
                                   f"{', '.join(LOOKUP_KEYS)} (file, your column, its key column there, the "
                                   f"column to take)")
    return mapping


def files(mapping: dict) -> dict[str, dict]:
    """Every file the mapping reads, with its sheet: the tables' files and their look-up files."""
    out = {}
    for spec in mapping["tables"].values():
        out[spec["file"]] = {"sheet": spec.get("sheet", 0)}
        for look in (spec.get("lookup") or {}).values():
            out.setdefault(look["file"], {"sheet": 0})
    return out


def _need(frame: pd.DataFrame, columns, file: str, what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MappingError(f"{file}: no column {missing[0]!r} ({what}). The file has: "
                           f"{', '.join(map(str, frame.columns))}. Fix the mapping or the export.")


def _recode(values: pd.Series, codes: dict) -> pd.Series:
    """Exact matches (ignoring surrounding spaces) replaced; other values left for validation to judge."""
    codes = {str(k).strip(): v for k, v in codes.items()}
    text = values.astype("str").str.strip()
    return values.mask(values.notna() & text.isin(list(codes)), text.map(codes))


def _scaled(values: pd.Series, factor: float) -> pd.Series:
    """Numbers multiplied by `factor`; text that is no number left as it is, to be rejected quoting it."""
    number = pd.to_numeric(values, errors="coerce")
    return values.astype(object).mask(number.notna(), number * factor)


def _empty(values: pd.Series) -> pd.Series:
    return values.isna() | (values.astype("str").str.strip() == "")


def apply(name: str, spec: dict, frame: pd.DataFrame, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Table `name` in contract column names from its file's `frame` (look-up files in `frames`, by file)."""
    file, columns = spec["file"], spec.get("columns") or {}
    frame = frame.reset_index(drop=True)
    _need(frame, list(columns.values()), file, f"named in tables.{name}.columns")
    _need(frame, list(spec.get("values") or {}), file, f"named in tables.{name}.values")
    frame = frame.copy()
    for col, codes in (spec.get("values") or {}).items():
        frame[col] = _recode(frame[col], codes)
    out = pd.DataFrame({target: frame[source] for target, source in columns.items()}, index=frame.index)
    for target, look in (spec.get("lookup") or {}).items():
        table = frames[look["file"]]
        _need(frame, [look["column"]], file, f"tables.{name}.lookup.{target}.column")
        _need(table, [look["key"], look["value"]], look["file"], f"tables.{name}.lookup.{target}")
        keys = table[look["key"]].astype("str").str.strip()
        if keys.duplicated().any():
            raise MappingError(f"{look['file']}: {look['key']} '{keys[keys.duplicated()].iloc[0]}' appears "
                               f"twice, so tables.{name}.lookup.{target} cannot tell which {look['value']}")
        found = frame[look["column"]].astype("str").str.strip().map(dict(zip(keys, table[look["value"]])))
        out[target] = out[target].mask(_empty(out[target]), found) if target in out else found
    for target, factor in (spec.get("scale") or {}).items():
        _need(out, [target], file, f"tables.{name}.scale names a column the mapping does not fill")
        out[target] = _scaled(out[target], float(factor))
    for target, value in (spec.get("defaults") or {}).items():
        out[target] = out[target].mask(_empty(out[target]), str(value)) if target in out else str(value)
    return out


def derive_customers(accounts: pd.DataFrame, opportunities: pd.DataFrame, formats: dict[str, str]
                     ) -> tuple[pd.DataFrame, list[str]]:
    """is_customer and customer_since from the won deals, where the export does not carry them: an account is
    a customer from its first won deal's close date (dates read and written in each table's `formats`). These
    are present-state columns, never features."""
    notes = []
    won = opportunities[opportunities["stage"].astype("str").str.strip().str.lower() == "won"]
    closed = pd.to_datetime(won["close_date"], errors="coerce", format=formats.get("opportunities", "ISO8601"))
    first = closed.groupby(won["account_id"]).min()
    ids = accounts["account_id"].astype("str").str.strip()
    if "is_customer" not in accounts:
        accounts = accounts.assign(is_customer=ids.isin(first.dropna().index).map({True: "true", False: "false"}))
        notes.append("is_customer: from the won deals (an account with a won deal is a customer)")
    if "customer_since" not in accounts:
        accounts = accounts.assign(customer_since=ids.map(first.dt.strftime(formats.get("accounts", "%Y-%m-%d"))))
        notes.append("customer_since: the close date of each account's first won deal")
    return accounts, notes


def complete(name: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Contract columns the mapping leaves out, added empty where the contract allows it; a required one that
    nothing fills stops the run saying how to fill it."""
    columns = SCHEMAS[name].columns
    for c, col in columns.items():
        if c not in frame and not col.nullable and not (c == "account_id" and DOMAIN_KEY in frame):
            raise MappingError(f"tables.{name}: nothing fills {c} ({col.description}), which the contract "
                               f"requires. Name your column for it under `columns:`, or give every row one "
                               f"value under `defaults:`.")
    added = [c for c in columns if c not in frame and not (c == "account_id" and DOMAIN_KEY in frame)]
    empty = pd.Series(None, index=frame.index, dtype="str")  # text, like every column a file gives
    return frame.assign(**{c: empty for c in added}), added
