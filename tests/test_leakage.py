"""The leak guard: an undated field recorded after the outcome is named and left out of training, unless
trusted; fields known before a deal pass."""

import json

import numpy as np
import pandas as pd
import pytest
from test_models import FEATURES, SMALL, deals_frame
from test_train_evaluate import open_deals_beside

from models.bundle import load_bundle
from models.leakage import suspects, words
from pipeline import params as P
from pipeline.stages.train import leak_guard
from pipeline.stages.train import run as train
from tests.conftest import PARAMS, said

AGENTS = {"name": "firm_agents_total", "family": "firmographic", "kind": "numeric"}


def with_leak(deals: pd.DataFrame, seed: int = 3) -> pd.DataFrame:
    """A field a team fills in once a deal is won (53% of won, 5% of lost deals), like HubSpot's
    `# of Agents Total`."""
    rng = np.random.default_rng(seed)
    filled = rng.random(len(deals)) < np.where(deals["won"], 0.53, 0.05)
    return deals.assign(firm_agents_total=np.where(filled, rng.integers(5, 500, len(deals)), np.nan))


def test_a_field_filled_after_the_win_is_a_suspect_and_honest_fields_are_not():
    deals = with_leak(deals_frame(seed=1))
    found = suspects(deals, [*FEATURES, AGENTS], fill_gap=0.3, max_auc=0.8)
    assert [s["feature"] for s in found] == ["firm_agents_total"]
    s = found[0]
    assert 0.45 < s["filled_won"] < 0.6 and s["filled_lost"] < 0.1
    assert words(s).startswith("firm_agents_total is filled for ") and "recorded after the outcome" in words(
        s
    )


def test_a_field_that_alone_separates_the_outcomes_is_a_suspect():
    deals = deals_frame(seed=2)
    stamped = deals.assign(firm_industry=np.where(deals["won"], "Closed customer", "Prospect"))
    found = suspects(stamped, FEATURES, fill_gap=0.3, max_auc=0.8)
    assert [s["feature"] for s in found] == ["firm_industry"] and found[0]["auc"] > 0.99


@pytest.fixture
def features(tmp_path):
    folder = tmp_path / "features"
    folder.mkdir()
    deals = with_leak(deals_frame(seed=1))
    deals.drop(columns="true_p_win").to_parquet(folder / "train.parquet")
    (folder / "features.json").write_text(json.dumps({"features": [*FEATURES, AGENTS]}))
    open_deals_beside(tmp_path, deals)
    return folder


def _params(features, model, trusted=()) -> P.Params:
    return P.override(
        PARAMS,
        {
            "features.out": str(features),
            "ingest.out": str(features.parent / "interim"),
            "train.out": str(model),
            "train.classifier": SMALL,
            "train.value": SMALL,
            "train.small_data_classifier": {"num_leaves": 4},
            "train.trusted_fields": list(trusted),
        },
    )


def test_train_leaves_the_leak_out_says_so_and_keeps_it_when_trusted(features, tmp_path):
    with said() as messages:
        summary = train(_params(features, tmp_path / "model"))
    left = summary["leak_guard"]["left_out"]
    assert [s["feature"] for s in left] == ["firm_agents_total"]
    assert "firm_agents_total" not in [f["name"] for f in load_bundle(tmp_path / "model").spec["features"]]
    assert any(
        m.startswith("train: firm_agents_total is filled for") and m.endswith("left out") for m in messages
    )
    kept = train(_params(features, tmp_path / "trusted", trusted=["firm_agents_total"]))
    assert (
        not kept["leak_guard"]["left_out"]
        and kept["leak_guard"]["trusted"][0]["feature"] == "firm_agents_total"
    )
    assert "firm_agents_total" in [f["name"] for f in load_bundle(tmp_path / "trusted").spec["features"]]


def test_a_field_the_mapping_marks_trusted_is_kept():
    """A custom field the mapping marks `trusted` is `trusted` in features.json: the guard keeps it."""
    deals = with_leak(deals_frame(seed=1))
    cfg = PARAMS.train
    plain = leak_guard(deals, [*FEATURES, AGENTS], cfg)
    trusted = leak_guard(deals, [*FEATURES, AGENTS | {"trusted": True}], cfg)
    assert [s["feature"] for s in plain["left_out"]] == ["firm_agents_total"] and not plain["trusted"]
    assert not trusted["left_out"] and [s["feature"] for s in trusted["trusted"]] == ["firm_agents_total"]
