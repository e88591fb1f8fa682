"""Files: tables written chunk by chunk into a folder that appears atomically, and tables read back."""

import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.contract import SCHEMAS

_ARROW = {"str": pa.string(), "string[pyarrow]": pa.string(), "string[python]": pa.string(), "Int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_(),
          "datetime64[ns]": pa.timestamp("s")}


def _arrow_schema(name: str, df: pd.DataFrame) -> pa.Schema:
    """The contract's types where the table has one (so an all-empty column in a chunk keeps its type)."""
    inferred = pa.Schema.from_pandas(df, preserve_index=False)
    contract = SCHEMAS[name].columns if name in SCHEMAS else {}
    return pa.schema([pa.field(c, _ARROW[str(contract[c].dtype)] if c in contract else inferred.field(c).type)
                      for c in df.columns])


class TableFolder:
    """Append chunks of named tables to `<dir>/<name>.parquet|csv`; the folder replaces `dir` only on success."""

    def __init__(self, path: str | Path, fmt: str):
        self.path, self.fmt = Path(path), fmt
        self.tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.rows: dict[str, int] = {}

    def __enter__(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp.mkdir(parents=True)
        return self

    def append(self, name: str, df: pd.DataFrame) -> None:
        if self.fmt == "parquet":
            if name not in self.writers:
                schema = _arrow_schema(name, df)
                self.writers[name] = pq.ParquetWriter(self.tmp / f"{name}.parquet", schema)
            writer = self.writers[name]
            writer.write_table(pa.Table.from_pandas(df, schema=writer.schema, preserve_index=False))
        else:
            df.to_csv(self.tmp / f"{name}.csv", mode="a", header=name not in self.rows, index=False)
        self.rows[name] = self.rows.get(name, 0) + len(df)

    def write_text(self, filename: str, text: str) -> None:
        (self.tmp / filename).write_text(text)

    def __exit__(self, kind, value, tb):
        for writer in self.writers.values():
            writer.close()
        if kind is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return False
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp.rename(self.path)
        return False


def table_path(folder: str | Path, name: str) -> Path | None:
    for ext in (".parquet", ".csv"):
        p = Path(folder) / f"{name}{ext}"
        if p.exists():
            return p
    return None


def read_table(folder: str | Path, name: str) -> pd.DataFrame:
    p = table_path(folder, name)
    if p is None:
        raise FileNotFoundError(f"{folder}: no {name}.parquet or {name}.csv")
    return pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p)
