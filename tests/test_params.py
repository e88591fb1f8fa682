"""params.yaml loading: overrides as `dvc exp run -S` gives them, and a one-line error for each mistake."""

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from features.pointintime import FeatureConfig
from features.today import STATIC
from pipeline import cli
from pipeline import params as P

PARAMS = Path(__file__).resolve().parents[1] / "params.yaml"


def test_overrides_set_nested_keys_and_flatten_names_them_back():
    p = P.load(
        PARAMS, {"train.calibration": "isotonic", "train.classifier.num_leaves": 4, "score.tier1_size": 7}
    )
    assert (p.train.calibration, p.train.classifier["num_leaves"], p.score.tier1_size) == ("isotonic", 4, 7)
    assert P.flatten({"train": {"classifier": {"num_leaves": 4}}, "seed": 7}) == {
        "train.classifier.num_leaves": 4,
        "seed": 7,
    }


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"train.calibration": "beta"}, "train.calibration must be one of isotonic, sigmoid, not 'beta'"),
        ({"train.split": {"train": 0.7, "validation": 0.2, "holdout": 0.2}}, "fractions summing to 1"),
        ({"train.small_data_classifier": {"max_depth": 3}}, "['max_depth'] are not among them"),
        ({"train.cv_folds": 1}, "train.cv_folds must be at least 2"),
        ({"score.tier1_size": 0}, "score.tier1_size must be at least 1, not 0"),
        ({"score.contacts_per_account": -1}, "score.contacts_per_account must be at least 0, not -1"),
        ({"score.tier_size": 5}, "section 'score' has unknown keys ['tier_size']"),
        ({"scoring.tier1_size": 5}, "cannot set 'scoring.tier1_size': write section.key=value"),
        ({"train.seed.value": 5}, "cannot set 'train.seed.value': seed holds a value"),
        (
            {"score.crm.salesforce.teir": "X"},
            "section 'score.crm.salesforce' has unknown keys ['teir']; its keys are tier, score",
        ),
        ({"score.crm": 5}, "section 'score.crm' must hold its keys, not 5"),
    ],
)
def test_each_mistake_is_named_in_one_line(overrides, message):
    with pytest.raises(P.ParamsError) as e:
        P.load(PARAMS, overrides)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_a_missing_params_file_says_where_it_looked(tmp_path):
    where = tmp_path / "params.yaml"
    with pytest.raises(P.ParamsError, match=f"{where} not found: run from the project folder"):
        P.load(tmp_path / "params.yaml")
    shutil.copy(PARAMS, tmp_path / "params.yaml")
    assert P.load(tmp_path / "params.yaml") == P.load(PARAMS)


def _one_line(overrides: dict, params: Path = PARAMS) -> str:
    with pytest.raises(P.ParamsError) as e:
        P.load(params, overrides)
    assert "\n" not in str(e.value)
    return str(e.value)


@pytest.mark.parametrize("value", ["50", 2.5, True])
def test_a_wrong_type_is_named_with_what_is_allowed(value):
    assert _one_line({"score.tier1_size": value}) == (
        f"params.yaml: score.tier1_size must be a whole number, not {value!r}"
    )


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"synthesize.format": "xlsx"}, "synthesize.format must be one of parquet, csv, not 'xlsx'"),
        (
            {"features.families": ["intent", "intnt"]},
            "features.families[1] must be one of firmographic, technographic, behaviour, intent, "
            "triggers, rel",
        ),
        ({"ingest.max_reject_share": 1.5}, "ingest.max_reject_share must be at most 1.0, not 1.5"),
        ({"features.windows": [7, 0]}, "features.windows[1] must be at least 1, not 0"),
        ({"score.as_of": "2026-13-01"}, "score.as_of must be a date as YYYY-MM-DD, not '2026-13-01'"),
        ({"train.classifier.num_leaves": "15"}, "train.classifier.num_leaves must be a number, not '15'"),
        ({"train.value": {"num_leaves": 3}}, "train.value lacks ['early_stopping_rounds', 'n_estimators']"),
        (
            {"features.static_fields": ["industry", "owner"]},
            "features.static_fields[1] must be one of industry, country, region, founded_year, ownership, "
            "not 'owner'",
        ),
        ({"features.static_fields": "ownership"}, "features.static_fields must be a list, not 'ownership'"),
        (
            {"score.crm.files": ["pipedrive"]},
            "score.crm.files[0] must be one of salesforce, hubspot, not 'pipedrive'",
        ),
        ({"score.crm.reasons_length": 5}, "score.crm.reasons_length must be at least 10, not 5"),
        (
            {"score.crm.hubspot.id": "domain"},
            "score.crm.hubspot.id must be one of Record ID, Company Domain Name, not 'domain'",
        ),
        (
            {"score.crm.salesforce.tier": "ICP Tier"},
            "score.crm.salesforce names ['ICP Tier']: give the fields' API names (letters, digits and _)",
        ),
        ({"score.crm.hubspot.score": "icp_tier"}, "score.crm.hubspot names ['icp_tier'] twice"),
        ({"engine": "polars"}, "engine must be one of duckdb, spark, not 'polars'"),
        ({"spark.conf": {"spark.driver.memory": 4}}, "spark.conf.spark.driver.memory must be text, not 4"),
    ],
)
def test_each_choice_and_range_is_said(overrides, message):
    assert message in _one_line(overrides)


