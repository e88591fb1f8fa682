"""Bring your own data: readers, the mapping file, `icp init` guesses, and `icp run` on a CRM-style export."""

import json
import logging
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from features.contract import TABLES
from features.errors import ContractError
from pipeline import readers
from pipeline.guess import guess, match_columns, render, write_mapping
from pipeline.guess_values import stage_values, type_values
from pipeline.sources import read_mapped
from pipeline.stages.synthesize import write_world as synthesize
from pipeline.world import WorldConfig
from tests.conftest import ROOT, assert_reconciles, ingest_into, sh

# The generator's world as a Salesforce export would name it (standard and custom __c fields).
SALESFORCE = {
    "accounts": (
        "Account",
        {
            "account_id": "Id",
            "name": "Name",
            "domain": "Website",
            "industry": "Industry",
            "employees": "NumberOfEmployees",
            "annual_revenue": "AnnualRevenue",
            "founded_year": "YearStarted",
            "country": "BillingCountry",
            "region": "Region__c",
            "ownership": "Ownership",
            "funding_stage": "Funding_Stage__c",
            "parent_account_id": "ParentId",
            "employee_growth_1y": "Employee_Growth__c",
            "is_customer": "Is_Customer__c",
            "customer_since": "Customer_Since__c",
            "snapshot_date": "LastModifiedDate",
        },
    ),
    "opportunities": (
        "Opportunity",
        {
            "opportunity_id": "Id",
            "account_id": "AccountId",
            "created_date": "CreatedDate",
            "close_date": "CloseDate",
            "stage": "StageName",
            "amount": "Amount",
            "type": "Type",
            "lead_source": "LeadSource",
        },
    ),
    "contacts": (
        "Contact",
        {
            "contact_id": "Id",
            "account_id": "AccountId",
            "name": "Name",  # Salesforce's full name, beside FirstName and LastName
            "title": "Title",
            "seniority": "Seniority__c",
            "department": "Department",
            "created_date": "CreatedDate",
        },
    ),
    "snapshots": (
        "AccountHistory",
        {
            "account_id": "AccountId",
            "snapshot_date": "Snapshot_Date__c",
            "employees": "NumberOfEmployees",
            "annual_revenue": "AnnualRevenue",
        },
    ),
}
# Salesforce's Date fields, written YYYY-MM-DD; its DateTime fields are written 2023-01-31T18:09:07.000Z.
DATE_FIELDS = ("CloseDate", "Customer_Since__c", "Snapshot_Date__c")
STAGE_NAMES = {"won": "Closed Won", "lost": "Closed Lost", "open": "Prospecting"}
TYPE_NAMES = {
    "new business": "New Business",
    "expansion": "Existing Customer - Upgrade",
    "renewal": "Renewal",
}


def salesforce_export(world: Path, out: Path) -> Path:
    """`world` renamed as Salesforce names things, Latin-1 with `;` delimiters, plain dates beside `.000Z`
    datetimes in one file; technographics keyed by website as a vendor delivers them; the other event tables
    as they are."""
    out.mkdir(parents=True)
    tables = {name: pd.read_parquet(world / f"{name}.parquet") for name in TABLES}
    for name, (file, names) in SALESFORCE.items():
        df = tables[name].copy()
        if name == "opportunities":
            df["stage"] = df["stage"].map(STAGE_NAMES)
            df["type"] = df["type"].map(TYPE_NAMES)
            df["IsWon"] = df["stage"] == "Closed Won"
        for col in df.columns:
            if pd.api.types.is_datetime64_any_dtype(df[col]):
                plain = names.get(col) in DATE_FIELDS
                df[col] = df[col].dt.strftime("%Y-%m-%d" if plain else "%Y-%m-%dT%H:%M:%S.000Z")
        df.rename(columns=names).to_csv(out / f"{file}.csv", sep=";", encoding="latin-1", index=False)
    websites = "https://www." + tables["accounts"]["domain"].str.removeprefix("www.") + "/"
    tech = tables["technographics"].copy()
    tech.insert(
        0,
        "Website",
        tech.pop("account_id").map(dict(zip(tables["accounts"]["account_id"], websites, strict=True))),
    )
    tech.to_csv(out / "technographics.csv", sep=";", encoding="latin-1", index=False)
    for name in ("activities", "intent", "triggers"):
        tables[name].to_csv(out / f"{name}.csv", sep=";", encoding="latin-1", index=False)
    return out


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A folder with the project's params.yaml to run `icp` in, and a 2,000-account world."""
    root = tmp_path_factory.mktemp("byo")
    shutil.copy(ROOT / "params.yaml", root / "params.yaml")
    synthesize(WorldConfig(accounts=2000, seed=5), root / "world", root / "truth", "parquet")
    return root


def test_a_salesforce_export_runs_through_init_and_run_with_the_native_metrics(project):
    export = salesforce_export(project / "world", project / "salesforce")
    sh(project, "icp", "init", "--from", "salesforce", "--out", "salesforce.yaml")
    mapping = yaml.safe_load((project / "salesforce.yaml").read_text())
    assert mapping["tables"]["opportunities"]["values"]["StageName"] == {
        "Closed Lost": "lost",
        "Closed Won": "won",
        "Prospecting": "open",
    }
    assert mapping["tables"]["technographics"]["columns"]["account_domain"] == "Website"
    assert mapping["tables"]["snapshots"]["file"] == "AccountHistory.csv"
    sh(project, "icp", "run", "--data", str(export), "--mapping", "salesforce.yaml", "--out", "sf")
    sh(project, "icp", "run", "--data", "world", "--out", "native")
    for name in TABLES:
        pd.testing.assert_frame_equal(
            pd.read_parquet(project / "sf" / "interim" / f"{name}.parquet"),
            pd.read_parquet(project / "native" / "interim" / f"{name}.parquet"),
            obj=name,
        )
    metrics = [
        json.loads((project / run / "reports" / "metrics.json").read_text()) for run in ("sf", "native")
    ]
    flat = [pd.json_normalize(m).iloc[0] for m in metrics]
    assert list(flat[0].index) == list(flat[1].index)
    numbers = [f[f.map(lambda v: isinstance(v, int | float))].astype(float) for f in flat]
    assert (numbers[0] - numbers[1]).abs().max() <= 1e-9
    lists = [pd.read_csv(project / run / "targets" / "target_accounts.csv") for run in ("sf", "native")]
    assert (lists[0]["p_win"] - lists[1]["p_win"]).abs().max() <= 1e-9
    assert lists[0]["account_id"].tolist() == lists[1]["account_id"].tolist()


# --- readers ------------------------------------------------------------------------------------------------

TRICKY = pd.DataFrame(
    {
        "Id": ["1", "2", "3"],
        "Name": ["Société Générale", 'Acme, "the" firm', "Line\nbreak Ltd"],
        "Amount": ["1200.5", "", "7"],
    }
)


