"""The deal family: a deal's own fields known when it is created, features of that deal's P(win) only: its
lead source, and the deal fields a mapping declares under tables.opportunities.custom (a number or a
category, `deal_custom_<field>`). An account's scoring row has no deal, so they are empty there: the account
model never learns from them (train leaves the family out of it); the deal model does, and scores the open
deals. A declared field is undated, so the leak guard checks it (one filled once a deal is lost is no
feature); fields that change during a deal's life (stage, probability, forecast category, days to close)
are never features."""

from __future__ import annotations  # Ibis types in annotations, Ibis imported where features are built

from typing import TYPE_CHECKING

from features import custom
from features.vocabulary import slug

if TYPE_CHECKING:
    import ibis.expr.types as ir

FAMILY = "deal"
LEAD_SOURCE = {"feature": "deal_lead_source", "column": "lead_source", "kind": "category"}


def present(tables: dict, declared: dict[str, dict]) -> tuple[dict, ...]:
    """The deal fields the export fills, each {feature, column, kind}, a declared one with its label and
    trust: the lead source when some closed deal has one, and the mapping's custom deal fields."""
    o = tables["opportunities"]
    closed = o.filter(o.stage.isin(["won", "lost"]))
    lead = (LEAD_SOURCE,) if closed.lead_source.notnull().any().execute() else ()
    return lead + tuple(
        {
            "feature": f"deal_custom_{slug(field)}",
            "column": custom.column(field),
            "kind": said["kind"],
            "label": field,
            "trusted": said.get("trusted", False),
        }
        for field, said in declared.items()
    )


def described(fields) -> dict[str, dict]:
    """Each declared deal field's features.json entry beyond name and family: its label, undated (so the leak
    guard checks it) and trusted where the mapping vouches for it."""
    return {
        f["feature"]: {"label": f["label"], "undated": True} | ({"trusted": True} if f["trusted"] else {})
        for f in fields
        if "label" in f
    }


def categorical(fields) -> set[str]:
    return {f["feature"] for f in fields if f["kind"] == "category"}


def family(spine: ir.Table, t: dict, cfg) -> ir.Table:
    """Each row's deal's fields; empty on a spine of accounts (no opportunity_id), whose rows have no deal."""
    import ibis  # heavy: only building features needs it; train reads FAMILY

    types = {f["feature"]: "float64" if f["kind"] == "number" else "string" for f in cfg.deal_fields}
    if "opportunity_id" not in spine.columns:
        return spine.select("key", **{name: ibis.null(kind) for name, kind in types.items()})
    o = t["opportunities"].select("opportunity_id", *{f["column"] for f in cfg.deal_fields})
    j = spine.select("key", "opportunity_id").left_join(o, "opportunity_id")
    return j.select(
        "key", **{f["feature"]: j[f["column"]].cast(types[f["feature"]]) for f in cfg.deal_fields}
    )
