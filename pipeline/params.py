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
class Ingest:
    source: str
    out: str
    max_reject_share: float


FAMILIES = ("firmographic", "technographic", "behaviour", "intent", "triggers", "relationship")


@dataclass(frozen=True)
class Features:
    out: str
    as_of_lag_days: int
    opportunity_types: list
    families: list
    windows: list
    intent_topics: list
    surge_threshold: int
    strategic_employees: int

    def __post_init__(self):
        unknown = set(self.families) - set(FAMILIES)
        if unknown:
            raise ValueError(f"params.yaml: features.families has unknown {sorted(unknown)}; known: {FAMILIES}")


@dataclass(frozen=True)
class Train:
    out: str
    seed: int
    split: dict
    calibration: str
    classifier: dict
    value: dict

    def __post_init__(self):
        if self.calibration not in ("isotonic", "sigmoid"):
            raise ValueError(f"params.yaml: train.calibration must be isotonic or sigmoid, not {self.calibration!r}")
        if set(self.split) != {"train", "validation", "holdout"} or abs(sum(self.split.values()) - 1) > 1e-9:
            raise ValueError("params.yaml: train.split needs train, validation and holdout fractions summing to 1")


@dataclass(frozen=True)
class Evaluate:
    out: str
    truth: str
    ece_bins: int


@dataclass(frozen=True)
class Score:
    as_of: str | None
    tier1_size: int
    tier2_size: int


@dataclass(frozen=True)
class Params:
    synthesize: Synthesize
    ingest: Ingest
    features: Features
    train: Train
    evaluate: Evaluate
    score: Score


def _section(cls, raw: dict, name: str):
    known = {f.name for f in fields(cls)}
    unknown, missing = set(raw) - known, known - set(raw)
    if unknown or missing:
        raise ValueError(f"params.yaml: section {name!r} has unknown keys {sorted(unknown)} "
                         f"and lacks {sorted(missing)}")
    return cls(**raw)


def load(path: str | Path = "params.yaml") -> Params:
    raw = yaml.safe_load(Path(path).read_text())
    return Params(**{f.name: _section(f.type, raw.get(f.name) or {}, f.name) for f in fields(Params)})