@pytest.mark.parametrize(
    "how",
    [
        "utf-8",
        "utf-8-sig",
        "utf-16",
        "utf-16-le",
        "utf-16-be",
        "latin-1",
        "cp1252",
        "semicolon",
        "tab",
        "pipe",
    ]
    + ["xlsx", "parquet"],
)
def test_every_export_format_reads_the_same_text(tmp_path, how):
    sep = {"semicolon": ";", "tab": "\t", "pipe": "|"}.get(how, ",")
    path = tmp_path / ("f.xlsx" if how == "xlsx" else "f.parquet" if how == "parquet" else "f.csv")
    if how == "xlsx":
        TRICKY.to_excel(path, index=False)
    elif how == "parquet":
        TRICKY.to_parquet(path, index=False)
    else:
        TRICKY.to_csv(path, sep=sep, index=False, encoding=how if "-" in how or how == "cp1252" else "utf-8")
    read = readers.read(path)
    assert list(read.columns) == ["Id", "Name", "Amount"]
    assert read["Name"].tolist() == TRICKY["Name"].tolist()
    assert read["Amount"].fillna("").astype(str).tolist() == TRICKY["Amount"].tolist()


def test_a_delimiter_ending_every_row_shifts_no_column(tmp_path):
    """`a,b,c` above `1,2,3,`: pandas would take the first column for an index and shift every value left."""
    path = tmp_path / "deals.csv"
    path.write_text("deal,stage,close\nD1,won,2024-01-02,\nD2,lost,2024-02-03,\n")
    for frame in (readers.read(path), next(readers.chunks(path, 1))):
        assert list(frame.columns) == ["deal", "stage", "close"]
        assert frame.iloc[0].tolist() == ["D1", "won", "2024-01-02"]


def test_a_file_of_another_kind_is_refused_with_what_to_do(tmp_path):
    (tmp_path / "deals.docx").write_bytes(b"PK\x03\x04 not a table")
    with pytest.raises(
        ContractError, match=r"deals.docx: cannot read a .docx file. Export it as CSV, Parquet"
    ):
        readers.read(tmp_path / "deals.docx")
    (tmp_path / "deals.xlsx").write_bytes(b"not a zip")
    with pytest.raises(ContractError, match=r"deals.xlsx: cannot read it"):
        readers.read(tmp_path / "deals.xlsx")


# --- the mapping --------------------------------------------------------------------------------------------

CRM = {
    "Companies.csv": "Company ID;Company;Web;Sector;Staff;Revenue (m);Since\n"
    "C1;Acme;https://www.Acme.com/;computer software;120;1.5;01/02/2001\n"
    "C2;Beta;beta.de;Retail;80;;15/03/1990\n",
    "Deals.csv": "Deal;Company ID;Opened;Closed;Status;Product;Kind\n"
    "D1;C1;01/03/2024;01/05/2024;Closed Won;Pro;\n"
    "D2;C2;01/03/2024;01/06/2024;Closed Lost;Basic;\n"
    "D3;C2;01/07/2024;;In Progress;Pro;Upsell\n",
    "Prices.csv": "sku;list\nPro;5000\nBasic;900\n",
    "Tech.csv": "site;product;kind;first;last\n"
    "acme.com;Salesforce;crm;01/01/2023;01/06/2024\n"
    "http://beta.de/about;Snowflake;data_warehouse;01/01/2023;01/06/2024\n"
    "nope.io;HubSpot;crm;01/01/2023;01/06/2024\n",
}
MAPPING = {
    "tables": {
        "accounts": {
            "file": "Companies.csv",
            "date_format": "%d/%m/%Y",
            "columns": {
                "account_id": "Company ID",
                "name": "Company",
                "domain": "Web",
                "industry": "Sector",
                "employees": "Staff",
                "annual_revenue": "Revenue (m)",
            },
            "scale": {"annual_revenue": 1_000_000},
            "defaults": {"snapshot_date": "2024-01-01"},
        },
        "opportunities": {
            "file": "Deals.csv",
            "date_format": "%d/%m/%Y",
            "columns": {
                "opportunity_id": "Deal",
                "account_id": "Company ID",
                "created_date": "Opened",
                "close_date": "Closed",
                "stage": "Status",
                "type": "Kind",
            },
            "values": {
                "Status": {"Closed Won": "won", "Closed Lost": "lost", "In Progress": "open"},
                "Kind": {"Upsell": "expansion"},
            },
            "lookup": {"amount": {"file": "Prices.csv", "column": "Product", "key": "sku", "value": "list"}},
            "defaults": {"type": "new business"},
        },
        "technographics": {
            "file": "Tech.csv",
            "date_format": "%d/%m/%Y",
            "columns": {
                "account_domain": "site",
                "technology": "product",
                "category": "kind",
                "first_seen": "first",
                "last_seen": "last",
            },
        },
    }
}


def _crm(tmp_path, mapping=MAPPING, edits=None):
    raw = tmp_path / "crm"
    raw.mkdir(exist_ok=True)
    for name, text in {**CRM, **(edits or {})}.items():
        (raw / name).write_text(text, encoding="utf-8")
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(mapping) if isinstance(mapping, dict) else mapping)
    return raw, tmp_path / "map.yaml"


def _with_people(tmp_path, people: str, columns: dict):
    """The CRM export with `people` as People.csv, mapped as contacts by `columns`: (export, mapping)."""
    mapping = json.loads(json.dumps(MAPPING))
    mapping["tables"]["contacts"] = {"file": "People.csv", "date_format": "%d/%m/%Y", "columns": columns}
    return _crm(tmp_path, mapping, {"People.csv": people})


def test_the_mapping_renames_recodes_scales_looks_up_and_joins_by_domain(tmp_path):
    raw, mapping = _crm(tmp_path)
    summary = ingest_into(raw, tmp_path / "interim", 1.0, mapping=mapping)
    acc = pd.read_parquet(tmp_path / "interim" / "accounts.parquet")
    opp = pd.read_parquet(tmp_path / "interim" / "opportunities.parquet")
    tech = pd.read_parquet(tmp_path / "interim" / "technographics.parquet")
    assert acc["domain"].tolist() == ["acme.com", "beta.de"] and acc["industry"].tolist() == [
        "Software",
        "Retail",
    ]
    assert acc["annual_revenue"].iloc[0] == 1_500_000.0 and pd.isna(acc["annual_revenue"].iloc[1])
    assert acc["is_customer"].tolist() == [True, False]  # from the won deals
    assert acc["customer_since"].iloc[0] == pd.Timestamp("2024-05-01")
    assert acc["snapshot_date"].tolist() == [pd.Timestamp("2024-01-01")] * 2
    assert opp["stage"].tolist() == ["won", "lost", "open"] and opp["amount"].tolist() == [
        5000.0,
        900.0,
        5000.0,
    ]
    assert opp["type"].tolist() == ["new business", "new business", "expansion"]
    assert opp["created_date"].tolist() == [pd.Timestamp("2024-03-01")] * 2 + [pd.Timestamp("2024-07-01")]
    assert tech["account_id"].tolist() == ["C1", "C2"]
    rejects = pd.read_csv(tmp_path / "interim" / "rejects.csv", dtype=str)
    assert rejects.values.tolist() == [
        [
            "technographics",
            "3",
            "account_domain",
            "nope.io",
            "account_domain nope.io (domain nope.io) matches no account's domain",
        ]
    ]
    assert summary["tables"]["technographics"] | {"file": ""} == {
        "file": "",
        "rows_in": 3,
        "rows_kept": 2,
        "rows_rejected": 1,
        "values_cleared": 0,
    }


