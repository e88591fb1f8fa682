"""Stage `ingest`: the synthetic world ingests cleanly; malformed input is rejected with its exact reason."""

import io
import json
import logging

import ibis
import pandas as pd
import pytest

from features.contract import COUNTRY_REGION, INDUSTRIES, SCHEMAS, TABLES, foreign_key_violations
from features.errors import ContractError
from features.keys import EMPTY, MERGES, ROW, merged_accounts, origin_column, shown_column
from features.normalize import normalise_domain
from features.rules import normalise
from pipeline import params as P
from pipeline.console import stage_main
from pipeline.stages import ingest as stage
from pipeline.stages.synthesize import write_world as synthesize
from pipeline.world import WorldConfig
from tests.conftest import PARAMS, assert_reconciles, ingest_into
from tests.conftest import rejects_of as _rejects


@pytest.fixture(scope="module")
def world(small_world, tmp_path_factory):
    out = tmp_path_factory.mktemp("interim") / "interim"
    summary = ingest_into(small_world["data"], out, 0.2)
    return {"out": out, "summary": summary, "raw": small_world["data"], "truth": small_world["truth"]}


def test_tables_in_chunks_give_the_same_interim_folder(small_world, tmp_path):
    """Every table is validated chunk by chunk, the rules across rows run over all the chunks: chunk
    boundaries must change nothing, bad rows and keys shared across chunks included."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for f in small_world["data"].iterdir():
        (raw / f.name).write_bytes(f.read_bytes())
    acts = pd.read_parquet(raw / "activities.parquet")
    acts.loc[[5, 40_000, 40_001], "account_id"] = "ACC-NOPE"
    acts.loc[[7, 99_999], "activity_type"] = None  # required
    acts.loc[[123_456], "contact_id"] = "CON-NOPE"
    acts.to_parquet(raw / "activities.parquet", index=False)
    acc = pd.read_parquet(raw / "accounts.parquet")
    acc.loc[4_000, "account_id"] = acc.loc[3, "account_id"]  # one id on two rows, chunks apart
    acc.loc[5, "parent_account_id"] = "ACC-NOPE"
    acc.to_parquet(raw / "accounts.parquet", index=False)
    opps = pd.read_parquet(raw / "opportunities.parquet")
    opps.loc[2_500, "account_id"] = "ACC-NOPE"
    opps.loc[3_000, "account_id"] = acc.loc[3, "account_id"]  # its account's rows are rejected
    opps.to_parquet(raw / "opportunities.parquet", index=False)
    snaps = pd.read_parquet(raw / "snapshots.parquet")
    snaps.loc[50_000, ["account_id", "snapshot_date"]] = snaps.loc[10, ["account_id", "snapshot_date"]]
    snaps.to_parquet(raw / "snapshots.parquet", index=False)
    whole = ingest_into(raw, tmp_path / "whole", 1.0)
    chunked = ingest_into(raw, tmp_path / "chunked", 1.0, **{"ingest.chunk_rows": 2_999})
    assert chunked == whole
    assert (tmp_path / "chunked" / "rejects.csv").read_text() == (
        tmp_path / "whole" / "rejects.csv"
    ).read_text()
    rejected = _rejects(tmp_path / "chunked")
    rows = set(rejected.loc[rejected["table"] == "activities", "row"])
    assert {6, 40_001, 40_002, 8, 100_000, 123_457} <= rows  # 1-based rows of the file, across chunks
    said = {(t, r): why for t, r, why in rejected[["table", "row", "reason"]].itertuples(index=False)}
    twice = f"duplicate account_id {acc.loc[3, 'account_id']} (every row with it is rejected)"
    assert said["accounts", 4] == said["accounts", 4_001] == twice
    assert said["accounts", 6] == "parent_account_id ACC-NOPE is not in accounts: cleared, row kept"
    assert said["opportunities", 2_501] == "account_id ACC-NOPE is not in accounts"
    assert said["opportunities", 3_001].endswith("is not in accounts (its row there was rejected)")
    assert said["snapshots", 11] == said["snapshots", 50_001]
    assert said["snapshots", 11].startswith(
        f"duplicate account_id + snapshot_date {snaps.loc[10, 'account_id']} + "
    )
    for name in TABLES:
        if (tmp_path / "whole" / f"{name}.parquet").exists():
            pd.testing.assert_frame_equal(
                pd.read_parquet(tmp_path / "chunked" / f"{name}.parquet"),
                pd.read_parquet(tmp_path / "whole" / f"{name}.parquet"),
                obj=name,
            )
    assert_reconciles(tmp_path / "chunked", chunked)


# --- the synthetic world ------------------------------------------------------------------------------------


def test_world_reconciles_every_table(world):
    assert set(world["summary"]["tables"]) == set(SCHEMAS)
    for name, c in world["summary"]["tables"].items():
        assert c["rows_in"] == len(pd.read_parquet(world["raw"] / f"{name}.parquet")), name
    assert_reconciles(world["out"], world["summary"])
    assert json.loads((world["out"] / "ingest_summary.json").read_text()) == world["summary"]


def test_world_duplicates_are_merged_into_their_account(world):
    truth = pd.read_parquet(world["truth"] / "duplicates.parquet")
    merges = pd.read_csv(world["out"] / "account_merges.csv", dtype=str)
    merged = dict(zip(merges["duplicate_account_id"], merges["kept_account_id"], strict=True))
    expected = dict(zip(truth["duplicate_account_id"], truth["account_id"], strict=True))
    assert {d: merged.get(d) for d in expected} == expected
    assert world["summary"]["account_merges"] == len(merges)
    accounts = pd.read_parquet(world["out"] / "accounts.parquet")
    assert not accounts["account_id"].isin(merges["duplicate_account_id"]).any()
    assert accounts["domain"].is_unique
    raw_opps = pd.read_parquet(world["raw"] / "opportunities.parquet")
    assert raw_opps["account_id"].isin(merges["duplicate_account_id"]).any()  # some deals sit on duplicates
    opps = pd.read_parquet(world["out"] / "opportunities.parquet")
    assert len(opps) == len(raw_opps) and opps["account_id"].isin(accounts["account_id"]).all()


def test_world_values_are_canonical(world):
    acc = pd.read_parquet(world["out"] / "accounts.parquet")
    assert set(acc["industry"].dropna()) <= set(INDUSTRIES)
    assert set(acc["country"].dropna()) <= set(COUNTRY_REGION)
    with_country = acc[acc["country"].notna()]
    assert (with_country["region"] == with_country["country"].map(COUNTRY_REGION)).all()
    assert (acc["domain"] == normalise_domain(acc["domain"])).all()
    assert not acc["domain"].str.contains(r"^www\.|[A-Z/:]", regex=True).any()


def test_world_interim_tables_meet_the_contract_with_the_agreed_dtypes(world):
    tables = {name: pd.read_parquet(world["out"] / f"{name}.parquet") for name in SCHEMAS}
    for name, df in tables.items():
        assert list(df.columns) == list(SCHEMAS[name].columns), name
        SCHEMAS[name].validate(df, lazy=True)
    assert not any(bad.any() for bad in foreign_key_violations(tables).values())
    acc, opps = tables["accounts"], tables["opportunities"]
    assert acc["employees"].dtype == "Int64" and acc["is_customer"].dtype == bool
    assert opps["amount"].dtype == "float64" and pd.api.types.is_string_dtype(opps["opportunity_id"])
    assert all(pd.api.types.is_datetime64_dtype(opps[c]) for c in ("created_date", "close_date"))


def test_csv_and_parquet_exports_ingest_to_the_same_tables(tmp_path):
    for fmt in ("csv", "parquet"):
        synthesize(WorldConfig(accounts=400, seed=5), tmp_path / fmt, tmp_path / f"{fmt}_truth", fmt)
        ingest_into(tmp_path / fmt, tmp_path / f"{fmt}_interim", 0.2)
    for name in (*TABLES, "rejects", "account_merges"):
        read = pd.read_parquet if name in TABLES else pd.read_csv
        ext = "parquet" if name in TABLES else "csv"
        pd.testing.assert_frame_equal(
            read(tmp_path / "csv_interim" / f"{name}.{ext}"),
            read(tmp_path / "parquet_interim" / f"{name}.{ext}"),
            obj=name,
        )


# --- small hand-made inputs ---------------------------------------------------------------------------------

BASE = {
    "accounts": "account_id,name,domain,industry,employees,annual_revenue,founded_year,country,region,"
    "ownership,funding_stage,parent_account_id,employee_growth_1y,is_customer,customer_since,"
    "snapshot_date\n"
    "ACC-1,Acme Inc,acme.com,Software,120,1000000,2001,United States,North America,private,seed,,"
    "0.1,true,2024-05-01,2025-01-01\n"
    "ACC-2,Beta GmbH,beta.de,Manufacturing,80,,1990,Germany,EMEA,private,,ACC-1,,false,,"
    "2025-01-01\n",
    "opportunities": "opportunity_id,account_id,created_date,close_date,stage,amount,type,lead_source\n"
    "OPP-1,ACC-1,2024-03-01,2024-05-01,won,5000,new business,inbound\n"
    "OPP-2,ACC-2,2024-03-01,2024-06-01,lost,,new business,outbound\n"
    "OPP-3,ACC-2,2024-07-01,,open,,expansion,\n",
    "snapshots": "account_id,snapshot_date,employees,annual_revenue\n"
    "ACC-1,2024-01-01,100,900000\n"
    "ACC-2,2024-01-01,75,\n",
    "intent": "account_id,topic,week,score\n"
    "ACC-1,sales intelligence,2024-02-04,75\n"
    "ACC-2,revenue operations,2024-02-04,20\n",
    "contacts": "contact_id,account_id,title,seniority,department,created_date\n"
    "CON-1,ACC-1,VP Sales,vp,sales,2023-01-01\n",
    "activities": "account_id,contact_id,timestamp,activity_type,detail\n"
    "ACC-1,CON-1,2024-02-01 10:00:00,web_visit,/pricing\n"
    "ACC-2,,2024-02-02T11:00:00Z,pricing_page,\n",
}


def _source(folder, edits=(), drop=(), encoding="utf-8"):
    """BASE as CSV files in `folder`, with cells set by (table, row, column, value) edits, row 1-based."""
    frames = {
        name: pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False) for name, text in BASE.items()
    }
    for table, row, column, value in edits:
        frames[table].loc[row - 1, column] = value
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in frames.items():
        if name not in drop:
            df.to_csv(folder / f"{name}.csv", index=False, encoding=encoding)
    return folder


def _ingest(tmp_path, edits=(), **kw):
    out = tmp_path / "interim"
    summary = ingest_into(_source(tmp_path / "raw", edits, **kw), out, 1.0)
    assert_reconciles(out, summary)
    return out, summary


GONE = "account_id {} is not in accounts (its row there was rejected)"
OPPS = "opportunities"
CASES = {
    "clean input": ([], []),
    "unparsable date": (
        [(OPPS, 2, "created_date", "abc")],
        [(OPPS, 2, "created_date", "abc", "unparsable date 'abc' (expected YYYY-MM-DD)")],
    ),
    "date out of range": (
        [(OPPS, 2, "close_date", "9999-12-31")],
        [(OPPS, 2, "close_date", "9999-12-31", "date 9999-12-31 is outside 1677-09-22 to 2262-04-11")],
    ),
    "negative amount": ([(OPPS, 1, "amount", "-5")], [(OPPS, 1, "amount", "-5", "amount -5 is less than 0")]),
    "unknown stage": (
        [(OPPS, 2, "stage", "closed-won")],
        [(OPPS, 2, "stage", "closed-won", "stage 'closed-won' is not one of won, lost, open")],
    ),
    "close before create": (
        [(OPPS, 1, "close_date", "2024-01-02")],
        [(OPPS, 1, "close_date", "2024-01-02", "close_date 2024-01-02 is before created_date 2024-03-01")],
    ),
    "a deal closed the day it was created is valid, whatever the time of day": (
        [(OPPS, 1, "created_date", "2024-05-01T18:09:07.000Z")],
        [],
    ),
    "close the day before create, at any time of day": (
        [(OPPS, 1, "created_date", "2024-05-02T00:30:00.000Z")],
        [
            (
                OPPS,
                1,
                "close_date",
                "2024-05-01",
                "close_date 2024-05-01 is before created_date 2024-05-02T00:30:00.000Z",
            )
        ],
    ),
    "partial dates are rejected, not read as the 1st": (
        [(OPPS, 2, "created_date", "2024-03"), ("snapshots", 2, "snapshot_date", "2024")],
        [
            (OPPS, 2, "created_date", "2024-03", "partial date '2024-03' (no day): not read as the 1st"),
            ("snapshots", 2, "snapshot_date", "2024", "partial date '2024' (no day): not read as the 1st"),
        ],
    ),
    "won deal without close date": (
        [(OPPS, 1, "close_date", "")],
        [(OPPS, 1, "close_date", "", "won deal has no close_date")],
    ),
    "duplicate opportunity_id": (
        [(OPPS, 3, "opportunity_id", "OPP-1")],
        [
            (
                OPPS,
                r,
                "opportunity_id",
                "OPP-1",
                "duplicate opportunity_id OPP-1 (every row with it is rejected)",
            )
            for r in (1, 3)
        ],
    ),
    "duplicate snapshot": (
        [("snapshots", 2, "account_id", "ACC-1")],
        [
            (
                "snapshots",
                r,
                "account_id",
                "ACC-1",
                "duplicate account_id + snapshot_date ACC-1 + 2024-01-01 (every row with it is rejected)",
            )
            for r in (1, 2)
        ],
    ),
    "opportunity for unknown account": (
        [(OPPS, 2, "account_id", "ACC-9")],
        [(OPPS, 2, "account_id", "ACC-9", "account_id ACC-9 is not in accounts")],
    ),
    "score 150 in intent": (
        [("intent", 1, "score", "150")],
        [("intent", 1, "score", "150", "score 150 is outside 0 to 100")],
    ),
    "several problems, one row": (
        [(OPPS, 2, "stage", "closed-won"), (OPPS, 2, "amount", "x")],
        [
            (OPPS, 2, "amount", "x", "unparsable number 'x'"),
            (OPPS, 2, "stage", "closed-won", "stage 'closed-won' is not one of won, lost, open"),
        ],
    ),
    "rejected account takes its rows along": (
        [("accounts", 2, "employees", "12.5")],
        [("accounts", 2, "employees", "12.5", "employees 12.5 is not a whole number")]
        + [(OPPS, r, "account_id", "ACC-2", GONE.format("ACC-2")) for r in (2, 3)]
        + [
            (t, 2, "account_id", "ACC-2", GONE.format("ACC-2")) for t in ("snapshots", "intent", "activities")
        ],
    ),
    "is_customer not a boolean": (
        [("accounts", 1, "is_customer", "maybe"), ("accounts", 2, "parent_account_id", "")],
        [("accounts", 1, "is_customer", "maybe", "is_customer 'maybe' is not true or false")]
        + [
            (t, 1, "account_id", "ACC-1", GONE.format("ACC-1"))
            for t in (OPPS, "snapshots", "intent", "contacts", "activities")
        ],
    ),
    "unknown parent is cleared": (
        [("accounts", 2, "parent_account_id", "ACC-7")],
        [
            (
                "accounts",
                2,
                "parent_account_id",
                "ACC-7",
                "parent_account_id ACC-7 is not in accounts: cleared, row kept",
            )
        ],
    ),
    "date in the future": (
        [(OPPS, 2, "created_date", "2199-01-01")],
        [(OPPS, 2, "created_date", "2199-01-01", "date 2199-01-01 is in the future")],
    ),
    "open deal's expected close date is cleared, even in the future": (
        [(OPPS, 3, "close_date", "2199-09-01")],
        [
            (
                OPPS,
                3,
                "close_date",
                "2199-09-01",
                "open deal's close_date is the date it is expected to close, not an outcome: "
                "cleared, row kept",
            )
        ],
    ),
    "a domain placeholder is no domain: never merged": (
        [("accounts", 1, "domain", "N/A"), ("accounts", 2, "domain", "n/a")],
        [],
    ),
    "empty opportunity_id": (
        [(OPPS, 1, "opportunity_id", " ")],
        [(OPPS, 1, "opportunity_id", " ", "opportunity_id is empty")],
    ),
    "no employees": (
        [("accounts", 1, "employees", "0")],
        [
            ("accounts", 1, "employees", "0", "employees 0 is less than 1"),
            (
                "accounts",
                2,
                "parent_account_id",
                "ACC-1",
                GONE.format("ACC-1").replace("account_id", "parent_account_id") + ": cleared, row kept",
            ),
        ]
        + [
            (t, 1, "account_id", "ACC-1", GONE.format("ACC-1"))
            for t in (OPPS, "snapshots", "intent", "contacts", "activities")
        ],
    ),
    "account without a domain is kept, never merged": (
        [("accounts", 1, "domain", ""), ("accounts", 2, "domain", "")],
        [],
    ),
    "an industry outside the canonical 15 is the export's own word, kept": (
        [("accounts", 1, "industry", "Aerospace")],
        [],
    ),
    "unknown contact is cleared": (
        [("activities", 1, "contact_id", "CON-9")],
        [("activities", 1, "contact_id", "CON-9", "contact_id CON-9 is not in contacts: cleared, row kept")],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_malformed_input_is_rejected_with_its_reason(tmp_path, case):
    edits, expected = CASES[case]
    out, _ = _ingest(tmp_path, edits)
    assert sorted(_rejects(out).itertuples(index=False, name=None)) == sorted(expected)


def test_optional_tables_may_be_absent_and_then_their_links_are_not_checked(tmp_path):
    out, summary = _ingest(
        tmp_path, [("activities", 1, "contact_id", "CON-9")], drop=["contacts", "snapshots", "intent"]
    )
    assert list(summary["tables"]) == ["accounts", OPPS, "activities"]
    assert sorted(p.stem for p in out.glob("*.parquet")) == ["accounts", "activities", OPPS]
    assert pd.read_parquet(out / "activities.parquet").loc[0, "contact_id"] == "CON-9"


def test_an_optional_table_with_a_header_only_ingests_as_empty(tmp_path):
    raw = _source(tmp_path / "raw")
    (raw / "intent.csv").write_text("account_id,topic,week,score\n")
    (raw / "contacts.csv").write_text("contact_id,account_id,title,seniority,department,created_date\n")
    summary = ingest_into(raw, tmp_path / "interim", 1.0)
    for name in ("intent", "contacts"):  # an event table, and a keyed one (checked across rows)
        assert summary["tables"][name] | {"file": None} == {
            "file": None,
            "rows_in": 0,
            "rows_kept": 0,
            "rows_rejected": 0,
            "values_cleared": 0,
            **({"seniority_from_title": 0, "department_from_title": 0} if name == "contacts" else {}),
        }
        assert pd.read_parquet(tmp_path / "interim" / f"{name}.parquet").empty, name
    (raw / "intent.csv").write_text("account_id,topic,week\n")
    with pytest.raises(ContractError, match="intent.csv: missing column 'score'"):
        ingest_into(raw, tmp_path / "interim2", 1.0)


def test_cleared_links_keep_their_rows(tmp_path):
    out, summary = _ingest(
        tmp_path, [("accounts", 2, "parent_account_id", "ACC-7"), ("activities", 1, "contact_id", "CON-9")]
    )
    assert pd.read_parquet(out / "accounts.parquet")["parent_account_id"].isna().all()
    assert pd.read_parquet(out / "activities.parquet")["contact_id"].isna().all()
    assert summary["tables"]["accounts"] | {"file": None} == {
        "file": None,
        "rows_in": 2,
        "rows_kept": 2,
        "rows_rejected": 0,
        "values_cleared": 1,
    }


def test_aliases_case_and_spaces_become_canonical(tmp_path):
    out, _ = _ingest(
        tmp_path,
        [
            ("accounts", 1, "industry", " computer  SOFTWARE"),
            ("accounts", 2, "industry", "Aerospace & Defense"),
            ("accounts", 1, "country", "usa"),
            ("accounts", 1, "region", ""),
            ("accounts", 1, "domain", "https://www.Acme.COM/about"),
            (OPPS, 1, "stage", " Won "),
            (OPPS, 1, "type", "New Business"),
            ("activities", 1, "activity_type", "Web Visit"),
            ("activities", 1, "detail", "/customers"),  # not a pricing page: that would make it pricing_page
        ],
    )
    acc, opp = pd.read_parquet(out / "accounts.parquet"), pd.read_parquet(out / "opportunities.parquet")
    assert acc.loc[0, ["industry", "country", "region", "domain"]].tolist() == [
        "Software",
        "United States",
        "North America",
        "acme.com",
    ]
    assert acc.loc[1, "industry"] == "Aerospace & Defense"  # an open vocabulary: the export's own word, kept
    assert opp.loc[0, ["stage", "type"]].tolist() == ["won", "new business"]
    assert pd.read_parquet(out / "activities.parquet").loc[0, "activity_type"] == "web_visit"
    assert opp.loc[0, "created_date"] == pd.Timestamp("2024-03-01") and opp.loc[0, "amount"] == 5000.0


def test_open_vocabularies_keep_the_exports_own_words(tmp_path):
    """Only stage and type are closed: any other coded value outside the recommended spellings is kept as
    written, never rejected or cleared."""
    own = [
        ("accounts", 1, "ownership", "Family-owned"),
        ("accounts", 1, "funding_stage", "Series E"),
        ("accounts", 2, "region", "DACH"),
        (OPPS, 1, "lead_source", "Trade Show"),
        ("activities", 2, "activity_type", "Fill Out Form"),
    ]
    out, summary = _ingest(tmp_path, own)
    assert not _rejects(out).shape[0]
    assert all(t["values_cleared"] == 0 for t in summary["tables"].values())
    read = {t: pd.read_parquet(out / f"{t}.parquet") for t in ("accounts", OPPS, "activities")}
    for table, row, column, value in own:
        assert read[table].loc[row - 1, column] == value, (table, column)


def test_spellings_of_nothing_in_a_number_or_date_are_empty_cells(tmp_path):
    """NaN, N/A, null and - in an optional number or date are empty cells: the account and its deals stay."""
    out, summary = _ingest(
        tmp_path,
        [
            ("accounts", 1, "employees", "N/A"),
            ("accounts", 1, "annual_revenue", "NaN"),
            ("accounts", 1, "founded_year", "-"),
            ("accounts", 1, "customer_since", "null"),
            (OPPS, 2, "amount", "n/a"),
        ],
    )
    assert not _rejects(out).shape[0] and summary["tables"]["accounts"]["rows_kept"] == 2
    acc = pd.read_parquet(out / "accounts.parquet")
    assert acc.loc[0, ["employees", "annual_revenue", "founded_year", "customer_since"]].isna().all()
    assert pd.isna(pd.read_parquet(out / "opportunities.parquet").loc[1, "amount"])


def test_money_is_read_as_people_write_it(tmp_path):
    """Currency signs and codes, thousands separators and a column's decimal comma: a value, not a reject."""
    out, _ = _ingest(
        tmp_path,
        [
            (OPPS, 1, "amount", "$5,000.50"),
            (OPPS, 2, "amount", "USD 1 200"),
            ("accounts", 1, "annual_revenue", "1.000.000,50 €"),
            ("accounts", 2, "annual_revenue", "2,5"),
        ],
    )
    assert not _rejects(out).shape[0]
    assert pd.read_parquet(out / "opportunities.parquet")["amount"].tolist()[:2] == [5000.5, 1200.0]
    assert pd.read_parquet(out / "accounts.parquet")["annual_revenue"].tolist() == [1_000_000.5, 2.5]


