"""Ingest rules: raw tables to canonical contract form, with a plain-language reason for every row left out.

Pure functions of data frames, so each rule is testable on a few rows. The choices and why:
- Values are parsed here, not by the file reader: an unparsable date becomes a reject quoting it, never a
  silent empty cell. Text is stripped; industries, countries and every coded column are matched ignoring case
  and aliases.
- A row is rejected once per problem, so the user sees everything wrong with it, but counted once.
- An industry outside the contract's 15 (after aliases) is cleared, row kept: it is a fact about the account
  the model cannot use, not a reason to lose the account and its deals.
- A date after tomorrow (UTC) is a typo or a planned date, not history: rejected. An open deal's close_date
  is the date it is expected to close (Salesforce fills it): cleared, row kept.
- Enrichment tables keyed by `account_domain` (a domain or website URL, as vendors deliver them) are joined to
  the kept accounts by normalised domain; a row matching no account is rejected quoting the domain.
- Accounts sharing a normalised domain are one company: the most complete row is kept (tie: smallest
  account_id), the others are merged into it, listed in the merge table and in the rejects, and every
  reference is re-pointed, so no deal or signal is lost.
- A row whose account_id names no kept account is rejected: it cannot be attached to anything. A dangling
  parent_account_id or activity contact_id is cleared instead, the row kept and the clearing listed: the
  account or the event is real, only the link is unknown, and dropping the row would lose deals or behaviour.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pandera
import pyarrow as pa
import pyarrow.compute as pc

from features.contract import (DATE, DOMAIN_KEY, DOMAIN_KEYED, INDUSTRIES, REQUIRED_TABLES, SCHEMAS, STAGES,
                               TABLES)
from features.normalize import canonical_country, canonical_industry, normalise_domain, region_of

REJECT_COLUMNS = ["table", "row", "column", "value", "reason"]
# Tables with no key of their own (the big ones): checked chunk by chunk against the keyed tables' kept ids.
STREAMED = DOMAIN_KEYED
CLEARED = "cleared, row kept"
_TRUE, _FALSE = {"true", "t", "yes", "y", "1"}, {"false", "f", "no", "n", "0"}
_FIRST_DATE, _LAST_DATE = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")
_DATE_RANGE = f"{_FIRST_DATE:%Y-%m-%d} to {_LAST_DATE:%Y-%m-%d}"
_SPECIAL = {"industry": canonical_industry, "country": canonical_country, "domain": normalise_domain}


class ContractError(ValueError):
    """Input the pipeline cannot use at all: a required table or column is missing, a file is unreadable."""


@dataclass(frozen=True)
class Ingested:
    tables: dict[str, pd.DataFrame]  # kept rows: contract columns, canonical values, contract dtypes
    rejects: pd.DataFrame  # REJECT_COLUMNS, every problem, merged duplicate and cleared value
    problems: pd.DataFrame  # the rejects that removed a row because of a data problem
    merges: pd.DataFrame  # duplicate_account_id, kept_account_id, domain
    counts: dict[str, dict[str, int]]  # per table: rows_in, rows_kept, rows_rejected, values_cleared
    canon: dict[str, pd.DataFrame]  # accounts and contacts before rejection: to explain a later orphan


def ingest(raw: dict[str, pd.DataFrame], files: dict[str, str], source: str,
           date_formats: dict[str, str] | None = None) -> Ingested:
    """Normalise, validate, merge duplicate accounts and check keys of the `raw` tables read from `files`
    (dates as `date_formats[table]` says, ISO 8601 by default)."""
    for name in REQUIRED_TABLES:
        if name not in raw:
            raise ContractError(f"{source}: no {name}.csv or {name}.parquet. The {name} table is required "
                                f"(docs/data_contract.md): export it into that folder.")
    raw = {name: _headers(name, df, files[name]) for name, df in raw.items() if name in TABLES}
    canon, issues = {}, {}
    for name, df in raw.items():
        canon[name], parse = normalise(name, df, (date_formats or {}).get(name))
        issues[name] = [parse, contract_problems(name, canon[name], df, parse)]
    kept = {name: canon[name].drop(index=_rows(issues[name])) for name in canon}
    kept["accounts"], merges = merge_duplicate_accounts(kept["accounts"])
    issues["accounts"].append(_issues(merges.index, "domain", "duplicate of " + merges["kept_account_id"]
                                      + " (same domain " + merges["domain"] + "): merged into it", "merge"))
    _repoint(kept, merges)
    _check_keys(kept, canon, issues, list(kept))
    return _result(raw, kept, issues, merges, canon)


def ingest_part(name: str, raw: pd.DataFrame, file: str, base: Ingested, offset: int,
                date_format: str | None = None) -> Ingested:
    """Rows `offset` + 1 ... of a STREAMED table, checked like `ingest` does against the accounts (and
    contacts) that `base` kept, so a table of any length is validated in chunks of bounded memory."""
    raw = _headers(name, raw, file, need_rows=False)
    unmatched = _issues([], "", [])
    if "account_id" not in raw:
        raw, unmatched = _by_domain(raw, base.tables["accounts"])
    canon, parse = normalise(name, raw, date_format)
    issues = {name: [unmatched, parse, contract_problems(name, canon, raw, parse)]}
    kept = {name: canon.drop(index=_rows(issues[name]))}
    _repoint(kept, base.merges)
    kept |= {t: base.tables[t] for t in ("accounts", "contacts") if t in base.tables}
    _check_keys(kept, base.canon, issues, [name])
    return _result({name: raw}, {name: kept[name]}, issues, base.merges, base.canon, offset)


def _by_domain(raw: pd.DataFrame, accounts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """account_id of each row from its account_domain (a domain or URL) via the kept accounts' domains; the
    rows matching none, as problems quoting the domain (their account_id a placeholder: the row is out already,
    so no other check blames it)."""
    given = clean_text(raw[DOMAIN_KEY])
    domain = normalise_domain(given)
    known = accounts.dropna(subset=["domain"]).drop_duplicates("domain").set_index("domain")["account_id"]
    ids = domain.map(known)
    miss = ids.isna()
    why = np.where(given[miss].isna(), DOMAIN_KEY + " is empty",
                   DOMAIN_KEY + " " + given[miss].fillna("") + " (domain " + domain[miss].fillna("")
                   + ") matches no account's domain")
    return raw.assign(account_id=ids.fillna("?")), _issues(raw.index[miss], DOMAIN_KEY, why)


def _headers(name: str, df: pd.DataFrame, file: str, need_rows: bool = True) -> pd.DataFrame:
    """Column names matched ignoring case and surrounding spaces; a missing contract column is fatal (an
    enrichment table may give account_domain for account_id)."""
    df = df.rename(columns=lambda c: str(c).strip().lower()).reset_index(drop=True)
    keyed_by_domain = name in DOMAIN_KEYED and DOMAIN_KEY in df.columns
    missing = [c for c in SCHEMAS[name].columns if c not in df.columns
               and not (c == "account_id" and keyed_by_domain)]
    if missing:
        raise ContractError(
            f"{file}: missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}, "
            f"required by the data contract (docs/data_contract.md). The file has: {', '.join(df.columns)}. "
            f"Add the column (values may be empty where the contract allows it) or rename yours to it.")
    if need_rows and name in REQUIRED_TABLES and df.empty:
        raise ContractError(f"{file}: no data rows, but the {name} table is required. Export its rows.")
    return df


def normalise(name: str, raw: pd.DataFrame, date_format: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The table in contract form (contract columns and dtypes, index = source row - 1); parse problems."""
    out, issues, source = {}, [], raw
    if name == "opportunities":  # an open deal's close_date is an expected date, often in the future: cleared
        expected = (_vocabulary(clean_text(raw["stage"]), STAGES) == "open") & clean_text(raw["close_date"]).notna()
        issues.append(_issues(raw.index[expected], "close_date", "open deal's close_date is the date it is "
                              "expected to close, not an outcome: " + CLEARED, "clear"))
        source = raw.assign(close_date=raw["close_date"].mask(expected))
    for col, spec in SCHEMAS[name].columns.items():
        values, bad = _parse(source[col], str(spec.dtype), date_format)
        for mask, reason in bad:
            issues.append(_issues(raw.index[mask], col, reason(_shown(raw[col][mask]))))
        if col in _SPECIAL:
            values = _SPECIAL[col](values)
        elif spec.checks and spec.checks[0].name == "isin":
            values = _vocabulary(values, spec.checks[0].statistics["allowed_values"])
        if col == "industry":  # one outside the 15 costs the account its industry, not itself and its deals
            other = values.notna() & ~values.isin(INDUSTRIES)
            why = f"' is not one of the {len(INDUSTRIES)} canonical industries: {CLEARED}"
            issues.append(_issues(raw.index[other], col, col + " '" + _shown(raw[col][other]) + why, "clear"))
            values = values.mask(other)
        out[col] = values
    if "region" in out:
        out["region"] = out["region"].fillna(region_of(out["country"]))
    df = pd.DataFrame(out, index=raw.index)
    return df.astype({c: "str" for c in df if df[c].dtype == object}), _concat(issues)