# Row-level problems of a mapped export: (file, text replaced, by) -> (table, row, column, value, reason).
MAPPED_ROW_CASES = {
    "stage the mapping does not know": (
        ("Deals.csv", "In Progress", "Negotiation"),
        ("opportunities", 3, "stage", "Negotiation", "stage 'Negotiation' is not one of won, lost, open"),
    ),
    "date not in the mapping's format": (
        ("Deals.csv", "01/03/2024;01/05/2024", "2024-03-01;01/05/2024"),
        (
            "opportunities",
            1,
            "created_date",
            "2024-03-01",
            "unparsable date '2024-03-01' (expected %d/%m/%Y)",
        ),
    ),
    "product missing from the price list": (
        ("Deals.csv", "Closed Won;Pro", "Closed Won;Ultra"),
        ("opportunities", 1, "amount", "", "won deal has no amount"),
    ),
    "revenue that is no number": (
        ("Companies.csv", ";1.5;", ";lots;"),  # n/a would be an empty cell
        ("accounts", 1, "annual_revenue", "lots", "unparsable number 'lots'"),
    ),
    "negative revenue under scale: quoted as written, not scaled": (
        ("Companies.csv", ";1.5;", ";-12;"),
        ("accounts", 1, "annual_revenue", "-12", "annual_revenue -12 is less than 0"),
    ),
}


@pytest.mark.parametrize("case", MAPPED_ROW_CASES)
def test_a_mapped_export_rejects_bad_rows_with_their_reason(tmp_path, case):
    (file, old, new), expected = MAPPED_ROW_CASES[case]
    raw, mapping = _crm(tmp_path, edits={file: CRM[file].replace(old, new, 1)})
    summary = ingest_into(raw, tmp_path / "interim", 1.0, mapping=mapping)
    rejects = pd.read_csv(tmp_path / "interim" / "rejects.csv", dtype=str, keep_default_na=False)
    rejects = rejects[rejects["table"] != "technographics"].astype({"row": int})
    assert [tuple(r) for r in rejects.values.tolist()][:1] == [expected]
    assert_reconciles(tmp_path / "interim", summary)


FATAL_MAPPINGS = {
    "a column the file lacks": (
        lambda m: m["tables"]["accounts"]["columns"].update(industry="Industry"),
        "map.yaml: Companies.csv: no column 'Industry' (named in tables.accounts.columns). The file has: "
        "Company ID, Company, Web, Sector, Staff, Revenue (m), Since",
    ),
    "a column the contract lacks": (
        lambda m: m["tables"]["accounts"]["columns"].update(sector="Sector"),
        "tables.accounts.columns: 'sector' is not a column of the accounts contract",
    ),
    "a table the contract lacks": (
        lambda m: m["tables"].update(products={"file": "Prices.csv"}),
        "tables.products: 'products' is not a table of the contract",
    ),
    "a custom field of no kind": (
        lambda m: m["tables"]["accounts"].update(custom={"Tier": "ranking"}),
        "tables.accounts.custom.Tier: write a kind (number, category, list)",
    ),
    "a history without its field column": (
        lambda m: m["tables"].update(
            snapshots={"file": "Companies.csv", "history": {"value": "Staff", "fields": {"employees": "x"}}}
        ),
        "tables.snapshots.history: needs exactly field",
    ),
    "a history of a field snapshots lack": (
        lambda m: m["tables"].update(
            snapshots={
                "file": "Companies.csv",
                "columns": {"account_id": "Company ID", "snapshot_date": "Since"},
                "history": {"field": "Web", "value": "Staff", "fields": {"industry": "x"}},
            }
        ),
        "tables.snapshots.history.fields: 'industry' is not one of employees, annual_revenue",
    ),
    "no opportunities": (
        lambda m: m["tables"].pop("opportunities"),
        "tables.opportunities is missing: accounts and opportunities are required",
    ),
    "a required column nobody fills": (
        lambda m: m["tables"]["accounts"].pop("defaults"),
        "tables.accounts: nothing fills snapshot_date",
    ),
    "a file that is not there": (
        lambda m: m["tables"]["accounts"].update(file="Firms.csv"),
        "map.yaml: names Firms.csv, but",
    ),
    "yes and no read as booleans": (
        lambda m: m["tables"]["opportunities"]["values"].update(Status={True: "won", False: "lost"}),
        "tables.opportunities.values.Status: YAML reads yes/no/on/off/true/false as booleans: quote them",
    ),
    "a scale that is no number": (
        lambda m: m["tables"]["accounts"]["scale"].update(annual_revenue="million"),
        "tables.accounts.scale.annual_revenue: must be a number (a factor), not 'million'",
    ),
    "a scale of yes": (
        lambda m: m["tables"]["accounts"]["scale"].update(annual_revenue=True),
        "tables.accounts.scale.annual_revenue: must be a number (a factor), not True",
    ),
    "a scale of a column that holds no numbers": (
        lambda m: m["tables"]["accounts"]["scale"].update(industry=1000),
        "tables.accounts.scale: 'industry' is not a number column of the accounts contract; its number "
        "columns: employees, annual_revenue, founded_year, employee_growth_1y",
    ),
    "an empty list of columns": (
        lambda m: m["tables"]["accounts"]["columns"].update(name=[]),
        "tables.accounts.columns.name: a list names your columns whose cells are joined with a space "
        "([FirstName, LastName]), not []",
    ),
    "a field history keyed by joined columns": (
        lambda m: m["tables"].update(
            snapshots={
                "file": "Companies.csv",
                "columns": {"account_id": ["Company ID", "Web"], "snapshot_date": "Since"},
                "history": {"field": "Web", "value": "Staff", "fields": {"employees": "x"}},
            }
        ),
        "tables.snapshots.columns.account_id: one column of yours with `history:`, not ['Company ID', 'Web']",
    ),
    "values that are a list": (
        lambda m: m["tables"]["opportunities"]["values"].update(Status=["Closed Won"]),
        "tables.opportunities.values.Status: must map your values to the contract's",
    ),
    "deals without an account column": (
        lambda m: m["tables"]["opportunities"]["columns"].pop("account_id"),
        "tables.opportunities: nothing fills account_id",
    ),
    "a date format that is not one": (
        lambda m: m["tables"]["accounts"].update(date_format="dd/mm/yyyy"),
        "tables.accounts.date_format: 'dd/mm/yyyy' is not a date format: write ISO8601, excel (serial day "
        "numbers) or a strptime format of a whole date, like '%d/%m/%Y' or '%m/%d/%Y %H:%M'",
    ),
    "a column's date format without the year": (
        lambda m: m["tables"]["opportunities"].update(date_format={"close_date": "%d/%m"}),
        "tables.opportunities.date_format.close_date: '%d/%m' is not a date format",
    ),
    "a number format that is none": (
        lambda m: m["tables"]["opportunities"].update(number_format="1,234,56"),
        "tables.opportunities.number_format: write 1234.56 as your file writes it ('1,234.56', '1.234,56', "
        "'1 234,56'), not '1,234,56'",
    ),
    "a header row that is no line": (
        lambda m: m["tables"]["opportunities"].update(header_row=0),
        "tables.opportunities.header_row: the line (or sheet row) of the header, from 1, not 0",
    ),
    "a date format for a column that holds no dates": (
        lambda m: m["tables"]["opportunities"].update(date_format={"amount": "%d/%m/%Y"}),
        "tables.opportunities.date_format: 'amount' is not a date column of the opportunities contract; "
        "its date columns: created_date, close_date",
    ),
    "a look-up key that repeats": (  # the test adds a second price of Pro (the same price twice is one)
        lambda m: None,
        "Prices.csv: sku 'Pro' appears twice, with two list, so tables.opportunities.lookup.amount "
        "cannot tell which",
    ),
}


