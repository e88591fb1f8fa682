"""The data contract: every raw table, its columns, types, units, allowed values and rules.

These schemas describe a table *after* normalisation (canonical spellings, parsed dates);
`docs/data_contract.md` describes the same columns for people, and a test keeps the two equal. Cross-table
keys are checked by `foreign_key_violations`, since pandera validates one frame at a time.

Over 300 lines: eight tables declared column by column in one place, with the few questions asked of them.
"""

from __future__ import annotations  # pandera's types in annotations, not imported until a schema is built

from functools import cache
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import pandera.pandas as pa

INDUSTRIES = (
    "Software",
    "Fintech",
    "Financial Services",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Education",
    "Government",
    "Media",
    "Telecommunications",
    "Energy",
    "Logistics",
    "Professional Services",
    "Real Estate",
    "Hospitality",
)
COUNTRY_REGION = {
    "United States": "North America",
    "Canada": "North America",
    "United Kingdom": "EMEA",
    "Germany": "EMEA",
    "France": "EMEA",
    "Netherlands": "EMEA",
    "Sweden": "EMEA",
    "Spain": "EMEA",
    "Ireland": "EMEA",
    "India": "APAC",
    "Australia": "APAC",
    "Japan": "APAC",
    "Singapore": "APAC",
    "Brazil": "LATAM",
    "Mexico": "LATAM",
}
REGIONS = ("North America", "EMEA", "APAC", "LATAM")
OWNERSHIP = ("private", "public", "vc_backed", "pe_backed", "nonprofit", "government")
FUNDING_STAGES = ("bootstrapped", "seed", "series_a", "series_b", "series_c_plus", "public")
STAGES = ("won", "lost", "open")
OPPORTUNITY_TYPES = ("new business", "expansion", "renewal")
LEAD_SOURCES = ("inbound", "outbound", "partner", "event", "referral")
TECH_CATEGORIES = (
    "crm",
    "marketing_automation",
    "cloud",
    "data_warehouse",
    "bi",
    "collaboration",
    "competitor",
    "complement",
    "ours",
)
ACTIVITY_TYPES = (
    "web_visit",
    "pricing_page",
    "content_download",
    "webinar",
    "email_click",
    "event",
    "onboarding_session",
    "support_ticket",
)
TRIGGER_TYPES = (
    "funding_round",
    "executive_hire",
    "product_launch",
    "hiring_surge",
    "acquisition",
    "layoffs",
)
SENIORITIES = ("c_level", "vp", "director", "manager", "individual_contributor")
DEPARTMENTS = ("executive", "sales", "marketing", "it", "finance", "operations", "engineering", "product")

REQUIRED_TABLES = ("accounts", "opportunities")
OPTIONAL_TABLES = ("snapshots", "technographics", "activities", "intent", "triggers", "contacts")
TABLES = REQUIRED_TABLES + OPTIONAL_TABLES
# Enrichment vendors key their exports by domain or website: these tables may name it (account_domain).
DOMAIN_KEY = "account_domain"
DOMAIN_KEYED = ("technographics", "activities", "intent", "triggers")
# The column that dates each record of a table: what the point-in-time rule filters on.
DATE_COLUMN = {
    "opportunities": "created_date",
    "snapshots": "snapshot_date",
    "technographics": "first_seen",
    "activities": "timestamp",
    "intent": "week",
    "triggers": "date",
    "contacts": "created_date",
}

DATE = "datetime64[ns]"


def _text(
    description: str, *, allowed=None, known=None, nullable=False, unique=False, optional=False
) -> pa.Column:
    """Text; `allowed`: a closed list (others rejected); `known`: an open one's spellings (others kept);
    `optional`: a file may leave the column out (pandera's required=False), and then the table has none."""
    import pandera.pandas as pa  # heavy: only schemas() calls this

    checks = [pa.Check.isin(list(allowed))] if allowed else []
    metadata = {"known": list(known)} if known else None
    return pa.Column(
        str,
        checks,
        nullable=nullable or optional,
        unique=unique,
        required=not optional,
        description=description,
        metadata=metadata,
    )


def _id(description: str, *, nullable=False, unique=False) -> pa.Column:
    import pandera.pandas as pa  # heavy: only schemas() calls this

    return pa.Column(
        str, pa.Check.str_length(min_value=1), nullable=nullable, unique=unique, description=description
    )


