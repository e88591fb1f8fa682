"""Point-in-time features, as Ibis expressions (DuckDB on a laptop, Spark when a user outgrows one machine).

Every feature of a row is computed from records dated strictly before the row's `as_of` (the start of that
day): the same code serves training rows (as_of = deal creation less a lag) and scoring rows (as_of = score
date). A spine is a table of `key, account_id, as_of`; each family joins its source to the spine on
account_id with `date < as_of`, aggregates per key, and is left-joined back, so a row with no history gets
zero counts and missing recencies. Names carry a family prefix so reports can group them.

Over 300 lines: one function per feature family, all built on the one as-of join; apart they would only
import each other's helpers.
"""

import re
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import pandas as pd

from features import custom, deals
from features.elapsed import days_between
from features.today import STATIC
from features.vocabulary import DEPARTMENT, OURS, TOPIC, slug, topic_key

PREFIX = {
    "firmographic": "firm_",
    "technographic": "tech_",
    "behaviour": "beh_",
    "intent": "intent_",
    "triggers": "trig_",
    "relationship": "rel_",
    "custom": "custom_",
    "deal": "deal_",
}
SOURCE = {
    "technographic": "technographics",
    "behaviour": "activities",
    "intent": "intent",
    "triggers": "triggers",
    "relationship": "opportunities",
}
CATEGORICAL = ("firm_industry", "firm_country", "firm_region", "firm_ownership", "firm_size_band")
SIZE_BANDS = ((10, "1-10"), (50, "11-50"), (200, "51-200"), (1000, "201-1,000"), (5000, "1,001-5,000"))
SENIOR = ("c_level", "vp")
EARLIEST = pd.Timestamp("1900-01-01")  # an undated record under `static`: before every as-of


@dataclass(frozen=True)
class FeatureConfig:
    families: tuple = tuple(PREFIX)
    windows: tuple = (7, 30, 90, 180)
    intent_topics: tuple = ()  # empty: every topic counts as relevant
    surge_threshold: int = 70
    strategic_employees: int = 10000
    tech_seen_within_days: int = (
        30  # a product counts as in use when last seen this close to as_of (crawl cadence)
    )
    named_products: tuple = field(default=())  # complement / competitor products with a presence flag each
    # the export's own values with features of their own (features/vocabulary.py chooses them)
    activity_types: tuple = ()
    trigger_types: tuple = ()
    tech_categories: tuple = ()
    departments: tuple = ()  # contacts' departments with a count of engaged contacts each (beh_dept_*_90d)
    topics: tuple = ()  # intent topics with their own latest score each (intent_topic_*_max_28d)
    # the accounts' undated fields used as today's value (STATIC's names); an unlisted one is no feature
    static_fields: tuple = ("industry", "country", "region", "founded_year")
    # accounts with no dated history: "static" uses today's employees and revenue for every deal, "strict"
    # only once their snapshot_date has passed (so past deals get none)
    undated_firmographics: str = "static"
    # the accounts' custom fields (features/custom.py): field, kind, and for a list the values flagged
    custom_fields: tuple = ()
    # the deal fields the export fills (features/deals.py: feature, column, kind), the deal model's only
    deal_fields: tuple = ()


def config_of(saved: dict) -> FeatureConfig:
    """The FeatureConfig featurize saved in features.json: a refresh builds exactly the features the model
    knows (its chosen values, named products and custom fields), whatever params say now."""
    return FeatureConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in saved.items()})


def _events(spine: ir.Table, source: ir.Table, date: str, lookback_days: int | None = None) -> ir.Table:
    """Join each spine row to its account's records dated before as_of (and within the lookback)."""
    s = spine.select("key", "account_id", "as_of")
    preds = [s.account_id == source.account_id, source[date] < s.as_of]
    if lookback_days is not None:
        preds.append(source[date] >= s.as_of - ibis.interval(days=lookback_days))
    j = s.join(source, preds)
    return j.mutate(age=days_between(j.as_of, j[date]))


def accounts_without_history(t: dict) -> ir.Table:
    """Accounts no dated snapshot describes: a CRM export holds today's headcount and revenue only."""
    acc = t["accounts"]
    return acc.filter(~acc.account_id.isin(t["snapshots"].account_id)) if "snapshots" in t else acc


def _today_stands_in(out: ir.Table) -> ir.Table:
    """Today's employees and revenue for the rows no dated snapshot precedes. Decided row by row, from what
    was dated before the row's as_of only: later snapshots of an account must not change its past."""
    dated = out._history.fill_null(False)
    return out.mutate(
        firm_employees=ibis.ifelse(dated, out.firm_employees, out.firm_employees.fill_null(out._emp_today)),
        firm_revenue=ibis.ifelse(dated, out.firm_revenue, out.firm_revenue.fill_null(out._rev_today)),
    )


