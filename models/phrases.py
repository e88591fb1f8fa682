"""Plain language for features: a value as a phrase ("5 pricing-page visits in the last 30 days") and a split
as a condition ("201-1,000 employees"), for reasons, the ICP profile and what changed.

Phrases follow the naming of features/pointintime.py (family prefix, activity / trigger / category names), so
a new feature there gets words here without a hand-written entry; unknown names fall back to "name = value".
"""

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.contract import TECH_CATEGORIES, TRIGGER_TYPES
from features.vocabulary import DEPARTMENT, TOPIC, said

ACTIVITY = {
    "all": "engagement activit(y|ies)",
    "web_visit": "web visit(s)",
    "pricing_page": "pricing-page visit(s)",
    "content_download": "content download(s)",
    "webinar": "webinar(s) attended",
    "email_click": "email click(s)",
    "event": "event(s) attended",
    "onboarding_session": "onboarding session(s)",
    "support_ticket": "support ticket(s)",
}
TRIGGER = {
    "funding_round": ("raised a funding round", "funding round(s)"),
    "executive_hire": ("hired an executive", "executive hire(s)"),
    "product_launch": ("launched a product", "product launch(es)"),
    "hiring_surge": ("started a hiring surge", "hiring surge(s)"),
    "acquisition": ("was part of an M&A deal", "M&A event(s)"),
    "layoffs": ("announced layoffs", "layoff announcement(s)"),
    "any": ("had a trigger event", "trigger event(s)"),
}
CATEGORY = {
    "crm": "CRM product(s)",
    "marketing_automation": "marketing-automation product(s)",
    "cloud": "cloud platform(s)",
    "data_warehouse": "data warehouse(s)",
    "bi": "BI tool(s)",
    "collaboration": "collaboration tool(s)",
    "competitor": "competing product(s)",
    "complement": "complementary product(s)",
    "total": "tracked technolog(y|ies)",
}
# the recommended spellings have phrases of their own (any other value is said in the export's words)
assert set(TRIGGER) - {"any"} == set(TRIGGER_TYPES) and set(CATEGORY) - {"total"} == set(TECH_CATEGORIES) - {
    "ours"
}


@dataclass(frozen=True)
class Phrase:
    """How one feature is said. kind: count | since | flag | money | number | category."""

    kind: str
    noun: str = ""  # count: "visit(s)"-style noun; since: the event's noun; number: "score {} ..."
    tail: str = ""  # count: " in the last 30 days"
    event: str = ""  # since: "raised a funding round"; flag: the phrase when 0; category: "{} ..."
    scale: str = "plain"  # plain | percent | log10 (the value is log10 of what is said)
    missing: str = ""  # what a missing value means, when it means more than "unknown"


def _forms(noun: str) -> tuple[str, str]:
    """Singular and plural of a pattern like 'web visit(s)' or 'activit(y|ies)'."""
    one = re.sub(r"\((\w+)\)", "", re.sub(r"\((\w*)\|(\w*)\)", r"\1", noun))
    many = re.sub(r"\((\w+)\)", r"\1", re.sub(r"\((\w*)\|(\w*)\)", r"\2", noun))
    return one, many


def _n(count: float, noun: str) -> str:
    """'1 web visit', '5 web visits', 'no web visits'."""
    k, (one, many) = int(round(count)), _forms(noun)
    return f"{k:,} {one}" if k == 1 else (f"no {many}" if k == 0 else f"{k:,} {many}")


