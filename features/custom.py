"""A team's own account fields as features, the `custom` family: a Salesforce `__c` field, a segment, a count
a team keeps. The mapping declares each field and its kind (docs/bring_your_own_data.md):
- number: the value as it is (`custom_num_<field>`);
- category: a LightGBM categorical (`custom_cat_<field>`);
- list: several values in one cell; the most frequent get a flag each (`custom_has_<field>__<value>`).
A value that cannot be read as its kind is cleared, the row kept. The fields are undated, today's values like
undated firmographics (`static`: every deal sees them; `strict`: only as-ofs after the account's
snapshot_date), so the leak guard checks them before training (models/leakage.py).
"""

from __future__ import annotations  # Ibis types in annotations, Ibis imported where features are built

from typing import TYPE_CHECKING

from features.errors import ContractError
from features.vocabulary import most_frequent, slug

if TYPE_CHECKING:
    import ibis.expr.types as ir

KINDS = ("number", "category", "list")
TABLES = {
    "accounts": KINDS,
    "opportunities": ("number", "category"),
}  # who may declare fields, of which kinds
COLUMN = "custom:"  # the accounts' columns holding custom fields, as the mapping names them
JOINED = "; "  # how a list cell is kept: its values, stripped, in this separator
CATEGORICAL = "custom_cat_"  # a category field's feature names begin so (kind categorical)


def column(field: str) -> str:
    """The column a mapped custom field arrives in (lower case, as ingest matches headers)."""
    return (COLUMN + field).lower()


def feature(field: str, kind: str, value: str | None = None) -> str:
    if kind == "list":
        return f"custom_has_{slug(field)}__{slug(value)}"
    return f"custom_num_{slug(field)}" if kind == "number" else CATEGORICAL + slug(field)


def described(fields) -> dict[str, dict]:
    """Each custom feature's `label` in the export's words ("# of Agents Total", "Products lists Zendesk"),
    and `trusted` where the mapping vouches that its field was recorded before the outcome."""
    out = {}
    for f in fields:
        said = {"trusted": True} if f.get("trusted") else {}
        if f["kind"] != "list":
            out[feature(f["field"], f["kind"])] = {"label": f["field"], **said}
        for v in f.get("values", ()):
            out[feature(f["field"], "list", v)] = {"label": f"{f['field']} lists {v}", **said}
    return out


def declared(spec: dict, at: str = "tables.accounts") -> dict[str, dict]:
    """A table's custom fields (`custom:`), by your column: kind and whether you trust it (kept by the leak
    guard). Each is `column: kind` or `column: {kind: ..., trusted: true}`; a deal's (tables.opportunities)
    is a number or a category, a feature of the deal model (features/deals.py)."""
    kinds = TABLES["opportunities"] if at.endswith("opportunities") else KINDS
    given = spec.get("custom") or {}
    if not isinstance(given, dict):
        raise ContractError(
            f"{at}.custom: must map your columns to a kind ({', '.join(KINDS)}), not {given!r}"
        )
    out = {}
    for field, kind in given.items():
        said = kind if isinstance(kind, dict) else {"kind": kind}
        if (
            set(said) - {"kind", "trusted"}
            or said.get("kind") not in kinds
            or not isinstance(said.get("trusted", False), bool)
        ):
            raise ContractError(
                f"{at}.custom.{field}: write a kind ({', '.join(kinds)}), or {{kind: ..., trusted: true}} "
                f"for a field you know was recorded before the outcome; not {kind!r}"
            )
        out[str(field)] = {"kind": said["kind"], "trusted": said.get("trusted", False)}
    return out


def custom_features(accounts: ir.Table, fields: dict[str, dict], top: int, min_records: int) -> tuple:
    """FeatureConfig.custom_fields from ingest's `custom_fields` (field: kind, trusted): a list field with the
    values that get a flag each."""
    return tuple(
        {"field": name, **given}
        | ({"values": frequent_listed(accounts, name, top, min_records)} if given["kind"] == "list" else {})
        for name, given in fields.items()
    )


def frequent_listed(accounts: ir.Table, field: str, top: int, min_records: int) -> tuple:
    """The `top` values a list field holds most often, each at `min_records` accounts or more. Undated, so
    chosen from every account: by how often a value is listed, never by an outcome."""
    import ibis  # heavy: only building features needs it; train and the reasons read this module's names

    items = accounts[column(field)].split(JOINED).unnest().name("value")
    counts = items.as_table().group_by("value").aggregate(n=ibis._.count())
    counts = counts.order_by([ibis.desc("n"), "value"]).execute()
    return tuple(most_frequent(counts["value"], counts["n"], top, min_records))


def family(spine: ir.Table, t: dict, cfg) -> ir.Table:
    """Each row's account's custom fields, today's values: under `strict` only after its snapshot_date."""
    import ibis  # heavy: only building features needs it; train and the reasons read this module's names

    j = spine.select("key", "account_id", "as_of").join(t["accounts"], "account_id")
    known = ibis.literal(True) if cfg.undated_firmographics == "static" else j.snapshot_date < j.as_of
    cols = {}
    for f in cfg.custom_fields:
        values = j[column(f["field"])]
        if f["kind"] == "number":
            cols[feature(f["field"], "number")] = ibis.ifelse(
                known, values.cast("float64"), ibis.null("float64")
            )
        elif f["kind"] == "category":
            cols[feature(f["field"], "category")] = ibis.ifelse(known, values, ibis.null("string"))
        for value in f.get("values", ()):
            held = (JOINED + values + JOINED).contains(JOINED + value + JOINED).fill_null(False)
            cols[feature(f["field"], "list", value)] = (known & held).cast("float64")
    return j.select("key", **cols)