def firmographic(spine, t: dict, cfg: FeatureConfig) -> ir.Table:
    acc = t["accounts"]
    # Today's values in accounts are one more snapshot, dated snapshot_date: visible only to later as-of
    # dates.
    columns = ("account_id", "snapshot_date", "employees", "annual_revenue")
    current = acc.select(*columns, _dated=ibis.literal(False))
    snaps = (
        current.union(t["snapshots"].select(*columns, _dated=ibis.literal(True)))
        if "snapshots" in t
        else current
    )
    j = _events(spine, snaps, "snapshot_date")
    year_ago = j.age > 365
    agg = j.group_by("key").aggregate(
        firm_employees=j.employees.cast("float64").argmax(j.snapshot_date, where=j.employees.notnull()),
        firm_revenue=j.annual_revenue.argmax(j.snapshot_date, where=j.annual_revenue.notnull()),
        _employees_1y=j.employees.cast("float64").argmax(
            j.snapshot_date, where=year_ago & j.employees.notnull()
        ),
        _history=j._dated.any(),
    )
    # Undated fields of today's row: only those features.static_fields lists (STATIC), fields a company rarely
    # changes. Funding stage and parent company change with funding rounds and M&A, so today's value would
    # tell a past deal its future: never features; ownership too, unless asked for.
    static = spine.select("key", "account_id", "as_of").join(acc, "account_id")
    today = {
        "industry": static.industry,
        "country": static.country,
        "region": static.region,
        "founded_year": (static.as_of.year() - static.founded_year).cast("float64"),
        "ownership": static.ownership,
    }
    static = static.select(
        "key",
        **{feature: today[name] for name, feature in STATIC.items() if name in cfg.static_fields},
        _emp_today=static.employees.cast("float64"),
        _rev_today=static.annual_revenue,
    )
    out = static.left_join(agg, "key").drop("key_right")
    if cfg.undated_firmographics == "static":
        out = _today_stands_in(out)
    emp = out.firm_employees
    size_band = ibis.cases(*[(emp <= hi, label) for hi, label in SIZE_BANDS], else_="5,001+")
    return out.mutate(
        firm_log_employees=emp.log10(),
        firm_size_band=ibis.ifelse(emp.isnull(), ibis.null("string"), size_band),
        firm_revenue_per_employee=out.firm_revenue / emp,
        firm_growth_1y=emp / out._employees_1y - 1,
        firm_strategic=(emp >= cfg.strategic_employees).cast("float64"),
    ).drop("_employees_1y", "_history", "_emp_today", "_rev_today")


def _dated_technographics(t: dict, cfg: FeatureConfig) -> ir.Table:
    """Every technographics row dated. An undated row (a list of today's technologies, as a CRM keeps in one
    cell) is today's value, like undated firmographics: known to every as-of under `static`, from its
    account's snapshot_date under `strict`. `_dated` keeps which rows had a date of their own."""
    tech = t["technographics"]
    if cfg.undated_firmographics == "static":
        since = ibis.literal(EARLIEST.to_pydatetime(), type="timestamp")
    else:
        acc = t["accounts"].select("account_id", _since="snapshot_date")
        tech = tech.left_join(acc, "account_id").drop("account_id_right")
        since = tech._since
    return tech.mutate(_dated=tech.first_seen.notnull(), first_seen=tech.first_seen.fill_null(since))


def technographic(spine, t: dict, cfg: FeatureConfig) -> ir.Table:
    j = _events(spine, _dated_technographics(t, cfg), "first_seen")
    # In use at as_of: seen by the vendor's crawls up to (about) as_of. Crawls are periodic, so the latest
    # crawl before a scoring date is days old: a tolerance of one crawl cycle, or nothing would be in use when
    # scoring. An undated row is in use (today's list).
    seen = j.last_seen.isnull() | (j.last_seen >= j.as_of - ibis.interval(days=cfg.tech_seen_within_days))
    live = seen & (j.category != OURS)
    cols = {f"tech_n_{slug(c)}": live.sum(where=j.category == c).cast("float64") for c in cfg.tech_categories}
    cols["tech_n_total"] = live.sum().cast("float64")
    cols["tech_days_since_adoption"] = j.age.min(where=live & j._dated)
    cols["tech_days_since_complement"] = j.age.min(where=live & j._dated & (j.category == "complement"))
    for name in cfg.named_products:
        cols[f"tech_has_{slug(name)}"] = (live & (j.technology == name)).max().cast("float64")
    return j.group_by("key").aggregate(**cols)


