"""Small seeded worlds made by the generator itself, shared by the tests of a session."""

import pytest

from pipeline.synthesize import run
from pipeline.world import WorldConfig

SMALL = WorldConfig(accounts=6000, seed=11, chunk_size=3000)  # two chunks, so chunking is exercised


@pytest.fixture(scope="session")
def small_world(tmp_path_factory):
    root = tmp_path_factory.mktemp("world")
    summary = run(SMALL, root / "raw", root / "truth", "parquet", log=lambda *a, **k: None)
    return {"data": root / "raw", "truth": root / "truth", "summary": summary}


@pytest.fixture(scope="session")
def small_run(small_world, tmp_path_factory):
    """The project's params.yaml run through ingest ... score on the small world, in a tmp folder."""
    from dataclasses import replace
    from pathlib import Path

    from pipeline import explain, featurize, ingest, score, train
    from pipeline import params as P

    p = P.rooted(P.load(Path(__file__).resolve().parents[1] / "params.yaml"), tmp_path_factory.mktemp("run"))
    p = replace(p, ingest=replace(p.ingest, source=str(small_world["data"])),
                evaluate=replace(p.evaluate, truth=str(small_world["truth"])))
    quiet = {"log": lambda *a, **k: None}
    ingest.run(p.ingest.source, p.ingest.out, p.ingest.max_reject_share, **quiet)
    featurize.run(p, **quiet)
    train.run(p.train, p.features.out, **quiet)
    explained = explain.run(p.explain, p.features.out, p.train.out, p.train.seed, **quiet)
    summary = score.run(p.score, p.features.out, p.train.out, p.ingest.out, **quiet)
    return {"params": p, "explained": explained, "summary": summary}
