"""Point-in-time features: nothing dated on or after as-of can change a feature, and the traps never reach
one."""

import ibis
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from features.committee import engaged_contacts
from features.contract import (
    ACTIVITY_TYPES,
    DATE_COLUMN,
    DEPARTMENTS,
    TABLES,
    TECH_CATEGORIES,
    TRIGGER_TYPES,
)
from features.pointintime import PREFIX, FeatureConfig, build, feature_columns
from pipeline.io import read_table
from pipeline.stages.synthesize import write_world as run
from pipeline.world import WorldConfig
from pipeline.world.catalog import OUR_PRODUCT

CFG = FeatureConfig(
    intent_topics=("revenue operations", "sales intelligence"),
    named_products=("Gong", "Outreach"),
    activity_types=ACTIVITY_TYPES,
    trigger_types=TRIGGER_TYPES,
    tech_categories=tuple(c for c in TECH_CATEGORIES if c != "ours"),
    departments=DEPARTMENTS,
)


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    root = tmp_path_factory.mktemp("pit")
    run(WorldConfig(accounts=700, seed=21), root / "w", root / "t")
    tables = {n: read_table(root / "w", n) for n in TABLES}
    for name, cols in {
        "opportunities": ["created_date", "close_date"],
        "accounts": ["customer_since", "snapshot_date"],
        "technographics": ["first_seen", "last_seen"],
    }.items():
        for c in cols:
            tables[name][c] = pd.to_datetime(tables[name][c])
    return tables


def features(tables: dict, spine: pd.DataFrame, cfg: FeatureConfig = CFG) -> pd.DataFrame:
    con = ibis.duckdb.connect()
    t = {n: ibis.memtable(df) for n, df in tables.items()}
    return con.execute(build(ibis.memtable(spine), t, cfg)).sort_values("key").reset_index(drop=True)


def spine_at(tables: dict, as_of: pd.Timestamp, n: int = 250) -> pd.DataFrame:
    ids = tables["accounts"]["account_id"].iloc[:n]
    return pd.DataFrame({"key": ids, "account_id": ids, "as_of": as_of})


def tamper(tables: dict, as_of: pd.Timestamp, rng: np.random.Generator) -> dict:
    """Delete every record dated on or after as_of, and scramble every value only known after it."""
    out = {}
    for name, df in tables.items():
        df = df.copy()
        if name in DATE_COLUMN:
            df = df[pd.to_datetime(df[DATE_COLUMN[name]]) < as_of]
        out[name] = df
    o = out["opportunities"]
    late = o["close_date"] >= as_of
    o.loc[late, "stage"] = np.where(o.loc[late, "stage"] == "won", "lost", "won")
    o.loc[late, "amount"] = rng.uniform(1, 1e6, late.sum())
    o.loc[late, "close_date"] = o.loc[late, "close_date"] + pd.Timedelta(days=17)
    t = out["technographics"]
    still = t["last_seen"] >= as_of
    t.loc[still, "last_seen"] = t.loc[still, "last_seen"] + pd.to_timedelta(
        rng.integers(0, 400, still.sum()), "D"
    )
    a = out["accounts"]
    now = a["snapshot_date"] >= as_of  # today's snapshot, measured after as_of
    a.loc[now, "employees"] = a.loc[now, "employees"] * 3
    a.loc[now, "annual_revenue"] = a.loc[now, "annual_revenue"] * 5
    a["is_customer"] = ~a["is_customer"]
    a["customer_since"] = pd.NaT
    a["employee_growth_1y"] = 9.0
    return out