@pytest.mark.parametrize("case", FATAL_MAPPINGS)
def test_a_mapping_that_cannot_work_stops_with_what_is_wrong(tmp_path, case):
    change, message = FATAL_MAPPINGS[case]
    mapping = json.loads(json.dumps(MAPPING))
    change(mapping)
    edits = {"Prices.csv": CRM["Prices.csv"] + "Pro;5000\n;1\n;2\nPro;4000\n"} if "repeats" in case else None
    raw, path = _crm(tmp_path, mapping, edits)
    with pytest.raises(ContractError) as e:
        ingest_into(raw, tmp_path / "interim", 1.0, mapping=path)
    assert message in str(e.value)
    assert not (tmp_path / "interim").exists()


def test_a_scale_written_1e6_is_a_number(tmp_path):
    """YAML 1.1 reads 1e6 and 1E3 as text, not numbers: a factor that float() reads is taken as the number,
    also on a whole-number column (staff in thousands: 1.5 is 1,500) and on a default, in the file's units."""
    mapping = json.loads(json.dumps(MAPPING))
    mapping["tables"]["accounts"]["scale"] = {"annual_revenue": "1e6", "employees": "1E3"}
    mapping["tables"]["accounts"]["defaults"]["annual_revenue"] = 0.5
    text = yaml.safe_dump(mapping).replace("'1e6'", "1e6").replace("'1E3'", "1E3")
    assert yaml.safe_load(text)["tables"]["accounts"]["scale"] == {
        "annual_revenue": "1e6",
        "employees": "1E3",
    }
    raw, path = _crm(tmp_path, text, {"Companies.csv": CRM["Companies.csv"].replace(";120;", ";1.5;")})
    ingest_into(raw, tmp_path / "interim", 1.0, mapping=path)
    acc = pd.read_parquet(tmp_path / "interim" / "accounts.parquet")
    assert acc["annual_revenue"].tolist() == [1_500_000.0, 500_000.0]
    assert acc["employees"].tolist() == [1_500, 80_000]


def test_a_looked_up_value_is_rejected_naming_the_file_column_and_key_it_came_from(tmp_path):
    """A bad price is the price list's problem, not the deal's: the reject says where the value came from."""
    deals = CRM["Deals.csv"] + "D4;C1;01/03/2024;01/05/2024;Closed Won;Team;\n"
    prices = "sku;list\nPro;5000\nBasic;-900\nTeam;call us\n"
    raw, mapping = _crm(tmp_path, edits={"Deals.csv": deals, "Prices.csv": prices})
    summary = ingest_into(raw, tmp_path / "interim", 1.0, mapping=mapping)
    rejects = pd.read_csv(tmp_path / "interim" / "rejects.csv", dtype=str, keep_default_na=False)
    assert rejects[rejects["table"] == "opportunities"].values.tolist() == [
        [
            "opportunities",
            "2",
            "amount",
            "-900",
            "amount -900 is less than 0 (looked up in Prices.csv, list of Basic)",
        ],
        [
            "opportunities",
            "4",
            "amount",
            "call us",
            "unparsable number 'call us' (looked up in Prices.csv, list of Team)",
        ],
    ]
    assert_reconciles(tmp_path / "interim", summary)


def test_a_look_up_key_repeated_with_one_value_or_left_empty_is_no_conflict(tmp_path):
    """A price list with Pro twice at one price, and rows without a sku, still says what each deal costs."""
    prices = CRM["Prices.csv"] + "Pro;5000\n;1\n;2\n"
    raw, mapping = _crm(tmp_path, edits={"Prices.csv": prices})
    ingest_into(raw, tmp_path / "interim", 1.0, mapping=mapping)
    amounts = pd.read_parquet(tmp_path / "interim" / "opportunities.parquet")["amount"]
    assert amounts.tolist() == [5000.0, 900.0, 5000.0]


def test_a_mapping_that_is_not_yaml_stops_naming_the_file(tmp_path):
    raw, path = _crm(tmp_path, "tables: [accounts\n")
    with pytest.raises(ContractError, match="map.yaml: not valid YAML"):
        ingest_into(raw, tmp_path / "interim", 1.0, mapping=path)


# --- icp init -----------------------------------------------------------------------------------------------


def test_init_recognises_hubspot_names_and_guesses_stages_and_types(tmp_path):
    (tmp_path / "companies.csv").write_text(
        "hs_object_id,name,domain,industry,numberofemployees,annualrevenue\n1,Acme,acme.com,Software,10,100\n"
    )
    (tmp_path / "deals.csv").write_text(
        "hs_object_id,associated_company_id,dealstage,closedate,createdate,amount,"
        "dealtype\n7,1,closedwon,2024-02-01,2024-01-01,10,newbusiness\n"
        "8,1,appointmentscheduled,,2024-01-05,,existingbusiness\n"
    )
    mapping, notes = guess(tmp_path)
    assert mapping["tables"]["accounts"]["columns"] == {
        "account_id": "hs_object_id",
        "name": "name",
        "domain": "domain",
        "industry": "industry",
        "employees": "numberofemployees",
        "annual_revenue": "annualrevenue",
    }
    deals = mapping["tables"]["opportunities"]
    assert deals["columns"] == {
        "opportunity_id": "hs_object_id",
        "account_id": "associated_company_id",
        "created_date": "createdate",
        "close_date": "closedate",
        "stage": "dealstage",
        "amount": "amount",
        "type": "dealtype",
    }
    assert deals["values"] == {
        "dealstage": {"appointmentscheduled": "open", "closedwon": "won"},
        "dealtype": {"existingbusiness": "expansion", "newbusiness": "new business"},
    }
    assert any(n.startswith("accounts.snapshot_date") for n in notes)


def test_init_recognises_hubspot_ui_export_names(tmp_path):
    """HubSpot's UI export: display names, the deal-to-company link and Country/Region, deal type Growth."""
    (tmp_path / "companies.csv").write_text(
        "Record ID,Company name,Company Domain Name,Country/Region,Number of Employees\n"
        "1,Acme,acme.com,US,10\n"
    )
    (tmp_path / "deals.csv").write_text(
        "Record ID,Associated Company IDs,Deal Stage,Close Date,Create Date,Amount,Deal Type\n"
        "7,1,Closed Won,2024-02-01,2024-01-01,10,Growth\n"
        "8,1,Closed Lost,2024-02-03,2024-01-02,20,New Business\n"
    )
    mapping, _ = guess(tmp_path)
    assert mapping["tables"]["accounts"]["columns"]["country"] == "Country/Region"
    deals = mapping["tables"]["opportunities"]
    assert deals["columns"]["account_id"] == "Associated Company IDs"
    assert deals["values"]["Deal Type"] == {"Growth": "expansion", "New Business": "new business"}


def _init(tmp_path, files: dict[str, str | pd.DataFrame]) -> tuple[dict, str]:
    """`icp init` on an export of `files` (CSV text, or a frame as .xlsx): the mapping and its text."""
    raw = tmp_path / "export"
    raw.mkdir()
    for name, content in files.items():
        if isinstance(content, str):
            (raw / name).write_text(content)
        else:
            content.to_excel(raw / name, index=False)
    write_mapping(raw, tmp_path / "map.yaml")
    text = (tmp_path / "map.yaml").read_text()
    return yaml.safe_load(text), text