FIXED = {
    "firm_industry": Phrase("category", "industry"),
    "firm_country": Phrase("category", "country"),
    "firm_region": Phrase("category", "region"),
    "firm_ownership": Phrase("category", "ownership"),
    "firm_size_band": Phrase("category", "employees (band)", event="{} employees"),
    "firm_age_years": Phrase("number", "{} years old"),
    "firm_strategic": Phrase(
        "flag",
        "a global/strategic enterprise",
        event="not a global/strategic enterprise",
        missing="size unknown, so not known to be a global/strategic enterprise",
    ),
    "firm_employees": Phrase("count", "employee(s)"),
    "firm_log_employees": Phrase("count", "employee(s)", scale="log10"),
    "firm_revenue": Phrase("money", "annual revenue"),
    "firm_revenue_per_employee": Phrase("money", "revenue per employee"),
    "firm_growth_1y": Phrase("number", "headcount growth of {} over a year", scale="percent"),
    "tech_days_since_adoption": Phrase("since", "technology adoption(s)", event="adopted a new technology"),
    "tech_days_since_complement": Phrase(
        "since", "complementary product(s) adopted", event="adopted a complementary product"
    ),
    "beh_days_since_last": Phrase("since", "engagement(s)", event="last engaged"),
    "beh_days_since_pricing": Phrase("since", "pricing-page visit(s)", event="visited the pricing page"),
    "beh_trend_30d": Phrase(
        "number", "engagement trend {} (activities in the last 30 days minus half the 60 before)"
    ),
    "beh_departments_90d": Phrase("count", "department(s) engaged", " in the last 90 days"),
    "beh_seniorities_90d": Phrase("count", "seniority level(s) engaged", " in the last 90 days"),
    "beh_senior_contacts_90d": Phrase("count", "VP or C-level contact(s) engaged", " in the last 90 days"),
    "intent_max_28d": Phrase("number", "top intent score {} on our topics in the last 4 weeks"),
    "intent_mean_90d": Phrase("number", "mean intent score {} on our topics over 90 days"),
    "intent_weeks_surging_90d": Phrase("count", "week(s) of intent surge", " in the last 90 days"),
    "intent_topics_surging_28d": Phrase("count", "intent topic(s) surging", " in the last 4 weeks"),
    "intent_days_since_surge": Phrase("since", "intent surge(s)", event="surged on one of our intent topics"),
    "intent_any_topic_max_28d": Phrase("number", "top intent score {} on any topic in the last 4 weeks"),
    "rel_prior_won": Phrase("count", "deal(s) won with us before"),
    "rel_prior_lost": Phrase("count", "deal(s) lost with us before"),
    "rel_prior_spend": Phrase("money", "prior spend with us"),
    "rel_tenure_days": Phrase("count", "day(s) since our first win with them", missing="never won with us"),
    "rel_days_since_last_lost": Phrase("since", "lost deal(s) with us", event="lost a deal with us"),
}


def _own(word: str) -> str:
    """An export's own word as a noun pattern: brackets and bars would read as plural forms."""
    return re.sub(r"[()|]", "", word)


def phrase(name: str, words: dict[str, str]) -> Phrase:
    """The phrase of a feature, from its name; `words` maps the slug in a name to the export's own word (an
    activity type, trigger type, technology category or product: features/vocabulary.py). A value with a
    phrase of its own here (the recommended spellings) is said that way, any other in the export's words."""
    if name in FIXED:
        return FIXED[name]
    if m := re.fullmatch(rf"beh_{DEPARTMENT}(\w+)_(\d+)d", name):
        own = _own(said(words.get(DEPARTMENT + m[1], m[1].replace("_", " "))))
        return Phrase("count", f"{own} contact(s) engaged", f" in the last {m[2]} days")
    if m := re.fullmatch(rf"intent_{TOPIC}(\w+)_max_28d", name):
        topic = words.get(TOPIC + m[1], m[1].replace("_", " "))
        shown = topic.replace("{", "{{").replace("}", "}}")  # the noun is a format string
        return Phrase(
            "number",
            f"top intent score {{}} on {shown} in the last 4 weeks",
            missing=f"no {topic} intent lately",
        )
    if m := re.fullmatch(r"beh_(\w+?)_(\d+)d", name):
        kind, days = m.groups()
        own = _own(words.get(kind, kind.replace("_", " ")))
        noun = "contact(s) engaged" if kind == "contacts" else ACTIVITY.get(kind, own)
        return Phrase("count", noun, f" in the last {days} days")
    if m := re.fullmatch(r"trig_days_since_(\w+)", name):
        own = _own(words.get(m[1], m[1].replace("_", " ")))
        event, noun = TRIGGER.get(m[1], (own, f"{own} event(s)"))
        return Phrase("since", noun, event=event)
    if m := re.fullmatch(r"trig_(\w+)_(\d+)d", name):
        own = _own(words.get(m[1], m[1].replace("_", " ")))
        return Phrase("count", TRIGGER.get(m[1], ("", f"{own} event(s)"))[1], f" in the last {m[2]} days")
    if m := re.fullmatch(r"tech_n_(\w+)", name):
        own = _own(words.get(m[1], m[1].replace("_", " ")))
        return Phrase("count", CATEGORY.get(m[1], f"{own} product(s)"), " in use")
    if m := re.fullmatch(r"tech_has_(\w+)", name):
        product = words.get(m[1], m[1].replace("_", " "))
        return Phrase("flag", f"runs {product}", event=f"does not run {product}")
    if name.startswith("custom_"):  # a team's own field, in its own name (features/custom.py)
        label = words.get(name, name).replace("{", "{{").replace("}", "}}")
        if name.startswith("custom_cat_"):
            return Phrase("category", label)
        if name.startswith("custom_has_"):
            return Phrase("flag", label, event=label.replace(" lists ", " does not list ", 1))
        return Phrase("number", label + " {}")
    return Phrase("number", name + " = {}")


