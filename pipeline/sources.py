"""A user's export folder read through a mapping file into contract-named tables, ready for `ingest`."""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import yaml

from features import mapping as M
from features.contract import DOMAIN_KEYED, TABLES
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


# Tables whose rows map one at a time, read a chunk at a time (they are the long ones: events and people);
# accounts, deals and snapshots are read whole: customers, listed technologies and field histories need them
STREAMED = ("contacts", *DOMAIN_KEYED)
Reader = Callable[[], Iterator[pd.DataFrame]]


def read_mapped(
    source: str | Path, mapping_file: str | Path, rows: int | None = None
) -> tuple[dict[str, Reader], dict[str, str], dict[str, dict[str, str]], dict[str, dict[str, float]], dict]:
    """The tables of `source` as the mapping says: for each, a reader of its frames in contract names (the
    STREAMED tables `rows` rows at a time, the others whole), the file of each table, the date or number
    format of each column that has one and the scale factor of each number column that has one, by table
    (ingest reads the values with them), and the accounts' custom fields."""
    mapping, source = load_mapping(mapping_file), Path(source)
    specs = mapping["tables"]
    streamed = [name for name in STREAMED if name in specs]
    whole = M.sources({"tables": {n: s for n, s in specs.items() if n not in streamed}})
    looks = [look for n in streamed for look in (specs[n].get("lookup") or {}).values()]
    frames = {}
    for file, sheet, header_row in sorted(whole | {M.source_of(look) for look in looks}, key=str):
        frames[file, sheet, header_row] = readers.read(_path(source, file, mapping_file), sheet, header_row)
        log.info(
            f"ingest: read {source / file}{f' (sheet {sheet})' if sheet else ''} "
            f"({len(frames[file, sheet, header_row]):,} rows)"
        )
    formats = {name: M.formats(name, specs[name]) for name in specs}
    scales = {name: M.scales(specs[name]) for name in specs}
    with _named(mapping_file):
        tables, notes = {}, []
        for name in (t for t in TABLES if t in specs and t not in streamed):
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
    for note in notes:
        log.info(f"ingest: {note}")
    read = {name: (lambda df=df: iter([df])) for name, df in tables.items()}
    for name in streamed:
        path = _path(source, specs[name]["file"], mapping_file)
        read[name] = lambda name=name, path=path: _mapped_chunks(
            name, specs[name], path, rows, frames, mapping_file
        )
    files = {name: str(source / specs[name]["file"]) for name in read if name in specs}
    if listed:
        files["technographics"] = f"{source / specs['accounts']['file']} (column {listed})"
    custom = {name: declared(specs[name], f"tables.{name}") for name in CUSTOM_TABLES if name in specs}
    return read, files, formats, scales, {name: fields for name, fields in custom.items() if fields}


def _path(source: Path, file: str, mapping_file: str | Path) -> Path:
    path = source / file
    if not path.is_file():
        raise M.MappingError(f"{mapping_file}: names {file}, but {path} does not exist")
    return path


def _mapped_chunks(
    name: str, spec: dict, path: Path, rows: int | None, frames: dict, mapping_file: str | Path
) -> Iterator[pd.DataFrame]:
    """Table `name` mapped `rows` rows of its file at a time (row N of a chunk is row N after the chunks
    before: mapping keeps the rows in order); its look-ups' files are among `frames`, read whole."""
    chunks = readers.chunks(path, rows, spec.get("sheet", 0), spec.get("header_row", 1))
    for i, chunk in enumerate(chunks):
        with _named(mapping_file):
            table, notes = M.apply(name, spec, {**frames, M.source_of(spec): chunk})
            table, added = M.complete(name, table)
        notes += [f"{name}.{c}: not in the export, left empty" for c in added] if i == 0 else []
        for note in notes:
            log.info(f"ingest: {note}")
        yield table


@contextmanager
def _named(mapping_file: str | Path) -> Iterator[None]:
    """A mapping's error said with the mapping file's name in front."""
    try:
        yield
    except M.MappingError as e:
        raise M.MappingError(f"{mapping_file}: {e}") from None
