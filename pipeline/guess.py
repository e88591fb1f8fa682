"""`icp init --from DIR`: a starter mapping file guessed from an export's headers and values.

Each file goes to the contract table whose columns its headers name best (contract names, then Salesforce and
HubSpot names, then common spreadsheet names; `AccountId`, `account_id` and `Account ID` are one name). Stage
and type values are guessed from the values the file holds, a date format per date column from its dates.
Every guess is written with a `# guess` comment, so the user knows what to review; what could not be guessed,
or read, is written as a comment saying what to fill in.
"""

import datetime as dt
from pathlib import Path

import yaml

from features.contract import DOMAIN_KEY, SCHEMAS, TABLES, date_columns
from features.errors import ContractError
from features.mapping import MappingError, contract_columns
from features.parse import clean_text
from pipeline import readers
from pipeline.export_names import (
    ALIASES,
    DOMAIN_ALIASES,
    FILE_HINTS,
    ID_ALIASES,
    OWN_ID,
    PARTS,
    TABLE_ALIASES,
    TECH_LISTS,
    key,
)
from pipeline.guess_dates import date_formats, readings, settled
from pipeline.guess_links import through_people
from pipeline.guess_values import candidates, history_of, meanings, stage_values, type_values

DEAL_KINDS = (
    "number or category; never one that changes as the deal goes on: probability, forecast category, next "
    "step, age"
)
SAMPLE_ROWS = 20_000  # rows read per file to guess values and date formats


def _names(table: str, column: str) -> list[str]:
    if column == DOMAIN_KEY:
        return DOMAIN_ALIASES
    own = ID_ALIASES if OWN_ID.get(table) == column else []
    return [key(column), *own, *TABLE_ALIASES.get((table, column), ALIASES.get(column, []))]


def match_columns(table: str, headers: list[str]) -> dict[str, str | list[str]]:
    """Contract column -> header, each header used once; contract names win over aliases, earlier aliases over
    later ones. A column kept in parts (PARTS) is a list of headers."""
    by_key = {}
    for h in headers:
        by_key.setdefault(key(h), h)
    found, used = {}, set()
    wanted = contract_columns(table)
    for rank in range(max(len(_names(table, c)) for c in wanted)):
        for column in wanted:
            names = _names(table, column)
            header = by_key.get(names[rank]) if column not in found and rank < len(names) else None
            if header is not None and header not in used:
                found[column] = header
                used.add(header)
    if DOMAIN_KEY in found and "account_id" in found:
        del found[DOMAIN_KEY]
    for (t, column), parts in PARTS.items():  # a name in parts, when the export has no whole one
        if t != table or column in found:
            continue
        cells = [_header(by_key, names, used) for names in parts]
        if all(cells):
            found[column] = cells
    return {c: found[c] for c in wanted if c in found}  # in contract order, for reading


def _header(by_key: dict[str, str], names: list[str], used: set) -> str | None:
    """The first header, not used yet, that one of `names` (as key() spells them) finds."""
    return next((by_key[n] for n in names if n in by_key and by_key[n] not in used), None)


def assign_tables(headers: dict[str, list[str]]) -> dict[str, str]:
    """Table -> file: each file to the table whose columns it names most (file names break ties)."""
    scores = []
    for file, cols in headers.items():
        stem = Path(file).stem.lower()
        for table in TABLES:
            matched = match_columns(table, cols)
            share = len(matched) / sum(c.required for c in SCHEMAS[table].columns.values())  # not optional
            hint = any(h in stem for h in FILE_HINTS.get(table, ())) or stem == table
            if len(matched) >= 2:
                scores.append((share + 0.5 * hint, file, table))
    chosen, files = {}, set()
    for _, file, table in sorted(scores, reverse=True):
        if table not in chosen and file not in files:
            chosen[table], files = file, files | {file}
    return chosen


