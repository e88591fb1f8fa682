"""Vendor-shaped demo exports (`synthesize.style`): the same world, the same truth, every native row and value
there in the vendor's names and words, and the native export unchanged."""

import hashlib
from pathlib import Path
from typing import get_args

import pandas as pd
import pytest

from features.contract import (
    ACTIVITY_TYPES,
    INDUSTRIES,
    LEAD_SOURCES,
    OPPORTUNITY_TYPES,
    OWNERSHIP,
    TABLES,
    TECH_CATEGORIES,
    TRIGGER_TYPES,
)
from features.normalize import canonical_industry, normalise_domain
from pipeline import params as P
from pipeline.cli import main as cli
from pipeline.io import read_table
from pipeline.stages import synthesize
from pipeline.world import WorldConfig
from pipeline.world import catalog as C
from pipeline.world import styles as S
from pipeline.world import vendor_words as W
from pipeline.world_report import report
from tests.conftest import params_at

CFG = WorldConfig(accounts=500, seed=21, chunk_size=250)  # two chunks
END = pd.Timestamp(CFG.end_date)

FILES = {
    "salesforce": {
        "Account": "Id,Name,Website,Industry,NumberOfEmployees,AnnualRevenue,BillingCountry,Ownership,"
        "YearStarted,ParentId,Type,CreatedDate,LastModifiedDate",
        "Account_Snapshot__c": "Account__c,Snapshot_Date__c,Employees__c,Annual_Revenue__c",
        "Opportunity": "Id,AccountId,Name,StageName,Amount,CloseDate,CreatedDate,Type,LeadSource,Probability,"
        "ForecastCategoryName",
        "Contact": "Id,AccountId,FirstName,LastName,Title,CreatedDate",
        "marketo_activities": "Lead ID,SFDC Account ID,Activity Date,Activity Type,Primary Attribute Value",
        "builtwith": "Domain,Technology,Tag,First Detected,Last Detected",
        "bombora_surge": "Domain,Topic,Week Ending,Composite Score",
        "news_events": "Domain,Published,Event Type,Headline",
    },
    "hubspot": {
        "companies": "Record ID,Company name,Company Domain Name,Industry,Number of Employees,Annual Revenue,"
        "Country/Region,State/Region,Year Founded,Lifecycle Stage,Create Date,Web Technologies",
        "deals": "Record ID,Deal Name,Deal Stage,Amount,Close Date,Create Date,Deal Type,"
        "Associated Company IDs,Original Source",
        "contacts": "Record ID,First Name,Last Name,Job Title,Associated Company ID,Create Date",
        "activities": "Associated Company ID,Contact ID,Activity Date,Activity Type,Details",
        "bombora_surge": "Domain,Topic,Week Ending,Composite Score",
        "news_events": "Domain,Published,Event Type,Headline",
        "company_property_history": "Record ID,Property,Value,Timestamp,Source",
        "builtwith": "Domain,Technology,Tag,First Detected,Last Detected",
    },
}
# Each vocabulary and the native codes it must cover, one word each.
VOCABULARIES = [
    (W.INDUSTRY, INDUSTRIES),
    (W.TOPIC, C.TOPICS),
    (W.EVENT_TYPE, TRIGGER_TYPES),
    (W.SF_OWNERSHIP, OWNERSHIP),
    (W.SF_ACCOUNT_TYPE, (True, False)),
    (W.SF_DEAL_TYPE, OPPORTUNITY_TYPES),
    (W.SF_LEAD_SOURCE, LEAD_SOURCES),
    (W.MARKETO_ACTIVITY, ACTIVITY_TYPES),
    (W.BUILTWITH_TAG, TECH_CATEGORIES),
    (W.HS_LIFECYCLE, (True, False)),
    (W.HS_DEAL_TYPE, OPPORTUNITY_TYPES),
    (W.HS_SOURCE, LEAD_SOURCES),
    (W.HS_ACTIVITY, ACTIVITY_TYPES),
]


@pytest.fixture(scope="module")
def worlds(tmp_path_factory) -> dict[str, Path]:
    """The same config written natively (Parquet) and in each vendor style."""
    root = tmp_path_factory.mktemp("styles")
    for style in S.STYLES:
        synthesize.write_world(CFG, root / style, root / f"{style}_truth", "parquet", style)
    return {"root": root, **{style: root / style for style in S.STYLES}}