def test_init_guesses_a_format_per_date_column_that_ingest_reads_unchanged(tmp_path):
    mapping, _ = _init(
        tmp_path,
        {
            "companies.csv": "Company ID,Company\nC1,Acme\n",
            "deals.csv": "Deal ID,Company ID,Create Date,Close Date,Stage,Amount\n"
            "D1,C1,01/31/2024 18:09,15/02/2024,Closed Won,100\n"  # created month first, closed day first
            "D2,C1,02/01/2024 09:00,01/02/2024,Closed Lost,\n"  # closed the day it was created
            "D3,C1,03/05/2024 10:00,,Open,\n",
        },
    )
    assert mapping["tables"]["opportunities"]["date_format"] == {
        "created_date": "%m/%d/%Y %H:%M",
        "close_date": "%d/%m/%Y",
    }
    ingest_into(tmp_path / "export", tmp_path / "interim", 1.0, mapping=tmp_path / "map.yaml")
    opp = pd.read_parquet(tmp_path / "interim" / "opportunities.parquet")
    assert (
        opp["created_date"].tolist()
        == pd.to_datetime(["2024-01-31 18:09", "2024-02-01 09:00", "2024-03-05 10:00"]).tolist()
    )
    assert opp["close_date"].tolist()[:2] == [pd.Timestamp("2024-02-15"), pd.Timestamp("2024-02-01")]
    acc = pd.read_parquet(tmp_path / "interim" / "accounts.parquet")
    assert acc["customer_since"].tolist() == [pd.Timestamp("2024-02-15")]
    assert pd.read_csv(tmp_path / "interim" / "rejects.csv").empty


def _one_deal(tmp_path, created: str, closed: str) -> tuple[dict, str]:
    """`icp init` on one company and one won deal created and closed on dates written as given."""
    header = "Deal ID,Company ID,Create Date,Close Date,Stage,Amount\n"
    deals = header + f'D1,C1,"{created}","{closed}",Closed Won,100\n'
    return _init(tmp_path, {"companies.csv": "Company ID,Company\nC1,Acme\n", "deals.csv": deals})


@pytest.mark.parametrize(
    "created, closed, read_as",
    [
        ("1/31/24", "2/15/24", "%m/%d/%y"),
        ("31-Jan-2024", "15-Feb-2024", "%d-%b-%Y"),
        ("Jan 31, 2024", "Feb 15, 2024", "%b %d, %Y"),
        ("31 January 2024", "15 February 2024", "%d %B %Y"),
    ],
)
def test_init_reads_two_digit_years_and_month_names(tmp_path, created, closed, read_as):
    """A spreadsheet saves `1/31/24`; reports write `31-Jan-2024` or `Jan 31, 2024`: init names the format and
    ingest reads the dates with it."""
    mapping, _ = _one_deal(tmp_path, created, closed)
    assert mapping["tables"]["opportunities"]["date_format"] == read_as
    ingest_into(tmp_path / "export", tmp_path / "interim", 1.0, mapping=tmp_path / "map.yaml")
    opp = pd.read_parquet(tmp_path / "interim" / "opportunities.parquet")
    assert opp[["created_date", "close_date"]].iloc[0].tolist() == [
        pd.Timestamp("2024-01-31"),
        pd.Timestamp("2024-02-15"),
    ]


@pytest.mark.parametrize(
    "closed, read_as, why",
    [
        ("01/13/2024", "%m/%d/%Y", "like other dates of the export"),
        ("1/13/24", "%m/%d/%Y", "like other dates of the export"),  # a two-digit year settles the order too
        ("01/12/2024", "%d/%m/%Y", "day first: nothing else tells"),
    ],
)
def test_init_marks_dates_that_read_day_first_and_month_first_to_review(tmp_path, closed, read_as, why):
    mapping, text = _one_deal(tmp_path, "01/02/2024", closed)
    written = mapping["tables"]["opportunities"]["date_format"]
    assert (written["created_date"] if isinstance(written, dict) else written) == read_as
    assert (
        f"# TO REVIEW: opportunities.created_date: no day in Create Date is above 12, so '01/02/2024' may be "
        f"day first or month first: read as {read_as} ({why}); if it is "
    ) in text


def test_init_reads_excel_serial_dates_and_says_so(tmp_path):
    deals = pd.DataFrame(
        {
            "Deal ID": ["D1", "D2"],
            "Company ID": ["C1", "C1"],
            "Create Date": [45322, 45323.75],  # 2024-01-31, 2024-02-01 18:00
            "Close Date": [45351, None],  # 2024-02-29
            "Stage": ["Closed Won", "Open"],
            "Amount": [100, None],
        }
    )
    companies = pd.DataFrame({"Company ID": ["C1"], "Company": ["Acme"], "Customer Since": [44927]})
    mapping, text = _init(tmp_path, {"companies.xlsx": companies, "deals.xlsx": deals})
    assert mapping["tables"]["opportunities"]["date_format"] == "excel"
    assert mapping["tables"]["accounts"]["date_format"] == "excel"
    assert (
        "# TO REVIEW: opportunities.created_date: Create Date holds numbers, read as Excel serial day "
        "numbers ('45322' is 2024-01-31): date_format excel"
    ) in text
    ingest_into(tmp_path / "export", tmp_path / "interim", 1.0, mapping=tmp_path / "map.yaml")
    opp = pd.read_parquet(tmp_path / "interim" / "opportunities.parquet")
    assert opp["created_date"].tolist() == [pd.Timestamp("2024-01-31"), pd.Timestamp("2024-02-01 18:00")]
    assert opp["close_date"].iloc[0] == pd.Timestamp("2024-02-29")
    acc = pd.read_parquet(tmp_path / "interim" / "accounts.parquet")
    exported = mapping["tables"]["accounts"]["defaults"]["snapshot_date"]  # a date default, as a serial
    assert acc.loc[0, ["customer_since", "snapshot_date"]].tolist() == [
        pd.Timestamp("2023-01-01"),
        pd.Timestamp(exported),
    ]


def test_init_notes_the_dates_it_cannot_read_instead_of_stopping(tmp_path):
    _, text = _init(
        tmp_path,
        {
            "companies.csv": "Company ID,Company\nC1,Acme\n",
            "deals.csv": "Deal ID,Company ID,Create Date,Close Date,Stage,Amount\n"
            "D1,C1,2024-01-31T18:09:07.000Z,soon,Closed Won,100\n"
            "D2,C1,2024-02-01,later,Closed Lost,\n"
            "D3,C1,2017-03,,Open,\n",
        },
    )
    assert (
        "# TO REVIEW: opportunities.created_date: 1 of 3 values of Create Date are no date in ISO8601 "
        "(first: '2017-03'): ingest will reject their rows\n"
        "# TO REVIEW: opportunities.close_date: no common format reads the dates of Close Date (first: "
        "'soon'): set date_format for it, or export its dates as YYYY-MM-DD\n"
    ) in text


def test_stage_and_type_guesses():
    assert stage_values(pd.Series(["Closed Won", "Closed Lost", "Negotiation/Review", None])) == {
        "Closed Lost": "lost",
        "Closed Won": "won",
        "Negotiation/Review": "open",
    }
    assert type_values(pd.Series(["Renewal", "Existing Customer - Upgrade", "New Customer"])) == {
        "Existing Customer - Upgrade": "expansion",
        "New Customer": "new business",
        "Renewal": "renewal",
    }