def _parse(values: pd.Series, dtype: str, date_format: str | None = None) -> tuple[pd.Series, list]:
    """Values of one column as `dtype`, and (mask, reason maker) for the values that cannot be read as it."""
    if dtype.startswith("datetime64"):
        return parse_dates(values, date_format)
    if dtype in ("Int64", "float64"):
        return _numbers(values, dtype)
    if dtype == "bool" and pd.api.types.is_bool_dtype(values):
        return values.astype(bool), []
    text = clean_text(values)
    if dtype == "bool":
        lower = text.str.lower()
        parsed = lower.isin(_TRUE)
        unknown = text.notna() & ~parsed & ~lower.isin(_FALSE)
        return parsed, [(text.isna(), lambda v: values.name + " is empty"),
                        (unknown, lambda v: values.name + " '" + v + "' is not true or false")]
    return text, []


def clean_text(values: pd.Series) -> pd.Series:
    """Text stripped of surrounding spaces; an empty cell is missing."""
    s = values.astype("str").str.strip()
    return s.mask(s == "")


def parse_dates(values: pd.Series, date_format: str | None = None) -> tuple[pd.Series, list]:
    """Dates as written (ISO 8601, or `date_format`), in UTC without zone; (mask, reason maker) for the values
    that are unreadable, out of range, or after tomorrow (history cannot be in the future; the reason leaves
    today's date out, so the same file gives the same rejects any day)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed, given = values, values.notna()
        if parsed.dt.tz is not None:
            parsed = parsed.dt.tz_convert(None)
    else:
        text = clean_text(values)
        parsed = pd.to_datetime(text, format=date_format or "ISO8601", errors="coerce", utc=True)
        parsed, given = parsed.dt.tz_convert(None), text.notna()
    outside = parsed.notna() & ((parsed < _FIRST_DATE) | (parsed > _LAST_DATE))
    unreadable = given & parsed.isna()
    parsed = parsed.mask(outside)
    latest = pd.Timestamp.now("UTC").tz_convert(None).normalize() + pd.Timedelta(days=2)
    future = parsed.notna() & (parsed >= latest)
    parsed = parsed.mask(future).astype(DATE)
    expected = date_format or "YYYY-MM-DD"
    return parsed, [(unreadable, lambda v: "unparsable date '" + v + f"' (expected {expected})"),
                    (outside, lambda v: "date " + v + " is outside " + _DATE_RANGE),
                    (future, lambda v: "date " + v + " is in the future")]


def _numbers(values: pd.Series, dtype: str) -> tuple[pd.Series, list]:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        number, given = values.astype("float64"), values.notna()
    else:
        text = clean_text(values)
        number, given = pd.to_numeric(text, errors="coerce").astype("float64"), text.notna()
    number = number.where(np.isfinite(number))
    unreadable = given & number.isna()
    fraction = (number % 1 != 0) & number.notna() & (dtype == "Int64")
    number = number.mask(fraction).astype(dtype)
    return number, [(unreadable, lambda v: "unparsable number '" + v + "'"),
                    (fraction, lambda v: values.name + " " + v + " is not a whole number")]


def _vocabulary(values: pd.Series, allowed) -> pd.Series:
    """Codes matched ignoring case and spaces vs '_' ('Web Visit' is web_visit); unknown ones kept for the
    check to quote. Done on the distinct spellings, so a million rows cost a dictionary look-up each."""
    lookup = {_code(a): a for a in allowed}
    spelt = values.dropna().unique()
    if set(spelt) <= set(allowed):
        return values
    return values.map({v: lookup.get(_code(v), v) for v in spelt})


def _code(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").split())


# The contract's column checks in plain words: (column, its values as text, check statistics) -> reasons.
_CHECKS = {
    "isin": lambda col, v, s: col + " '" + v + "' is not one of " + ", ".join(s["allowed_values"]),
    "in_range": lambda col, v, s: col + " " + v + f" is outside {s['min_value']} to {s['max_value']}",
    "greater_than_or_equal_to": lambda col, v, s: col + " " + v + f" is less than {s['min_value']}",
}
# The contract's table-wide rules in plain words: (column blamed, other columns involved, reason from texts).
_RULES = {
    "close_date >= created_date": (
        "close_date", ["created_date"],
        lambda t: "close_date " + t["close_date"] + " is before created_date " + t["created_date"]),
    "closed deals have a close_date, open deals none": (
        "close_date", ["stage"],
        lambda t: np.where(t["close_date"] == "", t["stage"].str.lower() + " deal has no close_date",
                           "open deal has a close_date " + t["close_date"])),
    "won deals have an amount": (
        "amount", ["stage"], lambda t: t["stage"].str.lower() + " deal has no amount"),
    "last_seen >= first_seen": (
        "last_seen", ["first_seen"],
        lambda t: "last_seen " + t["last_seen"] + " is before first_seen " + t["first_seen"]),
}


def contract_problems(name: str, df: pd.DataFrame, raw: pd.DataFrame, parse: pd.DataFrame) -> pd.DataFrame:
    """The pandera schema's failures, in plain words. A cell already rejected when parsed is not blamed again,
    and a table-wide rule is not blamed on a row whose columns it involves already failed their own checks."""
    schema = SCHEMAS[name]
    try:
        schema.validate(df, lazy=True)
        return _concat([])
    except pandera.errors.SchemaErrors as e:
        failures = e.failure_cases
    failures = failures[failures["index"].notna()].astype({"index": "int64"})
    wide = failures["check_number"].notna() & (failures["schema_context"] == "DataFrameSchema")
    cells = _concat([_cell_problems(schema, raw, f)
                     for _, f in failures[~wide].groupby(["column", "check"], sort=False)])
    cells = cells.drop_duplicates(["row", "column", "reason"])
    cells = cells[~_cell(cells).isin(_cell(parse))]
    blamed = _concat([parse, cells])
    rules = [_rule_problems(schema.checks[int(n)].name, raw, f["index"].unique(), blamed)
             for n, f in failures[wide].groupby("check_number")]
    return _concat([cells, *rules])


def _cell(issues: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_frame(issues[["row", "column"]])


def _cell_problems(schema: pandera.DataFrameSchema, raw: pd.DataFrame, f: pd.DataFrame) -> pd.DataFrame:
    col, check, number = f["column"].iloc[0], f["check"].iloc[0], f["check_number"].iloc[0]
    rows = f["index"].to_numpy()
    shown = _shown(raw[col].iloc[rows])
    if check == "not_nullable":
        return _issues(rows, col, col + " is empty")
    if check in ("field_uniqueness", "multiple_fields_uniqueness"):
        keys = schema.unique if check == "multiple_fields_uniqueness" else [col]
        key = " + ".join(keys) + " " + _shown(raw[keys[0]].iloc[rows])
        for k in keys[1:]:
            key = key + " + " + _shown(raw[k].iloc[rows])
        return _issues(rows, keys[0], "duplicate " + key + " (every row with it is rejected)")
    spec = schema.columns[col].checks[int(number)] if pd.notna(number) else None
    if spec is not None and spec.name in _CHECKS:
        return _issues(rows, col, _CHECKS[spec.name](col, shown, spec.statistics))
    return _issues(rows, col, col + " '" + shown + f"' fails the contract check {check}")


def _rule_problems(rule: str, raw: pd.DataFrame, rows: np.ndarray, blamed: pd.DataFrame) -> pd.DataFrame:
    if rule not in _RULES:
        return _issues(rows, "", f"breaks the contract rule '{rule}'")
    col, others = _RULES[rule][:2]
    involved = blamed[blamed["column"].isin([col, *others])]["row"]
    rows = np.setdiff1d(rows, involved.to_numpy())
    texts = pd.DataFrame({c: _shown(raw[c].iloc[rows]) for c in [col, *others]})
    return _issues(rows, col, _RULES[rule][2](texts))


def merge_duplicate_accounts(accounts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accounts left after merging the rows of one domain into its most complete row (tie: smallest
    account_id), and the merges (duplicate_account_id, kept_account_id, domain) indexed by duplicate row."""
    ranked = accounts[accounts["domain"].notna()]  # no domain: nothing to merge on
    ranked = ranked.assign(_empty=ranked.isna().sum(axis=1)).sort_values(["domain", "_empty", "account_id"])
    kept = ranked["domain"].map(ranked.drop_duplicates("domain").set_index("domain")["account_id"])
    dup = ranked[ranked["account_id"] != kept].sort_index()
    merges = pd.DataFrame({"duplicate_account_id": dup["account_id"], "kept_account_id": kept[dup.index],
                           "domain": dup["domain"]})
    return accounts.drop(index=dup.index), merges