@settings(
    max_examples=6,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(day=st.integers(min_value=30, max_value=3 * 365 + 150), seed=st.integers(0, 2**16))
def test_records_after_as_of_never_change_a_feature(raw, day, seed):
    as_of = pd.Timestamp("2022-12-30") + pd.Timedelta(days=day)
    spine = spine_at(raw, as_of)
    before = features(raw, spine)
    after = features(tamper(raw, as_of, np.random.default_rng(seed)), spine)
    pd.testing.assert_frame_equal(before, after)
    assert (before.filter(like="beh_all_180d") > 0).any().any()  # the window is not empty: the test has teeth


def _committee(tables: dict, spine: pd.DataFrame) -> pd.DataFrame:
    t = {n: ibis.memtable(df) for n, df in tables.items()}
    return ibis.duckdb.connect().execute(engaged_contacts(ibis.memtable(spine), t)).reset_index(drop=True)


def test_the_committee_ignores_records_after_as_of_and_contacts_not_yet_created(raw):
    """The contacts engaged before a row's as_of (the buying committee's learning) and its per-department
    counts: nothing dated on or after as_of moves them; a contact whose record was created after as_of
    (a CRM may add it after its tracked visits) counts in neither, though its visits count as activity."""
    as_of = pd.Timestamp("2025-03-01")
    spine = spine_at(raw, as_of, 700)
    engaged = _committee(raw, spine)
    pd.testing.assert_frame_equal(engaged, _committee(tamper(raw, as_of, np.random.default_rng(0)), spine))
    assert len(engaged) > 50 and engaged["department"].notna().all()
    contacts = raw["contacts"]
    late = contacts.assign(
        created_date=contacts["created_date"].where(
            ~contacts["contact_id"].isin(engaged["contact_id"]), as_of + pd.Timedelta(days=3)
        )
    )
    now, later = features(raw, spine), features({**raw, "contacts": late}, spine)
    dept = [c for c in now.columns if c.startswith("beh_dept_")]
    assert now[dept].to_numpy().sum() == len(engaged) and later[dept].to_numpy().sum() == 0
    assert _committee({**raw, "contacts": late}, spine).empty
    pd.testing.assert_series_equal(now["beh_contacts_90d"], later["beh_contacts_90d"])


def test_changing_a_record_before_as_of_does_change_features(raw):
    """The property test above must be able to fail: an earlier record does move a feature."""
    as_of = pd.Timestamp("2025-06-01")
    spine = spine_at(raw, as_of)
    moved = {
        **raw,
        "activities": raw["activities"].assign(
            timestamp=pd.to_datetime(raw["activities"]["timestamp"]) - pd.Timedelta(days=40)
        ),
    }
    assert not features(raw, spine).equals(features(moved, spine))


def test_training_features_ignore_the_leakage_traps(raw):
    o = raw["opportunities"]
    closed = o[o["stage"] != "open"]
    spine = pd.DataFrame(
        {"key": closed["opportunity_id"], "account_id": closed["account_id"], "as_of": closed["created_date"]}
    )
    clean = {
        **raw,
        "technographics": raw["technographics"][raw["technographics"]["technology"] != OUR_PRODUCT],
        "activities": raw["activities"][
            ~raw["activities"]["activity_type"].isin(["onboarding_session", "support_ticket"])
        ],
        "accounts": raw["accounts"].assign(is_customer=False, customer_since=pd.NaT, employee_growth_1y=0.0),
    }
    won_first = spine.merge(
        o[o["stage"] == "won"].groupby("account_id")["close_date"].min().rename("first_win"),
        on="account_id",
        how="left",
    )
    new_business = (won_first["first_win"].isna() | (won_first["first_win"] >= won_first["as_of"])).to_numpy()
    assert new_business.sum() > 100
    a, b = features(raw, spine), features(clean, spine)
    keep = a["key"].isin(spine["key"][new_business])
    pd.testing.assert_frame_equal(a[keep].reset_index(drop=True), b[keep].reset_index(drop=True))


def test_families_can_be_switched_off_and_missing_tables_drop_theirs(raw):
    spine = spine_at(raw, pd.Timestamp("2025-01-01"), 50)
    only = features(raw, spine, FeatureConfig(families=("firmographic", "triggers")))
    assert {c.split("_")[0] + "_" for c in only.columns if c not in spine} == {"firm_", "trig_"}
    no_intent = features({k: v for k, v in raw.items() if k != "intent"}, spine)
    assert not any(c.startswith("intent_") for c in no_intent.columns)
    assert {c.split("_")[0] + "_" for c in no_intent.columns if c not in spine} == set(PREFIX.values()) - {
        "intent_",
        "custom_",  # only when the mapping declares custom fields (tests/test_custom.py)
        "deal_",  # only when featurize finds deal fields (features/deals.py; tests/test_explain_score.py)
    }


def test_only_the_listed_static_fields_are_features_and_ownership_only_by_opt_in(raw):
    """Today's industry, country, region, founded year and ownership stand in for every deal's: only those
    features.static_fields lists become features, and ownership (it changes with funding rounds and M&A) is
    none by default: no column at all, so nothing can learn from it."""
    spine = spine_at(raw, pd.Timestamp("2025-01-01"), 60)
    default = features(raw, spine, FeatureConfig())
    firm = {c for c in default.columns if c.startswith("firm_")}
    assert {"firm_industry", "firm_country", "firm_region", "firm_age_years"} <= firm
    assert "firm_ownership" not in firm
    cfg = FeatureConfig(static_fields=("ownership", "industry"))
    owned = features(raw, spine, cfg)
    assert {c for c in owned.columns if c.startswith("firm_")} == firm - {
        "firm_country",
        "firm_region",
        "firm_age_years",
    } | {"firm_ownership"}
    today = raw["accounts"].set_index("account_id").loc[owned["key"], "ownership"]
    assert owned["firm_ownership"].fillna("").tolist() == today.fillna("").tolist()
    assert owned["firm_ownership"].notna().any()  # the world fills ownership: the comparison has teeth
    kinds = {f["name"]: f["kind"] for f in feature_columns(owned.columns, spine.columns, cfg)}
    assert kinds["firm_ownership"] == kinds["firm_industry"] == "categorical"


def test_counts_are_zero_and_recencies_missing_without_history(raw):
    spine = spine_at(raw, pd.Timestamp("2022-12-31"), 50)  # the day after the world began
    f = features(raw, spine)
    assert (f["beh_all_180d"] == 0).all() and f["beh_days_since_last"].isna().all()
    assert (f["rel_prior_won"] == 0).all() and f["trig_days_since_any"].isna().all()


def test_undated_firmographics_stand_in_only_for_accounts_without_history(raw):
    """A CRM export without snapshots: static gives past deals today's headcount, strict gives none; an
    account with dated snapshots keeps its point-in-time values either way."""
    spine = spine_at(raw, pd.Timestamp("2025-01-01"), 40)
    undated = spine["account_id"].iloc[:20]
    no_history = {**raw, "snapshots": raw["snapshots"][~raw["snapshots"]["account_id"].isin(undated)]}
    static = features(no_history, spine, FeatureConfig(undated_firmographics="static"))
    strict = features(no_history, spine, FeatureConfig(undated_firmographics="strict"))
    today = raw["accounts"].set_index("account_id")["employees"].astype(float)
    without = static["key"].isin(undated)
    np.testing.assert_array_equal(
        static.loc[without, "firm_employees"], static.loc[without, "key"].map(today)
    )
    assert strict.loc[without, "firm_employees"].isna().all()
    dated = features(raw, spine, FeatureConfig(undated_firmographics="static"))
    pd.testing.assert_frame_equal(static[~without], dated[~without])
    pd.testing.assert_frame_equal(strict[~without], dated[~without])


def test_snapshots_dated_after_as_of_do_not_change_the_static_stand_in(raw):
    """Whether an account gets snapshots later must not change its past: with or without snapshots dated
    after as_of, a deal no snapshot precedes gets today's values."""
    as_of = pd.Timestamp("2025-01-01")
    spine = spine_at(raw, as_of, 40)
    later = raw["snapshots"].assign(snapshot_date=as_of + pd.Timedelta(days=30))
    late_only = {**raw, "snapshots": later}
    none = {**raw, "snapshots": later.iloc[:0]}
    cfg = FeatureConfig(undated_firmographics="static")
    pd.testing.assert_frame_equal(features(late_only, spine, cfg), features(none, spine, cfg))
    today = raw["accounts"].set_index("account_id")["employees"].astype(float)
    got = features(late_only, spine, cfg)
    np.testing.assert_array_equal(got["firm_employees"], got["key"].map(today))


def test_undated_technographics_are_todays_under_static_and_from_the_snapshot_under_strict(raw):
    """A list of today's technologies (no first_seen): every deal sees it under static, only as-ofs after the
    account's snapshot_date under strict; it is in use, but has no adoption date to be recent by."""
    acc = raw["accounts"].iloc[:3]
    undated = pd.DataFrame(
        {
            "account_id": acc["account_id"],
            "technology": "Gong",
            "category": "competitor",
            "first_seen": pd.NaT,
            "last_seen": pd.NaT,
        }
    )
    tables = {"accounts": raw["accounts"], "technographics": undated, "opportunities": raw["opportunities"]}
    before, after = (
        acc["snapshot_date"].min() - pd.Timedelta(days=10),
        acc["snapshot_date"].max() + pd.Timedelta(days=10),
    )
    spine = pd.concat(
        [spine_at(tables, before, 3), spine_at(tables, after, 3).assign(key=lambda s: s.key + "+")]
    )
    cfg = {"families": ("technographic",), "named_products": ("Gong",), "tech_categories": ("competitor",)}
    static = features(tables, spine, FeatureConfig(**cfg, undated_firmographics="static"))
    strict = features(tables, spine, FeatureConfig(**cfg, undated_firmographics="strict"))
    assert static["tech_has_gong"].tolist() == [1.0] * 6 and static["tech_n_competitor"].tolist() == [1.0] * 6
    assert strict.set_index("key")["tech_has_gong"].to_dict() == {
        **dict.fromkeys(spine["key"].iloc[:3], 0.0),
        **dict.fromkeys(spine["key"].iloc[3:], 1.0),
    }
    assert (
        static["tech_days_since_adoption"].isna().all() and static["tech_days_since_complement"].isna().all()
    )


def test_intent_topics_match_ignoring_case_hyphens_and_underscores(raw):
    """A vendor's `Account-Based Marketing` is the params' account based marketing."""
    spine = spine_at(raw, pd.Timestamp("2025-06-01"), 120)
    styled = raw["intent"].assign(topic=raw["intent"]["topic"].str.title().str.replace(" ", "-"))
    cfg = FeatureConfig(families=("intent",), intent_topics=("revenue operations", "Sales_Intelligence"))
    same = features(raw, spine, cfg), features({**raw, "intent": styled}, spine, cfg)
    pd.testing.assert_frame_equal(*same)
    assert same[0]["intent_max_28d"].notna().sum() > 10


def test_a_chosen_intent_topic_gets_its_latest_four_weeks_top_score(raw):
    """A chosen topic's feature is its top score in the 28 days before as_of, from that topic's rows only."""
    as_of = pd.Timestamp("2025-06-01")
    spine = spine_at(raw, as_of, 700)
    cfg = FeatureConfig(families=("intent",), topics=("data privacy", "hr software"))
    got = features(raw, spine, cfg)
    intent = raw["intent"]
    recent = intent[(intent["week"] < as_of) & (intent["week"] >= as_of - pd.Timedelta(days=28))]
    for topic in cfg.topics:
        top = recent[recent["topic"] == topic].groupby("account_id")["score"].max().astype("float64")
        want = spine["account_id"].map(top).rename(None)
        column = got[f"intent_topic_{topic.replace(' ', '_')}_max_28d"].rename(None)
        pd.testing.assert_series_equal(column, want, check_index=False)
        assert want.notna().sum() > 10


def test_engaged_contacts_skip_anonymous_activities_and_unknown_departments():
    """Contacts are counted once each, by their latest activity; an anonymous activity counts as activity, not
    as a contact; a contact without a record, or created after as_of, counts as a contact, not by its role."""
    as_of = pd.Timestamp("2025-06-01")
    ago = [as_of - pd.Timedelta(days=d, hours=1) for d in (10, 60, 5, 20, 40, 100)]
    acts = pd.DataFrame(
        {
            "account_id": "A",
            "contact_id": ["c1", "c1", None, "c2", "c3", "c4"],  # c2 has no record; c4 is older than 90 days
            "timestamp": ago,
            "activity_type": ["web_visit", "pricing_page", "web_visit", "webinar", "event", "event"],
        }
    )
    contacts = pd.DataFrame(
        {
            "contact_id": ["c1", "c3", "c4"],
            "department": ["sales", "it", "it"],
            "seniority": ["vp", "c_level", "manager"],
            "created_date": [as_of - pd.Timedelta(days=300), as_of + pd.Timedelta(days=1), as_of],
        }
    )
    spine = pd.DataFrame({"key": ["k"], "account_id": ["A"], "as_of": [as_of]})
    cfg = FeatureConfig(families=("behaviour",), departments=("sales", "it"))
    t = {"activities": ibis.memtable(acts), "contacts": ibis.memtable(contacts)}
    f = ibis.duckdb.connect().execute(build(ibis.memtable(spine), t, cfg)).iloc[0]
    assert (f["beh_all_30d"], f["beh_all_90d"], f["beh_all_180d"]) == (3, 5, 6)
    assert (f["beh_contacts_30d"], f["beh_contacts_90d"]) == (2, 3)  # c1 (10 days), c2; c3 at 40 days
    assert f["beh_departments_90d"] == f["beh_seniorities_90d"] == f["beh_senior_contacts_90d"] == 1
    assert (f["beh_dept_sales_90d"], f["beh_dept_it_90d"]) == (1, 0)