# --- the Maven CRM example: an export nobody here wrote -----------------------------------------------------


def _maven() -> Path | None:
    """The dataset is not in the repo (not ours to commit): $ICP_MAVEN_CRM, or
    ../shared/datasets/maven_crm."""
    for candidate in (
        os.environ.get("ICP_MAVEN_CRM"),
        ROOT.parent / "shared" / "datasets" / "maven_crm",
        Path("/work/shared/datasets/maven_crm"),
    ):
        if candidate and (Path(candidate) / "sales_pipeline.csv").is_file():
            return Path(candidate)
    return None


@pytest.mark.skipif(_maven() is None, reason="Maven CRM export not found: set ICP_MAVEN_CRM to its folder")
def test_the_maven_crm_example_runs_end_to_end_and_finds_no_signal(project):
    sh(
        project,
        "icp",
        "run",
        "--data",
        str(_maven()),
        "--mapping",
        str(ROOT / "examples/maven_crm/mapping.yaml"),
        "--out",
        "maven",
    )
    out = project / "maven"
    summary = json.loads((out / "interim" / "ingest_summary.json").read_text())
    assert summary["tables"]["opportunities"]["rows_in"] == 8800
    assert_reconciles(out / "interim", summary)
    reasons = pd.read_csv(out / "interim" / "rejects.csv")["reason"]
    assert {"account_id is empty", "created_date is empty"} <= set(reasons)
    model = json.loads((out / "reports" / "metrics.json").read_text())["model"]
    assert model["roc_auc_ci_low"] <= model["roc_auc"] <= model["roc_auc_ci_high"]
    # no account-level signal: no leak
    assert model["roc_auc_ci_low"] <= 0.5 or model["roc_auc_ci_high"] < 0.6
    features = json.loads((out / "features" / "features.json").read_text())["features"]
    assert features and not [f["name"] for f in features if "close" in f["name"] or "value" in f["name"]]
    targets = pd.read_csv(out / "targets" / "target_accounts.csv")
    assert len(targets) == 85 and targets["p_win"].between(0, 1).all()
    deals = pd.read_csv(out / "targets" / "open_deals.csv")
    assert len(deals) > 0 and (deals["deal_value"] > 0).all()
    assert (out / "model" / "classifier.txt").exists() and (out / "reports" / "model_card.html").exists()
    profile = json.loads((out / "reports" / "icp_profile.json").read_text())
    assert not profile["beats_chance"] and profile["summary"].startswith("No ICP")  # ROC AUC CI 0.476-0.536
    assert profile["summary"] in (out / "reports" / "icp_profile.md").read_text()
    warning = json.loads((out / "targets" / "summary.json").read_text())["warning"]
    assert warning.startswith("WARNING: the model ranks the evaluated deals no better than chance")


def test_a_look_up_that_misses_says_which_values(tmp_path, caplog):
    raw, mapping = _crm(
        tmp_path, edits={"Deals.csv": CRM["Deals.csv"].replace("Closed Lost;Basic", "Closed Lost;Ultra")}
    )
    caplog.set_level(logging.INFO)
    ingest_into(raw, tmp_path / "interim", 1.0, mapping=mapping)
    assert (
        "ingest: Deals.csv: 1 rows have a Product that Prices.csv lacks in sku (Ultra): their amount stays "
        "empty" in caplog.messages
    )


def test_two_sheets_of_one_workbook_are_two_tables(tmp_path):
    raw, _ = _crm(tmp_path)
    with pd.ExcelWriter(raw / "crm.xlsx") as book:
        for sheet, file in (("Companies", "Companies.csv"), ("Deals", "Deals.csv")):
            readers.read(raw / file).to_excel(book, sheet_name=sheet, index=False)
    mapping = json.loads(json.dumps(MAPPING))
    mapping["tables"]["accounts"] |= {"file": "crm.xlsx", "sheet": "Companies"}
    mapping["tables"]["opportunities"] |= {"file": "crm.xlsx", "sheet": "Deals"}
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(mapping))
    summary = ingest_into(raw, tmp_path / "interim", 1.0, mapping=tmp_path / "map.yaml")
    assert (
        summary["tables"]["accounts"]["rows_kept"] == 2
        and summary["tables"]["opportunities"]["rows_kept"] == 3
    )


def test_an_enrichment_row_without_a_domain_is_rejected_once(tmp_path):
    raw, mapping = _crm(tmp_path, edits={"Tech.csv": CRM["Tech.csv"].replace("nope.io", "")})
    ingest_into(raw, tmp_path / "interim", 1.0, mapping=mapping)
    rejects = pd.read_csv(tmp_path / "interim" / "rejects.csv", dtype=str, keep_default_na=False)
    assert rejects.values.tolist() == [
        ["technographics", "3", "account_domain", "", "account_domain is empty"]
    ]


def test_contacts_with_only_a_job_title_get_seniority_and_department_from_it(tmp_path):
    """HubSpot and Marketo contacts carry a job title, not seniority or department: the mapping names neither
    and ingest derives both."""
    people = (
        "Record ID;Company ID;Job Title;Create Date\n"
        "P1;C1;VP, Sales;01/02/2023\n"
        "P2;C2;IT Mgr;01/02/2023\n"
        "P3;C2;Student;01/02/2023\n"
    )
    columns = {
        "contact_id": "Record ID",
        "account_id": "Company ID",
        "title": "Job Title",
        "created_date": "Create Date",
    }
    raw, path = _with_people(tmp_path, people, columns)
    summary = ingest_into(raw, tmp_path / "interim", 1.0, mapping=path)
    contacts = pd.read_parquet(tmp_path / "interim" / "contacts.parquet")
    assert contacts[["seniority", "department"]].fillna("").values.tolist() == [
        ["vp", "sales"],
        ["manager", "it"],
        ["", ""],
    ]
    assert summary["tables"]["contacts"]["seniority_from_title"] == 2
    assert summary["tables"]["contacts"]["department_from_title"] == 2


def test_a_name_kept_in_parts_is_found_by_init_and_joined_by_ingest(tmp_path):
    """Salesforce and HubSpot contacts hold a first and a last name, not a whole one: init maps both as a
    list, ingest joins their cells with a space, an empty one left out. A whole name, where there is one,
    wins."""
    people = (
        "Record ID;Company ID;First Name;Last Name;Create Date\n"
        "P1;C1;Ann;Lee;01/02/2023\n"
        "P2;C2;;Okafor;01/02/2023\n"
        "P3;C2; Jo ;;01/02/2023\n"
        "P4;C2;;;01/02/2023\n"
    )
    columns = match_columns("contacts", people.splitlines()[0].split(";"))
    assert columns["name"] == ["First Name", "Last Name"]
    assert match_columns("contacts", ["Id", "AccountId", "FirstName", "LastName"])["name"] == [
        "FirstName",
        "LastName",
    ]
    assert match_columns("contacts", ["Id", "Name", "FirstName", "LastName"])["name"] == "Name"
    assert "name" not in match_columns("contacts", ["Id", "AccountId", "FirstName"])
    written = render({"tables": {"contacts": {"file": "People.csv", "columns": columns}}}, [], "crm")
    assert yaml.safe_load(written)["tables"]["contacts"]["columns"] == columns
    raw, path = _with_people(tmp_path, people, columns)
    ingest_into(raw, tmp_path / "interim", 1.0, mapping=path)
    contacts = pd.read_parquet(tmp_path / "interim" / "contacts.parquet")
    assert contacts["name"].fillna("").tolist() == ["Ann Lee", "Okafor", "Jo", ""]


