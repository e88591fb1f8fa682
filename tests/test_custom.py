"""Custom fields: a team's own account columns declared in the mapping become features of the `custom` family,
read as their kind, said in their own name, and checked by the leak guard like every undated field."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from features.contract import SCHEMAS, TABLES
from features.today import todays_values
from pipeline import params as P
from pipeline.paths import paths
from pipeline.run import run_stages
from pipeline.stages import featurize
from pipeline.stages.synthesize import write_world
from pipeline.world import WorldConfig
from tests.conftest import params_at, said

AGENTS, SEGMENT, PRODUCTS = "# of Agents Total", "Segment", "Products Owned"
INTEREST, LOSS = "Product Interest", "Loss Reason"  # deal fields: one known at creation, one after a loss


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A small world whose accounts file carries three custom fields: a count filled once a deal is won (a
    leak), a segment and a list; mapped with every other column as the contract names it."""
    root = tmp_path_factory.mktemp("custom")
    write_world(WorldConfig(accounts=2500, seed=4), root / "raw", root / "truth", "parquet")
    acc = pd.read_parquet(root / "raw" / "accounts.parquet")
    rng = np.random.default_rng(0)
    customer = acc["is_customer"].astype(str).str.lower().eq("true").to_numpy()
    filled = rng.random(len(acc)) < np.where(customer, 0.9, 0.03)
    agents = np.where(filled, rng.integers(5, 500, len(acc)).astype(str), "")
    agents[:3] = "about 40"  # no number: cleared, the account kept
    products = np.array(["Zendesk; Slack", "Slack", "", "Zendesk;Jira ; zendesk"], object)
    acc = acc.assign(
        **{
            AGENTS: agents,
            SEGMENT: rng.choice(["SMB", "Mid-Market", "Enterprise"], len(acc)),
            PRODUCTS: products[rng.integers(0, 4, len(acc))],
        }
    )
    acc.to_parquet(root / "raw" / "accounts.parquet", index=False)
    opps = pd.read_parquet(root / "raw" / "opportunities.parquet")
    lost = opps["stage"].eq("lost").to_numpy()
    opps = opps.assign(
        **{
            INTEREST: rng.choice(["Voice", "Chat", "Email"], len(opps)),
            LOSS: np.where(
                lost & (rng.random(len(opps)) < 0.8), rng.choice(["Price", "Timing"], len(opps)), ""
            ),
        }
    )
    opps.to_parquet(root / "raw" / "opportunities.parquet", index=False)
    tables = {}
    for name in TABLES:
        if (root / "raw" / f"{name}.parquet").exists():
            columns = pd.read_parquet(root / "raw" / f"{name}.parquet").columns
            tables[name] = {
                "file": f"{name}.parquet",
                "columns": {c: c for c in columns if c in SCHEMAS[name].columns or c == "account_domain"},
            }
    tables["accounts"]["custom"] = {AGENTS: "number", SEGMENT: "category", PRODUCTS: "list"}
    tables["opportunities"]["custom"] = {INTEREST: "category", LOSS: "category"}
    (root / "map.yaml").write_text(yaml.safe_dump({"tables": tables}))
    p = params_at(
        root / "out",
        {"ingest.source": root / "raw", "ingest.mapping": root / "map.yaml", "features.min_value_records": 5},
    )
    with said() as messages:
        results = run_stages(p, ["ingest", "featurize", "train"])
    return {"params": p, "results": results, "said": messages}


def test_custom_fields_are_read_as_their_kind_and_a_bad_number_is_cleared(run):
    summary = run["results"]["ingest"]
    assert summary["custom_fields"] == {
        AGENTS: {"kind": "number", "trusted": False},
        SEGMENT: {"kind": "category", "trusted": False},
        PRODUCTS: {"kind": "list", "trusted": False},
    }
    assert summary["tables"]["accounts"]["values_cleared"] >= 3
    rejects = pd.read_csv(paths(run["params"]).rejects, dtype=str)
    assert "unparsable number 'about 40' in custom field # of Agents Total: cleared, row kept" in set(
        rejects["reason"]
    )
    acc = pd.read_parquet(paths(run["params"]).interim_table("accounts"))
    assert set(acc["custom:products owned"].dropna()) == {"Zendesk; Slack", "Slack", "Zendesk; Jira"}