def guess(source: str | Path) -> tuple[dict, list[str]]:
    """The mapping guessed for the files of `source`, and notes on what to review or fill in."""
    source = Path(source)
    paths = (
        sorted(p for p in source.iterdir() if p.suffix.lower() in readers.READABLE) if source.is_dir() else []
    )
    if not paths:
        raise MappingError(f"{source}: no CSV, Parquet or Excel file to map")
    samples, headers, notes = {}, {}, []
    for p in paths:
        headers[p.name] = readers.header_line(p)  # below a title block, when the file has one
        try:
            samples[p.name] = next(readers.chunks(p, SAMPLE_ROWS, header_row=headers[p.name]))
        except ContractError as e:
            notes.append(f"{p.name}: not mapped: {e}")
    histories = {f: h for f, df in samples.items() if (h := history_of(df))}
    chosen = assign_tables({f: list(map(str, df.columns)) for f, df in samples.items() if f not in histories})
    if histories and "snapshots" not in chosen:
        chosen["snapshots"] = sorted(histories)[0]
    notes += [
        f"{f}: not mapped (no contract table recognised in its columns)"
        for f in samples
        if f not in chosen.values()
    ]
    tables, texts, found = {}, {}, {}
    for table in (t for t in TABLES if t in chosen):
        frame = samples[chosen[table]]
        if table == "opportunities":  # every stage and type value, not only the sample's
            frame = readers.read(source / chosen[table], header_row=headers[chosen[table]])
        history = histories.get(chosen[table]) if table == "snapshots" else None
        columns = dict(history["columns"]) if history else match_columns(table, list(map(str, frame.columns)))
        if table == "accounts" and "name" not in columns and "account_id" in columns:
            columns["name"] = columns["account_id"]  # an export keyed by company name
        spec = (
            {"file": chosen[table]}
            | ({"header_row": headers[chosen[table]]} if headers[chosen[table]] > 1 else {})
            | {"columns": columns}
            | ({"history": history["history"]} if history else {})
        )
        if table == "accounts":
            free = [h for h in map(str, frame.columns) if h not in columns.values()]
            listed = [h for h in free if key(h) in TECH_LISTS]
            if listed and "technographics" not in chosen:
                spec["technologies"] = listed[0]
            notes += candidates(chosen[table], frame, [h for h in free if h not in listed])
        if table == "opportunities":  # a deal's own fields: features of the deal model (features/deals.py)
            free = [h for h in map(str, frame.columns) if h not in columns.values()]
            notes += candidates(chosen[table], frame, free, DEAL_KINDS)
        values = {}
        if table == "opportunities" and "stage" in columns:
            values[columns["stage"]] = stage_values(frame[columns["stage"]])
        if table == "opportunities" and "type" in columns:
            values[columns["type"]] = type_values(frame[columns["type"]])
        meant, said = meanings(table, chosen[table], frame, columns)
        values, notes = values | meant, notes + said
        values = {col: codes for col, codes in values.items() if codes}  # a file without rows has none
        if values:
            spec["values"] = values
        texts[table] = {  # a sample, like the other files': 21 formats on a million dates take half a minute
            c: clean_text(frame[columns[c]]).dropna().head(SAMPLE_ROWS)
            for c in date_columns(table)
            if c in columns
        }
        found[table] = {c: readings(text) for c, text in texts[table].items() if len(text)}
        if table == "opportunities" and "amount" not in columns:
            notes.append(
                "opportunities.amount: no column gives it, and won deals need one: map a column, or a "
                "price list under `lookup:`"
            )
        if table == "opportunities" and "type" not in columns:
            spec["defaults"] = {"type": "new business"}
            notes.append("opportunities.type: no column gives it; every deal counts as new business")
        if table == "accounts" and "snapshot_date" not in columns:
            exported = dt.date.fromtimestamp((source / chosen[table]).stat().st_mtime).isoformat()
            spec["defaults"] = {"snapshot_date": exported}
            notes.append(
                f"accounts.snapshot_date: no column gives it; set to the file's date {exported}: today's "
                "employees and revenue then stand in for past deals (features.undated_firmographics: static; "
                "strict keeps them for scoring only). Set the date they were measured if older."
            )
        tables[table] = spec
    notes += through_people(tables, samples, source, headers)
    for table, spec in tables.items():
        notes += [
            f"{table}.{c}: required, and no column looks like it: fill in `columns:` or `defaults:`"
            for c in _unfilled(table, spec)
        ]
    orders = settled(found)
    for table, spec in tables.items():
        fmt, said = date_formats(table, found[table], texts[table], orders)
        notes += said
        if fmt:
            spec["date_format"] = fmt
    for table in ("accounts", "opportunities"):
        if table not in tables:
            notes.append(f"{table}: required, and no file looks like it: add `tables.{table}`")
    return {"tables": tables}, notes