def _styled(folder: Path, name: str) -> pd.DataFrame:
    """A vendor file as text, so that formats are checked too (`4200`, not `4200.0`)."""
    return pd.read_csv(folder / f"{name}.csv", dtype=str)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _back(vocabulary: dict) -> dict:
    inverse = {v: k for k, v in vocabulary.items()}
    assert len(inverse) == len(vocabulary), f"two codes share a word: {vocabulary}"
    return inverse


def test_the_truth_is_the_native_worlds_byte_for_byte(worlds):
    native = _digest(worlds["root"] / "native_truth")
    for style in ("salesforce", "hubspot"):
        assert _digest(worlds["root"] / f"{style}_truth") == native, style


# What the native export of a tiny world was before styles existed: CSV bytes, and the truth's JSON bytes and
# Parquet contents. If the world is changed on purpose, print the new digests and paste them here. Without the
# role effect (planted later), every table is as it was; drivers.json and world.json name the switch.
NATIVE_DIGESTS = {
    "accounts.csv": "a9ae0df93d0aa4f8439c47a5c99f3d3a",
    "activities.csv": "271d5094c8385319315d188cb2bb137d",
    "contacts.csv": "f93a40c5db633a248e698ca9a9ad96fe",  # with names since the list names contacts
    "intent.csv": "6c45aaf769d9e58f1b7b24fdad3d2ab3",
    "opportunities.csv": "40b216cfccbf1c2c072b75f4650a775c",
    "snapshots.csv": "59bf095d630215a5dc1be7317e4a53cd",
    "technographics.csv": "3babba6ccfe8c8b8beb8237faf532d61",
    "triggers.csv": "f7467b9caec7a2e100957c21f86bfa4f",
    "accounts.parquet": "5504b2c5ebbace63e1c73c97eb3d6048",
    "drivers.json": "9e4df2c250a9f555da05206874d35f9f",
    "duplicates.parquet": "5e7d9b1763ec325417c8237658153d13",
    "opportunities.parquet": "e9714b5f8d7e2ebde32a2445031022f2",
    "world.json": "2f6a3da1710f37d6f66ee67c127cfc3f",
}


def test_the_native_export_is_what_it_was_before_styles(tmp_path):
    synthesize.write_world(
        WorldConfig(accounts=300, seed=13, chunk_size=150, role_effect=False),
        tmp_path / "w",
        tmp_path / "t",
        "csv",
    )
    digests = {}
    for p in [*sorted((tmp_path / "w").iterdir()), *sorted((tmp_path / "t").iterdir())]:
        content = (
            pd.util.hash_pandas_object(pd.read_parquet(p), index=False).to_numpy().tobytes()
            if p.suffix == ".parquet"
            else p.read_bytes()
        )
        digests[p.name] = hashlib.sha256(content).hexdigest()[:32]
    assert digests == NATIVE_DIGESTS


@pytest.mark.parametrize("style", ["salesforce", "hubspot"])
def test_each_style_writes_the_vendor_files_and_columns(worlds, style):
    folder = worlds[style]
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{name}.csv" for name in FILES[style])
    for name, header in FILES[style].items():
        assert (folder / f"{name}.csv").read_text().splitlines()[0] == header, name


def test_every_vocabulary_is_one_to_one_with_the_native_codes():
    for vocabulary, codes in VOCABULARIES:
        assert set(vocabulary) == set(codes), vocabulary
        _back(vocabulary)
    assert set(W.SF_STAGE) == {*W.SF_CLOSED.values(), *W.SF_OPEN} and len(W.SF_OPEN) == 4
    assert not set(W.HS_OPEN) & set(W.HS_CLOSED.values())
    assert "pricing" in W.MARKETO_ACTIVITY["pricing_page"].lower()
    assert "pricing" in W.HS_ACTIVITY["pricing_page"].lower()
    assert get_args(P.Synthesize.__dataclass_fields__["style"].type) == S.STYLES


