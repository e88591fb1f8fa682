"""The same world as vendors export it: `salesforce` (a Salesforce org, Marketo, BuiltWith, Bombora and a news
feed) or `hubspot` (a HubSpot CRM as its UI exports it, with the same intent and news feeds).

Why: a team's mapping (`icp init`, a mapping file) should make any export as good as the native one. A styled
export holds exactly the native world's accounts, deals and events, so the native truth judges it too. A style
only renames, re-keys and reformats one chunk's native tables. Every coded value goes through one of the
vocabularies of pipeline/world/vendor_words.py, each one-to-one with the native codes: no signal is lost, yet
a person must still say what each vendor word means (which technology tags are competitors, say), as with a
real export. Ids keep the native order (pipeline/world/vendor_fields.py). What a vendor adds
(times of day, contact names, open-deal stages, creation dates) comes from the style's own random stream,
never the world's: the native world stays byte for byte what it was. A style draws a new file's values after
all the others', so adding a file leaves the files it already wrote as they were.
"""

import numpy as np
import pandas as pd

from pipeline.world import catalog as C
from pipeline.world import feeds
from pipeline.world import vendor_fields as F
from pipeline.world import vendor_words as W

STYLES = ("native", "salesforce", "hubspot")  # pipeline/params.py's Synthesize.style lists the same
STREAM = 1  # the style's random stream of a chunk is [seed, chunk, STREAM]; the world's is [seed, chunk]
LIVE_DAYS = 30  # a product seen this close to the export is still in use (features.tech_seen_within_days)
OPEN_CLOSE_DAYS = 180  # an open deal's expected close date lies up to this many days after the export

_CANONICAL_INDUSTRY = {v: k for k, vs in C.INDUSTRY_VARIANTS.items() for v in vs} | {k: k for k in C.INDUSTRY}


def restyle(style: str, tables: dict[str, pd.DataFrame], seed: int, chunk: int, end_date: str) -> dict:
    """One chunk's native tables as `style` exports them, by file name (native: the tables unchanged)."""
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}: the styles are {', '.join(STYLES)}")
    if style == "native":
        return tables
    rng = np.random.default_rng([seed, chunk, STREAM])
    return {"salesforce": salesforce, "hubspot": hubspot}[style](tables, rng, pd.Timestamp(end_date))