def behaviour(spine, t: dict, cfg: FeatureConfig) -> ir.Table:
    acts = t["activities"].select("account_id", "contact_id", "timestamp", "activity_type")
    j = _events(spine, acts, "timestamp", lookback_days=max(365, *cfg.windows))
    cols = {}
    for w in cfg.windows:
        within = j.age <= w
        cols[f"beh_all_{w}d"] = within.sum().cast("float64")
        for kind in cfg.activity_types:
            cols[f"beh_{slug(kind)}_{w}d"] = (within & (j.activity_type == kind)).sum().cast("float64")
    n30, n90 = ((j.age <= d).sum().cast("float64") for d in (30, 90))
    cols.update(
        beh_days_since_last=j.age.min(),
        beh_days_since_pricing=j.age.min(where=j.activity_type == "pricing_page"),
        beh_trend_30d=n30 - (n90 - n30) / 2,  # the last 30 days less half the 60 before (whole counts: exact)
    )
    counts = j.group_by("key").aggregate(**cols)
    engaged = _engaged(j.filter((j.age <= 90) & j.contact_id.notnull()), t, cfg)
    return counts.left_join(engaged, "key").drop("key_right")  # no one engaged: build fills the zeros


def _engaged(recent: ir.Table, t: dict, cfg: FeatureConfig) -> ir.Table:
    """Who engaged in the last 90 days (`recent`: the activities with a contact), counted from one row per
    (spine row, contact) with its latest activity's age: distinct contacts by plain counts, without a
    DISTINCT aggregate per column (each costs the engines a hash aggregate of its own over every activity).
    The contact's department and seniority are joined to those rows, not to every activity, and are known
    only once its record exists."""
    per = recent.group_by("key", "contact_id").aggregate(as_of=recent.as_of.max(), last=recent.age.min())
    if "contacts" in t:
        c = t["contacts"].select("contact_id", "department", "seniority", contact_created="created_date")
        per = per.left_join(c, "contact_id").drop("contact_id_right")
    else:
        per = per.mutate(
            department=ibis.null("string"),
            seniority=ibis.null("string"),
            contact_created=ibis.null("timestamp"),
        )
    known = per.contact_created < per.as_of  # a contact's department is known only once its record exists
    contacts = per.contact_id
    cols = dict(
        beh_contacts_30d=contacts.count(where=per.last <= 30).cast("float64"),
        beh_contacts_90d=contacts.count().cast("float64"),
        beh_departments_90d=per.department.nunique(where=known).cast("float64"),
        beh_seniorities_90d=per.seniority.nunique(where=known).cast("float64"),
        beh_senior_contacts_90d=contacts.count(where=known & per.seniority.isin(SENIOR)).cast("float64"),
    )
    for dept in cfg.departments:  # the committee's roles: who was engaged, not only how many
        in_dept = known & (per.department == dept)
        cols[f"beh_{DEPARTMENT}{slug(dept)}_90d"] = contacts.count(where=in_dept).cast("float64")
    return per.group_by("key").aggregate(**cols)


def _topic_key(topic: ir.StringValue) -> ir.StringValue:
    """vocabulary.topic_key on a column."""
    return topic.lower().re_replace(r"[\s_-]+", " ").strip()


def intent(spine, t: dict, cfg: FeatureConfig) -> ir.Table:
    j = _events(spine, t["intent"], "week", lookback_days=365)
    # a topic matches ignoring case, hyphens and underscores (`Account-Based Marketing`)
    topics = [topic_key(t) for t in cfg.intent_topics]
    relevant = _topic_key(j.topic).isin(topics) if topics else ibis.literal(True)
    surge = relevant & (j.score >= cfg.surge_threshold)
    d28, d90 = j.age <= 28, j.age <= 90
    out = j.group_by("key").aggregate(
        intent_max_28d=j.score.max(where=relevant & d28).cast("float64"),
        intent_mean_90d=j.score.mean(where=relevant & d90),
        intent_days_since_surge=j.age.min(where=surge),
        intent_any_topic_max_28d=j.score.max(where=d28).cast("float64"),
        **{  # the export's own topics, whichever our product's are: the model learns which matter
            f"intent_{TOPIC}{slug(topic)}_max_28d": j.score.max(where=d28 & (j.topic == topic)).cast(
                "float64"
            )
            for topic in cfg.topics
        },
    )
    # distinct weeks and topics among the surging rows only: a DISTINCT aggregate with a condition makes the
    # engine group every joined row by (key, value, condition) first
    s = j.filter(surge & d90)
    surging = s.group_by("key").aggregate(
        intent_weeks_surging_90d=s.week.nunique().cast("float64"),
        intent_topics_surging_28d=s.topic.nunique(where=s.age <= 28).cast("float64"),
    )
    out = out.left_join(surging, "key").drop("key_right")  # no surge: build fills the zeros
    return out.select(
        "key",
        "intent_max_28d",
        "intent_mean_90d",
        "intent_weeks_surging_90d",
        "intent_topics_surging_28d",
        "intent_days_since_surge",
        "intent_any_topic_max_28d",
        *[f"intent_{TOPIC}{slug(topic)}_max_28d" for topic in cfg.topics],
    )


