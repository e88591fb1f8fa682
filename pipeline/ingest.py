"""Stage `ingest`: raw tables to validated, canonical Parquet in data/interim/, every row left out explained.

`python -m pipeline.ingest` reads params.yaml (ingest.source, ingest.out, ingest.max_reject_share). The rules
live in features/validate.py; this module reads the files, writes the interim folder atomically, reconciles:
rows in = rows kept + rows rejected, per table. Input it cannot use stops it with exit code 2 and a message
naming file, column, row and value; then no interim table is written, so no later stage runs on stale or bad
data, but rejects.csv is, so the user can see every problem at once.
"""

import json
import sys
import time
from pathlib import Path

import pandas as pd

from features.contract import REQUIRED_TABLES, TABLES
from features.validate import ContractError, Ingested, ingest
from pipeline import params as P
from pipeline.io import new_folder, read_table, say, table_path, to_json


def read_source(source: str | Path, log=say) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Every contract table present in `source`, and the file each came from."""
    raw, files = {}, {}
    for name in TABLES:
        path = table_path(source, name)
        if path is not None:
            start = time.perf_counter()
            raw[name], files[name] = _read(path), str(path)
            log(f"ingest: read {path} ({len(raw[name]):,} rows, {time.perf_counter() - start:.1f}s)")
    return raw, files


def _read(path: Path) -> pd.DataFrame:
    """Parquet as typed; CSV as text only (empty cell = missing): validation sees every value as written."""
    try:
        if path.suffix == ".parquet":
            return read_table(path.parent, path.stem)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], engine="pyarrow",
                           encoding=_encoding(path))
    except (OSError, ValueError) as e:
        raise ContractError(f"{path}: cannot read it ({e}). Export it again as CSV with a header row, or as "
                            f"Parquet.") from e


def _encoding(path: Path) -> str:
    """UTF-8, else Windows-1252 (a superset of Latin-1 for text): what spreadsheets on Windows export."""
    try:
        path.read_bytes().decode("utf-8")
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


def run(source: str | Path, out: str | Path, max_reject_share: float, log=say) -> dict:
    """Ingest the tables of `source` into `out`; the summary it returns is also `out`/ingest_summary.json."""
    start = time.perf_counter()
    raw, files = read_source(source, log)
    result = ingest(raw, files, str(source))
    fatal = too_many_rejects(result, files, max_reject_share)
    summary = {"source": str(source),
               "tables": {name: {"file": files[name], **counts} for name, counts in result.counts.items()},
               "account_merges": len(result.merges)}
    with new_folder(out) as folder:
        if fatal is None:
            for name, df in result.tables.items():
                df.to_parquet(folder / f"{name}.parquet", index=False)  # keeps pandas dtypes (Int64, ns dates)
        result.rejects.to_csv(folder / "rejects.csv", index=False)
        result.merges.to_csv(folder / "account_merges.csv", index=False)
        (folder / "ingest_summary.json").write_text(to_json(summary))
    for name, c in result.counts.items():
        merged = len(result.merges) if name == "accounts" else 0
        notes = [f"{merged:,} merged duplicates"] if merged else []
        notes += [f"{c['values_cleared']:,} values cleared, rows kept"] if c["values_cleared"] else []
        log(f"ingest: {name}: rows in {c['rows_in']:,} = rows kept {c['rows_kept']:,} + rows rejected "
            f"{c['rows_rejected']:,}" + (f" ({'; '.join(notes)})" if notes else ""))
    if fatal is not None:
        raise ContractError(f"{fatal} Every reject is listed in {Path(out) / 'rejects.csv'}; no table was "
                            f"written. Fix the file, or raise ingest.max_reject_share in params.yaml.")
    kept = sum(c["rows_kept"] for c in result.counts.values())
    log(f"ingest: wrote {out} ({len(result.tables)} tables, {kept:,} rows; {len(result.rejects):,} rejects "
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