def _unfilled(table: str, spec: dict) -> list[str]:
    """The contract's required columns that nothing in `spec` fills."""
    columns, filled = spec["columns"], {*spec.get("defaults", {}), *spec.get("lookup", {})}
    return [
        c
        for c, col in SCHEMAS[table].columns.items()
        if not col.nullable
        and c not in columns
        and c not in filled
        and c not in ("is_customer", "customer_since")
        and not (c == "account_id" and DOMAIN_KEY in columns)
    ]


def _scalar(value) -> str:
    return (
        yaml.safe_dump(value, default_flow_style=True, width=10_000, sort_keys=False)
        .strip()
        .removesuffix("...")
        .strip()
    )


def render(mapping: dict, notes: list[str], source: str | Path) -> str:
    """The mapping as YAML with a `# guess` comment on every guessed line and the notes on top."""
    lines = [
        f"# Mapping of {source} onto the data contract, guessed by `icp init` on {dt.date.today()}.",
        "# Every line marked `# guess` is a guess: review it. docs/bring_your_own_data.md explains each key.",
        *[f"# TO REVIEW: {' '.join(n.splitlines())}" for n in notes],  # a reader's message may hold lines
        "tables:",
    ]
    for table, spec in mapping["tables"].items():
        lines += [f"  {table}:", f"    file: {_scalar(spec['file'])}  # guess"]
        if spec.get("header_row"):
            lines.append(f"    header_row: {spec['header_row']}  # guess: the lines above it are a title")
        lines.append("    columns:  # contract column: your column")
        lines += [f"      {c}: {_scalar(h)}  # guess" for c, h in spec["columns"].items()]
        if spec.get("technologies"):
            listed = _scalar(spec["technologies"])
            lines.append(f"    technologies: {listed}  # guess: a list of technologies in one cell")
        if spec.get("history"):
            h = spec["history"]
            lines += [
                "    history:  # guess: one row per recorded value of a field (docs/bring_your_own_data.md)",
                f"      field: {_scalar(h['field'])}",
                f"      value: {_scalar(h['value'])}",
                "      fields:",
                *[f"        {c}: {_scalar(v)}" for c, v in h["fields"].items()],
            ]
        if spec.get("lookup"):
            lines.append("    lookup:  # contract column: from another file (its key matched to your column)")
            lines += [f"      {c}: {_scalar(look)}  # guess" for c, look in spec["lookup"].items()]
        if spec.get("values"):
            lines.append("    values:  # your value: the contract's")
            for col, codes in spec["values"].items():
                lines.append(f"      {_scalar(col)}:")
                lines += [f"        {_scalar(k)}: {_scalar(v)}  # guess" for k, v in codes.items()]
        if isinstance(spec.get("date_format"), dict):
            lines.append("    date_format:  # contract column: how your file writes its dates")
            lines += [f"      {c}: {_scalar(f)}  # guess" for c, f in spec["date_format"].items()]
        elif spec.get("date_format"):
            lines.append(f"    date_format: {_scalar(spec['date_format'])}  # guess")
        if spec.get("defaults"):
            lines.append("    defaults:")
            lines += [f"      {c}: {_scalar(v)}  # guess" for c, v in spec["defaults"].items()]
    return "\n".join(lines) + "\n"


def write_mapping(source: str | Path, out: str | Path, force: bool = False) -> str:
    out = Path(out)
    if out.exists() and not force:
        raise MappingError(f"{out} exists: review and edit it, or pass --force to overwrite it")
    mapping, notes = guess(source)
    text = render(mapping, notes, source)
    if yaml.safe_load(text) != mapping:
        raise AssertionError(
            "the rendered mapping does not read back as guessed"
        )  # a quoting bug: never ship
    out.write_text(text, encoding="utf-8")
    said = "\n".join(f"  {n}" for n in notes) or "  nothing"
    return (
        f"wrote {out}: {', '.join(mapping['tables'])} from {source}. Review every line marked `# guess`.\n"
        f"To review or fill in:\n{said}\nThen: icp run --data {source} --mapping {out}"
    )
