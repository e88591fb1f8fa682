"""params.yaml, loaded once into typed objects: a misspelt, missing, mistyped or out-of-range key stops here,
in one line naming it, not deep in a stage.

Over 300 lines: the eight sections' schemas and the words that explain a broken one belong together; split,
each half would only make sense beside the other."""

import datetime as dt
import re
from dataclasses import asdict, fields, is_dataclass
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    ConfigDict,
    Field,
    PlainValidator,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass

from models.calibration import METHODS
from models.split import SPLITS


class ParamsError(ValueError):
    """A param misspelt, missing, of the wrong type or out of range: said in one line, no traceback."""


FAMILIES = (
    "firmographic",
    "technographic",
    "behaviour",
    "intent",
    "triggers",
    "relationship",
    "custom",
    "deal",
)

CRMS = ("salesforce", "hubspot")  # the CRMs whose import files score writes (score.crm)

# the accounts' undated fields that may be features, as today's values (features/today.py's STATIC)
STATIC_FIELDS = ("industry", "country", "region", "founded_year", "ownership")

# pydantic dataclasses, not BaseModel: attribute access and dataclasses.asdict as before, and a copy made with
# dataclasses.replace is validated too. Strict per field, not per class: a strict class
# would refuse its section as the dict YAML gives. Strict ints refuse "50", 2.5 and true; strict floats still
# take a YAML int (lambda_l2: 1) as the float it means.
Count = Annotated[StrictInt, Field(ge=1)]
Whole = Annotated[StrictInt, Field(ge=0)]
Share = Annotated[StrictFloat, Field(ge=0, le=1)]
Name = Annotated[StrictStr, Field(min_length=1)]  # paths among them: "" would write into the project folder


def _number(value):
    """An int stays an int (num_leaves: 15), a float a float: LightGBM and MLflow see what params.yaml says.
    ValueError, not TypeError: pydantic reports only the former as the key's error."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    raise ValueError(f"must be a number, not {value!r}")


def _date(value):
    """YAML reads an unquoted 2026-06-30 (`-S score.as_of=2026-06-30`) as a date; stages take the text."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    try:
        dt.datetime.strptime(value, "%Y-%m-%d")
    except (TypeError, ValueError):
        raise ValueError(f"must be a date as YYYY-MM-DD, not {value!r}") from None
    return value


Hyper = dict[StrictStr, Annotated[int | float, PlainValidator(_number)]]  # LightGBM params, passed as given
Date = Annotated[str, PlainValidator(_date)]
CONFIG = ConfigDict(extra="forbid", frozen=True)


@dataclass(config=CONFIG)
class Synthesize:
    accounts: Count
    seed: Whole
    end_date: Date
    years: Count
    format: Literal["parquet", "csv"]
    chunk_size: Count
    out: Name
    truth_out: Name
    # the world in the contract's names, or as Salesforce or HubSpot export it (pipeline/world/styles.py)
    style: Literal["native", "salesforce", "hubspot"] = "native"
    # the planted role effect (an engaged finance contact raises P(win)); false: committee breadth only
    role_effect: StrictBool = True


@dataclass(config=CONFIG)
class Ingest:
    source: Name
    out: Name
    max_reject_share: Share
    chunk_rows: Count
    memory_limit: Name
    # a mapping file (docs/bring_your_own_data.md); "" when source is named as the contract
    mapping: StrictStr = ""


@dataclass(config=CONFIG)
class Features:
    out: Name
    as_of_lag_days: Whole
    opportunity_types: Annotated[list[StrictStr], Field(min_length=1)]
    families: Annotated[list[Literal[FAMILIES]], Field(min_length=1)]
    windows: list[Count]
    intent_topics: list[StrictStr]
    surge_threshold: Annotated[StrictInt, Field(ge=0, le=100)]  # intent scores are 0-100 (data contract)
    strategic_employees: Count
    tech_seen_within_days: Whole
    undated_firmographics: Literal["static", "strict"]
    static_fields: list[Literal[STATIC_FIELDS]]  # [] leaves them all out
    top_values: Count
    min_value_records: Count
    memory_limit: Name