def salesforce(t: dict[str, pd.DataFrame], rng, end: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """A Salesforce org (Account, its reporting snapshot, Opportunity, Contact), Marketo's activity log, and
    BuiltWith, Bombora and news feeds keyed by domain."""
    acc, opps, con, acts, tech = (
        t[k] for k in ("accounts", "opportunities", "contacts", "activities", "technographics")
    )
    snaps, domains = t["snapshots"], F.domains(acc)
    created = _account_created(rng, t, end)
    deal_type = F.coded(opps["type"], W.SF_DEAL_TYPE)
    stage = _stages(rng, opps["stage"], W.SF_CLOSED, W.SF_OPEN)
    expected_close = end + pd.to_timedelta(rng.integers(1, OPEN_CLOSE_DAYS + 1, len(opps)), unit="D")
    first, last = _people(rng, len(con))
    return {
        "Account": pd.DataFrame(
            {
                "Id": F.salesforce_ids(acc["account_id"], "001"),
                "Name": acc["name"],
                "Website": F.websites(rng, acc["domain"]),
                "Industry": _industry(acc["industry"], keep_variants=True),
                "NumberOfEmployees": acc["employees"],
                "AnnualRevenue": F.whole(acc["annual_revenue"]),
                "BillingCountry": acc["country"],
                "Ownership": F.coded(acc["ownership"], W.SF_OWNERSHIP),
                "YearStarted": acc["founded_year"],
                "ParentId": F.salesforce_ids(acc["parent_account_id"], "001"),
                "Type": F.coded(acc["is_customer"], W.SF_ACCOUNT_TYPE),
                "CreatedDate": F.stamp(created, W.SF_DATETIME),
                "LastModifiedDate": F.stamp(_last_modified(rng, created, end), W.SF_DATETIME),
            }
        ),
        "Account_Snapshot__c": pd.DataFrame(
            {
                "Account__c": F.salesforce_ids(snaps["account_id"], "001"),
                "Snapshot_Date__c": F.stamp(snaps["snapshot_date"], W.DATE),
                "Employees__c": snaps["employees"],
                "Annual_Revenue__c": F.whole(snaps["annual_revenue"]),
            }
        ),
        "Opportunity": pd.DataFrame(
            {
                "Id": F.salesforce_ids(opps["opportunity_id"], "006"),
                "AccountId": F.salesforce_ids(opps["account_id"], "001"),
                "Name": _deal_names(opps, acc, deal_type),
                "StageName": stage,
                "Amount": F.whole(opps["amount"]),
                "CloseDate": F.stamp(
                    opps["close_date"].where(opps["close_date"].notna(), expected_close), W.DATE
                ),
                "CreatedDate": F.stamp(F.at_time(rng, opps["created_date"]), W.SF_DATETIME),
                "Type": deal_type,
                "LeadSource": F.coded(opps["lead_source"], W.SF_LEAD_SOURCE),
                "Probability": [W.SF_STAGE[s][0] for s in stage],
                "ForecastCategoryName": [W.SF_STAGE[s][1] for s in stage],
            }
        ),
        "Contact": pd.DataFrame(
            {
                "Id": F.salesforce_ids(con["contact_id"], "003"),
                "AccountId": F.salesforce_ids(con["account_id"], "001"),
                "FirstName": first,
                "LastName": last,
                "Title": con["title"],
                "CreatedDate": F.stamp(F.at_time(rng, con["created_date"]), W.SF_DATETIME),
            }
        ),
        "marketo_activities": pd.DataFrame(
            {
                "Lead ID": F.salesforce_ids(acts["contact_id"], "003"),
                "SFDC Account ID": F.salesforce_ids(acts["account_id"], "001"),
                "Activity Date": F.stamp(acts["timestamp"], W.MARKETO_DATETIME),
                "Activity Type": F.coded(acts["activity_type"], W.MARKETO_ACTIVITY),
                "Primary Attribute Value": acts["detail"],
            }
        ),
        "builtwith": feeds.builtwith(t, domains),
        "bombora_surge": feeds.intent(t, domains),
        "news_events": feeds.news(rng, t, domains),
    }


def hubspot(t: dict[str, pd.DataFrame], rng, end: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """A HubSpot CRM's UI export (companies with their web technologies in one cell, deals, contacts,
    marketing activities, and the companies' headcount and revenue history in HubSpot's long property-history
    shape), and BuiltWith, Bombora and news feeds keyed by domain."""
    acc, opps, con, acts = (t[k] for k in ("accounts", "opportunities", "contacts", "activities"))
    domains = F.domains(acc)
    deal_type = F.coded(opps["type"], W.HS_DEAL_TYPE)
    first, last = _people(rng, len(con))
    return {
        "companies": pd.DataFrame(
            {
                "Record ID": F.hubspot_ids(acc["account_id"], "company"),
                "Company name": acc["name"],
                "Company Domain Name": acc["account_id"].map(domains),
                "Industry": _industry(acc["industry"], keep_variants=False),
                "Number of Employees": acc["employees"],
                "Annual Revenue": F.whole(acc["annual_revenue"]),
                "Country/Region": acc["country"],
                "State/Region": pd.Series(pd.NA, index=acc.index, dtype=object),
                "Year Founded": acc["founded_year"],
                "Lifecycle Stage": F.coded(acc["is_customer"], W.HS_LIFECYCLE),
                "Create Date": F.stamp(_account_created(rng, t, end), W.HS_DATETIME),
                "Web Technologies": acc["account_id"].map(_web_technologies(t["technographics"], end)),
            }
        ),
        "deals": pd.DataFrame(
            {
                "Record ID": F.hubspot_ids(opps["opportunity_id"], "deal"),
                "Deal Name": _deal_names(opps, acc, deal_type),
                "Deal Stage": _stages(rng, opps["stage"], W.HS_CLOSED, W.HS_OPEN),
                "Amount": F.whole(opps["amount"]),
                "Close Date": F.stamp(F.at_time(rng, opps["close_date"]), W.HS_DATETIME),
                "Create Date": F.stamp(F.at_time(rng, opps["created_date"]), W.HS_DATETIME),
                "Deal Type": deal_type,
                "Associated Company IDs": F.hubspot_ids(opps["account_id"], "company"),
                "Original Source": F.coded(opps["lead_source"], W.HS_SOURCE),
            }
        ),
        "contacts": pd.DataFrame(
            {
                "Record ID": F.hubspot_ids(con["contact_id"], "contact"),
                "First Name": first,
                "Last Name": last,
                "Job Title": con["title"],
                "Associated Company ID": F.hubspot_ids(con["account_id"], "company"),
                "Create Date": F.stamp(F.at_time(rng, con["created_date"]), W.HS_DATETIME),
            }
        ),
        "activities": pd.DataFrame(
            {
                "Associated Company ID": F.hubspot_ids(acts["account_id"], "company"),
                "Contact ID": F.hubspot_ids(acts["contact_id"], "contact"),
                "Activity Date": F.stamp(acts["timestamp"], W.HS_DATETIME),
                "Activity Type": F.coded(acts["activity_type"], W.HS_ACTIVITY),
                "Details": acts["detail"],
            }
        ),
        "builtwith": feeds.builtwith(t, domains),
        "bombora_surge": feeds.intent(t, domains),
        "news_events": feeds.news(rng, t, domains),
        "company_property_history": _property_history(rng, t["snapshots"]),  # last: draws after the rest
    }


def _property_history(rng, snaps: pd.DataFrame) -> pd.DataFrame:
    """The snapshots as HubSpot exports property history: one row per recorded value of one property (each
    snapshot's employees, then its revenue; a value the snapshot lacks was never recorded, so no row). Both
    values of a snapshot come from one enrichment update, stamped at one time of the snapshot's day."""
    when = F.stamp(F.at_time(rng, snaps["snapshot_date"]), W.HS_DATETIME)
    ids = F.hubspot_ids(snaps["account_id"], "company")
    values = {
        "employees": snaps["employees"].astype("Int64"),
        "annual_revenue": F.whole(snaps["annual_revenue"]),
    }
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "Record ID": ids,
                    "Property": W.HS_HISTORY_PROPERTY[column],
                    "Value": values[column],
                    "Timestamp": when,
                    "Source": W.HS_HISTORY_SOURCE,
                    "_snapshot": np.arange(len(snaps)),
                    "_property": order,
                }
            )
            for order, column in enumerate(W.HS_HISTORY_PROPERTY)
        ],
        ignore_index=True,
    )
    long = long[long["Value"].notna()].sort_values(["_snapshot", "_property"], kind="stable")
    return long.drop(columns=["_snapshot", "_property"]).reset_index(drop=True)


