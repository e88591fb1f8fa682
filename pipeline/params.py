"""params.yaml, loaded once into typed objects: a misspelt or missing key fails here, not deep in a stage."""

from dataclasses import dataclass, fields
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Synthesize:
    accounts: int
    seed: int
    end_date: str
    years: int
    format: str
    chunk_size: int
    out: str
    truth_out: str

    def __post_init__(self):
        if self.format not in ("parquet", "csv"):
            raise ValueError(f"params.yaml: synthesize.format must be parquet or csv, not {self.format!r}")
        if self.accounts < 1 or self.chunk_size < 1:
            raise ValueError("params.yaml: synthesize.accounts and synthesize.chunk_size must be positive")


@dataclass(frozen=True)
class Params:
    synthesize: Synthesize


def _section(cls, raw: dict, name: str):
    known = {f.name for f in fields(cls)}
    unknown, missing = set(raw) - known, known - set(raw)
    if unknown or missing:
        raise ValueError(f"params.yaml: section {name!r} has unknown keys {sorted(unknown)} "
                         f"and lacks {sorted(missing)}")
    return cls(**raw)


def load(path: str | Path = "params.yaml") -> Params:
    raw = yaml.safe_load(Path(path).read_text())
    return Params(**{f.name: _section(f.type, raw.get(f.name, {}), f.name) for f in fields(Params)})
