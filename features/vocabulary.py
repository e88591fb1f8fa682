"""Which values of the open vocabularies get features of their own, and the words those features stand for.

Activity types, trigger types, technology categories, intent topics and contacts' departments are whatever
the export says (docs/data_contract.md): a count, recency or score per value needs the values first. They are
the most frequent ones in records dated before the learning cut-off (the first day whose deals validate or
test a model; a contact is dated by its creation), so the choice has seen nothing of the deals it is judged
on. The recommended spellings come first, in the contract's order, so a column's position does not depend on
counts. Named products (the complement and competitor technologies, one presence flag each) are chosen the
same way.
Reasons turn a feature's slug back into the export's own word.
"""

from __future__ import annotations  # Ibis types in annotations, Ibis imported where features are built

import re
from typing import TYPE_CHECKING

import pandas as pd

from features.contract import ACTIVITY_TYPES, DEPARTMENTS, TECH_CATEGORIES, TRIGGER_TYPES

if TYPE_CHECKING:
    import ibis

# what gets features per value (a family, or departments: the behaviour family's engaged contacts per
# department): (table, coded column, the column dating a record, the recommended spellings)
EVENT_VALUES = {
    "behaviour": ("activities", "activity_type", "timestamp", ACTIVITY_TYPES),
    "triggers": ("triggers", "trigger_type", "date", TRIGGER_TYPES),
    "technographic": ("technographics", "category", "first_seen", TECH_CATEGORIES),
    "departments": ("contacts", "department", "created_date", DEPARTMENTS),
    "intent": ("intent", "topic", "week", ()),  # each topic's own latest score (intent_topic_<slug>_max_28d)
}
DEPARTMENT = "dept_"  # beh_dept_<department>_90d: the engaged contacts of a department
TOPIC = "topic_"  # intent_topic_<topic>_max_28d: an intent topic's own score
# slugs features already use (beh_all_30d, beh_contacts_30d, trig_days_since_any, tech_n_total); one ending in
# _ is a prefix: an activity type called "Dept Finance" would name a department's feature, and one called
# "Topic Research" would take an intent topic's words
RESERVED = {
    "behaviour": {"all", "contacts", "departments", "seniorities", "senior_contacts", DEPARTMENT, TOPIC},
    "triggers": {"any", TOPIC},
    "technographic": {"total", TOPIC},
    "departments": set(),
    "intent": set(),
}
# the contract's department and seniority codes as a sentence says them (director and manager as they are);
# an export's own word as written
SAID = {d: d.capitalize() for d in DEPARTMENTS} | {
    "it": "IT",
    "c_level": "C-level",
    "vp": "VP",
    "individual_contributor": "individual contributor",
}
OURS = "ours"  # our own product at a customer: present state, never a feature
NAMED_PRODUCTS = 20


def slug(text: str) -> str:
    """The part of a column name that stands for `text` (tech_has_<slug>, beh_<slug>_30d)."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def frequent_values(tables: dict, family: str, before: pd.Timestamp, top: int, min_records: int) -> tuple:
    """The `top` most frequent values of the family's coded column among records dated before `before`, each
    held by at least `min_records` of them and named by a slug no other feature uses; recommended spellings
    first."""
    import ibis  # heavy: only building features needs it; every stage reads this module's words

    table, column, date, known = EVENT_VALUES[family]
    if table not in tables:
        return ()
    t = tables[table]
    t = t.filter(_before(t[date], before) & (t[column] != OURS))
    counts = t.group_by(column).aggregate(n=t.count()).order_by([ibis.desc("n"), column]).execute()
    chosen = most_frequent(counts[column], counts["n"], top, min_records, RESERVED[family])
    rank = {v: i for i, v in enumerate(known)}
    return tuple(sorted(chosen, key=lambda v: (rank.get(v, len(rank)), chosen.index(v))))


def most_frequent(values: pd.Series, n: pd.Series, top: int, min_records: int, reserved=()) -> list:
    """Of `values` with their counts `n`, most frequent first: the `top` held `min_records` times or more
    whose slug names a feature of its own (not empty, not `reserved`; of two spellings, the more frequent)."""
    taken = values.map(slug).map(lambda s: s in {"", *reserved} or s.startswith(_prefixes(reserved)))
    kept = values[(n >= min_records).to_numpy() & ~taken.to_numpy(bool)]
    return list(kept[~kept.map(slug).duplicated()].iloc[:top])


def _prefixes(reserved) -> tuple[str, ...]:
    return tuple(r for r in reserved if r.endswith("_"))


def said(value: str) -> str:
    """A department or seniority as a sentence says it: 'Finance', 'IT', 'C-level', 'individual
    contributor'; an export's own word as written."""
    return SAID.get(value, value)


def _before(date: ibis.Value, before: pd.Timestamp) -> ibis.Value:
    """Dated before `before`, or undated (a list of today's values, known to every deal under `static`)."""
    return date.isnull() | (date < before)


def named_products(tables: dict, before: pd.Timestamp, limit: int = NAMED_PRODUCTS) -> tuple:
    """The complement and competitor products at the most accounts, first seen before `before`; when the
    export names no category so, any product (a CRM's one-cell list of technologies has no categories)."""
    import ibis  # heavy: only building features needs it; every stage reads this module's words

    if "technographics" not in tables:
        return ()
    t = tables["technographics"]
    t = t.filter(_before(t.first_seen, before) & (t.category != OURS))
    pair = t.filter(t.category.isin(["complement", "competitor"]))
    t = pair if pair.count().execute() else t
    top = (
        t.group_by("technology")
        .aggregate(n=t.account_id.nunique())
        .order_by([ibis.desc("n"), "technology"])
        .limit(limit)
    )
    return tuple(top.execute()["technology"])


def topic_key(topic: str) -> str:
    """An intent topic as params and exports may both spell it: `Account-Based Marketing` = account based
    marketing."""
    return " ".join(re.sub(r"[_-]+", " ", topic.lower()).split())


def missing_topics_note(tables: dict, wanted: tuple) -> str:
    """What to do when none of features.intent_topics (our product's topics) is among the export's topics:
    the features on our topics would all be empty."""
    import ibis  # heavy: only building features needs it; every stage reads this module's words

    if "intent" not in tables or not wanted:
        return ""
    t = tables["intent"]
    counts = t.group_by("topic").aggregate(n=t.count()).order_by([ibis.desc("n"), "topic"]).execute()
    held = counts["topic"].dropna()
    if not len(held) or {topic_key(w) for w in wanted} & set(held.map(topic_key)):
        return ""
    return (
        f"none of features.intent_topics ({', '.join(wanted)}) is a topic of the intent table, whose most "
        f"frequent are {', '.join(held.head(5))}: the scores on our topics stay empty (the chosen topics "
        "keep their own). Set features.intent_topics to your product's topics"
    )


def words(config: dict, features: list[dict] = ()) -> dict[str, str]:
    """The export's words by the slug of the features named after them (a department's prefixed, dept_<slug>),
    from features.json's config; and by feature name, the label a feature carries (a custom field's)."""
    chosen = ("named_products", "activity_types", "trigger_types", "tech_categories")
    return (
        {slug(v): v for key in chosen for v in config.get(key, ())}
        | {DEPARTMENT + slug(v): v for v in config.get("departments", ())}
        | {TOPIC + slug(v): v for v in config.get("topics", ())}
        | {f["name"]: f["label"] for f in features if "label" in f}
    )