def _money(v: float) -> str:
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if round(abs(v) / div, 1) >= 1:  # 999,999 is $1.0M, not $1,000.0k
            return f"${v / div:,.1f}{suffix}"
    return f"${v:,.0f}"


def _said(v: float, p: Phrase) -> float:
    """The value in the unit it is said in (a log10 feature is said as its count)."""
    return 10**v if p.scale == "log10" and v is not None and np.isfinite(v) else v


def _number(v: float, scale: str) -> str:
    if scale == "percent":
        return f"{v:+.0%}"
    return f"{v:,.0f}" if abs(v) >= 10 or float(v).is_integer() else f"{v:,.1f}"


def _elapsed(days: float) -> str:
    """A time span as a seller says it: whole days under two years ('45 days'), then years ('6.0 years', not
    '2,195 days')."""
    if days >= 730:
        return f"{days / 365.25:.1f} years"
    n = math.floor(days)
    return f"{n:,} day{'s' if n != 1 else ''}"


def describe(name: str, value, words: dict[str, str]) -> str:
    """A feature's value as a short phrase that quotes it, e.g. 'raised a funding round 45 days ago'."""
    p = phrase(name, words)
    missing = value is None or (not isinstance(value, str) and pd.isna(value))
    if missing and p.missing:
        return p.missing
    if p.kind == "category":
        return f"{p.noun} unknown" if missing else (p.event or f"{p.noun}: {{}}").format(value)
    if p.kind == "since":
        return f"no {_forms(p.noun)[1]} on record" if missing else f"{p.event} {_elapsed(value)} ago"
    if missing:
        return p.noun.format("unknown") if p.kind == "number" else f"{_forms(p.noun)[1]} unknown"
    if p.kind == "count":
        return _n(_said(value, p), p.noun) + p.tail
    if p.kind == "flag":
        return p.noun if value >= 0.5 else p.event
    if p.kind == "money":
        return f"no {p.noun}" if value == 0 else f"{p.noun} {_money(value)}"
    return p.noun.format(_number(value, p.scale))


def condition(name: str, above: bool, threshold: float, words: dict[str, str]) -> str:
    """A tree split `name > threshold` (above) or `name <= threshold` as a phrase, e.g. 'at least 3
    contacts'."""
    p = phrase(name, words)
    if p.kind == "flag":
        return p.noun if above else p.event
    if p.kind == "count":
        k = math.floor(_said(threshold, p))
        if not above:
            return f"no {_forms(p.noun)[1]}{p.tail}" if k == 0 else f"at most {_n(k, p.noun)}{p.tail}"
        return f"at least {_n(k + 1, p.noun)}{p.tail}"
    if p.kind == "since":
        days = _elapsed(threshold)
        return f"no {_forms(p.noun)[1]} in the last {days}" if above else f"{p.event} in the last {days}"
    bound = f"{'above' if above else 'at most'} "
    if p.kind == "money":
        return f"{p.noun} {bound}{_money(threshold)}"
    return p.noun.format(bound + _number(threshold, p.scale))


def span(name: str, low: float, high: float, words: dict[str, str]) -> str:
    """Both ends of a range of splits, `low < value <= high` (either may be infinite), as one phrase."""
    p = phrase(name, words)
    if np.isfinite(low) and np.isfinite(high):
        if p.kind == "count":
            first, last = math.floor(_said(low, p)) + 1, math.floor(_said(high, p))
            return _n(last, p.noun) + p.tail if first == last else f"{first:,}-{_n(last, p.noun)}{p.tail}"
        if p.kind == "number":
            return p.noun.format(f"above {_number(low, p.scale)} and at most {_number(high, p.scale)}")
        if p.kind == "money":
            return f"{p.noun} above {_money(low)} and at most {_money(high)}"
    said = [condition(name, True, low, words)] if np.isfinite(low) else []
    return " and ".join(said + ([condition(name, False, high, words)] if np.isfinite(high) else []))