@dataclass(config=CONFIG)
class Train:
    out: Name
    seed: Whole
    split: dict[Literal[SPLITS], Annotated[StrictFloat, Field(gt=0, lt=1)]]
    calibration: Literal[METHODS]
    classifier: Hyper
    value: Hyper
    small_data_deals: Whole
    small_data_classifier: Hyper
    cv_folds: Annotated[StrictInt, Field(ge=2)]
    leak_fill_gap: Share
    leak_auc: Annotated[StrictFloat, Field(gt=0.5, le=1)]
    trusted_fields: list[StrictStr]

    @field_validator("split")
    @classmethod
    def _fractions(cls, split: dict) -> dict:
        """Every deal falls in one part: a part left out, or fractions off 1, would drop or double count."""
        if set(split) != set(SPLITS) or abs(sum(split.values()) - 1) > 1e-9:
            raise ValueError(f"needs train, validation and holdout fractions summing to 1, not {split}")
        return split

    @field_validator("classifier", "value")
    @classmethod
    def _rounds(cls, hyper: dict) -> dict:
        """models.boosting takes these two from the LightGBM params: without them training fails late."""
        missing = sorted({"n_estimators", "early_stopping_rounds"} - set(hyper))
        if missing:
            raise ValueError(f"lacks {missing}: the most boosting rounds and the early-stopping patience")
        return hyper

    @field_validator("small_data_classifier")
    @classmethod
    def _overrides(cls, small: dict, info: ValidationInfo) -> dict:
        """Small data overrides the classifier's params; a key it lacks is most likely misspelt."""
        unknown = sorted(set(small) - set(info.data.get("classifier", small)))
        if unknown:
            raise ValueError(f"overrides keys of train.classifier; {unknown} are not among them")
        return small


@dataclass(config=CONFIG)
class Evaluate:
    out: Name
    truth: StrictStr  # "" for real data, which has no ground truth
    ece_bins: Count
    bootstrap: Whole
    seed: Whole
    backtest_origins: Whole  # 0: no backtest


@dataclass(config=CONFIG)
class Explain:
    out: Name
    profile: Name
    max_rows: Count
    top_features: Count
    dependence_plots: Whole
    profile_depth: Count
    profile_min_deals: Count
    few_deals: Whole
    bootstrap: Whole
    committee_min_deals: Count  # fewest learned deals a committee role must be engaged in to be tried


@dataclass(config=CONFIG)
class CrmFields:
    """The CRM fields (Salesforce) or properties (HubSpot) the ICP values go to (pipeline/outputs/crm.py)."""

    tier: Name
    score: Name
    expected_value: Name
    reasons: Name
    as_of: Name

    @model_validator(mode="after")
    def _distinct(self):
        """Two columns of one name: the CRM would take one of them, or refuse the file."""
        names = list(asdict(self).values())
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"names {twice} twice: each column of the file needs its own name")
        return self


