"""The buying committee learned from deals: the planted role is found and confirmed on the holdout, committee
breadth alone confirms no role, and the world lists the role effect and its switch."""

import json

import ibis
import numpy as np
import pandas as pd
import pytest

from features.committee import engaged_contacts
from models.committee import committee, label, line
from models.split import assign_split, split_boundaries
from pipeline.cli import main as cli
from pipeline.world import WorldConfig, generate
from tests.conftest import PARAMS

# the demo world's size: the planted role is meant to show on its holdout deals (pipeline/world/catalog.py)
ACCOUNTS = 20000


def _closed_deals(cfg: WorldConfig) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """A world generated in memory: its closed new-business deals, the contacts engaged before each
    (features.committee, on the export's tables, duplicate accounts merged as ingest does) and the
    chronological split of params.yaml."""
    chunks = list(generate(cfg))
    tables = {
        n: pd.concat([c.tables[n] for c in chunks]) for n in ("opportunities", "contacts", "activities")
    }
    dup = pd.concat([c.truth["duplicates"] for c in chunks]).set_index("duplicate_account_id")["account_id"]
    o = tables["opportunities"]
    o = o[(o["stage"] != "open") & (o["type"] == "new business")]
    o = o.assign(account_id=o["account_id"].map(dup).fillna(o["account_id"]))
    o = o.sort_values(["created_date", "opportunity_id"]).reset_index(drop=True)
    spine = pd.DataFrame(
        {"key": o["opportunity_id"], "account_id": o["account_id"], "as_of": o["created_date"]}
    )
    t = {n: ibis.memtable(tables[n]) for n in ("contacts", "activities")}
    engaged = ibis.duckdb.connect().execute(engaged_contacts(ibis.memtable(spine), t))
    deals = o.assign(won=o["stage"] == "won")
    split = assign_split(deals, split_boundaries(deals["created_date"], PARAMS.train.split))
    return engaged.rename(columns={"key": "opportunity_id"}), deals, split


@pytest.fixture(scope="module", params=[True, False], ids=["role effect", "breadth only"])
def world(request):
    engaged, deals, split = _closed_deals(WorldConfig(accounts=ACCOUNTS, seed=11, role_effect=request.param))
    found = committee(engaged, deals, split, PARAMS.explain.committee_min_deals)
    return {"role_effect": request.param, "engaged": engaged, "deals": deals, "split": split, "found": found}


def test_the_planted_role_is_named_and_confirmed_and_breadth_alone_confirms_none(world):
    """With the role effect, Finance (any seniority) is the one confirmed role: its interval on the holdout
    deals, measured on them alone, lies above 1. Without it, deals with an engaged finance contact still win
    more, as more people engaged do (the breadth the truth plants), yet compared with deals with as many
    contacts engaged no role's interval is clear of 1."""
    found, deals, engaged = world["found"], world["deals"], world["engaged"]
    clear = [r["label"] for r in found["roles"] if r["holdout"]["low"] > 1 or r["holdout"]["high"] < 1]
    finance = deals["opportunity_id"].isin(engaged.loc[engaged["department"] == "finance", "opportunity_id"])
    if world["role_effect"]:
        assert [r["label"] for r in found["roles"] if r["confirmed"]] == clear == ["Finance"]
        role = next(r for r in found["roles"] if r["confirmed"])
        assert (role["department"], role["seniority"]) == ("finance", None) and role["holdout"]["low"] > 1
        holdout = (world["split"] == "holdout").to_numpy()
        assert (role["holdout"]["deals"], role["holdout"]["with_role"]) == (
            holdout.sum(),
            finance[holdout].sum(),
        )
        assert line(role).startswith("Won deals had an engaged Finance contact")
        return
    assert clear == [] and not any(r["confirmed"] for r in found["roles"])
    assert deals.loc[finance, "won"].mean() > 1.3 * deals.loc[~finance, "won"].mean()  # the confound is there
    assert found["learned"]["candidates"] > 20  # many roles were tried: the test has teeth


def test_the_odds_ratio_of_one_group_is_the_plain_one_with_woolfs_interval():
    """With every deal in one group (one contact engaged), Mantel-Haenszel is ad/bc and Robins-Breslow-
    Greenland's variance is Woolf's, 1/a + 1/b + 1/c + 1/d; roles read in the contract's words."""
    a, b, c, d = 30, 20, 40, 110  # won / lost with a C-level finance contact engaged, won / lost without
    won = np.repeat([True, False, True, False], [a, b, c, d])
    finance = np.repeat([True, True, False, False], [a, b, c, d])
    deals = pd.DataFrame({"opportunity_id": [f"O{i}" for i in range(len(won))], "won": won})
    engaged = deals[["opportunity_id"]].assign(
        department=np.where(finance, "finance", "sales"), seniority=np.where(finance, "c_level", "manager")
    )

    def twice(f: pd.DataFrame) -> pd.DataFrame:  # learned from, then measured on the same figures again
        return pd.concat([f, f.assign(opportunity_id=f["opportunity_id"] + "+")], ignore_index=True)

    split = pd.Series(["train"] * len(deals) + ["holdout"] * len(deals))
    found = committee(twice(engaged), twice(deals), split, min_deals=10)
    h = next(r for r in found["roles"] if r["label"] == "Finance")["holdout"]
    ratio, se = a * d / (b * c), np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    assert h["odds_ratio"] == pytest.approx(ratio, rel=1e-5)
    assert (h["low"], h["high"]) == pytest.approx(
        (ratio / np.exp(1.96 * se), ratio * np.exp(1.96 * se)), rel=1e-3
    )
    assert (h["won_share"], h["lost_share"], h["with_role"]) == pytest.approx(
        (a / (a + c), b / (b + d), a + b)
    )
    assert [label("finance", "c_level"), label(None, "individual_contributor"), label("it", None)] == [
        "Finance C-level",
        "individual contributor",
        "IT",
    ]


def test_drivers_list_the_role_effect_and_its_switch(tmp_path):
    for flag, effect in (("--role-effect", 0.8), ("--no-role-effect", 0.0)):
        out = tmp_path / flag
        assert cli(["-q", "synthesize", "--accounts", "200", "--out", str(out), flag]) == 0
        truth = tmp_path / f"{flag}_truth"
        role = {d["driver"]: d for d in json.loads((truth / "drivers.json").read_text())}[
            "finance_engaged_90d"
        ]
        assert role["effect_logit"] == effect and role["kind"] == "main"
        assert role["description"].startswith("off (synthesize.role_effect: false)") == (not effect)
        assert json.loads((truth / "world.json").read_text())["config"]["role_effect"] == bool(effect)
