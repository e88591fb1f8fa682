"""`icp init`: how a file whose rows name no company finds each row's account."""

from pathlib import Path

from features.contract import DOMAIN_KEY
from features.parse import clean_text
from pipeline import readers


def through_contacts(tables: dict, samples: dict, source: Path) -> list[str]:
    """A marketing tool's activities keyed by the person, with no company column: each row's account looked
    up through the contacts file, when most of the sample's people are found there (else an email's domain,
    if matched, stays the key). Notes saying which."""
    acts, people = tables.get("activities"), tables.get("contacts")
    if not acts or not people or "account_id" in acts["columns"] or "contact_id" not in acts["columns"]:
        return []
    if {"contact_id", "account_id"} - set(people["columns"]) or people.keys() & {"header_row", "sheet"}:
        return []
    own, theirs = acts["columns"]["contact_id"], people["columns"]["contact_id"]
    ids = clean_text(samples[acts["file"]][own]).dropna()
    known = {i for part in readers.chunks(source / people["file"], 500_000) for i in part[theirs].dropna()}
    found = ids.isin({str(i).strip() for i in known}).mean() if len(ids) else 0.0
    if found < 0.5:
        return [
            f"activities.account_id: {found:.0%} of the sample's {own} are in {people['file']}'s {theirs}, "
            "too few to take each activity's account from its contact"
        ]
    acts["columns"].pop(DOMAIN_KEY, None)
    acts["lookup"] = {
        "account_id": {
            "file": people["file"],
            "column": own,
            "key": theirs,
            "value": people["columns"]["account_id"],
        }
    }
    return [
        f"activities.account_id: no company column; each activity's account is its contact's in "
        f"{people['file']} ({found:.0%} of the sample's {own} found there)"
    ]
