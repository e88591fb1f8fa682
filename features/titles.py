"""Seniority and department from a job title: the one rule, for exports (Salesforce, HubSpot, Marketo) that
carry only a Title column.

A title is lower-cased and reduced to words ('Sr. Dir., Demand Gen' is 'sr dir demand gen'; 'V.P.' and 'Vice
President' are 'vp'), then two ordered rule lists are tried: the first rule with a matching word or phrase
gives the code; no match leaves it missing ('Student', 'N/A'). The order is the rule, so the ambiguous cases
are decided by where a rule stands:
- Seniority goes from the top rank down ('Founder & Director' is c_level), after the exceptions: someone's
  assistant and a product owner are individual contributors, a chief of staff is a director. Sr., Senior,
  Principal, Staff and Lead do not change the rank: 'Sr. Director' is a director, 'Lead Engineer' an
  individual contributor (a Team Lead is a manager). The title's own rank word counts, not a guess at
  reporting lines: an Account Manager is a manager.
- Department goes from the compounds whose words would mislead ('Product Marketing', 'Sales Engineer',
  'RevOps') to single words, and ends with executive: a title that names a function belongs to it
  ('Co-founder & CTO' is engineering), executive is for general leadership ('Founder & CEO', 'President').
"""

import re

import numpy as np
import pandas as pd

from features.contract import DEPARTMENTS, SENIORITIES


def _rule(code: str, *words: str) -> tuple[str, re.Pattern]:
    """A code and the whole words or phrases (regular expressions) of a normalised title that give it."""
    pattern = re.sub(r"\((?!\?)", "(?:", "|".join(words))  # groups only group: nothing is extracted
    return code, re.compile(r"\b(?:" + pattern + r")\b")


SENIORITY_RULES = (
    # Working for the boss named is not being the boss: "Executive Assistant to the CEO", "Product Owner".
    _rule("individual_contributor", "assistant to", "(executive|administrative|personal) assistant", "ea to"),
    _rule("individual_contributor", "(product|process) owner"),
    _rule("director", "chief of staff"),  # the boss's right hand, not an officer of the company
    # Managing Director is the head of the company in the UK and Germany (Geschäftsführer), and ranks above
    # VPs where banks use it; so are founders, owners, presidents and managing or founding partners.
    _rule(
        "c_level",
        "chief",
        "ceo|cfo|cto|cio|cmo|cro|coo|cso|cdo|cpo|cco|cao|cxo|ciso|chro",
        "c (level|suite)|c level executive",  # the seniority picklists of CRMs and data vendors
        "president",  # "vice president" is read as vp
        "(co ?)?founder",
        "owner",
        "managing (director|partner)",
        "(founding|general) partner",
        "chair(man|woman|person)?",
        "board member|(board|non executive) director",
        "proprietor",
    ),
    # A General Manager runs a business unit and its P&L under the C-suite: a VP's place, whatever the word.
    _rule("vp", "vp|svp|evp|avp|rvp|gvp", "general manager|gm"),
    # "Head of X" is a director: in a large company heads report to VPs, in a startup a head is the most
    # senior person of a small function, a director's remit; only VP in the title makes a VP.
    _rule("director", "director|dir", "head"),
    _rule("manager", "manager|mgr", "team lead(er)?", "supervisor", "pm|pmm|csm"),
    _rule(
        "individual_contributor",
        "engineer|developer|dev|programmer|architect|scientist|researcher|tester|sre|tech|technician",
        "analyst|specialist|generalist|consultant|strategist|advis[eo]r|coordinator|planner",
        "representative|rep|sdr|bdr|ae|(account|acct|sales) exec(utive)?",
        "associate|assistant|administrator|admin|officer|agent|clerk|operator|team member",
        "accountant|bookkeeper|auditor|buyer|recruiter|designer|(copy)?writer|editor|marketer",
        "intern|trainee|apprentice",
        "individual contributor",
    ),
)