@dataclass(config=CONFIG)
class Salesforce(CrmFields):
    id: Name  # Id, or an External ID field that holds account_id

    @model_validator(mode="after")
    def _api_names(self):
        """Data Loader maps a column to the field whose API name it is: a label ("ICP Tier") matches none."""
        labels = [n for n in asdict(self).values() if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", n)]
        if labels:
            raise ValueError(f"names {labels}: give the fields' API names (letters, digits and _)")
        return self


@dataclass(config=CONFIG)
class HubSpot(CrmFields):
    id: Literal["Record ID", "Company Domain Name"]  # the column HubSpot's import matches companies on


@dataclass(config=CONFIG)
class Crm:
    """The CRM import files of the target list (pipeline/outputs/crm.py)."""

    files: list[Literal[CRMS]]  # [] writes none
    reasons_length: Annotated[StrictInt, Field(ge=10)]  # room for a few words and the ellipsis
    salesforce: Salesforce
    hubspot: HubSpot


@dataclass(config=CONFIG)
class Score:
    as_of: Date | None
    out: Name
    tier1_size: Count
    tier2_size: Count
    tier3_size: Count
    tier3_min_p_win: Share
    include_customers: StrictBool
    include_open: StrictBool
    reasons_for_all: StrictBool
    chunk_size: Count
    list_rows_per_tier: Count
    stability_days: Whole
    crm: Crm
    contacts_per_account: Whole  # 0 names none; the roles engaged and missing are still said


@dataclass(config=CONFIG)
class Refresh:
    as_of: Date | None
    out: Name


@dataclass(config=CONFIG)
class Report:
    experiment: Name
    registered_model: Name
    promotion_metric: Name  # the report stage checks it is one with a paired interval
    promotion_margin: StrictFloat  # the improvement's interval must lie above it; below 0, a worse one passes
    out: Name


@dataclass(config=CONFIG)
class Spark:
    master: Name  # local[*], local[2], spark://host:7077, yarn, ...
    conf: dict[StrictStr, StrictStr]  # Spark settings (spark.driver.memory: 4g, ...), passed as given


@dataclass(config=CONFIG)
class Params:
    synthesize: Synthesize
    ingest: Ingest
    features: Features
    train: Train
    evaluate: Evaluate
    explain: Explain
    score: Score
    refresh: Refresh
    report: Report
    # where featurize and score run (pipeline/engines.py): DuckDB on one machine, or Spark (docs/scale.md)
    engine: Literal["duckdb", "spark"] = "duckdb"
    spark: Spark = Spark(master="local[*]", conf={})


_SECTIONS = {f.name: f.type for f in fields(Params)}
_SCALARS = {name for name, kind in _SECTIONS.items() if not is_dataclass(kind)}  # keys outside a section
_PARAMS = TypeAdapter(Params)
_KINDS = {
    "int_type": "a whole number",
    "float_type": "a number",
    "string_type": "text",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "keys with values",
}
_BOUNDS = {
    "greater_than_equal": "at least {ge}",
    "greater_than": "more than {gt}",
    "less_than_equal": "at most {le}",
    "less_than": "less than {lt}",
}


def _key(loc: tuple) -> str:
    """("features", "families", 2) -> features.families[2]: the dotted key `--set` and `-S` take."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def _problem(error: dict) -> str:
    """One of pydantic's errors in words: the key, what it allows, and what it was given."""
    loc, kind, value, ctx = error["loc"], error["type"], error["input"], error.get("ctx", {})
    if kind == "missing":
        return f"section {loc[0]!r} is missing" if len(loc) == 1 else f"{_key(loc)} is missing"
    if kind == "dataclass_type":
        return (
            f"section {_key(loc)!r} must hold its keys, not {value!r}"
            if loc
            else f"the file must hold the sections {', '.join(_SECTIONS)}, not {value!r}"
        )
    if kind == "literal_error":
        choices = ctx["expected"].replace("'", "").replace(" or ", ", ")
        if loc[-1] == "[key]":  # a key of a dict whose keys are fixed (train.split)
            return f"{_key(loc[:-2])} has key {value!r}; its keys are {choices}"
        return f"{_key(loc)} must be one of {choices}, not {value!r}"
    if kind in _BOUNDS:
        return f"{_key(loc)} must be {_BOUNDS[kind].format(**ctx)}, not {value!r}"
    if kind in _KINDS:
        return f"{_key(loc)} must be {_KINDS[kind]}, not {value!r}"
    if kind in ("string_too_short", "too_short"):
        return f"{_key(loc)} must not be empty"
    if kind == "value_error":
        return f"{_key(loc)} {ctx['error']}"
    return f"{_key(loc)}: {error['msg']}"


def _unknown(where: tuple, keys: list) -> str:
    """Unknown keys of a section (or unknown sections) with the ones it has: the likely misspelling shows.
    A section may hold sections (score.crm.salesforce)."""
    if not where:
        return f"unknown sections {sorted(keys)}; the sections are {', '.join(_SECTIONS)}"
    section = Params
    for part in where:
        section = {f.name: f.type for f in fields(section)}[part]
    known = ", ".join(f.name for f in fields(section))
    return f"section {_key(where)!r} has unknown keys {sorted(keys)}; its keys are {known}"


def _line(e: ValidationError) -> str:
    """All of pydantic's errors in one line, instead of its two or three lines per error."""
    unknown, problems = {}, []
    for error in e.errors():
        if error["type"] == "unexpected_keyword_argument":
            unknown.setdefault(error["loc"][:-1], []).append(error["loc"][-1])
        else:
            problems.append(_problem(error))
    return "params.yaml: " + "; ".join([_unknown(*item) for item in unknown.items()] + problems)


def _set(tree: dict, key: str, value) -> None:
    """Set `section.key` (or a deeper dotted key) in a params tree, as `dvc exp run -S` does."""
    *parents, leaf = key.split(".")
    if not parents and leaf in _SCALARS:
        tree[leaf] = value
        return
    if not parents or parents[0] not in _SECTIONS:
        raise ParamsError(f"cannot set {key!r}: write section.key=value with a section of params.yaml")
    node = tree
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ParamsError(f"cannot set {key!r}: {part} holds a value, not keys")
    node[leaf] = value


def _build(tree: dict) -> Params:
    try:
        return _PARAMS.validate_python(tree)
    except ValidationError as e:
        raise ParamsError(_line(e)) from None


def sets(items: list[str]) -> dict:
    """`--set section.key=value` arguments (as `dvc exp run -S` takes them) as overrides; values are YAML."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ParamsError(f"--set {item!r}: write section.key=value")
        out[key.strip()] = yaml.safe_load(value)
    return out


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
    folders = {
        "synthesize.out": "raw",
        "synthesize.truth_out": "truth",
        "ingest.source": "raw",
        "ingest.out": "interim",
        "features.out": "features",
        "train.out": "model",
        "evaluate.out": "reports",
        "evaluate.truth": "truth",
        "explain.out": "reports/explain",
        "explain.profile": "reports/icp_profile",
        "score.out": "targets",
        "refresh.out": "refresh",
        "report.out": "reports/model_card.html",
    }
    values = {key: str(root / sub) for key, sub in folders.items()}
    return override(p, values | ({} if seed is None else {"synthesize.seed": seed}))
