"""params.yaml loading: overrides as `dvc exp run -S` gives them, and a one-line error for each mistake."""

import shutil
from pathlib import Path

import pytest

from pipeline import params as P

PARAMS = Path(__file__).resolve().parents[1] / "params.yaml"


def test_overrides_set_nested_keys_and_flatten_names_them_back():
    p = P.load(PARAMS, {"train.calibration": "isotonic", "train.classifier.num_leaves": 4, "score.tier1_size": 7})
    assert (p.train.calibration, p.train.classifier["num_leaves"], p.score.tier1_size) == ("isotonic", 4, 7)
    assert P.flatten({"train": {"classifier": {"num_leaves": 4}}, "seed": 7}) == {
        "train.classifier.num_leaves": 4, "seed": 7}


@pytest.mark.parametrize("overrides, message", [
    ({"train.calibration": "beta"}, "train.calibration must be one of isotonic, sigmoid, not 'beta'"),
    ({"train.split": {"train": 0.7, "validation": 0.2, "holdout": 0.2}}, "fractions summing to 1"),
    ({"train.small_data_classifier": {"max_depth": 3}}, "['max_depth'] are not among them"),
    ({"train.cv_folds": 1}, "train.cv_folds must be at least 2"),
    ({"score.tier1_size": 0}, "tier sizes, chunk_size and list_rows_per_tier must be positive"),
    ({"score.tier_size": 5}, "section 'score' has unknown keys ['tier_size']"),
    ({"scoring.tier1_size": 5}, "cannot set 'scoring.tier1_size': write section.key=value"),
    ({"train.seed.value": 5}, "cannot set 'train.seed.value': seed holds a value"),
])
def test_each_mistake_is_named_in_one_line(overrides, message):
    with pytest.raises(P.ParamsError) as e:
        P.load(PARAMS, overrides)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_a_missing_params_file_says_where_it_looked(tmp_path):
    with pytest.raises(P.ParamsError, match=f"{tmp_path / 'params.yaml'} not found: run from the project folder"):
        P.load(tmp_path / "params.yaml")
    shutil.copy(PARAMS, tmp_path / "params.yaml")
    assert P.load(tmp_path / "params.yaml") == P.load(PARAMS)
