"""The names real exports give the contract's columns and tables (Salesforce, HubSpot, spreadsheets), as
key() spells them: what `icp init` recognises, in one place to extend."""

import re


def key(header: str) -> str:
    """`AccountId`, `account_id`, `Account ID` and `Account_Id__c` all as 'account id'."""
    text = re.sub(r"__c$", "", str(header).strip())
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


# Other names of contract columns as key() spells them, besides their own: a table's id, then any table's.
OWN_ID = {"accounts": "account_id", "opportunities": "opportunity_id", "contacts": "contact_id"}
ID_ALIASES = ["id", "record id", "hs object id"]
ALIASES = {
    "account_id": [
        "accountid",
        "company id",
        "associated company ids primary",
        "associated company ids",
        "associated company id",
        "associated company",
        "sfdc account id",  # Marketo's activity log, synced with Salesforce
        "account",
    ],
    "contact_id": ["lead id", "contact id", "person id", "associated contact id"],
    "opportunity_id": ["deal id"],
    "name": ["account name", "company name", "company"],
    "domain": ["website", "company domain name", "web domain", "url"],
    "industry": ["sector", "vertical"],
    "employees": ["number of employees", "numberofemployees", "employee count", "headcount"],
    "annual_revenue": ["annualrevenue", "revenue"],
    "founded_year": ["year started", "yearstarted", "year founded", "founded", "year established"],
    "country": ["billing country", "billingcountry", "country region", "hq country", "office location"],
    "region": ["sales region", "territory"],
    "ownership": ["ownership type"],
    "funding_stage": ["latest funding stage"],
    "parent_account_id": [
        "parent id",
        "parentid",
        "parent company id",
        "hs parent company id",
        "subsidiary of",
    ],
    "employee_growth_1y": ["employee growth", "headcount growth"],
    "snapshot_date": ["last modified date", "lastmodifieddate", "hs lastmodifieddate", "export date"],
    "created_date": ["createddate", "createdate", "create date", "engage date"],
    "close_date": ["closedate"],
    "stage": ["stage name", "stagename", "dealstage", "deal stage"],
    "amount": ["deal amount"],
    "type": ["deal type", "dealtype", "opportunity type"],
    "lead_source": ["leadsource", "source", "original source", "hs analytics source"],
    "title": ["job title", "jobtitle"],
    "seniority": ["seniority level"],
    # marketing-automation activity logs (Marketo, HubSpot, Pardot)
    "timestamp": ["activity date", "activitydate", "activity datetime", "occurred at", "event time"],
    "activity_type": ["activity type", "activity type name", "activitytype"],
    "detail": ["primary attribute value", "details", "description", "headline", "asset", "page"],
    # technographics vendors (BuiltWith, HG Insights, Wappalyzer)
    "technology": ["technology name"],
    "category": ["tag", "tag name", "technology category", "categories"],
    "first_seen": ["first detected", "firstdetected", "first found", "first indexed"],
    "last_seen": ["last detected", "lastdetected", "last found", "last indexed"],
    # intent vendors (Bombora, G2, TechTarget)
    "topic": ["topic name", "intent topic"],
    "week": ["week ending", "week of", "week start", "date"],
    "score": ["composite score", "surge score", "intent score", "compositescore"],
    # news and trigger feeds
    "date": ["published", "published date", "publish date", "event date", "published at"],
    "trigger_type": ["event type", "news type", "signal type", "trigger", "event"],
}
# A table's own names for a column the aliases above would misread: a contact's name is not its company's.
TABLE_ALIASES = {("contacts", "name"): ["full name", "contact name"]}
# A column an export keeps in parts, mapped as a list whose cells are joined (a person's first and last name)
PARTS = {("contacts", "name"): (["first name", "given name"], ["last name", "surname", "family name"])}
# last: an email (the domain of a person's address, `jane@acme.com`) when no company domain is there
DOMAIN_ALIASES = ["domain", "website", "company domain", "company website", "url", "email", "email address"]
# words of a column name that say it was filled in after a deal: an outcome or today's state
OUTCOME_WORDS = {"won", "win", "wins", "lost", "closed", "status", "customer", "customers", "stage", "churn"}
OUTCOME_WORDS |= {"churned", "lifecycle", "renewal", "renewed", "signed", "active", "paying", "arr", "mrr"}
OUTCOME_WORDS |= {"close", "loss", "probability", "forecast"}  # a deal at its close, why lost, its state
# an accounts column listing the company's technologies in one cell (HubSpot's Web Technologies)
TECH_LISTS = ("web technologies", "technologies", "technologies used", "tech stack", "technology stack")
# a field history (one row per recorded value of a field): its columns' names
HISTORY = {
    "account": ["record id", "account id", "accountid", "company id", "object id", "parent id", "parentid"],
    "time": ["timestamp", "created date", "createddate", "changed at", "change date", "date"],
    "field": ["property", "field", "property name", "field name"],
    "value": ["value", "new value", "newvalue", "property value"],
}
FILE_HINTS = {
    "accounts": ("account", "compan"),
    "opportunities": ("opportunit", "deal", "pipeline"),
    "contacts": ("contact", "people", "person"),
    "snapshots": ("snapshot", "history"),
    "technographics": ("techno", "tech", "builtwith"),
    "activities": ("activit", "engagement", "marketo"),
    "intent": ("intent", "bombora", "surge"),
    "triggers": ("trigger", "news", "signal"),
}