def test_a_mapped_export_read_a_chunk_at_a_time_gives_what_it_gives_at_once(tmp_path):
    """Events and contacts of a mapped export are read `ingest.chunk_rows` rows at a time, so a long file
    never sits in memory whole: the same tables and the same rejects, their rows counted across chunks."""
    people = "Id;Company ID;Full Name;Title;Since\nP1;C1;Ann Lee;CFO;01/02/2023\nP2;C9;Bo Ng;CTO;01/02/2023\n"
    columns = {
        "contact_id": "Id",
        "account_id": "Company ID",
        "name": "Full Name",
        "title": "Title",
        "created_date": "Since",
    }
    raw, path = _with_people(tmp_path, people, columns)
    read = read_mapped(raw, path, rows=1)[0]
    assert [len(list(read[name]())) for name in ("technographics", "contacts", "opportunities")] == [3, 2, 1]
    outs = {}
    for rows in (1, 1_000_000):
        out = tmp_path / f"interim_{rows}"
        ingest_into(raw, out, 1.0, mapping=path, **{"ingest.chunk_rows": rows})
        outs[rows] = out
    for name in ("technographics", "contacts", "accounts", "opportunities", "rejects"):
        suffix = ".csv" if name == "rejects" else ".parquet"
        read_table = pd.read_csv if suffix == ".csv" else pd.read_parquet
        one, whole = (read_table(outs[rows] / f"{name}{suffix}") for rows in (1, 1_000_000))
        pd.testing.assert_frame_equal(one, whole)
    rejects = pd.read_csv(outs[1] / "rejects.csv", dtype=str)
    assert rejects[["table", "row"]].values.tolist() == [["technographics", "3"], ["contacts", "2"]]


def test_technologies_listed_in_one_cell_become_undated_technographics(tmp_path):
    """HubSpot keeps a company's technologies in one cell: init finds the column, ingest makes a row per
    account and technology (a repeated one once), undated, categorised by the column's name."""
    companies = (
        "Company ID;Company;Web;Web Technologies;Staff\n"
        "C1;Acme;acme.com;Wordpress, Salesforce , HubSpot, salesforce;120\n"
        "C2;Beta;beta.de;;80\n"
        "C3;Gamma;gamma.io;Salesforce;10\n"
    )
    raw, _ = _crm(tmp_path, edits={"Companies.csv": companies})
    (raw / "Tech.csv").unlink()
    guessed, _ = guess(raw)
    assert guessed["tables"]["accounts"]["technologies"] == "Web Technologies"
    mapping = json.loads(json.dumps(MAPPING))
    del mapping["tables"]["technographics"], mapping["tables"]["accounts"]["date_format"]
    mapping["tables"]["accounts"]["columns"] = {
        "account_id": "Company ID",
        "name": "Company",
        "domain": "Web",
    }
    mapping["tables"]["accounts"] |= {"technologies": "Web Technologies", "scale": {}}
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(mapping))
    summary = ingest_into(raw, tmp_path / "interim", 1.0, mapping=tmp_path / "map.yaml")
    tech = pd.read_parquet(tmp_path / "interim" / "technographics.parquet")
    assert tech[["account_id", "technology", "category"]].values.tolist() == [
        ["C1", "Wordpress", "Web Technologies"],
        ["C1", "Salesforce", "Web Technologies"],
        ["C1", "HubSpot", "Web Technologies"],
        ["C3", "Salesforce", "Web Technologies"],
    ]
    assert tech[["first_seen", "last_seen"]].isna().all().all()
    assert summary["tables"]["technographics"]["rows_rejected"] == 0
    assert summary["tables"]["technographics"]["file"].endswith("Companies.csv (column Web Technologies)")


def test_init_lists_unmapped_account_and_deal_columns_and_warns_of_outcome_names_but_maps_none(tmp_path):
    mapping, text = _init(
        tmp_path,
        {
            "companies.csv": "Record ID,Company name,Lifecycle Stage,# of Agents Total,Segment\n"
            "1,Acme,customer,40,SMB\n",
            "deals.csv": "Record ID,Associated Company IDs,Deal Stage,Close Date,Create Date,Amount,"
            "Product Interest,Loss Reason,Close Value\n"
            "7,1,Closed Won,2024-02-01,2024-01-01,10,Voice,,10\n",
        },
    )
    assert (
        "custom" not in mapping["tables"]["accounts"] and "custom" not in mapping["tables"]["opportunities"]
    )
    assert (
        "# TO REVIEW: companies.csv: not mapped: Lifecycle Stage, # of Agents Total, Segment. A field of "
        "yours can be a feature: list it under `custom:` with its kind (number, category or list)" in text
    )
    assert (
        "# TO REVIEW: deals.csv: not mapped: Product Interest, Loss Reason, Close Value. A field of yours "
        "can be a feature: list it under `custom:` with its kind (number or category; never one that changes "
        "as the deal goes on" in text
    )
    warned = [
        line.split(": ")[2].split(" looks")[0]
        for line in text.splitlines()
        if "looks like an outcome" in line
    ]
    assert warned == ["Lifecycle Stage", "Loss Reason", "Close Value"]


def test_a_deal_associated_with_several_companies_goes_to_the_first(tmp_path, caplog):
    """HubSpot's `Associated Company IDs` may hold `C1;C2`: the deal is kept, under the first company."""
    deals = CRM["Deals.csv"].replace("D1;C1;", 'D1;"C1 ; C2";', 1)  # a ;-separated file: the cell is quoted
    raw, mapping = _crm(tmp_path, edits={"Deals.csv": deals})
    caplog.set_level(logging.INFO)
    ingest_into(raw, tmp_path / "interim", 1.0, mapping=mapping)
    opp = pd.read_parquet(tmp_path / "interim" / "opportunities.parquet")
    assert opp.set_index("opportunity_id").loc["D1", "account_id"] == "C1"
    assert any("1 rows name several companies in Company ID" in m for m in caplog.messages)


