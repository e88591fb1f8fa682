"""Stage `ingest`: raw tables to validated, canonical Parquet in data/interim/, every row left out explained.

`python -m pipeline.stages.ingest` reads params.yaml (ingest.source, ingest.out, ingest.max_reject_share, and
ingest.mapping when the export has its own names: pipeline/sources.py). The rules live in features/ (ingest.py
and the parse, rules and keys it calls); this module reads the files, writes the interim folder atomically,
reconciles: rows in = rows kept + rows rejected, per table. Input it cannot use stops it with exit code 2 and
a message naming file, column, row and value; then no interim table is written, so no later stage runs on
stale or bad data, but rejects.csv is, so the user can see every problem at once.
"""

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from features.contract import DOMAIN_KEY, TABLES
from features.errors import ContractError
from features.ingest import (
    STREAMED,
    Ingested,
    combined,
    ingest,
    ingest_part,
    no_closed_deals,
    too_many_rejects,
)
from pipeline import params as P
from pipeline import readers
from pipeline.console import progress, stage_main
from pipeline.io import TableFolder, new_folder, table_path, to_json
from pipeline.paths import paths
from pipeline.sources import read_mapped

log = logging.getLogger(__spec__.name)  # not __name__: that is "__main__" under python -m


def _read(path: Path) -> pd.DataFrame:
    """A whole table (the keyed ones, whose keys are checked across all rows)."""
    start = time.perf_counter()
    frame = readers.read(path)
    log.info(f"ingest: read {path} ({len(frame):,} rows, {time.perf_counter() - start:.1f}s)")
    return frame


def _stream(
    name: str,
    frames: Iterator[pd.DataFrame],
    file: str,
    base: Ingested,
    out: TableFolder | None,
    date_formats: dict[str, str] | None = None,
    scales: dict[str, float] | None = None,
) -> Ingested:
    """A table with no key of its own, validated and written chunk by chunk: memory bounded by the chunks."""
    start, parts, offset = time.perf_counter(), [], 0
    for chunk in progress(frames, what=f"ingest: {name}", unit="chunk"):
        part = ingest_part(name, chunk, file, base, offset, date_formats, scales)
        if out is not None:
            out.append(name, part.tables[name])
        parts.append(part)
        part.tables.clear()  # written: only the rejects and counts stay in memory
        offset += len(chunk)
        log.debug(f"ingest: {name}: {offset:,} rows checked ({time.perf_counter() - start:.1f}s)")
    return combined(name, parts, base)


def run(p: P.Params) -> dict:
    """Ingest the tables of `ingest.source` (named as the contract says, or as the `ingest.mapping` file says)
    into `ingest.out`; the summary it returns is also its ingest_summary.json."""
    start, f = time.perf_counter(), paths(p)
    source, mapping, max_reject_share = f.source, p.ingest.mapping, p.ingest.max_reject_share
    if mapping:
        whole, files, formats, scales, custom = read_mapped(source, mapping)
        streams = {name: iter([whole.pop(name)]) for name in STREAMED if name in whole}
    else:
        found = {name: path for name in TABLES if (path := table_path(source, name)) is not None}
        files, formats, scales, custom = {name: str(path) for name, path in found.items()}, {}, {}, {}
        whole = {name: _read(path) for name, path in found.items() if name not in STREAMED}
        streams = {
            name: readers.chunks(found[name], p.ingest.chunk_rows) for name in STREAMED if name in found
        }
    kinds = {name: {f: c["kind"] for f, c in fields.items()} for name, fields in custom.items()}
    result = ingest(whole, files, str(source), formats, kinds, scales)
    del whole
    fatal = too_many_rejects(result, files, max_reject_share) or no_closed_deals(result, files)
    with new_folder(f.interim) as folder, TableFolder(folder, "parquet") as tables:
        if fatal is None:
            for name, df in result.tables.items():
                # microseconds: Spark refuses nanosecond Parquet timestamps; pandas' metadata keeps Int64
                df.to_parquet(folder / f.interim_table(name).name, index=False, coerce_timestamps="us")
        writer = None if fatal else tables
        streamed = [
            _stream(name, streams[name], files[name], result, writer, formats.get(name), scales.get(name))
            for name in STREAMED
            if name in streams
        ]
        parts = [result, *streamed]
        counts = {name: c for p in parts for name, c in p.counts.items()}
        rejects = pd.concat([p.rejects for p in parts], ignore_index=True)
        rejects = rejects.sort_values("table", key=lambda s: s.map(TABLES.index), kind="stable")
        rejects.to_csv(folder / f.rejects.name, index=False)
        result.merges.to_csv(folder / f.merges.name, index=False)
        summary = {
            "source": str(source),
            "account_merges": len(result.merges),
            "custom_fields": custom.get("accounts", {}),
            **({"deal_custom_fields": custom["opportunities"]} if "opportunities" in custom else {}),
            "tables": {name: {"file": files[name], **counts[name]} for name in TABLES if name in counts},
        }
        (folder / f.ingest_summary.name).write_text(to_json(summary))
    for name, c in summary["tables"].items():
        merged = len(result.merges) if name == "accounts" else 0
        notes = [f"{merged:,} merged duplicates"] if merged else []
        notes += [f"{c['values_cleared']:,} values cleared, rows kept"] if c["values_cleared"] else []
        if c.get("seniority_from_title") or c.get("department_from_title"):
            notes.append(
                f"seniority derived from title for {c['seniority_from_title']:,} rows, "
                f"department for {c['department_from_title']:,}"
            )
        unmatched = ((rejects["table"] == name) & (rejects["column"] == DOMAIN_KEY)).sum()
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
        f"{len(rejects):,} rejects in rejects.csv, {len(result.merges):,} account merges) "
        f"in {time.perf_counter() - start:.1f}s"
    )
    return summary


if __name__ == "__main__":
    stage_main(run)
