"""The spark engine gives what DuckDB gives: the same feature rows, the same P(win) and tiers. On a real
Spark: local[2], then a standalone master with two workers on 127.0.0.1 (separate JVMs, so the joins shuffle
between processes), one session at a time."""

import socket
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pyspark
import pytest
from pyspark.sql import SparkSession

from pipeline import params as P
from pipeline.paths import paths
from pipeline.run import run_stages
from pipeline.stages import featurize, score
from pipeline.stages.synthesize import write_world
from pipeline.world import WorldConfig
from tests.conftest import params_at

# featurize's files, as pipeline/paths.py names them
SETS = ("train_set", "score_set", "open_set", "committee")
SPARK_CLASS = Path(pyspark.__file__).parent / "bin" / "spark-class"


@pytest.fixture(scope="module")
def duckdb_run(tmp_path_factory):
    """A tiny world through every stage to score on the default engine: the model and list to match."""
    root = tmp_path_factory.mktemp("spark")
    write_world(WorldConfig(accounts=1500, seed=23, chunk_size=1500), root / "raw", root / "truth", "parquet")
    lighter = {"score.stability_days": 0, "explain.bootstrap": 50}  # the figures are not what is judged
    p = params_at(root, {"evaluate.truth": root / "truth", **lighter})
    run_stages(p, ["ingest", "featurize", "train", "evaluate", "explain", "score"])
    return p


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def standalone(tmp_path):
    """A Spark standalone master and two one-core workers, each its own JVM, on 127.0.0.1."""
    port = _free_port()
    url = f"spark://127.0.0.1:{port}"
    log = (tmp_path / "cluster.log").open("w")
    master = ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port)]
    worker = ["org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1", "--cores", "1"]
    procs = [subprocess.Popen([SPARK_CLASS, *master, "--webui-port", "0"], stdout=log, stderr=log)]
    for i in range(2):
        work = ["--memory", "1g", "--webui-port", "0", "--work-dir", str(tmp_path / f"worker{i}")]
        procs.append(subprocess.Popen([SPARK_CLASS, *worker, *work], stdout=log, stderr=log))
    try:
        yield url
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)


def _on_spark(p: P.Params, root: Path, master: str) -> P.Params:
    """featurize and score on Spark at `master` into `root`, beside the DuckDB run's model and reports."""
    conf = {**p.spark.conf, "spark.sql.shuffle.partitions": "2"}  # a tiny world: fewer, busier tasks
    values = {"engine": "spark", "spark.master": master, "spark.conf": conf}
    q = P.override(p, values | {"features.out": str(root / "features"), "score.out": str(root / "targets")})
    try:
        featurize.run(q)
        score.run(q)
    finally:
        if session := SparkSession.getActiveSession():
            session.stop()  # the next test's master gets a session of its own
    return q


def _same_rows(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    assert list(a.columns) == list(b.columns), what
    assert len(a) == len(b), what
    for c in a.columns:
        x, y = a[c], b[c]
        assert x.isna().equals(y.isna()), f"{what}.{c}: missing values differ"
        if pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x):
            same = np.allclose(x.astype(float), y.astype(float), rtol=0, atol=1e-9, equal_nan=True)
            assert same, f"{what}.{c} differs by more than 1e-9"
        else:
            assert (x[x.notna()].astype(str) == y[y.notna()].astype(str)).all(), f"{what}.{c}"


def _compare(p: P.Params, spark: P.Params) -> None:
    ours, theirs = paths(p), paths(spark)
    for name in SETS:
        _same_rows(pd.read_parquet(getattr(ours, name)), pd.read_parquet(getattr(theirs, name)), name)
    a = pd.read_csv(ours.target_list("csv"))
    b = pd.read_csv(theirs.target_list("csv"))
    _same_rows(a, b, "target list")
    _same_rows(pd.read_csv(ours.open_deals), pd.read_csv(theirs.open_deals), "open deals")


def test_local_spark_matches_duckdb(duckdb_run, tmp_path):
    _compare(duckdb_run, _on_spark(duckdb_run, tmp_path, "local[2]"))


def test_standalone_cluster_matches_duckdb(duckdb_run, standalone, tmp_path):
    _compare(duckdb_run, _on_spark(duckdb_run, tmp_path, standalone))
    said = (tmp_path / "cluster.log").read_text()
    assert said.count("Launching executor") == 2, "the work ran on the two workers' executors"
