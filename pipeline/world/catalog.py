"""The fixed facts of the synthetic world: industry mix, products, topics, name parts and the planted
effects."""

import numpy as np

from features.contract import COUNTRY_REGION, INDUSTRIES

# industry: (share of accounts, revenue per employee USD, size multiplier, deal size multiplier,
# win-logit fit)
INDUSTRY = {
    "Software": (0.16, 250_000, 0.8, 1.3, 0.60),
    "Fintech": (0.06, 300_000, 0.7, 1.4, 0.50),
    "Financial Services": (0.08, 400_000, 1.6, 1.5, 0.30),
    "Healthcare": (0.09, 150_000, 1.4, 1.0, 0.00),
    "Manufacturing": (0.10, 200_000, 1.5, 0.9, -0.30),
    "Retail": (0.08, 120_000, 1.2, 0.8, -0.20),
    "Education": (0.05, 80_000, 1.1, 0.6, -0.60),
    "Government": (0.03, 100_000, 2.0, 0.9, -0.80),
    "Media": (0.05, 200_000, 0.8, 0.9, 0.10),
    "Telecommunications": (0.03, 350_000, 2.0, 1.3, 0.00),
    "Energy": (0.03, 500_000, 1.8, 1.1, -0.40),
    "Logistics": (0.05, 150_000, 1.2, 0.9, -0.10),
    "Professional Services": (0.10, 180_000, 0.8, 1.0, 0.20),
    "Real Estate": (0.05, 300_000, 0.7, 0.8, -0.50),
    "Hospitality": (0.04, 60_000, 1.0, 0.6, -0.60),
}
assert tuple(INDUSTRY) == INDUSTRIES
INDUSTRY_SHARE = np.array([v[0] for v in INDUSTRY.values()]) / sum(v[0] for v in INDUSTRY.values())
REVENUE_PER_EMPLOYEE = np.array([v[1] for v in INDUSTRY.values()], float)
SIZE_MULT = np.array([v[2] for v in INDUSTRY.values()])
DEAL_MULT = np.array([v[3] for v in INDUSTRY.values()])
INDUSTRY_FIT = np.array([v[4] for v in INDUSTRY.values()])
TECH_INDUSTRY = np.isin(
    INDUSTRIES, ["Software", "Fintech", "Financial Services", "Media", "Telecommunications"]
)

COUNTRIES = tuple(COUNTRY_REGION)
COUNTRY_SHARE = np.array([45, 5, 10, 7, 5, 3, 2, 3, 2, 6, 4, 3, 2, 2, 1], float)
COUNTRY_SHARE /= COUNTRY_SHARE.sum()
assert len(COUNTRY_SHARE) == len(COUNTRIES)

# How exports misspell things: each canonical value and the variants seen in the wild.
INDUSTRY_VARIANTS = {
    "Software": ["software", "SOFTWARE", "Computer Software", "SaaS"],
    "Fintech": ["FinTech", "Fin Tech"],
    "Financial Services": ["financial services", "Banking", "Finance"],
    "Healthcare": ["Health Care", "healthcare"],
    "Telecommunications": ["Telecom", "telecommunications"],
    "Professional Services": ["Consulting"],
    "Retail": ["retail", "eCommerce"],
    "Manufacturing": ["manufacturing ", "MANUFACTURING"],
}
COUNTRY_VARIANTS = {
    "United States": ["USA", "US", "U.S.", "united states", "United States of America"],
    "United Kingdom": ["UK", "Great Britain", "england"],
    "Germany": ["Deutschland", "germany"],
    "Netherlands": ["The Netherlands", "Holland"],
    "Brazil": ["Brasil"],
}

