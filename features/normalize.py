"""Normalisation of the free-text fields real exports spell many ways: industries, countries, domains.

Unknown spellings are returned unchanged so that validation can reject them with the value in the message.
"""

import pandas as pd

from features.contract import COUNTRY_REGION, INDUSTRIES

INDUSTRY_ALIASES = {
    "computer software": "Software",
    "saas": "Software",
    "software & saas": "Software",
    "fin tech": "Fintech",
    "financial technology": "Fintech",
    "finance": "Financial Services",
    "banking": "Financial Services",
    "financial svcs": "Financial Services",
    "health care": "Healthcare",
    "hospitals & health care": "Healthcare",
    "telecom": "Telecommunications",
    "telco": "Telecommunications",
    "retail & e-commerce": "Retail",
    "ecommerce": "Retail",
    "higher education": "Education",
    "public sector": "Government",
    "media & entertainment": "Media",
    "oil & energy": "Energy",
    "utilities": "Energy",
    "transportation & logistics": "Logistics",
    "consulting": "Professional Services",
    "realestate": "Real Estate",
    "hotels & travel": "Hospitality",
}
COUNTRY_ALIASES = {
    "usa": "United States",
    "us": "United States",
    "u.s.": "United States",
    "u.s.a.": "United States",
    "united states of america": "United States",
    "uk": "United Kingdom",
    "u.k.": "United Kingdom",
    "great britain": "United Kingdom",
    "england": "United Kingdom",
    "deutschland": "Germany",
    "holland": "Netherlands",
    "the netherlands": "Netherlands",
    "españa": "Spain",
    "brasil": "Brazil",
    "méxico": "Mexico",
}


def _lookup(canonical, aliases: dict[str, str]) -> dict[str, str]:
    return {**{c.lower(): c for c in canonical}, **aliases}


_INDUSTRY = _lookup(INDUSTRIES, INDUSTRY_ALIASES)
_COUNTRY = _lookup(COUNTRY_REGION, COUNTRY_ALIASES)


def _canonical(values: pd.Series, table: dict[str, str]) -> pd.Series:
    key = values.str.strip().str.lower().str.replace(r"\s+", " ", regex=True)
    return key.map(table).where(lambda s: s.notna(), values)


def canonical_industry(values: pd.Series) -> pd.Series:
    return _canonical(values, _INDUSTRY)


def canonical_country(values: pd.Series) -> pd.Series:
    return _canonical(values, _COUNTRY)


def region_of(countries: pd.Series) -> pd.Series:
    return countries.map(COUNTRY_REGION)


_SCHEME = r"^[a-z][a-z0-9+.-]*://"  # a pattern, not a compiled one: pandas runs a compiled one row by row


def normalise_domain(values: pd.Series) -> pd.Series:
    """`https://www.Acme.com/about` and `ACME.com` both become `acme.com`; a placeholder with no dot (`N/A`,
    `none`, `-`) becomes empty, or every account carrying it would be merged into one."""
    d = values.str.strip().str.lower().str.replace(_SCHEME, "", regex=True)
    d = d.str.replace(r"[/:?#].*$", "", regex=True).str.removeprefix("www.").str.rstrip(".")
    return d.where(d.str.contains(".", regex=False))


# mail services whose addresses say nothing of the person's company
FREE_MAIL = {"gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com", "aol.com"}
FREE_MAIL |= {"icloud.com", "me.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net", "web.de", "mail.ru"}
_EMAIL = r"^\s*[^\s/?#@]+@([^\s/?#@]+)\s*$"


def email_host(values: pd.Series) -> pd.Series:
    """A person's email address as its company's host (`ann@acme.com` is `acme.com`; a free mail service's is
    none); any other value as it is. A marketing tool keys its activities by the person's email."""
    host = values.str.extract(_EMAIL, expand=False).str.lower()
    return values.mask(host.notna(), host.where(~host.isin(FREE_MAIL)))


_PRICING_PAGE = r"(?i)/pricing(?:[/?#.]|$)"  # a page's path: /pricing, acme.com/pricing?plan=pro


def pricing_visits(types: pd.Series, details: pd.Series) -> pd.Series:
    """A visit whose detail is a pricing page's address (a path, `/pricing`) is a pricing-page visit, whatever
    its type says: a marketing tool logs every page as `Visit Webpage` with the page in its detail. An email
    or program named "Pricing" is no address."""
    return types.mask(details.str.contains(_PRICING_PAGE, regex=True, na=False), "pricing_page")