def test_custom_features_carry_their_kind_and_label(run):
    meta = json.loads(paths(run["params"]).features_json.read_text())
    by_name = {f["name"]: f for f in meta["features"]}
    assert by_name["custom_num_of_agents_total"] == {
        "name": "custom_num_of_agents_total",
        "family": "custom",
        "kind": "numeric",
        "label": AGENTS,
    }
    assert by_name["custom_cat_segment"]["kind"] == "categorical"
    assert by_name["custom_has_products_owned__zendesk"]["label"] == "Products Owned lists Zendesk"
    assert {"custom_has_products_owned__slack", "custom_has_products_owned__jira"} <= set(by_name)


def test_features_json_says_which_todays_values_stand_in_for_every_deals(run, tmp_path):
    """featurize keeps ownership out by default, records the static fields used, and the custom and deal
    fields join them among the today's values the card and profile list."""
    meta = json.loads(paths(run["params"]).features_json.read_text())
    assert meta["static_fields"] == ["industry", "country", "region", "founded_year"]
    assert "firm_ownership" not in {f["name"] for f in meta["features"]}
    todays = [
        "the account's industry, country, region and founded year (features.static_fields)",
        f"the custom fields {AGENTS}, {PRODUCTS}, {SEGMENT}",  # as ingest lists them
        f"the deal fields {LOSS}, {INTEREST}, as the export holds them now (deal model only)",
    ]
    assert todays_values(meta) == todays
    assert f"featurize: today's values stand in for every deal's: {'; '.join(todays)}" in run["said"]
    # opted in: ownership is a feature, an unlisted field is none
    opted = P.override(
        run["params"], {"features.static_fields": ["ownership"], "features.out": str(tmp_path / "features")}
    )
    meta = featurize.run(opted)
    names = {f["name"] for f in meta["features"]}
    assert meta["static_fields"] == ["ownership"]
    assert "firm_ownership" in names and "firm_industry" not in names


def test_a_custom_field_recorded_after_the_win_is_named_and_left_out(run):
    guard = run["results"]["train"]["leak_guard"]
    assert [s["feature"] for s in guard["left_out"]] == [
        "custom_num_of_agents_total",
        "deal_custom_loss_reason",
    ]
    assert any(
        m.startswith("train: # of Agents Total is filled for ") and m.endswith("left out")
        for m in run["said"]
    )


def test_a_deal_field_is_the_deal_models_and_one_filled_after_a_loss_is_left_out(run):
    """Declared on the deals, a field is a feature of the deal model only (an account has no deal), read as
    its kind, labelled in its own name and checked by the leak guard: a loss reason is no predictor."""
    assert run["results"]["ingest"]["deal_custom_fields"] == {
        INTEREST: {"kind": "category", "trusted": False},
        LOSS: {"kind": "category", "trusted": False},
    }
    by_name = {f["name"]: f for f in json.loads(paths(run["params"]).features_json.read_text())["features"]}
    assert by_name["deal_custom_product_interest"] == {
        "name": "deal_custom_product_interest",
        "family": "deal",
        "kind": "categorical",
        "label": INTEREST,
        "undated": True,
    }
    f = paths(run["params"])
    deal = json.loads((f.deal_model / "feature_spec.json").read_text())["features"]
    account = json.loads((f.model / "feature_spec.json").read_text())["features"]
    assert [x["name"] for x in deal if x["family"] == "deal"] == [
        "deal_lead_source",
        "deal_custom_product_interest",
    ]
    assert not [x for x in account if x["family"] == "deal"]
    assert any(m.startswith("train: Loss Reason is filled for ") for m in run["said"])