# product, category, base adoption probability
PRODUCTS = [
    ("Salesforce Sales Cloud", "crm", 0.30),
    ("HubSpot CRM", "crm", 0.22),
    ("Microsoft Dynamics 365", "crm", 0.12),
    ("Pipedrive", "crm", 0.08),
    ("Zoho CRM", "crm", 0.07),
    ("Marketo", "marketing_automation", 0.12),
    ("HubSpot Marketing Hub", "marketing_automation", 0.18),
    ("Pardot", "marketing_automation", 0.09),
    ("Mailchimp", "marketing_automation", 0.20),
    ("Braze", "marketing_automation", 0.04),
    ("AWS", "cloud", 0.45),
    ("Microsoft Azure", "cloud", 0.30),
    ("Google Cloud", "cloud", 0.18),
    ("Cloudflare", "cloud", 0.25),
    ("Heroku", "cloud", 0.06),
    ("Snowflake", "data_warehouse", 0.14),
    ("Google BigQuery", "data_warehouse", 0.10),
    ("Amazon Redshift", "data_warehouse", 0.08),
    ("Databricks", "data_warehouse", 0.07),
    ("Tableau", "bi", 0.15),
    ("Power BI", "bi", 0.22),
    ("Looker", "bi", 0.08),
    ("Metabase", "bi", 0.05),
    ("Qlik", "bi", 0.05),
    ("Slack", "collaboration", 0.45),
    ("Microsoft Teams", "collaboration", 0.40),
    ("Zoom", "collaboration", 0.50),
    ("Notion", "collaboration", 0.15),
    ("Atlassian Confluence", "collaboration", 0.20),
    ("Asana", "collaboration", 0.12),
    ("Gong", "competitor", 0.06),
    ("Clari", "competitor", 0.04),
    ("People.ai", "competitor", 0.03),
    ("Chorus", "competitor", 0.03),
    ("Outreach", "complement", 0.07),
    ("Salesloft", "complement", 0.06),
    ("ZoomInfo", "complement", 0.08),
    ("Apollo.io", "complement", 0.06),
    ("LinkedIn Sales Navigator", "complement", 0.10),
    ("Northwind Revenue Cloud", "ours", 0.0),  # our own product: installed only after a won deal (a trap)
]
OUR_PRODUCT = "Northwind Revenue Cloud"
PRODUCT_INDEX = {p[0]: i for i, p in enumerate(PRODUCTS)}

TOPICS = [
    "revenue operations",
    "sales intelligence",
    "account based marketing",  # relevant to us
    "cloud security",
    "hr software",
    "erp migration",
    "data privacy",
    "office furniture",
]
RELEVANT_TOPICS = 3

MARKETING_ACTIVITIES = ["web_visit", "pricing_page", "content_download", "webinar", "email_click", "event"]
ACTIVITY_MIX_COLD = np.array([0.45, 0.03, 0.12, 0.05, 0.33, 0.02])
ACTIVITY_MIX_HOT = np.array([0.30, 0.18, 0.20, 0.10, 0.15, 0.07])
DETAILS = {
    "web_visit": ["/", "/blog", "/customers", "/integrations", "/product"],
    "pricing_page": ["/pricing"],
    "content_download": ["ICP playbook", "Revenue ops benchmark", "Forecasting guide"],
    "webinar": ["Pipeline reviews that work", "AI for sales teams"],
    "email_click": ["newsletter", "nurture"],
    "event": ["SaaStr", "Dreamforce", "Revenue Summit"],
}

# trigger type: (base yearly rate, detail)
TRIGGERS = {
    "funding_round": (0.04, "raised a funding round"),
    "executive_hire": (0.35, "hired a new executive"),
    "product_launch": (0.25, "launched a product"),
    "hiring_surge": (0.15, "hiring surge"),
    "acquisition": (0.04, "acquisition announced"),
    "layoffs": (0.08, "announced layoffs"),
}

SENIORITY_SHARE = {
    "c_level": 0.08,
    "vp": 0.14,
    "director": 0.22,
    "manager": 0.28,
    "individual_contributor": 0.28,
}
DEPARTMENT_SHARE = {
    "executive": 0.06,
    "sales": 0.28,
    "marketing": 0.2,
    "it": 0.12,
    "finance": 0.08,
    "operations": 0.12,
    "engineering": 0.09,
    "product": 0.05,
}
TITLE_WORD = {
    "c_level": "Chief {} Officer",
    "vp": "VP {}",
    "director": "Director of {}",
    "manager": "{} Manager",
    "individual_contributor": "{} Specialist",
}