def _repoint(kept: dict[str, pd.DataFrame], merges: pd.DataFrame) -> None:
    to = merges.set_index("duplicate_account_id")["kept_account_id"]
    for name, df in kept.items():
        for col in ("account_id", "parent_account_id") if name == "accounts" else ("account_id",):
            hit = _isin(df[col], to.index)
            df.loc[hit, col] = df.loc[hit, col].map(to)


# Links whose dangling target is cleared rather than rejected: (table, column, target table, target key).
_LINKS = [("accounts", "parent_account_id", "accounts", "account_id"),
          ("activities", "contact_id", "contacts", "contact_id")]


def _check_keys(kept: dict[str, pd.DataFrame], canon: dict[str, pd.DataFrame], issues: dict,
                names: list) -> None:
    """The contract's key rules (features.contract.foreign_key_violations) on the tables `names`: a row
    naming no kept account is rejected; then a dangling parent or activity contact is cleared (contacts lose
    orphans first)."""
    known = kept["accounts"]["account_id"]
    for name in names:
        if name != "accounts":
            df = kept[name]
            orphan = ~_isin(df["account_id"], known)
            issues[name].append(_unknown(df["account_id"][orphan], "accounts", canon, known))
            kept[name] = df[~orphan]
    for name, col, target, key in _LINKS:
        if name in names and target in kept:
            ids = kept[name][col]
            bad = ids.notna() & ~_isin(ids, kept[target][key])
            issues[name].append(_unknown(ids[bad], target, canon, kept[target][key], CLEARED))
            kept[name] = kept[name].assign(**{col: ids.mask(bad)})