def test_a_field_history_becomes_dated_snapshots(tmp_path, caplog):
    """HubSpot's property history, one row per recorded value: rows of one company and time are one snapshot;
    a field not recorded then stays empty; other properties are ignored."""
    history = (
        "Record ID;Property;Value;Timestamp\n"
        "C1;Number of Employees;100;01/01/2023\n"
        "C1;Annual Revenue;1.2;01/01/2023\n"
        "C1;Number of Employees;150;01/06/2023\n"
        "C1;Lifecycle Stage;customer;01/06/2023\n"
        "C2;Annual Revenue;0.5;01/03/2023\n"
    )
    raw, _ = _crm(tmp_path, edits={"History.csv": history})
    mapping = json.loads(json.dumps(MAPPING))
    mapping["tables"]["snapshots"] = {
        "file": "History.csv",
        "date_format": "%d/%m/%Y",
        "columns": {"account_id": "Record ID", "snapshot_date": "Timestamp"},
        "history": {
            "field": "Property",
            "value": "Value",
            "fields": {"employees": "Number of Employees", "annual_revenue": "Annual Revenue"},
        },
        "scale": {"annual_revenue": 1_000_000},
    }
    (tmp_path / "map.yaml").write_text(yaml.safe_dump(mapping))
    caplog.set_level(logging.INFO)
    summary = ingest_into(raw, tmp_path / "interim", 1.0, mapping=tmp_path / "map.yaml")
    snaps = pd.read_parquet(tmp_path / "interim" / "snapshots.parquet").sort_values(
        ["account_id", "snapshot_date"]
    )
    assert snaps.astype(object).where(snaps.notna(), None).values.tolist() == [
        ["C1", pd.Timestamp("2023-01-01"), 100, 1_200_000.0],
        ["C1", pd.Timestamp("2023-06-01"), 150, None],
        ["C2", pd.Timestamp("2023-03-01"), None, 500_000.0],
    ]
    assert summary["tables"]["snapshots"]["rows_rejected"] == 0
    assert any(
        "4 history rows of Annual Revenue, Number of Employees (of 5) are 3 dated snapshots" in m
        for m in caplog.messages
    )


def test_init_recognises_a_field_history_and_ingest_reads_it_unchanged(tmp_path):
    _, text = _init(
        tmp_path,
        {
            "companies.csv": "Record ID,Company name,Number of Employees\n1,Acme,10\n2,Beta,20\n",
            "deals.csv": "Record ID,Associated Company IDs,Deal Stage,Close Date,Create Date,Amount\n"
            "7,1,Closed Won,2024-02-01,2024-01-01,10\n8,2,Closed Lost,2024-02-03,2024-01-02,20\n",
            "company_property_history.csv": "Record ID,Property,Value,Timestamp,Source\n"
            "1,Number of Employees,8,2023-01-05 10:00,ENRICHMENT\n"
            "1,Annual Revenue,900000,2023-01-05 10:00,ENRICHMENT\n"
            "2,Number of Employees,18,2023-03-01 09:30,ENRICHMENT\n",
        },
    )
    mapping = yaml.safe_load(text)
    assert mapping["tables"]["snapshots"]["history"] == {
        "field": "Property",
        "value": "Value",
        "fields": {"employees": "Number of Employees", "annual_revenue": "Annual Revenue"},
    }
    ingest_into(tmp_path / "export", tmp_path / "interim", 1.0, mapping=tmp_path / "map.yaml")
    snaps = pd.read_parquet(tmp_path / "interim" / "snapshots.parquet").sort_values("account_id")
    assert snaps[["account_id", "employees"]].values.tolist() == [["1", 8], ["2", 18]]


PERSON_KEYED = {
    "companies.csv": "Company ID,Company,Website\nC1,Acme,https://www.acme.com\nC2,Beta,beta.de\n",
    "deals.csv": "Deal ID,Company ID,Stage,Created Date,Close Date,Amount\n"
    "D1,C1,Closed Won,2024-01-02,2024-02-01,10\nD2,C2,Closed Lost,2024-01-03,2024-02-03,20\n",
    "people.csv": "Contact ID,Company ID,Full Name,Created Date\n"
    "P1,C1,Ann Lee,2023-02-01\nP2,C2,Bo Ng,2023-02-01\n",
}


LOOKED_UP = {  # each case's look-up of account_id: (file, key, value)
    "contact": ("people.csv", "Contact ID", "Company ID"),
    "leads": ("leads.csv", "Id", "SFDC Account ID"),
}


@pytest.mark.parametrize(
    "activities, how",
    [
        (
            "Lead ID,Activity Date,Activity Type\nP1,2024-01-05,Fill Out Form\nP2,2024-01-06,Open Email\n",
            "contact",
        ),
        (
            "Lead ID,Activity Date,Activity Type\nL1,2024-01-05,Fill Out Form\nL2,2024-01-06,Open Email\n",
            "leads",
        ),
        (
            "Email,Activity Date,Activity Type\n"
            "ann@Acme.com,2024-01-05,Fill Out Form\nbo@beta.de,2024-01-06,Open Email\n"
            "cy@gmail.com,2024-01-07,Open Email\n",  # a free mail address names no company
            "domain",
        ),
    ],
    ids=["by contact", "by a file of leads", "by email"],
)
def test_activities_keyed_by_the_person_get_the_persons_account(tmp_path, activities, how):
    """A marketing tool's log names the person, not the company: init takes each activity's account from its
    contact in the contacts file, or from a file of people it placed nowhere (Marketo's leads, synced with
    Salesforce, which also name each lead's contact), or from the domain of the person's email when the log
    gives an email."""
    leads = "Id,Email,SFDC Contact ID,SFDC Account ID\nL1,ann@acme.com,P1,C1\nL2,bo@beta.de,P2,C2\n"
    files = {**PERSON_KEYED, "activities.csv": activities} | ({"leads.csv": leads} if how == "leads" else {})
    mapping, text = _init(tmp_path, files)
    acts = mapping["tables"]["activities"]
    if how in LOOKED_UP:
        file, key, value = LOOKED_UP[how]
        look = {"file": file, "column": "Lead ID", "key": key, "value": value}
        assert acts["lookup"]["account_id"] == look
        if how == "leads":  # Marketo's lead ids are not the CRM's contacts: the leads file says which
            assert "contact_id" not in acts["columns"]
            assert acts["lookup"]["contact_id"] == look | {"value": "SFDC Contact ID"}
    else:
        assert acts["columns"]["account_domain"] == "Email" and "lookup" not in acts
    assert "activities.account_id: required" not in text
    ingest_into(tmp_path / "export", tmp_path / "interim", 1.0, mapping=tmp_path / "map.yaml")
    kept = pd.read_parquet(tmp_path / "interim" / "activities.parquet")
    assert kept["account_id"].tolist() == ["C1", "C2"]
    assert kept["contact_id"].fillna("").tolist() == (["", ""] if how == "domain" else ["P1", "P2"])
    rejects = pd.read_csv(tmp_path / "interim" / "rejects.csv")
    assert rejects["reason"].tolist() == (
        ["account_domain cy@gmail.com names no company (a placeholder or a free mail address)"]
        if how == "domain"
        else []
    )


def test_init_guesses_pricing_visits_and_asks_what_only_the_owner_knows(tmp_path):
    """A pricing-page activity type is guessed as pricing_page; which technology categories are competitors,
    complements or ours, and which intent topics are ours, are asked for, quoting the file's values."""
    mapping, text = _init(
        tmp_path,
        {
            **PERSON_KEYED,
            "activities.csv": "Company ID,Activity Date,Activity Type\n"
            "C1,2024-01-05,Visit Pricing Page\nC2,2024-01-06,Visit Webpage\n",
            "builtwith.csv": "Domain,Technology,Tag,First Detected,Last Detected\n"
            "acme.com,Gong,Revenue Intelligence,2023-01-01,2024-01-01\n",
            "bombora.csv": "Domain,Topic,Composite Score,Week Ending\n"
            "acme.com,Customer Data Platform,80,2024-01-06\n",
        },
    )
    assert mapping["tables"]["activities"]["values"] == {
        "Activity Type": {"Visit Pricing Page": "pricing_page"}
    }
    assert "which of Tag's categories (Revenue Intelligence) are a competitor's" in text
    assert "its most frequent topics are Customer Data Platform" in text
