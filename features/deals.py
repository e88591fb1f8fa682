"""The deal family: a deal's own fields known when it is created (its lead source), features of that deal's
P(win) only. An account's scoring row has no deal, so they are empty there: the account model never learns
from them (train leaves the family out of it); the deal model does, and scores the open deals. Fields that
change during a deal's life (stage, probability, forecast category, days to close) are never features."""

import ibis
import ibis.expr.types as ir

FIELDS = {"deal_lead_source": "lead_source"}  # feature: the opportunities column it is, as written
FAMILY = "deal"


def present(tables: dict) -> tuple:
    """The deal features the export can fill: those whose column holds a value on some closed deal."""
    o = tables["opportunities"]
    closed = o.filter(o.stage.isin(["won", "lost"]))
    return tuple(f for f, c in FIELDS.items() if closed[c].notnull().any().execute())


def family(spine: ir.Table, t: dict, cfg) -> ir.Table:
    """Each row's deal's fields; empty on a spine of accounts (no opportunity_id), whose rows have no deal."""
    if "opportunity_id" not in spine.columns:
        return spine.select("key", **{f: ibis.null("string") for f in cfg.deal_fields})
    o = t["opportunities"].select("opportunity_id", *(FIELDS[f] for f in cfg.deal_fields))
    j = spine.select("key", "opportunity_id").left_join(o, "opportunity_id")
    return j.select("key", **{f: j[FIELDS[f]] for f in cfg.deal_fields})
