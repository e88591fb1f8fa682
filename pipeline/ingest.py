"""Stage `ingest`: raw tables to validated, canonical Parquet in data/interim/, every row left out explained.

`python -m pipeline.ingest` reads params.yaml (ingest.source, ingest.out, ingest.max_reject_share). The rules
live in features/validate.py; this module reads the files, writes the interim folder atomically, reconciles:
rows in = rows kept + rows rejected, per table. Input it cannot use stops it with exit code 2 and a message
naming file, column, row and value; then no interim table is written, so no later stage runs on stale or bad
data, but rejects.csv is, so the user can see every problem at once.
"""

import codecs
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.contract import REQUIRED_TABLES, TABLES
from features.validate import STREAMED, ContractError, Ingested, ingest, ingest_part
from pipeline import params as P
from pipeline.io import TableFolder, new_folder, read_table, say, table_path, to_json

CHUNK_ROWS = 2_000_000  # rows of a big table validated at a time: bounds memory on millions of accounts


def _read(path: Path, log=say) -> pd.DataFrame:
    """A whole table (the keyed ones, whose keys are checked across all rows)."""
    start = time.perf_counter()
    frame = next(_chunks(path, None))
    log(f"ingest: read {path} ({len(frame):,} rows, {time.perf_counter() - start:.1f}s)")
    return frame


def _chunks(path: Path, rows: int | None) -> Iterator[pd.DataFrame]:
    """The file `rows` rows at a time (None: at once). Parquet as typed; CSV as text only (empty cell =
    missing), so validation sees every value as written."""
    try:
        if path.suffix == ".parquet":
            if rows is None:
                yield read_table(path.parent, path.stem)
            else:
                batches = pq.ParquetFile(path).iter_batches(batch_size=rows)
                yield from _or_empty((b.to_pandas() for b in batches), pq.read_schema(path).empty_table().to_pandas)
            return
        text = {"dtype": str, "keep_default_na": False, "na_values": [""], "encoding": _encoding(path)}
        if rows is None:
            yield pd.read_csv(path, engine="pyarrow", **text)
        else:
            yield from _or_empty(pd.read_csv(path, chunksize=rows, **text), lambda: pd.read_csv(path, nrows=0, **text))
    except (OSError, ValueError, pa.ArrowException) as e:
        raise ContractError(f"{path}: cannot read it ({e}). Export it again as CSV with a header row, or as "
                            f"Parquet.") from e


def _or_empty(frames: Iterator[pd.DataFrame], empty) -> Iterator[pd.DataFrame]:
    """The frames, or one empty frame with the file's columns when there are none (a file with a header only):
    its columns are still checked and its counts are zero."""
    seen = False
    for frame in frames:
        seen = True
        yield frame
    if not seen:
        yield empty()


def _stream(name: str, path: Path, base: Ingested, out: TableFolder | None, rows: int, log=say) -> Ingested:
    """A table with no key of its own, validated and written chunk by chunk: memory bounded by `rows`."""
    start, parts, offset = time.perf_counter(), [], 0
    for chunk in _chunks(path, rows):
        part = ingest_part(name, chunk, str(path), base, offset)
        if out is not None:
            out.append(name, part.tables[name])
        parts.append(part)
        part.tables.clear()  # written: only the rejects and counts stay in memory
        offset += len(chunk)
        log(f"ingest: {name}: {offset:,} rows checked ({time.perf_counter() - start:.1f}s)")
    counts = {k: sum(p.counts[name][k] for p in parts) for k in parts[0].counts[name]} if parts else {}
    return Ingested({}, *(pd.concat([getattr(p, f) for p in parts], ignore_index=True)
                          for f in ("rejects", "problems")), base.merges, {name: counts}, {})


def _encoding(path: Path) -> str:
    """UTF-8, else Windows-1252 (a superset of Latin-1 for text): what spreadsheets on Windows export.
    Decoded block by block, so a big file is never read into memory at once."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as f:
            while block := f.read(1 << 24):
                decoder.decode(block)
        decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def too_many_rejects(result: Ingested, files: dict[str, str], max_share: float) -> str | None:
    """Why a required table lost more than `max_share` of its rows to data problems (merges do not count)."""
    for name in REQUIRED_TABLES:
        problems = result.problems[result.problems["table"] == name]
        bad, rows = problems["row"].nunique(), result.counts[name]["rows_in"]
        if bad > max_share * rows:
            first = problems.iloc[0]
            return (f"{files[name]}: {bad:,} of {rows:,} rows ({bad / rows:.0%}) rejected, more than "
                    f"ingest.max_reject_share = {max_share}. First: row {first['row']}, "
                    f"column {first['column']}, value '{first['value']}': {first['reason']}.")
    return None


def run(source: str | Path, out: str | Path, max_reject_share: float, log=say, chunk_rows: int = CHUNK_ROWS
        ) -> dict:
    """Ingest the tables of `source` into `out`; the summary it returns is also `out`/ingest_summary.json."""
    start = time.perf_counter()
    paths = {name: path for name in TABLES if (path := table_path(source, name)) is not None}
    files = {name: str(path) for name, path in paths.items()}
    whole = {name: _read(path, log) for name, path in paths.items() if name not in STREAMED}
    result = ingest(whole, files, str(source))
    del whole
    fatal = too_many_rejects(result, files, max_reject_share)
    with new_folder(out) as folder, TableFolder(folder, "parquet") as tables:
        if fatal is None:
            for name, df in result.tables.items():
                df.to_parquet(folder / f"{name}.parquet", index=False)  # keeps pandas dtypes (Int64, ns dates)
        streamed = [_stream(name, paths[name], result, None if fatal else tables, chunk_rows, log)
                    for name in STREAMED if name in paths]
        parts = [result, *streamed]
        counts = {name: c for p in parts for name, c in p.counts.items()}
        rejects = pd.concat([p.rejects for p in parts], ignore_index=True)
        rejects = rejects.sort_values("table", key=lambda s: s.map(TABLES.index), kind="stable")
        rejects.to_csv(folder / "rejects.csv", index=False)
        result.merges.to_csv(folder / "account_merges.csv", index=False)
        summary = {"source": str(source), "account_merges": len(result.merges),
                   "tables": {name: {"file": files[name], **counts[name]} for name in TABLES if name in counts}}
        (folder / "ingest_summary.json").write_text(to_json(summary))
    for name, c in summary["tables"].items():
        merged = len(result.merges) if name == "accounts" else 0
        notes = [f"{merged:,} merged duplicates"] if merged else []
        notes += [f"{c['values_cleared']:,} values cleared, rows kept"] if c["values_cleared"] else []
        log(f"ingest: {name}: rows in {c['rows_in']:,} = rows kept {c['rows_kept']:,} + rows rejected "
            f"{c['rows_rejected']:,}" + (f" ({'; '.join(notes)})" if notes else ""))
    if fatal is not None:
        raise ContractError(f"{fatal} Every reject is listed in {Path(out) / 'rejects.csv'}; no table was "
                            f"written. Fix the file, or raise ingest.max_reject_share in params.yaml.")
    kept = sum(c["rows_kept"] for c in summary["tables"].values())
    log(f"ingest: wrote {out} ({len(summary['tables'])} tables, {kept:,} rows; {len(rejects):,} rejects "
        f"in rejects.csv, {len(result.merges):,} account merges) in {time.perf_counter() - start:.1f}s")
    return summary


def main() -> None:
    p = P.load().ingest
    try:
        run(p.source, p.out, p.max_reject_share)
    except ContractError as e:
        print(f"ingest: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