def _web_technologies(tech: pd.DataFrame, end: pd.Timestamp) -> pd.Series:
    """account_id -> its products in use at the export, in one cell (`A; B`), as a CRM's enrichment property
    holds them: no dates, and not our own product (a CRM does not list it as a web technology)."""
    live = tech[(tech["last_seen"] >= end - pd.Timedelta(days=LIVE_DAYS)) & (tech["category"] != "ours")]
    return live.groupby("account_id")["technology"].agg(lambda s: "; ".join(sorted(s)))


def _industry(values: pd.Series, keep_variants: bool) -> pd.Series:
    """LinkedIn's name for each industry. `keep_variants`: a row the world misspelt keeps its spelling (a CRM
    fed by several sources); else every row gets the picklist's word (HubSpot's dropdown)."""
    canonical = values.map(_CANONICAL_INDUSTRY)
    styled = F.coded(canonical, W.INDUSTRY)
    return styled.where(~(keep_variants & (values != canonical)), values)


def _stages(rng, stage: pd.Series, closed: dict[str, str], open_stages: tuple[str, ...]) -> np.ndarray:
    """Won and lost in the vendor's words; an open deal at one of the open stages, spread at random."""
    out = stage.map(closed).to_numpy(object)
    is_open = (stage == "open").to_numpy()
    out[is_open] = rng.choice(open_stages, int(is_open.sum()))
    return out


def _deal_names(opps: pd.DataFrame, acc: pd.DataFrame, deal_type: pd.Series) -> pd.Series:
    """`Acme Corp - New Customer`: how reps name deals."""
    names = pd.Series(acc["name"].to_numpy(), index=acc["account_id"].to_numpy())
    return opps["account_id"].map(names) + " - " + deal_type


def _people(rng, n: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.choice(C.FIRST_NAMES, n), rng.choice(C.LAST_NAMES, n)


def _account_created(rng, t: dict, end: pd.Timestamp) -> pd.Series:
    """When each account row was created in the CRM: up to two months before its first contact or deal; a
    row with neither (most duplicates) some time in the four years before the export."""
    acc = t["accounts"]
    dated = pd.concat([t[k][["account_id", "created_date"]] for k in ("contacts", "opportunities")])
    first = acc["account_id"].map(dated.groupby("account_id")["created_date"].min())
    n = len(acc)
    before = first - pd.to_timedelta(rng.integers(1, 61, n), unit="D")
    idle = end - pd.to_timedelta(rng.integers(60, 1500, n), unit="D")
    return F.at_time(rng, before.where(first.notna(), pd.Series(idle, index=acc.index)))


def _last_modified(rng, created: pd.Series, end: pd.Timestamp) -> pd.Series:
    """Some time in the last quarter before the export, never before the record was created."""
    touched = F.at_time(rng, pd.Series(end - pd.to_timedelta(rng.integers(0, 91, len(created)), unit="D")))
    return pd.Series(np.maximum(created.to_numpy(), touched.to_numpy()), index=created.index)