NAME_A = [
    "Blue",
    "Nova",
    "Apex",
    "Silver",
    "North",
    "Bright",
    "Quantum",
    "Green",
    "Iron",
    "Summit",
    "Clear",
    "Red",
    "Vertex",
    "Harbor",
    "Pioneer",
    "Atlas",
    "Cedar",
    "Lumen",
    "Orbit",
    "Crest",
]
NAME_B = [
    "Systems",
    "Labs",
    "Logistics",
    "Health",
    "Capital",
    "Works",
    "Analytics",
    "Partners",
    "Foods",
    "Energy",
    "Media",
    "Networks",
    "Dynamics",
    "Retail",
    "Group",
    "Solutions",
]
NAME_SUFFIX = ["Inc", "LLC", "Ltd", "GmbH", "Corp", "Co"]

# The planted effects on the win logit, in one place: the truth's formula reads them and drivers.json lists
# them.
EFFECTS = {
    "intercept": -2.9,
    "size_peak": 1.0,  # at log10(employees) == SIZE_CENTRE
    "size_curvature": -1.1,  # times (log10(employees) - SIZE_CENTRE)^2, floored at SIZE_FLOOR
    "complementary_tech": 0.8,
    "competing_tech": -1.0,
    "complement_x_midsize": 0.5,  # interaction: a complement at a 200-2,000 employee company
    "funding_90d": 1.0,
    "executive_hire_90d": 0.5,
    "layoffs_180d": -0.6,
    "intent_surge_28d": 0.4,
    "surge_x_committee": 0.6,  # interaction: a surge while 3+ contacts are engaged
    "committee_per_contact": 0.36,  # per distinct contact engaged in 90 days, up to 6
    "young_company": -0.6,  # founded less than 3 years before
    "age_per_doubling": 0.2,  # per doubling of age over 8 years, clipped to [-0.4, 0.6]
    "prior_lost_each": -0.3,  # per earlier lost deal, up to 2
    "expansion": 0.8,  # expansion deal of a customer
    "prior_spend_per_decade": 0.3,  # per tenfold earlier spend over 10k USD
    # a role of the buying committee: an engaged finance contact (the economic buyer; marketing activity in
    # the 90 days before), on top of the breadth it adds. Set by reasoning, not fitted to a seed: about one
    # deal in seven has one, so a 20,000-account world's ~3,000 holdout deals hold ~400 such deals, whose log
    # odds ratio has a standard error near 0.12; 0.8 (an odds ratio of 2.2, ~1.9 once averaged over the
    # other effects) stands about five standard errors clear of 0: its interval lies above 1 on all but a
    # rare seed.
    "finance_engaged_90d": 0.8,
}
SIZE_CENTRE, SIZE_FLOOR = 2.6, -2.5
ROLE_DEPARTMENT = "finance"  # the department whose engaged contact finance_engaged_90d plants


def effects(role_effect: bool = True) -> dict:
    """The planted effects; without the role effect (synthesize.role_effect: false) its logit is 0, so the
    committee's breadth is the only thing its roles carry."""
    return EFFECTS if role_effect else {**EFFECTS, "finance_engaged_90d": 0.0}


# People's names: the native world's contacts get theirs from their number (export._person_names), the styled
# exports draw first and last names from their own random stream.
FIRST_NAMES = [
    "Aisha",
    "Ben",
    "Carla",
    "Daniel",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kavya",
    "Liam",
    "Maria",
    "Noah",
    "Olivia",
    "Priya",
    "Quinn",
    "Rafael",
    "Sofia",
    "Tom",
    "Uma",
    "Victor",
    "Wei",
    "Yara",
]
LAST_NAMES = [
    "Adams",
    "Bauer",
    "Chen",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Hansen",
    "Ito",
    "Jensen",
    "Kim",
    "Lopez",
    "Meyer",
    "Nakamura",
    "O'Brien",
    "Patel",
    "Rossi",
    "Schmidt",
    "Silva",
    "Tanaka",
    "Novak",
    "Walsh",
    "Yilmaz",
    "Zhang",
]
