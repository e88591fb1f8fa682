"""`icp refresh`: the list as of a new date from the same model, and what changed since the previous one."""

import json
import shutil

import pandas as pd
import pytest

from models.changes import churn, moves
from pipeline import params as P
from pipeline import refresh
from pipeline.paths import LISTS, paths
from tests.conftest import chromium

WRITTEN = [*(f"target_accounts.{e}" for e in LISTS), "changes.csv", "summary.json", "open_deals.csv"]


def listed(rows: dict[str, tuple[int, float]]) -> pd.DataFrame:
    """A list of accounts id -> (tier, expected value), ranked in the given order."""
    return pd.DataFrame(
        [
            {"account_id": a, "name": a.title(), "tier": t, "rank": i, "p_win": v / 100, "expected_value": v}
            for i, (a, (t, v)) in enumerate(rows.items(), start=1)
        ]
    )


def test_moves_report_tier_changes_at_the_top_and_leavers():
    before = listed({"a": (1, 90), "b": (2, 80), "c": (3, 70), "d": (4, 10), "e": (4, 9), "f": (1, 95)})
    after = listed({"c": (1, 99), "a": (2, 85), "b": (2, 80), "e": (4, 12), "d": (3, 11)})
    m = moves(before, after).set_index("account_id")
    assert list(m.index) == ["c", "a", "d", "f"]  # best new tier first; e stayed in Tier 4; f left the list
    assert m.loc["c", "what"] == "entered Tier 1 (was Tier 3)" and m.loc["c", "change"] == "up"
    assert m.loc["a", "what"] == "fell to Tier 2 (was Tier 1)" and m.loc["a", "change"] == "down"
    assert m.loc["f", "what"] == "left the list (was Tier 1)" and pd.isna(m.loc["f", "tier"])
    c = churn(before, after)
    assert c["tier_1"] == {"previous": 2, "replaced": 2, "share_replaced": 1.0}
    assert c["tier_1_to_2"] == {
        "previous": 3,
        "replaced": 1,
        "share_replaced": pytest.approx(1 / 3, abs=1e-6),
    }


@pytest.fixture(scope="module")
def refreshed(small_run, tmp_path_factory):
    """Two refreshes of the small run with no new data, into a folder of their own."""
    root = tmp_path_factory.mktemp("refresh")
    p = P.override(small_run["params"], {"refresh.out": str(root / "refresh")})
    first = refresh.run(p)
    shutil.copytree(paths(p).refresh, root / "first")
    second = refresh.run(p)
    return {"params": p, "root": root, "first": first, "second": second}


def test_a_refresh_with_no_new_data_changes_nothing_byte_for_byte(refreshed, small_run):
    f, root = paths(refreshed["params"]), refreshed["root"]
    for name in WRITTEN:
        assert (root / "first" / name).read_bytes() == (f.refresh / name).read_bytes(), name
    g = paths(small_run["params"])
    for scored in (g.target_list("csv"), g.open_deals, g.contacts):  # the score stage's very list
        assert (f.refresh / scored.name).read_bytes() == scored.read_bytes(), scored.name
    for summary in (refreshed["first"], refreshed["second"]):
        assert (
            summary["churn"]["tier_1"]["replaced"] == 0 and summary["churn"]["tier_1_to_2"]["replaced"] == 0
        )
        assert summary["changes"] == {"up": 0, "down": 0}
    assert pd.read_csv(f.changes).empty
    assert (
        json.loads((f.refresh / "summary.json").read_text())["previous_as_of"] == refreshed["second"]["as_of"]
    )


def test_a_funding_round_and_a_pricing_burst_lift_a_tier_3_account_with_that_reason(refreshed, tmp_path):
    """The Tier 3 account with the largest predicted deal value (held back by its P(win), not its size: the
    list ranks by expected value) gets a funding round and six pricing-page visits two days before the list's
    date; the refresh moves it into Tier 1 or 2 and says why, in changes.csv and on the page."""
    p0 = refreshed["params"]
    f0 = paths(p0)
    before = pd.read_csv(f0.refresh / "target_accounts.csv", dtype={"account_id": str})
    tier3 = before[before["tier"] == 3]
    account = tier3.sort_values(["predicted_value", "rank"], kind="stable").iloc[-1]
    interim = tmp_path / "interim"
    shutil.copytree(f0.interim, interim)
    shutil.copytree(f0.refresh, tmp_path / "refresh")  # the previous list: the unchanged refresh
    p = P.override(p0, {"ingest.out": str(interim), "refresh.out": str(tmp_path / "refresh")})
    as_of = pd.Timestamp(account["as_of"])
    day = as_of - pd.Timedelta(days=2)
    triggers = pd.read_parquet(interim / "triggers.parquet")
    funding = {
        "account_id": account["account_id"],
        "date": day,
        "trigger_type": "funding_round",
        "detail": "",
    }
    pd.concat([triggers, pd.DataFrame([funding]).astype(triggers.dtypes)]).to_parquet(
        interim / "triggers.parquet", index=False
    )
    contacts = pd.read_parquet(interim / "contacts.parquet")
    contact = contacts.loc[contacts["account_id"] == account["account_id"], "contact_id"].iloc[0]
    acts = pd.read_parquet(interim / "activities.parquet")
    burst = pd.DataFrame(
        {
            "account_id": account["account_id"],
            "contact_id": contact,
            "timestamp": [day + pd.Timedelta(hours=9 + h) for h in range(6)],
            "activity_type": "pricing_page",
            "detail": "/pricing",
        }
    ).astype(acts.dtypes)
    pd.concat([acts, burst]).to_parquet(interim / "activities.parquet", index=False)

    summary = refresh.run(p)
    assert summary["as_of"] == account["as_of"]  # the new records are older than the latest date
    f = paths(p)
    changes = pd.read_csv(f.changes, dtype=str, keep_default_na=False)
    row = changes[changes["account_id"] == account["account_id"]]
    assert len(row) == 1, changes.head()
    row = row.iloc[0]
    assert row["change"] == "up" and row["previous_tier"] == "3" and row["tier"] in ("1", "2")
    assert row["what"] == f"entered Tier {row['tier']} (was Tier 3)"
    assert row["feature"].startswith(("trig_", "beh_pricing_page")), row
    assert "funding round" in row["reason"] or "pricing-page" in row["reason"], row["reason"]
    assert summary["changes"]["up"] >= 1

    with chromium() as browser:
        page = browser.new_page()
        page.goto((f.refresh / "target_accounts.html").resolve().as_uri(), wait_until="load")
        section = page.locator("#changes")
        assert section.is_visible()
        line = section.locator("tr", has_text=account["name"])
        assert line.count() == 1
        assert row["reason"] in line.inner_text() and row["what"] in line.inner_text()


def test_the_score_stages_stability_is_what_a_refresh_over_that_time_replaces(small_run, tmp_path):
    """score lists featurize's earlier scoring set; a refresh as of that date builds its own set from the
    saved configuration. A refresh from there to today replaces what `stability` says."""
    p = P.override(small_run["params"], {"refresh.out": str(tmp_path / "refresh")})
    stability = small_run["summary"]["stability"]
    as_of = pd.Timestamp(small_run["summary"]["as_of"])
    assert stability["as_of"] == str((as_of - pd.Timedelta(days=p.score.stability_days)).date())
    assert refresh.run(p, stability["as_of"])["as_of"] == stability["as_of"]
    assert refresh.run(p, str(as_of.date()))["churn"] == {k: stability[k] for k in ("tier_1", "tier_1_to_2")}
    assert stability["tier_1"]["replaced"] > 0  # a week of records moves the top of the small world's list