# How to read a styled column back into the native one: (styled file, native table, [(styled, native, how)]).
# how: "same" (text as is), "number", a vocabulary, an id kind, ("date", fmt) exact, ("day", fmt) same
# calendar day, "domain" (normalised, against the native row's account domain).
SF, HS = W.SF_DATETIME, W.HS_DATETIME
# BuiltWith's file, the same in both styles: (styled column, native column, how it reads back)
BUILTWITH = (
    "builtwith",
    "technographics",
    [
        ("Domain", "account_id", "domain"),
        ("Technology", "technology", "same"),
        ("Tag", "category", W.BUILTWITH_TAG),
        ("First Detected", "first_seen", ("date", W.DATE)),
        ("Last Detected", "last_seen", ("date", W.DATE)),
    ],
)
CHECKS = {
    "salesforce": [
        (
            "Account",
            "accounts",
            [
                ("Id", "account_id", "sf:ACC-"),
                ("Name", "name", "same"),
                ("Website", "account_id", "domain"),
                ("Industry", "industry", "industry_kept"),
                ("NumberOfEmployees", "employees", "number"),
                ("AnnualRevenue", "annual_revenue", "number"),
                ("BillingCountry", "country", "same"),
                ("Ownership", "ownership", W.SF_OWNERSHIP),
                ("YearStarted", "founded_year", "number"),
                ("ParentId", "parent_account_id", "sf:ACC-"),
                ("Type", "is_customer", W.SF_ACCOUNT_TYPE),
            ],
        ),
        (
            "Account_Snapshot__c",
            "snapshots",
            [
                ("Account__c", "account_id", "sf:ACC-"),
                ("Snapshot_Date__c", "snapshot_date", ("date", W.DATE)),
                ("Employees__c", "employees", "number"),
                ("Annual_Revenue__c", "annual_revenue", "number"),
            ],
        ),
        (
            "Opportunity",
            "opportunities",
            [
                ("Id", "opportunity_id", "sf:OPP-"),
                ("AccountId", "account_id", "sf:ACC-"),
                ("StageName", "stage", "sf_stage"),
                ("Amount", "amount", "number"),
                ("CreatedDate", "created_date", ("day", SF)),
                ("Type", "type", W.SF_DEAL_TYPE),
                ("LeadSource", "lead_source", W.SF_LEAD_SOURCE),
            ],
        ),
        (
            "Contact",
            "contacts",
            [
                ("Id", "contact_id", "sf:CON-"),
                ("AccountId", "account_id", "sf:ACC-"),
                ("Title", "title", "same"),
                ("CreatedDate", "created_date", ("day", SF)),
            ],
        ),
        (
            "marketo_activities",
            "activities",
            [
                ("Lead ID", "contact_id", "sf:CON-"),
                ("SFDC Account ID", "account_id", "sf:ACC-"),
                ("Activity Date", "timestamp", ("date", W.MARKETO_DATETIME)),
                ("Activity Type", "activity_type", W.MARKETO_ACTIVITY),
                ("Primary Attribute Value", "detail", "same"),
            ],
        ),
        BUILTWITH,
    ],
    "hubspot": [
        BUILTWITH,
        (
            "companies",
            "accounts",
            [
                ("Record ID", "account_id", "hs:company:ACC-"),
                ("Company name", "name", "same"),
                ("Company Domain Name", "account_id", "domain"),
                ("Industry", "industry", "industry"),
                ("Number of Employees", "employees", "number"),
                ("Annual Revenue", "annual_revenue", "number"),
                ("Country/Region", "country", "same"),
                ("Year Founded", "founded_year", "number"),
                ("Lifecycle Stage", "is_customer", W.HS_LIFECYCLE),
            ],
        ),
        (
            "deals",
            "opportunities",
            [
                ("Record ID", "opportunity_id", "hs:deal:OPP-"),
                ("Deal Stage", "stage", "hs_stage"),
                ("Amount", "amount", "number"),
                ("Close Date", "close_date", ("day", HS)),
                ("Create Date", "created_date", ("day", HS)),
                ("Deal Type", "type", W.HS_DEAL_TYPE),
                ("Associated Company IDs", "account_id", "hs:company:ACC-"),
                ("Original Source", "lead_source", W.HS_SOURCE),
            ],
        ),
        (
            "contacts",
            "contacts",
            [
                ("Record ID", "contact_id", "hs:contact:CON-"),
                ("Job Title", "title", "same"),
                ("Associated Company ID", "account_id", "hs:company:ACC-"),
                ("Create Date", "created_date", ("day", HS)),
            ],
        ),
        (
            "activities",
            "activities",
            [
                ("Associated Company ID", "account_id", "hs:company:ACC-"),
                ("Contact ID", "contact_id", "hs:contact:CON-"),
                ("Activity Date", "timestamp", ("minute", HS)),
                ("Activity Type", "activity_type", W.HS_ACTIVITY),
                ("Details", "detail", "same"),
            ],
        ),
    ],
}
FEEDS = [  # the same in both styles
    (
        "bombora_surge",
        "intent",
        [
            ("Domain", "account_id", "domain"),
            ("Topic", "topic", W.TOPIC),
            ("Week Ending", "week", ("date", W.US_DATE)),
            ("Composite Score", "score", "number"),
        ],
    ),
    (
        "news_events",
        "triggers",
        [
            ("Domain", "account_id", "domain"),
            ("Published", "date", ("day", W.NEWS_DATETIME)),
            ("Event Type", "trigger_type", W.EVENT_TYPE),
            ("Headline", "detail", "same"),
        ],
    ),
]

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _native_id(styled: str, how: str) -> str:
    """Undo an id mapping (independently of the code under test): its running number, the native prefix."""
    if how.startswith("sf:"):
        assert len(styled) == 18 and styled[3:5] == "Hs", styled
        number = sum(_B62.index(c) * 62**i for i, c in enumerate(reversed(styled[5:15])))
    else:
        number = int(styled) - W.HS_ID_OFFSET[how.split(":")[1]]
    return f"{how.split(':')[-1]}{number:07d}"


