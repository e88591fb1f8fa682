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
