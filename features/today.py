"""Today's values standing in for every deal's: the accounts' undated fields that may be features, and what
stood in, in words (featurize's console, the ICP profile, the model card). Apart from features/pointintime.py,
which builds the features with Ibis, so the stages that only say this need not import Ibis."""

from features import custom, deals

# The accounts' undated fields that may be features (features.static_fields), each with its feature. Today's
# values stand in for every deal's, so only fields a company rarely changes; ownership changes with funding
# rounds and M&A (a past deal would learn its future), so it is a feature only when asked for.
# pipeline/params.py checks features.static_fields against these names.
STATIC = {
    "industry": "firm_industry",
    "country": "firm_country",
    "region": "firm_region",
    "founded_year": "firm_age_years",
    "ownership": "firm_ownership",
}


def undated_note(undated: dict | None) -> str | None:
    """What `features.undated_firmographics` did, in words (console, model card, ICP profile); None when every
    account has dated history. `undated`: mode, accounts, without_history (features.json)."""
    if not undated or not undated["without_history"]:
        return None
    n, total = undated["without_history"], undated["accounts"]
    which = f"{n:,} of {total:,} accounts have no dated headcount or revenue history"
    if undated["mode"] == "static":
        return (
            f"{which}: where no snapshot precedes a deal, today's values stand in "
            "(features.undated_firmographics: static), so a company that grew after a deal looks bigger than "
            "it was then"
        )
    return (
        f"{which}: deals before their snapshot date have no employees or revenue "
        "(features.undated_firmographics: strict)"
    )


def static_used(features: list[dict]) -> list[str]:
    """The accounts' undated fields (STATIC's names) that are features, from features.json's feature list."""
    names = {f.get("name") for f in features}
    return [name for name, feature in STATIC.items() if feature in names]


def todays_values(meta: dict) -> list[str]:
    """What stands in for every deal's value with today's, from features.json (`meta`), in words for the model
    card and the ICP profile: the accounts' static fields; under `static` the employees and revenue no dated
    snapshot precedes, technologies listed without dates and the custom fields; the declared deal fields,
    as the export holds them now. Empty when every feature is as of its deal."""
    features = meta.get("features", [])
    names = {f.get("name") for f in features}
    out = []
    if static := static_used(features):
        said = [name.replace("_", " ") for name in static]
        listed = f"{', '.join(said[:-1])} and {said[-1]}" if len(said) > 1 else said[0]
        out.append(f"the account's {listed} (features.static_fields)")
    undated = meta.get("undated_firmographics") or {}
    if undated.get("mode") == "static":
        if undated.get("without_history"):
            out.append("employees and revenue where no dated snapshot precedes a deal")
        if any(f.get("undated") for f in features if f.get("family") == "technographic"):
            out.append("the technologies listed without dates")
        fields = [
            f["field"]
            for f in meta.get("config", {}).get("custom_fields", ())
            if set(custom.described([f])) & names
        ]
        if fields:
            out.append(f"the custom field{'s' * (len(fields) > 1)} {', '.join(fields)}")
    deal = [f["label"] for f in features if f.get("family") == deals.FAMILY and f.get("undated")]
    if deal:
        out.append(
            f"the deal field{'s' * (len(deal) > 1)} {', '.join(deal)}, as the export holds "
            f"{'them' if len(deal) > 1 else 'it'} now (deal model only)"
        )
    return out