def test_contacts_get_seniority_and_department_from_their_titles_where_empty(tmp_path, caplog):
    """Given values win (one outside the recommended codes is read by the title rule, and kept as written when
    the rule does not know it); a title the rule does not know costs the contact nothing; the console and the
    summary count the kept rows derived."""
    raw = _source(tmp_path / "raw")
    (raw / "contacts.csv").write_text(
        "contact_id,account_id,title,seniority,department,created_date\n"
        "CON-1,ACC-1,VP Sales,,,2023-01-01\n"
        'CON-2,ACC-1,"Sr. Dir., Demand Gen",manager,,2023-01-01\n'
        "CON-3,ACC-2,Student,,,2023-01-01\n"
        "CON-4,ACC-2,Head of RevOps,Senior VP,,2023-01-01\n"
        "CON-5,ACC-9,CFO,,,2023-01-01\n"
        "CON-6,ACC-2,Chef,Staff,Kitchen,2023-01-01\n"
    )
    caplog.set_level(logging.INFO)
    summary = ingest_into(raw, tmp_path / "interim", 1.0)
    contacts = pd.read_parquet(tmp_path / "interim" / "contacts.parquet")
    assert contacts[["contact_id", "seniority", "department"]].fillna("").values.tolist() == [
        ["CON-1", "vp", "sales"],
        ["CON-2", "manager", "marketing"],
        ["CON-3", "", ""],
        ["CON-4", "vp", "operations"],
        ["CON-6", "Staff", "Kitchen"],
    ]
    assert sorted(_rejects(tmp_path / "interim").query("table == 'contacts'")["reason"]) == [
        "account_id ACC-9 is not in accounts",
    ]
    assert summary["tables"]["contacts"] | {"file": None} == {
        "file": None,
        "rows_in": 6,
        "rows_kept": 5,
        "rows_rejected": 1,
        "values_cleared": 0,
        "seniority_from_title": 1,
        "department_from_title": 3,
    }
    assert (
        "ingest: contacts: rows in 6 = rows kept 5 + rows rejected 1 (seniority derived from title for 1 "
        "rows, department for 3)" in caplog.messages
    )