def _read_back(styled: pd.Series, how) -> pd.Series:
    """The styled column as the native column holds it."""
    if how == "same":
        return styled
    if how == "number":
        return pd.to_numeric(styled)
    if isinstance(how, dict):
        return styled.map(_back(how))
    if isinstance(how, tuple):
        parsed = pd.to_datetime(styled, format=how[1])  # Z and +00:00 are in the format: UTC
        return {"date": parsed, "day": parsed.dt.normalize(), "minute": parsed}[how[0]]
    if how.startswith(("sf:", "hs:")):
        return styled.map(lambda v: _native_id(v, how), na_action="ignore")
    if how == "domain":
        return normalise_domain(styled)
    if how in ("industry", "industry_kept"):
        linkedin = styled.map(_back(W.INDUSTRY))
        assert how == "industry_kept" or linkedin.notna().all()
        return canonical_industry(linkedin.fillna(styled))
    if how in ("sf_stage", "hs_stage"):
        closed = W.SF_CLOSED if how == "sf_stage" else W.HS_CLOSED
        return styled.map(_back(closed)).fillna("open")
    raise AssertionError(how)


def _native(native: pd.Series, how, accounts: pd.DataFrame) -> pd.Series:
    """The native column as a styled one is compared with it."""
    if how == "domain":
        return native.map(
            dict(zip(accounts["account_id"], normalise_domain(accounts["domain"]), strict=True))
        )
    if how in ("industry", "industry_kept"):
        return canonical_industry(native)
    if isinstance(how, tuple) and how[0] == "day":
        return native.dt.normalize()
    if isinstance(how, tuple) and how[0] == "minute":
        return native.dt.floor("min")
    return native


def _equal(a: pd.Series, b: pd.Series) -> bool:
    """Row by row, empty matching empty (NaN, NA, NaT, None alike)."""
    a, b = pd.Series(a.to_numpy(object)), pd.Series(b.to_numpy(object))
    if len(a) != len(b) or not a.isna().equals(b.isna()):
        return False
    return bool((a[a.notna()].to_numpy() == b[b.notna()].to_numpy()).all())