def test_the_engine_is_the_one_key_outside_a_section_and_icp_takes_it_as_a_flag(monkeypatch):
    p = P.load(PARAMS)
    assert (p.engine, p.spark.master) == ("duckdb", "local[*]")
    assert P.load(PARAMS, P.sets(["engine=spark"])).engine == "spark"
    monkeypatch.chdir(PARAMS.parent)
    args = cli.parser().parse_args(["refresh", "--engine", "spark"])
    assert cli._export_params(args).engine == "spark"


def test_static_fields_leave_ownership_out_unless_asked_for():
    """params.yaml, the features' default and the names params accept agree: ownership is allowed, not
    default."""
    assert tuple(P.load(PARAMS).features.static_fields) == FeatureConfig().static_fields
    assert "ownership" not in FeatureConfig().static_fields and P.STATIC_FIELDS == tuple(STATIC)
    assert P.load(PARAMS, {"features.static_fields": ["ownership"]}).features.static_fields == ["ownership"]


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            ("  tier1_size: 50", "  tier1_size: 50\n  tier_size: 5"),
            "section 'score' has unknown keys ['tier_size']; its keys are as_of, out, tier1_size, tier2_size",
        ),
        (("  list_rows_per_tier: 5000", ""), "score.list_rows_per_tier is missing"),
        (
            ("report:", "reports:"),
            "unknown sections ['reports']; the sections are synthesize, ingest, features, train, "
            "evaluate, explain",
        ),
    ],
)
def test_an_unknown_or_missing_key_in_the_file_is_named(tmp_path, edit, message):
    (tmp_path / "params.yaml").write_text(PARAMS.read_text().replace(*edit, 1))
    assert message in _one_line({}, tmp_path / "params.yaml")


def test_yaml_values_keep_their_types_and_as_dict_gives_params_yaml_back():
    # an unquoted `-S score.as_of=2026-01-31` is a date to YAML
    p = P.load(
        PARAMS,
        {"train.classifier.lambda_l2": 1, "report.promotion_margin": 0, "score.as_of": dt.date(2026, 1, 31)},
    )
    assert p.train.classifier["lambda_l2"] == 1 and p.report.promotion_margin == 0.0
    assert (p.score.as_of, p.train.split["train"]) == ("2026-01-31", 0.6)
    assert type(p.train.classifier["num_leaves"]) is int
    tree, flat = P.flatten(yaml.safe_load(PARAMS.read_text())), P.flatten(P.as_dict(P.load(PARAMS)))
    assert flat == tree and {k: type(v) for k, v in flat.items()} == {k: type(v) for k, v in tree.items()}


def test_override_checks_what_it_sets():
    p = P.load(PARAMS)
    assert P.override(p, {"score.tier1_size": 20}).score.tier1_size == 20
    with pytest.raises(P.ParamsError) as e:
        P.override(p, {"score.tier1_size": "20"})
    assert str(e.value) == "params.yaml: score.tier1_size must be a whole number, not '20'"
    assert p.score.tier1_size == 50


def test_icp_run_stops_on_a_bad_set_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(PARAMS.parent)
    assert (
        cli.main(
            ["run", "--data", str(tmp_path), "--out", str(tmp_path / "out"), "--set", "score.tier1_size=abc"]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err == "icp run: params.yaml: score.tier1_size must be a whole number, not 'abc'\n"