def test_a_contacts_name_is_kept_when_the_file_has_one_and_may_be_left_out(tmp_path):
    """The one optional contract column: an export without names ingests as before (no column), one with
    names keeps them as written."""
    out, _ = _ingest(tmp_path / "without")
    assert "name" not in pd.read_parquet(out / "contacts.parquet").columns
    raw = _source(tmp_path / "with")
    (raw / "contacts.csv").write_text(
        "contact_id,account_id,name,title,seniority,department,created_date\n"
        "CON-1,ACC-1, Jane  Doe ,VP Sales,vp,sales,2023-01-01\n"
        "CON-2,ACC-1,,CFO,,,2023-01-01\n"
    )
    ingest_into(raw, tmp_path / "with_interim", 1.0)
    contacts = pd.read_parquet(tmp_path / "with_interim" / "contacts.parquet")
    assert list(contacts.columns) == list(SCHEMAS["contacts"].columns)
    assert contacts["name"].fillna("").tolist() == ["Jane  Doe", ""]


def test_times_keep_the_exports_clock_whatever_zone_they_state(tmp_path):
    """An offset or Z is dropped, not converted: the day written is the day kept, so a deal created in the
    evening of a zone west of UTC and closed that day is not 'closed before it was created'."""
    out, _ = _ingest(
        tmp_path,
        [
            ("activities", 1, "timestamp", "2024-02-01T12:00:00+02:00"),
            ("activities", 2, "timestamp", "2024-02-02 11:00:00"),
            ("contacts", 1, "created_date", "2023-01-01T18:09:07.000Z"),
            (OPPS, 1, "created_date", "2024-05-01T20:00:00-05:00"),  # 01:00 on 2 May in UTC
        ],
    )
    assert pd.read_parquet(out / "activities.parquet")["timestamp"].tolist() == [
        pd.Timestamp("2024-02-01 12:00"),
        pd.Timestamp("2024-02-02 11:00"),
    ]
    assert pd.read_parquet(out / "contacts.parquet").loc[0, "created_date"] == pd.Timestamp(
        "2023-01-01 18:09:07"
    )
    assert pd.read_parquet(out / "opportunities.parquet").loc[0, "created_date"] == pd.Timestamp(
        "2024-05-01 20:00"
    )
    assert len(_rejects(out)) == 0


