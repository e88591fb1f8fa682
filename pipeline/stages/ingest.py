"""Stage `ingest`: raw tables to validated, canonical Parquet in data/interim/, every row left out explained.

`python -m pipeline.stages.ingest` reads params.yaml (ingest.source, ingest.out, ingest.max_reject_share, and
ingest.mapping when the export has its own names: pipeline/sources.py). The rules live in features/ (ingest.py
and the parse, rules and keys it calls); this module reads the files, writes the interim folder atomically,
reconciles: rows in = rows kept + rows rejected, per table. Every table is read `ingest.chunk_rows` rows at a
time, so memory is bounded by a chunk, whatever the export's size: the keyed tables' checked chunks are
spooled to Parquet beside the interim folder, where the rules across rows read them in DuckDB (within
`ingest.memory_limit`), then their kept rows are written. Input it cannot use stops it with exit code 2 and
a message naming file, column, row and value; then no interim table is written, so no later stage runs on
stale or bad data, but rejects.csv is, so the user can see every problem at once.
"""

import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.contract import DOMAIN_KEY, REQUIRED_TABLES, TABLES
from features.errors import ContractError
from features.ingest import (
    KEYED,
    STREAMED,
    check_events,
    check_rows,
    counts,
    keep_rows,
    no_closed_deals,
    rejects,
    too_many_rejects,
)
from features.keys import Across, across
from pipeline import params as P
from pipeline import readers
from pipeline.console import progress, stage_main
from pipeline.io import TableFolder, new_folder, table_path, to_json
from pipeline.paths import paths
from pipeline.sources import read_mapped

log = logging.getLogger(__spec__.name)  # not __name__: that is "__main__" under python -m


class _Spool:
    """The checked chunks of the keyed tables, one Parquet file each, with their pandas dtypes: the rules
    across rows read them in DuckDB, then their kept rows are written chunk by chunk."""

    def __init__(self, folder: Path):
        self.folder, self.writers = folder, {}

    def append(self, name: str, df: pd.DataFrame) -> None:
        if name not in self.writers:
            self.writers[name] = pq.ParquetWriter(
                self.path(name), pa.Schema.from_pandas(df, preserve_index=False)
            )
        writer = self.writers[name]
        writer.write_table(pa.Table.from_pandas(df, schema=writer.schema, preserve_index=False))

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.parquet"

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()

    def chunks(self, name: str, rows: int) -> Iterator[pd.DataFrame]:
        """The table's checked rows, `rows` at a time; one empty frame when it has none (its file is written,
        empty, as an export with a header only asks)."""
        file = pq.ParquetFile(self.path(name))
        if file.metadata.num_rows == 0:
            yield file.schema_arrow.empty_table().to_pandas()
        for batch in file.iter_batches(batch_size=rows):
            yield pa.Table.from_batches([batch]).to_pandas()


def _checked_keyed(spool: _Spool, read: dict[str, Callable], files, formats, scales, custom) -> dict:
    """Each keyed table's rows checked chunk by chunk into the spool; per table, its issues and rows in."""
    out = {}
    for name in (t for t in KEYED if t in read):
        start, issues, offset = time.perf_counter(), [], 0
        for chunk in progress(read[name](), what=f"ingest: {name}", unit="chunk"):
            part = check_rows(
                name, chunk, files[name], offset, formats.get(name), scales.get(name), custom.get(name)
            )
            spool.append(name, part.rows)
            issues.append(part.issues)
            offset += part.rows_in
            _release()
        out[name] = (issues, offset)
        log.info(f"ingest: {name}: {offset:,} rows checked ({time.perf_counter() - start:.1f}s)")
    spool.close()
    return out


def _stream(
    name: str,
    frames: Iterator[pd.DataFrame],
    file: str,
    found: Across,
    domains: Callable[[], pd.Series],
    out: TableFolder | None,
    date_formats: dict[str, str] | None = None,
    scales: dict[str, float] | None = None,
) -> tuple[list[pd.DataFrame], int, int]:
    """A table with no key of its own, validated and written chunk by chunk: memory bounded by the chunks.
    Its issues, rows in and rows kept."""
    start, issues, offset, kept = time.perf_counter(), [], 0, 0
    for chunk in progress(frames, what=f"ingest: {name}", unit="chunk"):
        part = check_events(name, chunk, file, offset, found, domains, date_formats, scales)
        if out is not None:
            out.append(name, part.rows)
        issues.append(part.issues)
        offset, kept = offset + part.rows_in, kept + len(part.rows)
        _release()
    log.info(f"ingest: {name}: {offset:,} rows checked ({time.perf_counter() - start:.1f}s)")
    return issues, offset, kept