def _number(dtype, description: str, *, nullable=True, ge=None, le=None) -> pa.Column:
    import pandera.pandas as pa  # heavy: only schemas() calls this

    checks = [pa.Check.in_range(ge, le) if le is not None else pa.Check.ge(ge)] if ge is not None else []
    return pa.Column(dtype, checks, nullable=nullable, coerce=True, description=description)


def _date(description: str, *, nullable=False) -> pa.Column:
    import pandera.pandas as pa  # heavy: only schemas() calls this

    return pa.Column(DATE, nullable=nullable, coerce=True, description=description)


def _closed_have_dates(df: pd.DataFrame) -> pd.Series:
    closed = df["stage"].isin(["won", "lost"])
    return (closed & df["close_date"].notna()) | (~closed & df["close_date"].isna())


def _close_after_create(df: pd.DataFrame) -> pd.Series:
    """By calendar day (UTC): a CRM keeps the creation as a datetime beside a plain close date, and a deal
    closed the day it was created is valid whatever the time of day."""
    return df["close_date"].isna() | (df["close_date"].dt.normalize() >= df["created_date"].dt.normalize())


def _won_have_amount(df: pd.DataFrame) -> pd.Series:
    return (df["stage"] != "won") | df["amount"].notna()


@cache
def schemas() -> dict[str, pa.DataFrameSchema]:
    """The tables' pandera schemas (also `SCHEMAS`), built on first use: pandera takes a while to import, and
    only validating or writing raw tables needs them, while every stage reads the words above."""
    import pandera.pandas as pa  # heavy: see above

    return {
        "accounts": pa.DataFrameSchema(
            {
                "account_id": _id("CRM account id", unique=True),
                "name": _text("company name"),
                "domain": _text(
                    "web domain, lower case, no scheme or www (acme.com); accounts sharing one are merged",
                    nullable=True,
                ),
                "industry": _text(
                    "industry: the canonical spelling of a known alias, else the export's own word",
                    nullable=True,
                ),
                "employees": _number("Int64", "employee count at snapshot_date (current snapshot)", ge=1),
                "annual_revenue": _number(
                    "float64", "annual revenue in USD at snapshot_date (current snapshot)", ge=0
                ),
                "founded_year": _number("Int64", "year the company was founded", ge=1800, le=2100),
                "country": _text(
                    "country: English name; common aliases made canonical, others kept as written",
                    nullable=True,
                ),
                "region": _text("sales region", known=REGIONS, nullable=True),
                "ownership": _text("ownership type", known=OWNERSHIP, nullable=True),
                "funding_stage": _text("latest funding stage", known=FUNDING_STAGES, nullable=True),
                "parent_account_id": _id(
                    "account_id of the parent company, empty when independent", nullable=True
                ),
                "employee_growth_1y": _number(
                    "float64", "headcount growth over the year to snapshot_date, fraction (current snapshot)"
                ),
                "is_customer": pa.Column(
                    bool, coerce=True, description="customer today: present state, never a feature"
                ),
                "customer_since": _date(
                    "date of the first won deal: present state, never a feature", nullable=True
                ),
                "snapshot_date": _date("date the firmographic values of this row were measured"),
            },
            unique=["account_id"],
            strict=False,
            name="accounts",
        ),
        "opportunities": pa.DataFrameSchema(
            {
                "opportunity_id": _id("CRM opportunity id", unique=True),
                "account_id": _id("account of the deal (key into accounts)"),
                "created_date": _date("date the opportunity was created"),
                "close_date": _date("date it was won or lost; empty while open", nullable=True),
                "stage": _text("outcome", allowed=STAGES),
                "amount": _number(
                    "float64", "deal amount in USD (annual contract value); may be empty on lost deals", ge=0
                ),
                "type": _text("deal type", allowed=OPPORTUNITY_TYPES),
                "lead_source": _text("where the deal came from", known=LEAD_SOURCES, nullable=True),
            },
            checks=[
                pa.Check(
                    _closed_have_dates,
                    element_wise=False,
                    name="closed deals have a close_date, open deals none",
                ),
                pa.Check(_close_after_create, element_wise=False, name="close_date >= created_date"),
                pa.Check(_won_have_amount, element_wise=False, name="won deals have an amount"),
            ],
            strict=False,
            name="opportunities",
        ),
        "snapshots": pa.DataFrameSchema(
            {
                "account_id": _id("account (key into accounts)"),
                "snapshot_date": _date("date the values were measured"),
                "employees": _number("Int64", "employee count on snapshot_date", ge=1),
                "annual_revenue": _number("float64", "annual revenue in USD on snapshot_date", ge=0),
            },
            unique=["account_id", "snapshot_date"],
            strict=False,
            name="snapshots",
        ),
        "technographics": pa.DataFrameSchema(
            {
                "account_id": _id("account (key into accounts)"),
                "technology": _text("product name"),
                "category": _text("product category", known=TECH_CATEGORIES),
                "first_seen": _date("date first detected; empty: undated (a list of today's)", nullable=True),
                "last_seen": _date(
                    "date last detected (export date while in use); empty: today", nullable=True
                ),
            },
            checks=[
                pa.Check(
                    lambda df: ~(df["last_seen"] < df["first_seen"]),
                    element_wise=False,
                    name="last_seen >= first_seen",
                )
            ],
            strict=False,
            name="technographics",
        ),
        "activities": pa.DataFrameSchema(
            {
                "account_id": _id("account (key into accounts)"),
                "contact_id": _id("contact who acted; empty for anonymous web visits", nullable=True),
                "timestamp": _date("when it happened (UTC)"),
                "activity_type": _text("what happened", known=ACTIVITY_TYPES),
                "detail": _text("page, asset, webinar or event name", nullable=True),
            },
            strict=False,
            name="activities",
        ),
        "intent": pa.DataFrameSchema(
            {
                "account_id": _id("account (key into accounts)"),
                "topic": _text("intent topic"),
                "week": _date("date the weekly score was published (end of the measured week)"),
                "score": _number(
                    "Int64",
                    "topic intent score, 0-100 (70 and above is a surge)",
                    nullable=False,
                    ge=0,
                    le=100,
                ),
            },
            strict=False,
            name="intent",
        ),
        "triggers": pa.DataFrameSchema(
            {
                "account_id": _id("account (key into accounts)"),
                "date": _date("date of the event"),
                "trigger_type": _text("kind of event", known=TRIGGER_TYPES),
                "detail": _text("free-text description", nullable=True),
            },
            strict=False,
            name="triggers",
        ),
        "contacts": pa.DataFrameSchema(
            {
                "contact_id": _id("CRM contact id", unique=True),
                "account_id": _id("account (key into accounts)"),
                "name": _text(
                    "the person's name as the export holds it; the file may leave the column out",
                    optional=True,
                ),
                "title": _text("job title", nullable=True),
                "seniority": _text("seniority level", known=SENIORITIES, nullable=True),
                "department": _text("department", known=DEPARTMENTS, nullable=True),
                "created_date": _date("date the contact was created in the CRM"),
            },
            strict=False,
            name="contacts",
        ),
    }


