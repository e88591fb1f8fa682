"""The engine the Ibis feature definitions run on: DuckDB on one machine (the default), or Spark when the data
outgrows it (params `engine`, `spark`; docs/scale.md). The same Ibis expressions on either, so the features
are defined once, and the same pandas function for scoring (`map_batches` on Spark's executors).

DuckDB writes one Parquet file; Spark a folder of part files in key order. pandas, pyarrow and both engines
read either (`read`, and pipeline/io.py's `parquet_rows`/`parquet_batches`), with microsecond timestamps.
"""

import os
import sys
from collections.abc import Callable
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa

from pipeline import params as P
from pipeline.io import parquet_batches

# Always set on Spark: the data's timestamps are naive UTC, and Parquet that every engine reads (Spark's
# default INT96 timestamps are a legacy that only Spark and Impala agree on)
SPARK_FIXED = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.execution.arrow.pyspark.enabled": "true",  # Arrow, not rows, between the JVM and pandas
}


def spark_session(s: P.Spark):
    """The Spark session of `s` (the running one if this process has it, as pyspark's builder does). Its
    Python workers run this interpreter unless `s.conf` names another (a cluster's own Python)."""
    from pyspark.sql import SparkSession  # heavy, and only the spark engine needs it

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # pyspark reads it, not spark.pyspark.python
    builder = SparkSession.builder.master(s.master).appName("icp")
    for key, value in {**s.conf, **SPARK_FIXED}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def connect(p: P.Params):
    """An Ibis backend on the engine of `p`."""
    if p.engine == "spark":
        return ibis.pyspark.connect(spark_session(p.spark))
    return ibis.duckdb.connect(memory_limit=p.features.memory_limit)  # DuckDB spills to disk beyond it


def read(con, path: Path):
    """A Parquet table: one file, or a folder of part files."""
    if path.is_dir() and con.name == "duckdb":
        return con.read_parquet(str(path / "*.parquet"))
    return con.read_parquet(str(path))


def map_batches(session, path: Path, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
    """`fn` over the Parquet at `path` on the cluster's executors, partition by partition (Spark's
    mapInPandas), the results collected to the driver in no particular order. The results' schema is that of
    `fn`'s first rows out (an empty result has no types to tell)."""
    from pyspark.sql.pandas.types import from_arrow_schema  # with the session: only the spark engine

    outs = (fn(batch) for batch in parquet_batches(path, 1000))
    sample = next((out for out in outs if len(out)), None)
    if sample is None:  # no row of the whole set gives a result
        return fn(next(parquet_batches(path, 1)))
    schema = from_arrow_schema(pa.Schema.from_pandas(sample, preserve_index=False))
    frames = session.read.parquet(str(path)).mapInPandas(lambda batches: map(fn, batches), schema)
    return frames.toPandas()
