"""Seniority and department from job titles: the rule on titles as CRM exports spell them, and on the demo
world's."""

import pandas as pd
import pytest

from features.contract import DEPARTMENTS, SENIORITIES
from features.titles import department_of, fill_from_titles, seniority_of

C, VP, DIR, MGR, IC = "c_level", "vp", "director", "manager", "individual_contributor"
# title: (seniority, department); None where the title does not say.
TITLES = {
    # C-level: acronyms, spelt out, founders, owners, presidents, managing directors
    "Chief Executive Officer": (C, "executive"),
    "CEO & Co-Founder": (C, "executive"),
    "Co-founder & CTO": (C, "engineering"),
    "Founder": (C, "executive"),
    "President": (C, "executive"),
    "Owner/Operator": (C, "executive"),
    "Managing Director": (C, "executive"),
    "C-Level Executive": (C, "executive"),  # a seniority picklist value read by the same rule
    "Chief Revenue Officer": (C, "sales"),
    "CMO": (C, "marketing"),
    "cfo": (C, "finance"),
    "CISO": (C, "it"),
    "Chief Information Officer": (C, "it"),
    "COO": (C, "operations"),
    "Chief Product Officer": (C, "product"),
    "Chief People Officer": (C, "operations"),
    "Chief Data Officer": (C, "executive"),
    # VP: VP, SVP, EVP, AVP, Vice President, punctuation and abbreviations
    "VP Mktg": (VP, "marketing"),
    "SVP, Global Sales": (VP, "sales"),
    "EVP Operations": (VP, "operations"),
    "AVP, IT Infrastructure": (VP, "it"),
    "Vice President of Product Marketing": (VP, "marketing"),
    "Senior Vice-President, Engineering": (VP, "engineering"),
    "V.P. Finance": (VP, "finance"),
    "vp of sales & marketing": (VP, "sales"),
    "Executive Vice President": (VP, "executive"),
    "General Manager, EMEA": (VP, "executive"),
    # director: Director, Dir, Sr. Director, Head of
    "Sr. Dir., Demand Gen": (DIR, "marketing"),
    "Dir Eng": (DIR, "engineering"),
    "Director of IT": (DIR, "it"),
    "head of revops": (DIR, "operations"),
    "Head of People": (DIR, "operations"),
    "Senior Director, FP&A": (DIR, "finance"),
    "Associate Director, Product Management": (DIR, "product"),
    "Sales Director": (DIR, "sales"),
    "Chief of Staff": (DIR, "executive"),
    "DIRECTOR OF CUSTOMER SUCCESS": (DIR, "sales"),
    # manager: Manager, Mgr, Sr. Manager, Team Lead, PM
    "IT Mgr": (MGR, "it"),
    "Product Marketing Manager": (MGR, "marketing"),
    "Product Manager": (MGR, "product"),
    "Sr. PM": (MGR, "product"),
    "Senior Manager, Marketing Operations": (MGR, "operations"),
    "Customer Success Manager": (MGR, "sales"),
    "Team Lead, Customer Support": (MGR, "operations"),
    "Engineering Manager": (MGR, "engineering"),
    "Accounts Payable Supervisor": (MGR, "finance"),
    "Office Manager": (MGR, "operations"),
    # individual contributors
    "Acct Exec": (IC, "sales"),
    "Enterprise Account Executive": (IC, "sales"),
    "SDR": (IC, "sales"),
    "Business Development Rep": (IC, "sales"),
    "Sales Engineer": (IC, "sales"),
    "Senior Software Engineer": (IC, "engineering"),
    "Lead Data Engineer": (IC, "engineering"),
    "Full-Stack Developer": (IC, "engineering"),
    "Security Engineer": (IC, "it"),
    "Network Administrator": (IC, "it"),
    "UX Designer": (IC, "product"),
    "Graphic Designer": (IC, "marketing"),
    "Staff Accountant": (IC, "finance"),
    "Revenue Accountant": (IC, "finance"),
    "Procurement Specialist": (IC, "finance"),
    "Recruiter": (IC, "operations"),
    "Supply Chain Coordinator": (IC, "operations"),
    "Marketing Cloud Specialist": (IC, "marketing"),
    "Software Sales Executive": (IC, "sales"),
    "Executive Assistant to the CEO": (IC, "executive"),
    "Product Owner": (IC, "product"),
    "Marketing Intern": (IC, "marketing"),
    "Consultant": (IC, None),
    # a department without a rank word, and titles that say neither
    "Controller": (None, "finance"),
    "Guest": (None, None),
    "": (None, None),
    "N/A": (None, None),
    "Student": (None, None),
    "Retired": (None, None),
    "-": (None, None),
}


def test_there_are_at_least_40_titles_and_every_code_is_the_contracts():
    assert len(TITLES) >= 40
    assert {s for s, _ in TITLES.values()} - {None} == set(SENIORITIES)
    assert {d for _, d in TITLES.values()} - {None} == set(DEPARTMENTS)


def _codes(values: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in values]


@pytest.mark.parametrize("title", TITLES)
def test_seniority_and_department_of_a_title(title):
    titles = pd.Series([title], dtype="str")
    assert (*_codes(seniority_of(titles)), *_codes(department_of(titles))) == TITLES[title]


def test_a_whole_column_at_once_keeps_its_index_and_missing_titles():
    titles = pd.Series(["VP Sales", None, "vp sales", "Student"], index=[7, 3, 5, 1], dtype="str")
    seniority, department = seniority_of(titles), department_of(titles)
    assert list(seniority.index) == list(department.index) == [7, 3, 5, 1]
    assert _codes(seniority) == [VP, None, VP, None] and _codes(department) == ["sales", None, "sales", None]


def test_given_values_win_and_only_empty_ones_are_derived():
    contacts = pd.DataFrame(
        {
            "title": ["VP Sales", "VP Sales", "Student", None, "Sr. Director, IT", "Chef"],
            "seniority": [None, "manager", None, None, "Senior VP", "Staff"],
            "department": [None, "marketing", None, None, None, "Kitchen"],
        },
        dtype="str",
    )
    out, filled = fill_from_titles(contacts)
    # a given value wins; one outside the codes is read by the rule, and kept as written when it knows nothing
    assert _codes(out["seniority"]) == [VP, "manager", None, None, VP, "Staff"]
    assert _codes(out["department"]) == ["sales", "marketing", None, None, "it", "Kitchen"]
    assert filled["seniority"].tolist() == [True, False, False, False, False, False]
    assert filled["department"].tolist() == [True, False, False, False, True, False]


def test_the_rule_gives_back_the_generators_own_codes(small_world):
    """The demo world writes each contact's title from its seniority and department: the rule must read the
    same codes back from every one of those titles."""
    contacts = pd.read_parquet(small_world["data"] / "contacts.parquet")
    assert (seniority_of(contacts["title"]) == contacts["seniority"]).all()
    assert (department_of(contacts["title"]) == contacts["department"]).all()
