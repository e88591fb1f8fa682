"""A user's export folder read through a mapping file into contract-named tables, ready for `ingest`."""

import logging
from pathlib import Path

import pandas as pd
import yaml

from features import mapping as M
from features.contract import TABLES
from features.custom import TABLES as CUSTOM_TABLES
from features.custom import declared
from pipeline import readers

log = logging.getLogger(__name__)


def load_mapping(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise M.MappingError(
            f"{path}: no such mapping file. Write one with `icp init --from <your export "
            f"folder>` (docs/bring_your_own_data.md)."
        )
    try:
        return M.check(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        said = " ".join(str(getattr(e, "problem", None) or e).split())
        raise M.MappingError(f"{path}: not valid YAML ({where}{said})") from e


def read_mapped(
    source: str | Path, mapping_file: str | Path
) -> tuple[
    dict[str, pd.DataFrame], dict[str, str], dict[str, dict[str, str]], dict[str, dict[str, float]], dict
]:
    """The tables of `source` as the mapping says: frames in contract names, the file of each table, the
    date or number format of each column that has one and the scale factor of each number column that has one,
    by table (ingest reads the values with them), and the accounts' custom fields."""
    mapping, source = load_mapping(mapping_file), Path(source)
    frames = {}
    for file, sheet, header_row in sorted(M.sources(mapping), key=str):
        path = source / file
        if not path.is_file():
            raise M.MappingError(f"{mapping_file}: names {file}, but {path} does not exist")
        frames[file, sheet, header_row] = readers.read(path, sheet, header_row)
        log.info(
            f"ingest: read {path}{f' (sheet {sheet})' if sheet else ''} "
            f"({len(frames[file, sheet, header_row]):,} rows)"
        )
    specs = mapping["tables"]
    formats = {name: M.formats(name, specs[name]) for name in specs}
    scales = {name: M.scales(specs[name]) for name in specs}
    try:
        tables, notes = {}, []
        for name in (t for t in TABLES if t in specs):
            tables[name], missed = M.apply(name, specs[name], frames)
            notes += missed
            if name != "accounts":  # accounts wait for the customers derived from the deals
                tables[name], added = M.complete(name, tables[name])
                notes += [f"{name}.{c}: not in the export, left empty" for c in added]
        listed = specs["accounts"].get("technologies")
        if listed:
            tables["technographics"] = M.listed_technologies(specs["accounts"], frames, tables["accounts"])
            notes.append(
                f"technographics: {len(tables['technographics']):,} technologies listed in the accounts' "
                f"{listed} column: undated, so they count as today's (features.undated_firmographics)"
            )
        tables["accounts"], derived = M.derive_customers(tables["accounts"], tables["opportunities"], formats)
        tables["accounts"], added = M.complete("accounts", tables["accounts"])
        notes += derived + [f"accounts.{c}: not in the export, left empty" for c in added]
    except M.MappingError as e:
        raise M.MappingError(f"{mapping_file}: {e}") from None
    for note in notes:
        log.info(f"ingest: {note}")
    files = {name: str(source / specs[name]["file"]) for name in tables if name in specs}
    if listed:
        files["technographics"] = f"{source / specs['accounts']['file']} (column {listed})"
    custom = {name: declared(specs[name], f"tables.{name}") for name in CUSTOM_TABLES if name in specs}
    return tables, files, formats, scales, {name: fields for name, fields in custom.items() if fields}