def run(p: P.Params) -> dict:
    """Ingest the tables of `ingest.source` (named as the contract says, or as the `ingest.mapping` file says)
    into `ingest.out`; the summary it returns is also its ingest_summary.json."""
    start, f, rows = time.perf_counter(), paths(p), p.ingest.chunk_rows
    source, mapping, max_reject_share = f.source, p.ingest.mapping, p.ingest.max_reject_share
    if mapping:
        read, files, formats, scales, custom = read_mapped(source, mapping, rows)
    else:
        found = {name: path for name in TABLES if (path := table_path(source, name)) is not None}
        files, formats, scales, custom = {name: str(path) for name, path in found.items()}, {}, {}, {}
        read = {name: (lambda path=path: readers.chunks(path, rows)) for name, path in found.items()}
    for name in REQUIRED_TABLES:
        if name not in read:
            raise ContractError(
                f"{source}: no {name}.csv or {name}.parquet. The {name} table is required "
                f"(docs/data_contract.md): export it into that folder."
            )
    kinds = {name: {field: c["kind"] for field, c in fields.items()} for name, fields in custom.items()}
    with (
        new_folder(f.interim) as folder,
        tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".{folder.name}.spool-") as spool_dir,
    ):
        spool = _Spool(Path(spool_dir))
        checked = _checked_keyed(spool, read, files, formats, scales, kinds)
        con = ibis.duckdb.connect(memory_limit=p.ingest.memory_limit, temp_directory=spool_dir)
        moment = time.perf_counter()
        found = across(con, {name: con.read_parquet(spool.path(name)) for name in checked})
        log.info(f"ingest: keys checked across rows ({time.perf_counter() - moment:.1f}s)")
        issues, table_counts, stages = {}, {}, pd.Series(dtype="int64")
        with TableFolder(folder, "parquet") as tables:
            for name, (chunk_issues, rows_in) in checked.items():
                issues[name] = [*chunk_issues, found.issues[name]]
                kept, derived = 0, {}
                for chunk in spool.chunks(name, rows):
                    rows_kept, filled = keep_rows(name, chunk, found)
                    tables.append(name, rows_kept)
                    kept += len(rows_kept)
                    derived = {c: derived.get(c, 0) + n for c, n in filled.items()}
                    if name == "opportunities":
                        stages = stages.add(rows_kept["stage"].value_counts(), fill_value=0)
                table_counts[name] = counts(rows_in, kept, pd.concat(issues[name])) | derived
                log.info(f"ingest: {name}: {kept:,} rows kept ({time.perf_counter() - moment:.1f}s)")
        every = rejects(issues)
        fatal = too_many_rejects(every, table_counts, files, max_reject_share) or no_closed_deals(
            stages, files
        )
        if fatal:
            for name in checked:
                (folder / f.interim_table(name).name).unlink(missing_ok=True)
        domains = cache(lambda: _domains(found))
        with TableFolder(folder, "parquet") as tables:
            for name in (t for t in STREAMED if t in read):
                chunk_issues, rows_in, kept = _stream(
                    name,
                    read[name](),
                    files[name],
                    found,
                    domains,
                    None if fatal else tables,
                    formats.get(name),
                    scales.get(name),
                )
                issues[name] = chunk_issues
                table_counts[name] = counts(rows_in, kept, pd.concat(chunk_issues))
        every = rejects(issues)
        every.drop(columns="kind").to_csv(folder / f.rejects.name, index=False)
        found.merges.to_csv(folder / f.merges.name, index=False)
        summary = {
            "source": str(source),
            "account_merges": len(found.merges),
            "custom_fields": custom.get("accounts", {}),
            **({"deal_custom_fields": custom["opportunities"]} if "opportunities" in custom else {}),
            "tables": {
                name: {"file": files[name], **table_counts[name]} for name in TABLES if name in table_counts
            },
        }
        (folder / f.ingest_summary.name).write_text(to_json(summary))
    for name, c in summary["tables"].items():
        merged = len(found.merges) if name == "accounts" else 0
        notes = [f"{merged:,} merged duplicates"] if merged else []
        notes += [f"{c['values_cleared']:,} values cleared, rows kept"] if c["values_cleared"] else []
        if c.get("seniority_from_title") or c.get("department_from_title"):
            notes.append(
                f"seniority derived from title for {c['seniority_from_title']:,} rows, "
                f"department for {c['department_from_title']:,}"
            )
        unmatched = ((every["table"] == name) & (every["column"] == DOMAIN_KEY)).sum()
        notes += [f"{unmatched:,} rows match no account's domain"] if unmatched else []
        log.info(
            f"ingest: {name}: rows in {c['rows_in']:,} = rows kept {c['rows_kept']:,} + rows rejected "
            f"{c['rows_rejected']:,}" + (f" ({'; '.join(notes)})" if notes else "")
        )
    if fatal is not None:
        raise ContractError(f"{fatal} Every reject is listed in {f.rejects}; no table was written.")
    kept = sum(c["rows_kept"] for c in summary["tables"].values())
    log.info(
        f"ingest: wrote {f.interim} ({len(summary['tables'])} tables, {kept:,} rows; "
        f"{len(every):,} rejects in rejects.csv, {len(found.merges):,} account merges) "
        f"in {time.perf_counter() - start:.1f}s"
    )
    return summary


def _release() -> None:
    """Arrow's allocator keeps freed memory for reuse: given back after each chunk, the peak is a chunk's."""
    pa.default_memory_pool().release_unused()


def _domains(found: Across) -> pd.Series:
    """The kept accounts' ids by domain: what a table keyed by account_domain is joined on."""
    accounts = found.kept["accounts"].to_pandas()
    return accounts.dropna(subset=["domain"]).drop_duplicates("domain").set_index("domain")["account_id"]


if __name__ == "__main__":
    stage_main(run)