def __getattr__(name: str):
    """`SCHEMAS`: schemas(), built when first asked for."""
    if name == "SCHEMAS":
        return schemas()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def date_columns(table: str) -> list[str]:
    """The table's date and datetime columns, in contract order: those a mapping's date_format applies to."""
    return [c for c, col in schemas()[table].columns.items() if str(col.dtype).startswith("datetime")]


def number_columns(table: str) -> list[str]:
    """The table's number columns, in contract order: those a mapping's number_format applies to."""
    return [c for c, col in schemas()[table].columns.items() if str(col.dtype) in ("Int64", "float64")]


def foreign_key_violations(tables: dict[str, pd.DataFrame]) -> dict[str, pd.Series]:
    """Rows whose account_id (or parent/contact id) names no known record, per table: a boolean mask each."""
    known = set(tables["accounts"]["account_id"])
    out = {}
    parent = tables["accounts"]["parent_account_id"]
    out["accounts"] = parent.notna() & ~parent.isin(known)
    for name in TABLES[1:]:
        if name in tables:
            out[name] = ~tables[name]["account_id"].isin(known)
    if "activities" in tables and "contacts" in tables:
        contact = tables["activities"]["contact_id"]
        out["activities"] |= contact.notna() & ~contact.isin(set(tables["contacts"]["contact_id"]))
    return out
