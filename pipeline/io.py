"""Files: tables written chunk by chunk into a folder that appears atomically, and tables read back."""

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features import contract

_ARROW = {
    "str": pa.string(),
    "string[pyarrow]": pa.string(),
    "string[python]": pa.string(),
    "Int64": pa.int64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    "datetime64[ns]": pa.timestamp("us"),  # Spark refuses nanoseconds; microseconds every engine reads
}

FORMATS = ("parquet", "csv")  # the formats a folder of tables may hold, the preferred first


def _arrow_schema(name: str, df: pd.DataFrame) -> pa.Schema:
    """The contract's types where the table has one (so an all-empty column in a chunk keeps its type); the
    pandas dtypes (Int64) in the metadata, which other readers ignore."""
    inferred = pa.Schema.from_pandas(df, preserve_index=False)
    schemas = contract.schemas()
    known = schemas[name].columns if name in schemas else {}
    return pa.schema(
        [
            pa.field(c, _ARROW[str(known[c].dtype)] if c in known else inferred.field(c).type)
            for c in df.columns
        ],
        metadata=inferred.metadata,
    )


@contextmanager
def new_folder(path: str | Path) -> Iterator[Path]:
    """A temporary sibling folder to write into; it replaces `path` only when the block succeeds."""
    path = Path(path)
    tmp, old = (path.with_name(f".{path.name}.{tag}-{os.getpid()}") for tag in ("tmp", "old"))
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if path.exists():
        path.rename(old)
    tmp.rename(path)
    shutil.rmtree(old, ignore_errors=True)


def write_text(path: str | Path, text: str) -> None:
    """Write a file atomically: a temporary sibling, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text)
    tmp.replace(path)


def to_json(obj) -> str:
    return json.dumps(obj, indent=2, default=list) + "\n"


class TableFolder:
    """Append chunks of named tables to `<folder>/<name>.parquet|csv`; use inside `new_folder`."""

    def __init__(self, folder: str | Path, fmt: str):
        self.folder, self.fmt = Path(folder), fmt
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.rows: dict[str, int] = {}

    def __enter__(self):
        return self

    def append(self, name: str, df: pd.DataFrame) -> None:
        if self.fmt == "parquet":
            if name not in self.writers:
                schema = _arrow_schema(name, df)
                self.writers[name] = pq.ParquetWriter(table_file(self.folder, name, "parquet"), schema)
            writer = self.writers[name]
            writer.write_table(pa.Table.from_pandas(df, schema=writer.schema, preserve_index=False))
        else:
            df.to_csv(
                table_file(self.folder, name, "csv"), mode="a", header=name not in self.rows, index=False
            )
        self.rows[name] = self.rows.get(name, 0) + len(df)

    def __exit__(self, *exc):
        for writer in self.writers.values():
            writer.close()
        return False


def table_file(folder: str | Path, name: str, fmt: str) -> Path:
    """Where a folder of tables keeps table `name` in format `fmt` (parquet or csv): <folder>/<name>.<fmt>."""
    return Path(folder) / f"{name}.{fmt}"


def table_path(folder: str | Path, name: str) -> Path | None:
    """The file of table `name` in `folder`, Parquet first; None when there is none."""
    return next((p for fmt in FORMATS if (p := table_file(folder, name, fmt)).exists()), None)


def parquet_parts(path: str | Path) -> list[Path]:
    """A Parquet file, or the part files of a folder (as Spark writes it) in their order: part-00000, ..."""
    path = Path(path)
    return sorted(path.glob("*.parquet")) if path.is_dir() else [path]


def parquet_rows(path: str | Path) -> int:
    return sum(pq.ParquetFile(part).metadata.num_rows for part in parquet_parts(path))


def parquet_batches(path: str | Path, size: int) -> Iterator[pd.DataFrame]:
    """A Parquet file or folder of part files, `size` rows at a time, in order: bounded memory."""
    for part in parquet_parts(path):
        yield from (b.to_pandas() for b in pq.ParquetFile(part).iter_batches(batch_size=size))


def read_table(folder: str | Path, name: str) -> pd.DataFrame:
    p = table_path(folder, name)
    if p is None:
        raise FileNotFoundError(f"{folder}: no {' or '.join(table_file('', name, f).name for f in FORMATS)}")
    return pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p)
