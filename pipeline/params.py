"""params.yaml, loaded once into typed objects: a misspelt or missing key fails here, not deep in a stage."""

from dataclasses import asdict, dataclass, fields
from pathlib import Path

import yaml

from models.calibration import METHODS


class ParamsError(ValueError):
    """A param that is misspelt, missing or out of range: said in one line, no traceback."""


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
            raise ParamsError(f"params.yaml: synthesize.format must be parquet or csv, not {self.format!r}")
        if self.accounts < 1 or self.chunk_size < 1:
            raise ParamsError("params.yaml: synthesize.accounts and synthesize.chunk_size must be positive")


@dataclass(frozen=True)
class Ingest:
    source: str
    out: str
    max_reject_share: float
    mapping: str = ""  # a mapping file (docs/bring_your_own_data.md); "" when source is named as the contract


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
    tech_seen_within_days: int
    memory_limit: str

    def __post_init__(self):
        unknown = set(self.families) - set(FAMILIES)
        if unknown:
            raise ParamsError(f"params.yaml: features.families has unknown {sorted(unknown)}; known: {FAMILIES}")


@dataclass(frozen=True)
class Train:
    out: str
    seed: int
    split: dict
    calibration: str
    classifier: dict
    value: dict
    small_data_deals: int
    small_data_classifier: dict
    cv_folds: int

    def __post_init__(self):
        if self.calibration not in METHODS:
            raise ParamsError(f"params.yaml: train.calibration must be one of {', '.join(METHODS)}, not "
                              f"{self.calibration!r}")
        if set(self.split) != {"train", "validation", "holdout"} or abs(sum(self.split.values()) - 1) > 1e-9:
            raise ParamsError("params.yaml: train.split needs train, validation and holdout fractions summing to 1")
        unknown = set(self.small_data_classifier) - set(self.classifier)
        if unknown:
            raise ParamsError(f"params.yaml: train.small_data_classifier overrides keys of train.classifier; "
                             f"{sorted(unknown)} are not among them")
        if self.cv_folds < 2:
            raise ParamsError("params.yaml: train.cv_folds must be at least 2")


@dataclass(frozen=True)
class Evaluate:
    out: str
    truth: str
    ece_bins: int
    bootstrap: int
    seed: int


@dataclass(frozen=True)
class Explain:
    out: str
    profile: str
    max_rows: int
    top_features: int
    dependence_plots: int
    profile_depth: int
    profile_min_deals: int
    few_deals: int
    bootstrap: int


@dataclass(frozen=True)
class Score:
    as_of: str | None
    out: str
    tier1_size: int
    tier2_size: int
    tier3_size: int
    tier3_min_p_win: float
    include_customers: bool
    include_open: bool
    reasons_for_all: bool
    chunk_size: int
    list_rows_per_tier: int

    def __post_init__(self):
        if min(self.tier1_size, self.tier2_size, self.tier3_size, self.chunk_size, self.list_rows_per_tier) < 1:
            raise ParamsError("params.yaml: score tier sizes, chunk_size and list_rows_per_tier must be positive")


@dataclass(frozen=True)
class Report:
    experiment: str
    registered_model: str
    promotion_metric: str
    promotion_margin: float
    out: str


@dataclass(frozen=True)
class Params:
    synthesize: Synthesize
    ingest: Ingest
    features: Features
    train: Train
    evaluate: Evaluate
    explain: Explain
    score: Score
    report: Report


def _section(cls, raw: dict, name: str):
    known = {f.name for f in fields(cls)}
    unknown, missing = set(raw) - known, known - set(raw)
    if unknown or missing:
        raise ParamsError(f"params.yaml: section {name!r} has unknown keys {sorted(unknown)} "
                         f"and lacks {sorted(missing)}")
    return cls(**raw)


def _set(tree: dict, key: str, value) -> None:
    """Set `section.key` (or a deeper dotted key) in a params tree, as `dvc exp run -S` does."""
    *parents, leaf = key.split(".")
    if not parents or parents[0] not in {f.name for f in fields(Params)}:
        raise ParamsError(f"cannot set {key!r}: write section.key=value with a section of params.yaml")
    node = tree
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ParamsError(f"cannot set {key!r}: {part} holds a value, not keys")
    node[leaf] = value


def _build(tree: dict) -> Params:
    return Params(**{f.name: _section(f.type, tree.get(f.name) or {}, f.name) for f in fields(Params)})


def load(path: str | Path = "params.yaml", overrides: dict | None = None) -> Params:
    """params.yaml with `overrides` ({"score.include_open": True, ...}, like `dvc exp run -S`) applied."""
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"{path.resolve()} not found: run from the project folder, where params.yaml is")
    raw = yaml.safe_load(path.read_text())
    for key, value in (overrides or {}).items():
        _set(raw, key, value)
    return _build(raw)


def as_dict(p: Params) -> dict:
    """The params as the nested dict params.yaml holds."""
    return asdict(p)


def override(p: Params, values: dict) -> Params:
    """A copy of `p` with dotted keys set ({"score.out": "x", ...}), checked as params.yaml is."""
    tree = as_dict(p)
    for key, value in values.items():
        _set(tree, key, value)
    return _build(tree)


def flatten(tree: dict, prefix: str = "") -> dict:
    """{"a": {"b": 1}} -> {"a.b": 1}: for `load(overrides=...)`, and MLflow params and metrics are flat."""
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def rooted(p: Params, root: str | Path, seed: int | None = None) -> Params:
    """The same params with every path moved under `root` (and the world's seed changed): a throwaway project
    for tests and benchmarks that never touches ./data."""
    root = Path(root)
    folders = {"synthesize.out": "raw", "synthesize.truth_out": "truth", "ingest.source": "raw",
               "ingest.out": "interim", "features.out": "features", "train.out": "model",
               "evaluate.out": "reports", "evaluate.truth": "truth", "explain.out": "reports/explain",
               "explain.profile": "reports/icp_profile", "score.out": "targets",
               "report.out": "reports/model_card.html"}
    values = {key: str(root / sub) for key, sub in folders.items()}
    return override(p, values | ({} if seed is None else {"synthesize.seed": seed}))