def _unknown(ids: pd.Series, table: str, canon: dict, known: pd.Series, then: str = "") -> pd.DataFrame:
    """'account_id X is not in accounts', saying when X's own row there was rejected."""
    key = known.name
    dropped = canon[table][key][~_isin(canon[table][key], known)]
    why = np.where(_isin(ids, dropped), " (its row there was rejected)", "")
    return _issues(ids.index, ids.name, ids.name + " " + ids + f" is not in {table}" + why
                   + (f": {then}" if then else ""), "clear" if then else "drop")


def _isin(values: pd.Series, keys) -> pd.Series:
    """values.isin(keys) through Arrow: pandas 3 makes a Python object of every key of a text column first."""
    arr = pa.array(values)
    found = pc.is_in(arr, value_set=pa.array(keys, type=arr.type))
    return pd.Series(np.asarray(found), index=values.index)


def _issues(rows, column: str, reason, kind: str = "drop") -> pd.DataFrame:
    """Problems by 0-based source row; `kind`: the row is dropped, merged, or kept with a value cleared."""
    rows = np.asarray(rows, dtype="int64")
    reason = np.asarray(reason, dtype=object) if not isinstance(reason, str) else reason
    return pd.DataFrame({"row": rows, "column": column, "reason": reason, "kind": kind})


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else _issues([], "", [])


