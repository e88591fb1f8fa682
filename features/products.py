"""Named products: the complement and competitor technologies that each get their own presence flag.

Featurize chooses them from the data; reasons turn a flag's slug back into the product's name. Both live
here, so `features` and `models` never need each other for it.
"""

import re

import ibis


def slug(text: str) -> str:
    """The part of a column name that stands for `text` (tech_has_<slug>)."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def named_products(tables: dict, limit: int = 20) -> tuple:
    """The most common complement and competitor products: each gets its own presence flag."""
    if "technographics" not in tables:
        return ()
    t = tables["technographics"]
    top = (
        t.filter(t.category.isin(["complement", "competitor"]))
        .group_by("technology")
        .aggregate(n=t.account_id.nunique())
        .order_by([ibis.desc("n"), "technology"])
        .limit(limit)
    )
    return tuple(top.execute()["technology"])


def by_slug(named) -> dict[str, str]:
    """The named products by the slug of their tech_has_ flag (features.json's config.named_products)."""
    return {slug(p): p for p in named}