def test_latin1_text_does_not_matter(tmp_path):
    out, _ = _ingest(
        tmp_path,
        [
            ("accounts", 2, "name", "Société Générale"),
            ("accounts", 2, "country", "España"),
            ("accounts", 2, "region", ""),
        ],
        encoding="latin-1",
    )
    acc = pd.read_parquet(out / "accounts.parquet")
    assert acc.loc[1, ["name", "country", "region"]].tolist() == ["Société Générale", "Spain", "EMEA"]
    assert len(_rejects(out)) == 0


def test_duplicate_domain_is_merged_and_its_deals_move(tmp_path):
    out, summary = _ingest(tmp_path, [("accounts", 2, "domain", "HTTPS://WWW.ACME.COM/")])
    merges = pd.read_csv(out / "account_merges.csv", dtype=str)
    assert merges.to_dict("records") == [
        {"duplicate_account_id": "ACC-2", "kept_account_id": "ACC-1", "domain": "acme.com"}
    ]
    assert set(pd.read_parquet(out / "opportunities.parquet")["account_id"]) == {"ACC-1"}
    assert _rejects(out).to_dict("records") == [
        {
            "table": "accounts",
            "row": 2,
            "column": "domain",
            "value": "HTTPS://WWW.ACME.COM/",
            "reason": "duplicate of ACC-1 (same domain acme.com): merged into it",
        }
    ]
    assert summary["account_merges"] == 1