def _rows(frames: list[pd.DataFrame]) -> np.ndarray:
    """The rows a problem drops (a cleared value keeps its row)."""
    found = _concat(frames)
    return np.unique(found.loc[found["kind"] == "drop", "row"].to_numpy())


def _shown(values: pd.Series) -> pd.Series:
    """Source values as text, as the user would find them in the file ('' when empty)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        text = values.dt.strftime("%Y-%m-%d %H:%M:%S").str.removesuffix(" 00:00:00")
    else:
        text = values.astype("str")
    return text.where(values.notna(), "").reset_index(drop=True)


def _result(raw, kept, issues, merges, canon, offset: int = 0) -> Ingested:
    """Rejects with the source value of each cell, 1-based rows (after `offset` rows of earlier chunks), in
    table then row order; counts per table."""
    found, counts = [], {}
    for name in (t for t in TABLES if t in raw):
        table = _concat(issues[name])
        table["value"] = ""
        for col, group in table[table["column"] != ""].groupby("column"):
            table.loc[group.index, "value"] = _shown(raw[name][col].iloc[group["row"]]).to_numpy()
        found.append(table.assign(table=name))
        counts[name] = {"rows_in": len(raw[name]), "rows_kept": len(kept[name]),
                        "rows_rejected": len(raw[name]) - len(kept[name]),
                        "values_cleared": int((table["kind"] == "clear").sum())}
        kept[name] = kept[name].reset_index(drop=True)
    every = pd.concat(found, ignore_index=True).sort_values("row", kind="stable")
    every = every.sort_values("table", key=lambda t: t.map(TABLES.index), kind="stable")
    every = every.reset_index(drop=True)
    every["row"] += 1 + offset
    problems = every[every["kind"] == "drop"][REJECT_COLUMNS].reset_index(drop=True)
    keyed = {t: canon[t] for t in ("accounts", "contacts") if t in canon}
    return Ingested(kept, every[REJECT_COLUMNS], problems, merges.reset_index(drop=True), counts, keyed)