DEPARTMENT_RULES = (
    # Operations run for a function are operations ("head of revops"); HR and recruiting are too (the contract
    # has no HR department: they run the company, like facilities), whatever function they hire for.
    _rule(
        "operations",
        "(revenue|rev|sales|marketing|mktg|business|biz|gtm|go to market) ?op(eration)?s|mops",
        "hr|hris|human resources|people|talent|recruit(er|ers|ing|ment)?",
    ),
    # Compounds whose other word names another department.
    _rule("marketing", "(product|channel|partner|revenue|field|account based) marketing|pmm|abm"),
    _rule(
        "sales",
        "(sales|pre ?sales|solutions?) (engineer|engineering|eng|consultant)",
        "business development|biz ?dev|bus dev",
        # Customer success keeps and grows revenue and usually reports to the CRO: sales. Support is not.
        "(customer|cust) success|csm",
    ),
    # Then the business functions before the technical areas they work on ("Software Sales", "Marketing
    # Cloud", "Product Manager, Security"). Procurement controls spend and usually reports to the CFO;
    # "Revenue Accountant" is finance, not sales.
    _rule(
        "finance",
        "cfo|finance|financial|fin|accounting|accountant|acctg|bookkeep(er|ing)|controller|comptroller",
        "fp ?& ?a|fpa|treasury|treasurer|tax|payroll|audit|auditor|billing|accounts (payable|receivable)",
        "procurement|purchasing|investor relations",
    ),
    # A title naming both sales and marketing is usually sales-led ("Sales & Marketing Director"); the
    # marketing compounds with a sales word were caught above.
    _rule(
        "sales",
        "sales|sdr|bdr|ae|(account|acct) (exec|executive|manager|mgr|management|director|lead)",
        "key accounts?|bd|cro|chief (revenue|sales|commercial)|revenue|commercial",
        "partnerships?|alliances|channel|territory",
    ),
    _rule(
        "marketing",
        "cmo|chief marketing|marketing|marketer|mktg|mkt|demand (gen|generation)|lead (gen|generation)",
        "growth|brand|branding|content|communications?|comms|pr|public relations|seo|sem|social media",
        "events?|campaigns?|creative|copywriter|graphic",
    ),
    # Design (UX, UI, product design) sits in product teams.
    _rule("product", "cpo|chief product|products?|pm|ux|ui|user (experience|research)|design"),
    _rule(
        "engineering",
        "cto|chief technology|engineering|software|devops|sre|site reliability|r ?& ?d",
        "data (engineer|engineering|science|scientist)|machine learning|ml|ai|qa|quality assurance",
        "front ?end|back ?end|full ?stack|ios|android|platform",
    ),
    # Security sits with the CIO or CISO.
    _rule(
        "it",
        "it|information (technology|systems|security)|cio|ciso|chief information|info ?sec|security|cyber",
        "systems?|sys ?admin|network|infrastructure|infra|cloud|help ?desk|service desk|desktop|database|dba",
    ),
    _rule(
        "operations",
        "coo|chief operating|operations|ops|supply chain|logistics|facilities|process|production",
        "office (manager|administrator|admin|coordinator)|(customer|cust) (support|service|care)|support",
        "manufacturing|plant|warehouse|fulfil?ment",
    ),
    # Roles name a department only when no function word does: "Security Engineer" is IT, "Graphic
    # Designer" marketing, "Designer" product.
    _rule("engineering", "engineers?|eng|engr|developer|dev|programmer"),
    _rule("product", "designer"),
    _rule("it", "architect"),
    _rule("engineering", "technology|tech|technical"),  # the CTO's, unless a function above named the title
    _rule(
        "executive",
        "ceo|chief|cso|cdo|cco|cao|cxo|president|(co ?)?founder|owner|proprietor",
        "general manager|gm|managing (director|partner)|(founding|general) partner",
        "chair(man|woman|person)?|board|executive",
    ),
)


def seniority_of(titles: pd.Series) -> pd.Series:
    """Seniority (a code of SENIORITIES) of each title, missing where no rule matches."""
    return _first_match(titles, SENIORITY_RULES)


def department_of(titles: pd.Series) -> pd.Series:
    """Department (a code of DEPARTMENTS) of each title, missing where no rule matches."""
    return _first_match(titles, DEPARTMENT_RULES)


def fill_from_titles(contacts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Contacts with seniority and department filled from the title where the export leaves them empty, and
    which cells were filled. A given value wins; one outside the recommended codes is read by the same rule
    (a picklist's `Senior VP` is vp) and kept as written when the rule does not know it."""
    filled, out = {}, contacts.copy()
    for col, rule, known in (
        ("seniority", seniority_of, SENIORITIES),
        ("department", department_of, DEPARTMENTS),
    ):
        own = out[col].notna() & ~out[col].isin(known)
        out.loc[own, col] = rule(out.loc[own, col]).fillna(out.loc[own, col])
        empty = out[col].isna() & out["title"].notna()
        derived = rule(out.loc[empty, "title"])
        out.loc[derived.index, col] = derived
        filled[col] = empty & out[col].notna()
    return out, pd.DataFrame(filled, index=contacts.index)


def _first_match(titles: pd.Series, rules) -> pd.Series:
    """The code of the first rule matching each title. Run on the distinct titles, each rule only on those no
    earlier rule matched: a million contacts take seconds."""
    inverse, distinct = pd.factorize(titles)  # a missing title is -1
    words = _words(pd.Series(distinct, dtype="str"))
    codes = np.full(len(distinct) + 1, np.nan, dtype=object)  # the last one for a missing title
    for code, pattern in rules:
        hit = words.str.contains(pattern)
        codes[words.index[hit]] = code
        words = words[~hit]
    return pd.Series(codes[inverse], index=titles.index, dtype="str")


def _words(titles: pd.Series) -> pd.Series:
    """Lower case; dots and apostrophes dropped (Sr. is sr, V.P. is vp); other punctuation a space, so the
    rules see words ('VP, Sales' and 'VP-Sales' are 'vp sales'); vice president is vp."""
    words = titles.str.lower().str.replace(r"[.'’]", "", regex=True)
    words = words.str.replace(r"[^\w&]+|_", " ", regex=True)
    return words.str.replace(r"\bvice president\b", "vp", regex=True)