def test_merge_keeps_the_most_complete_row_then_the_smallest_id():
    acc = pd.DataFrame(
        {
            "account_id": ["B", "A", "C", "D"],
            "domain": ["x.com", "x.com", "y.com", "y.com"],
            "industry": ["Software", None, "Retail", "Retail"],
        }
    )
    checked = acc.assign(
        **{ROW: range(len(acc)), EMPTY: acc.isna().sum(axis=1), shown_column("domain"): acc["domain"]},
        **{origin_column("domain"): ""},
    )
    merges = merged_accounts(ibis.memtable(checked)).order_by(ROW).to_pandas()
    assert sorted(set(acc["account_id"]) - set(merges["duplicate_account_id"])) == ["B", "C"]
    assert merges[MERGES].to_dict("records") == [
        {"duplicate_account_id": "A", "kept_account_id": "B", "domain": "x.com"},
        {"duplicate_account_id": "D", "kept_account_id": "C", "domain": "y.com"},
    ]


@pytest.mark.parametrize(
    "case", ["missing column", "missing file", "unreadable file", "no rows", "empty file", "no closed deals"]
)
def test_unusable_input_is_fatal_with_file_and_column(tmp_path, case):
    raw = _source(tmp_path / "raw", drop=[OPPS] if case == "missing file" else ())
    opps = raw / "opportunities.csv"
    if case == "missing column":
        pd.read_csv(opps, dtype=str).drop(columns="stage").to_csv(opps, index=False)
    elif case == "unreadable file":
        opps.write_text(opps.read_text() + "OPP-4,ACC-1,2024-01-01,,open,,expansion,,surplus\n")
    elif case == "no rows":
        opps.write_text(opps.read_text().splitlines()[0] + "\n")
    elif case == "empty file":
        opps.write_bytes(b"")
    elif case == "no closed deals":
        opps.write_text(opps.read_text().replace(",won,", ",open,").replace(",lost,", ",open,"))
    with pytest.raises(ContractError) as e:
        ingest_into(raw, tmp_path / "interim", 1.0)
    message = str(e.value)
    assert (str(raw) if case == "missing file" else str(opps)) in message and OPPS in message
    expected = {
        "missing column": "missing column 'stage'",
        "unreadable file": "cannot read it (line 5 has 9 fields where the header has 8: a delimiter inside a "
        "value that is not quoted? Quote that value or remove the extra delimiters)",
        "no rows": "no data rows",
        "empty file": "the file is empty. Export it again with its header row and rows.",
        "no closed deals": "column stage has no won or lost deal to learn from (kept rows: open (3))",
    }
    assert expected.get(case, "no opportunities.csv") in message