@pytest.mark.parametrize("style", ["salesforce", "hubspot"])
def test_every_native_row_and_value_is_there_in_the_vendors_words(worlds, style):
    accounts = read_table(worlds["native"], "accounts")
    for file, table, columns in CHECKS[style] + FEEDS:
        native, styled = read_table(worlds["native"], table), _styled(worlds[style], file)
        assert len(styled) == len(native), f"{file}: {len(styled)} rows for {len(native)} native {table}"
        for styled_col, native_col, how in columns:
            if how == "number":  # counts, money, years and scores: whole numbers, as the tools write them
                assert styled[styled_col].dropna().str.fullmatch(r"\d+").all(), f"{file}.{styled_col}"
            back = _read_back(styled[styled_col], how)
            assert _equal(back, _native(native[native_col], how, accounts)), f"{file}.{styled_col}"


def test_salesforce_ids_are_case_proof_and_in_the_native_order(worlds):
    for file, table in (("Account", "accounts"), ("Opportunity", "opportunities"), ("Contact", "contacts")):
        ids = _styled(worlds["salesforce"], file)["Id"]
        native = read_table(worlds["native"], table).iloc[:, 0]
        assert ids.str.lower().is_unique, f"{file}: ids collide without their case"
        assert list(ids.sort_values().index) == list(native.sort_values().index), file
    hs = _styled(worlds["hubspot"], "companies")["Record ID"].astype("int64")
    native = read_table(worlds["native"], "accounts")["account_id"]
    assert list(hs.sort_values().index) == list(native.sort_values().index)


def test_salesforce_deal_fields_that_move_with_the_deal(worlds):
    """Open deals are spread over open stages with an expected close date within a year of the export;
    Probability and ForecastCategoryName follow the stage."""
    opps = _styled(worlds["salesforce"], "Opportunity")
    native = read_table(worlds["native"], "opportunities")
    is_open = (native["stage"] == "open").to_numpy()
    assert opps.loc[is_open, "StageName"].nunique() >= 3
    close = pd.to_datetime(opps["CloseDate"], format=W.DATE)
    assert close[is_open].gt(END).all() and close[is_open].le(END + pd.DateOffset(years=1)).all()
    assert close[~is_open].eq(native.loc[~is_open, "close_date"]).all()
    expected = opps["StageName"].map({s: f"{p},{f}" for s, (p, f) in W.SF_STAGE.items()})
    assert (opps["Probability"] + "," + opps["ForecastCategoryName"]).eq(expected).all()
    chances = [W.SF_STAGE[s][0] for s in W.SF_OPEN]
    assert chances == sorted(chances) and 0 < chances[0] and chances[-1] < 100
    assert W.SF_STAGE["Closed Won"] == (100, "Closed") and W.SF_STAGE["Closed Lost"] == (0, "Omitted")
    deals = _styled(worlds["hubspot"], "deals")
    assert deals.loc[is_open, "Close Date"].isna().all() and deals.loc[is_open, "Deal Stage"].nunique() >= 3


def test_account_dates_come_before_their_records_and_the_export(worlds):
    account = _styled(worlds["salesforce"], "Account")
    created = pd.to_datetime(account["CreatedDate"], format=W.SF_DATETIME)
    modified = pd.to_datetime(account["LastModifiedDate"], format=W.SF_DATETIME)
    assert (created <= modified).all() and (modified < END + pd.Timedelta(days=1)).all()
    contacts = read_table(worlds["native"], "contacts")
    first = read_table(worlds["native"], "accounts")["account_id"].map(
        contacts.groupby("account_id")["created_date"].min()
    )
    assert (created[first.notna()] < first[first.notna()]).all()
    assert account["Industry"].nunique() > 15 and set(W.INDUSTRY.values()) <= set(account["Industry"])


def test_hubspot_web_technologies_are_the_products_in_use_at_the_export(worlds):
    tech = read_table(worlds["native"], "technographics")
    live = tech[(tech["last_seen"] >= END - pd.Timedelta(days=S.LIVE_DAYS)) & (tech["category"] != "ours")]
    companies = _styled(worlds["hubspot"], "companies")
    accounts = read_table(worlds["native"], "accounts")
    cells = companies["Web Technologies"].fillna("").str.split("; ")
    got = {a: set(c) - {""} for a, c in zip(accounts["account_id"], cells, strict=True)}
    want = live.groupby("account_id")["technology"].agg(set)
    assert sum(len(v) for v in got.values()) == len(live)  # every live row, none twice
    assert all(got[a] == want.get(a, set()) for a in got)
    assert C.OUR_PRODUCT not in companies["Web Technologies"].str.cat(sep="; ")