def triggers(spine, t: dict, cfg: FeatureConfig) -> ir.Table:
    j = _events(spine, t["triggers"], "date")
    cols = {"trig_days_since_any": j.age.min()}
    for kind in cfg.trigger_types:
        is_kind, name = j.trigger_type == kind, slug(kind)
        cols[f"trig_days_since_{name}"] = j.age.min(where=is_kind)
        cols[f"trig_{name}_90d"] = (is_kind & (j.age <= 90)).sum().cast("float64")
        cols[f"trig_{name}_365d"] = (is_kind & (j.age <= 365)).sum().cast("float64")
    return j.group_by("key").aggregate(**cols)


def relationship(spine, t: dict, cfg: FeatureConfig) -> ir.Table:
    """Deals whose outcome was known before as_of: closed before it. A deal still open then tells nothing."""
    opps = t["opportunities"].filter(lambda o: o.stage.isin(["won", "lost"]))
    j = _events(spine, opps, "close_date")
    won = j.stage == "won"
    return j.group_by("key").aggregate(
        rel_prior_won=won.sum().cast("float64"),
        rel_prior_lost=(~won).sum().cast("float64"),
        rel_prior_spend=j.amount.sum(where=won).fill_null(0),
        rel_tenure_days=j.age.max(where=won),
        rel_days_since_last_lost=j.age.min(where=~won),
    )


FAMILIES = {
    "firmographic": firmographic,
    "technographic": technographic,
    "behaviour": behaviour,
    "intent": intent,
    "triggers": triggers,
    "relationship": relationship,
    "custom": custom.family,
    "deal": deals.family,
}


def available_families(tables: dict, cfg: FeatureConfig) -> list[str]:
    """The configured families whose source table exists: a missing optional table drops its family, custom
    is there only when the mapping declares custom fields, deal only when the export fills a deal field."""
    return [
        f
        for f in cfg.families
        if SOURCE.get(f, "accounts") in tables
        and (f != "custom" or cfg.custom_fields)
        and (f != deals.FAMILY or cfg.deal_fields)
    ]


def build(spine: ir.Table, tables: dict[str, ir.Table], cfg: FeatureConfig) -> ir.Table:
    """The spine with every available family's features; zero counts where an account has no history."""
    out = spine
    for family in available_families(tables, cfg):
        feats = FAMILIES[family](spine, tables, cfg)
        out = out.left_join(feats, "key").drop("key_right")
    fills = {c: 0.0 for c in out.columns if _is_count(c)}
    return out.mutate(**{c: out[c].fill_null(v) for c, v in fills.items()}).order_by("key")


def _is_count(name: str) -> bool:
    return (
        name.startswith(
            ("tech_n_", "tech_has_", "beh_", "intent_weeks", "intent_topics", "rel_prior", "custom_has_")
        )
        and "days_since" not in name
    ) or re.fullmatch(r"trig_.+_\d+d", name) is not None


def feature_columns(frame_columns, spine_columns, cfg: FeatureConfig) -> list[dict]:
    """Each feature's name, family and kind; a custom field's feature also its label (custom.described,
    deals.described)."""
    names = [c for c in frame_columns if c not in spine_columns]
    family = {v: k for k, v in PREFIX.items()}
    labels = custom.described(cfg.custom_fields) | deals.described(cfg.deal_fields)
    return [
        {
            "name": n,
            "family": family[n.split("_")[0] + "_"],
            "kind": "categorical"
            if n in CATEGORICAL or n.startswith(custom.CATEGORICAL) or n in deals.categorical(cfg.deal_fields)
            else "numeric",
        }
        | labels.get(n, {})
        for n in names
    ]
