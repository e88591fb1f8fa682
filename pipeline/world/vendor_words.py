"""What vendors call the world's things: one word per native code, each vocabulary one-to-one with the codes
(so a styled export loses no signal), and how each vendor writes dates and numbers its ids.

Why apart from the styles: these are facts about Salesforce, Marketo, BuiltWith, Bombora, a news feed and
HubSpot, which the tests read back; pipeline/world/styles.py only decides which file and column gets which.
"""

# Shared by both styles: LinkedIn's industry names, Bombora's topic names, a news feed's event types.
INDUSTRY = {
    "Software": "Computer Software",
    "Fintech": "Financial Technology",
    "Financial Services": "Banking",
    "Healthcare": "Hospital & Health Care",
    "Manufacturing": "Machinery",
    "Retail": "Retail",
    "Education": "Higher Education",
    "Government": "Government Administration",
    "Media": "Online Media",
    "Telecommunications": "Telecommunications",
    "Energy": "Oil & Energy",
    "Logistics": "Logistics and Supply Chain",
    "Professional Services": "Management Consulting",
    "Real Estate": "Commercial Real Estate",
    "Hospitality": "Leisure, Travel & Tourism",
}
TOPIC = {
    "revenue operations": "Revenue Operations",
    "sales intelligence": "Sales Intelligence",
    "account based marketing": "Account-Based Marketing",
    "cloud security": "Cloud Security",
    "hr software": "HR Software",
    "erp migration": "ERP Migration",
    "data privacy": "Data Privacy",
    "office furniture": "Office Furniture",
}
EVENT_TYPE = {
    "funding_round": "Funding",
    "executive_hire": "Executive Move",
    "product_launch": "Product Launch",
    "hiring_surge": "Hiring Spree",
    "acquisition": "M&A",
    "layoffs": "Layoffs",
}

# Salesforce (its standard picklists where they fit, an admin's own values where they do not), Marketo,
# BuiltWith.
SF_OWNERSHIP = {
    "private": "Private",
    "public": "Public",
    "vc_backed": "Venture Backed",
    "pe_backed": "Private Equity Backed",
    "nonprofit": "Nonprofit",
    "government": "Government Owned",
}
SF_ACCOUNT_TYPE = {True: "Customer", False: "Prospect"}
SF_DEAL_TYPE = {
    "new business": "New Customer",
    "expansion": "Existing Customer - Upgrade",
    "renewal": "Existing Customer - Renewal",
}
SF_LEAD_SOURCE = {
    "inbound": "Web",
    "outbound": "Outbound Prospecting",
    "partner": "Partner Referral",
    "event": "Trade Show",
    "referral": "Customer Referral",
}
SF_CLOSED = {"won": "Closed Won", "lost": "Closed Lost"}
# stage: (Probability, ForecastCategoryName), as a Salesforce sales process sets them; both move with the deal
SF_STAGE = {
    "Prospecting": (10, "Pipeline"),
    "Qualification": (20, "Pipeline"),
    "Proposal/Price Quote": (75, "Best Case"),
    "Negotiation/Review": (90, "Commit"),
    "Closed Won": (100, "Closed"),
    "Closed Lost": (0, "Omitted"),
}
SF_OPEN = tuple(s for s in SF_STAGE if s not in SF_CLOSED.values())
MARKETO_ACTIVITY = {
    "web_visit": "Visit Webpage",
    "pricing_page": "Visit Pricing Page",
    "content_download": "Fill Out Form",
    "webinar": "Attend Webinar",
    "email_click": "Click Email",
    "event": "Attend Event",
    "onboarding_session": "Attend Onboarding Session",
    "support_ticket": "Open Support Ticket",
}
BUILTWITH_TAG = {
    "crm": "CRM",
    "marketing_automation": "Marketing Automation",
    "cloud": "Cloud Hosting",
    "data_warehouse": "Data Warehouse",
    "bi": "Business Intelligence",
    "collaboration": "Collaboration Tools",
    "competitor": "Revenue Intelligence",
    "complement": "Sales Engagement",
    "ours": "Revenue Operations",  # what a vendor calls our own product's kind
}

# HubSpot, as its UI export writes the default properties.
HS_LIFECYCLE = {True: "customer", False: "lead"}
HS_DEAL_TYPE = {"new business": "New Business", "expansion": "Existing Business", "renewal": "Renewal"}
HS_SOURCE = {
    "inbound": "Organic Search",
    "outbound": "Offline Sources",
    "partner": "Referrals",
    "referral": "Direct Traffic",
    "event": "Other Campaigns",
}
HS_CLOSED = {"won": "Closed Won", "lost": "Closed Lost"}
HS_OPEN = (
    "Appointment Scheduled",
    "Qualified To Buy",
    "Presentation Scheduled",
    "Decision Maker Bought-In",
    "Contract Sent",
)
HS_ACTIVITY = {
    "web_visit": "Page View",
    "pricing_page": "Pricing Page View",
    "content_download": "Form Submission",
    "webinar": "Webinar Attended",
    "email_click": "Email Click",
    "event": "Event Attended",
    "onboarding_session": "Onboarding Call",
    "support_ticket": "Support Ticket",
}
HS_ID_OFFSET = {"company": 8_100_000_000, "deal": 14_200_000_000, "contact": 1_000}
# The company properties whose history the export holds (the native snapshots' columns), by their UI labels,
# and the source HubSpot records for a value an enrichment feed wrote.
HS_HISTORY_PROPERTY = {"employees": "Number of Employees", "annual_revenue": "Annual Revenue"}
HS_HISTORY_SOURCE = "ENRICHMENT"

DATE, US_DATE = "%Y-%m-%d", "%m/%d/%Y"
SF_DATETIME, MARKETO_DATETIME = "%Y-%m-%dT%H:%M:%S.000Z", "%Y-%m-%dT%H:%M:%SZ"
HS_DATETIME, NEWS_DATETIME = "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S+00:00"
