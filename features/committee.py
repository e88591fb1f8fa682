"""The buying committee as the data knew it: each spine row's contacts and their engagement before as_of.

One definition serves learning (the closed deals' spine: which roles were engaged before won and lost deals)
and the list (the scoring spine: who to talk to at a target account). A contact counts once its record exists
(created before as_of); its activities count only when dated before as_of, like every feature.
A role is the contact's department and seniority, as the export words them (or as derived from its title).
"""

from __future__ import annotations  # Ibis types in annotations, Ibis imported where features are built

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ibis.expr.types as ir

from features.elapsed import days_between

ENGAGED_DAYS = 90  # a contact is engaged when it had an activity in this many days before as_of


def contacts_as_of(spine: ir.Table, tables: dict[str, ir.Table], days: int = ENGAGED_DAYS) -> ir.Table:
    """One row per (spine key, contact known at as_of): key, account_id, contact_id, the contact's
    department, seniority and title (and name where the export has one), its last activity before as_of
    (`last_activity`, `last_activity_type`, `days_since_activity`), its activities in the `days` before
    as_of and `engaged` (at least one of them)."""
    import ibis  # heavy: only building features needs it; explain reads ENGAGED_DAYS

    s = spine.select("key", "account_id", "as_of")
    c = tables["contacts"]
    extra = [x for x in ("name", "email") if x in c.columns]
    c = c.select(
        "contact_id", "account_id", "department", "seniority", "title", *extra, created="created_date"
    )
    known = s.join(c, [s.account_id == c.account_id, c.created < s.as_of]).drop("account_id_right", "created")
    if "activities" not in tables or "contact_id" not in tables["activities"].columns:
        return known.mutate(
            last_activity=ibis.null("timestamp"),
            last_activity_type=ibis.null("string"),
            days_since_activity=ibis.null("float64"),
            activities=ibis.literal(0.0),
            engaged=ibis.literal(False),
        )
    a = tables["activities"].filter(lambda t: t.contact_id.notnull())
    a = a.select("contact_id", "timestamp", "activity_type")
    k = known.select("key", "contact_id", "as_of")
    j = k.join(a, [k.contact_id == a.contact_id, a.timestamp < k.as_of]).drop("contact_id_right")
    j = j.mutate(age=days_between(j.as_of, j.timestamp))
    per = j.group_by(["key", "contact_id"]).aggregate(
        last_activity=j.timestamp.max(),
        days_since_activity=j.age.min(),
        activities=(j.age <= days).sum().cast("float64"),
    )
    # the latest activity's type; of two at the same moment, the first in alphabetical order (same bytes)
    last = j.join(per, ["key", "contact_id", j.timestamp == per.last_activity])
    kind = last.group_by(["key", "contact_id"]).aggregate(last_activity_type=last.activity_type.min())
    per = per.join(kind, ["key", "contact_id"])
    out = known.left_join(per, ["key", "contact_id"]).drop("key_right", "contact_id_right")
    return out.mutate(
        activities=out.activities.fill_null(0.0), engaged=out.activities.fill_null(0.0) > 0
    ).order_by(["key", "contact_id"])


def engaged_contacts(spine: ir.Table, tables: dict[str, ir.Table], days: int = ENGAGED_DAYS) -> ir.Table:
    """The committee each spine row had: one row per contact engaged in the `days` before as_of (key,
    contact_id, department, seniority), which models/committee.py learns the roles that win from."""
    c = contacts_as_of(spine, tables, days)
    c = c.filter(c.engaged).select("key", "contact_id", "department", "seniority")
    return c.order_by(["key", "contact_id"])