def test_too_many_rejects_stops_naming_file_column_row_and_value(tmp_path, monkeypatch, capsys):
    raw = _source(tmp_path / "raw", [(OPPS, 2, "amount", "-5"), (OPPS, 3, "stage", "??")])
    out = tmp_path / "interim"
    with pytest.raises(ContractError) as e:
        ingest_into(raw, out, 0.5)
    message = str(e.value)
    for part in (
        str(raw / "opportunities.csv"),
        "row 2",
        "column amount",
        "value '-5'",
        str(out / "rejects.csv"),
    ):
        assert part in message
    assert len(_rejects(out)) == 2 and not list(out.glob("*.parquet"))  # rejects to read, no table to run on

    bad = P.override(
        PARAMS, {"ingest.source": str(raw), "ingest.out": str(out), "ingest.max_reject_share": 0.5}
    )
    monkeypatch.setattr(P, "load", lambda: bad)
    with pytest.raises(SystemExit) as exit_:
        stage_main(stage.run)
    err = capsys.readouterr().err
    assert (
        exit_.value.code == 2 and "column amount, first: row 2, value '-5'" in err and "Traceback" not in err
    )


def test_too_many_rejects_quotes_the_column_that_lost_most_rows(tmp_path):
    """An unmapped stage rejects most deals: the stop names it, not an earlier row's other problem."""
    edits = [(OPPS, 1, "amount", "-5"), (OPPS, 2, "stage", "Negotiating"), (OPPS, 3, "stage", "Negotiating")]
    with pytest.raises(ContractError) as e:
        ingest_into(_source(tmp_path / "raw", edits), tmp_path / "interim", 0.5)
    assert (
        "2 of them for column stage, first: row 2, value 'Negotiating': stage 'Negotiating' is not one"
        in str(e.value)
    )


def test_a_visit_to_a_pricing_page_is_a_pricing_page_visit_whatever_its_type():
    """Marketo logs every page as `Visit Webpage`, the page in its detail: a pricing page's address makes the
    row a pricing_page visit; a page or asset merely about pricing does not."""
    details = [
        "/pricing",
        "www.acme.com/Pricing?plan=pro",
        "https://acme.com/en/pricing/",
        "/blog/pricing-strategy",
        "Pricing webinar",
        "Pricing.Email 1",  # Marketo's program.email: an email, not a page
        "/products",
        None,
    ]
    raw = pd.DataFrame(
        {
            "account_id": "A",
            "contact_id": None,
            "timestamp": "2024-01-02",
            "activity_type": "Visit Webpage",
            "detail": details,
        }
    )
    types = normalise("activities", raw)[0]["activity_type"].tolist()
    assert types == ["pricing_page"] * 3 + ["Visit Webpage"] * 5