def test_hubspot_property_history_holds_every_snapshot_value_once(worlds):
    """The native snapshots in HubSpot's long property history: read back by (company, property, calendar
    day, value), each present value exactly once, and no row for a value the snapshot lacks."""
    snaps = read_table(worlds["native"], "snapshots")
    history = _styled(worlds["hubspot"], "company_property_history")
    labels = {"Number of Employees": "employees", "Annual Revenue": "annual_revenue"}  # companies.csv's
    assert history.notna().all().all(), "an empty cell in the property history"
    assert history["Value"].str.fullmatch(r"\d+").all() and history["Source"].eq("ENRICHMENT").all()
    assert history["Timestamp"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d").all()
    assert history["Property"].isin(labels).all()
    when = pd.to_datetime(history["Timestamp"], format=HS)
    assert when.dt.hour.between(7, 20).all() and when.dt.hour.nunique() > 10  # a time of the day, not 00:00
    got = pd.DataFrame(
        {
            "account_id": history["Record ID"].map(lambda v: _native_id(v, "hs:company:ACC-")),
            "column": history["Property"].map(labels),
            "day": when.dt.normalize(),
            "value": history["Value"].astype("int64"),
        }
    )
    want = snaps.melt(["account_id", "snapshot_date"], list(labels.values()), "column", "value")
    assert want["value"].isna().any(), "the world lost its missing snapshot values: the test checks nothing"
    want = want.dropna(subset="value").rename(columns={"snapshot_date": "day"})[list(got)]
    want["value"] = want["value"].astype("int64")
    key = ["account_id", "column", "day"]
    assert not got.duplicated(key).any(), "a snapshot value written twice"
    assert len(got) == len(want), f"{len(got)} history rows for {len(want)} native snapshot values"
    ordered = [frame.sort_values(key, ignore_index=True) for frame in (got, want)]
    pd.testing.assert_frame_equal(ordered[0], ordered[1], check_dtype=False)


def test_styles_are_deterministic(worlds, tmp_path):
    synthesize.write_world(CFG, tmp_path / "again", tmp_path / "again_truth", "csv", "hubspot")
    assert _digest(tmp_path / "again") == _digest(worlds["hubspot"])


def test_cli_stage_and_params_take_the_style(tmp_path):
    out = tmp_path / "sf"
    argv = ["-q", "synthesize", "--accounts", "300", "--seed", "2", "--out"]
    assert cli([*argv, str(out), "--style", "salesforce"]) == 0
    assert (out / "Account.csv").exists() and not any(out.glob("*.parquet"))
    assert cli([*argv, str(tmp_path / "n")]) == 0
    assert _digest(tmp_path / "sf_truth") == _digest(tmp_path / "n_truth")
    text = report(tmp_path / "n", tmp_path / "sf_truth")  # a styled world's truth judges the native export
    assert "Oracle ROC AUC" in text
    p = params_at(tmp_path / "stage", {"synthesize.accounts": 300, "synthesize.style": "hubspot"})
    synthesize.run(p)
    assert sorted(f.stem for f in Path(p.synthesize.out).iterdir()) == sorted(FILES["hubspot"])
    with pytest.raises(P.ParamsError, match="synthesize.style must be one of native, salesforce, hubspot"):
        params_at(tmp_path, {"synthesize.style": "pipedrive"})
    with pytest.raises(ValueError, match="unknown style 'pipedrive'"):
        synthesize.write_world(CFG, tmp_path / "x", tmp_path / "xt", "csv", "pipedrive")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "style, elsewhere", [("salesforce", set()), ("hubspot", {"snapshots", "technographics"})]
)
def test_the_checks_above_cover_every_native_table(style, elsewhere):
    """HubSpot's snapshots are its long property history (checked by the property-history test above) and its
    technologies live in the companies' one cell."""
    assert {table for _, table, _ in CHECKS[style] + FEEDS} | elsewhere == set(TABLES)
