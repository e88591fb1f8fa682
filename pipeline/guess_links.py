"""`icp init`: how a file whose rows name no company finds each row's account."""

from pathlib import Path

import pandas as pd

from features.contract import DOMAIN_KEY
from features.parse import clean_text
from pipeline import readers
from pipeline.export_names import ALIASES, key

ACCOUNT = {"account id", *ALIASES["account_id"]}
COVERED = 0.5  # the share of the log's person ids a file must hold to be the log's people


def through_people(tables: dict, samples: dict[str, pd.DataFrame], source: Path, headers: dict) -> list[str]:
    """A marketing tool's activities keyed by the person, with no company column: each row's account looked
    up in a file of people that holds most of the log's person ids and their account: the contacts file, else
    one init placed nowhere (Marketo's leads, with their `SFDC Account ID`). Else an email's domain, when
    matched, stays the key. Notes saying which."""
    acts = tables.get("activities")
    if not acts or "account_id" in acts["columns"] or "contact_id" not in acts["columns"]:
        return []
    own = acts["columns"]["contact_id"]
    ids = clean_text(samples[acts["file"]][own]).dropna()
    if ids.empty:
        return []
    best = (0.0, None)
    for file, person, account in _people_files(tables, samples, headers):
        found, person = _held(source / file, ids, person, account)
        if found >= COVERED:
            acts["columns"].pop(DOMAIN_KEY, None)
            acts["lookup"] = {"account_id": {"file": file, "column": own, "key": person, "value": account}}
            said = (
                f"activities.account_id: no company column; each activity's account is its person's in "
                f"{file} ({found:.0%} of the sample's {own} are its {person})"
            )
            people = tables.get("contacts")
            link = (
                _contact_column(source, file, person, people) if people and file != people["file"] else None
            )
            if link:  # the log's own person ids are not the CRM's contacts: the file says which each is
                del acts["columns"]["contact_id"]
                acts["lookup"]["contact_id"] = {"file": file, "column": own, "key": person, "value": link}
                said += f", and its contact is the person's {link} in {people['file']}"
            return [said]
        if best[1] is None or found > best[0]:
            best = (found, file)
    if best[1] is None:
        return []
    return [
        f"activities.account_id: no company column, and at most {best[0]:.0%} of the sample's {own} are in a "
        f"file of people ({best[1]}): too few to take each activity's account from its person"
    ]


def _people_files(tables: dict, samples: dict, headers: dict) -> list[tuple[str, str | None, str]]:
    """(file, its person id column or None to find, its account column): the contacts file first, then the
    files init placed nowhere that name an account. A file with a title above its header is left out: a
    look-up reads its header on the first line."""
    out, placed = [], {spec["file"] for spec in tables.values()}
    people = tables.get("contacts")
    if people and {"contact_id", "account_id"} <= set(people["columns"]) and headers[people["file"]] == 1:
        out.append((people["file"], people["columns"]["contact_id"], people["columns"]["account_id"]))
    for file, frame in samples.items():
        account = next((str(h) for h in frame.columns if key(h) in ACCOUNT), None)
        if file not in placed and account and headers[file] == 1:
            out.append((file, None, account))
    return out


def _held(path: Path, ids: pd.Series, person: str | None, account: str) -> tuple[float, str | None]:
    """The share of `ids` that `path` holds in its `person` column (None: whichever id or email column holds
    the most, each value once), and that column."""
    wanted = set(ids)
    seen: dict[str, set] = {}
    for part in readers.chunks(path, 500_000):
        columns = [person] if person else [c for c in map(str, part.columns) if c != account and _a_key(c)]
        for c in columns:
            seen.setdefault(c, set()).update(set(clean_text(part[c]).dropna()) & wanted)
    if not seen:
        return 0.0, None
    column = max(seen, key=lambda c: len(seen[c]))
    return ids.isin(seen[column]).mean(), column


def _contact_column(source: Path, file: str, person: str, contacts: dict) -> str | None:
    """The column of a file of people (not the contacts file) that names each person's CRM contact: the id
    column most of whose values are the contacts' ids (Marketo's `SFDC Contact ID`)."""
    if "contact_id" not in contacts["columns"]:
        return None
    theirs = contacts["columns"]["contact_id"]
    known = {
        i
        for part in readers.chunks(source / contacts["file"], 500_000)
        for i in clean_text(part[theirs]).dropna()
    }
    hits: dict[str, list[int]] = {}
    for part in readers.chunks(source / file, 500_000):
        for c in (str(c) for c in part.columns if str(c) != person and _a_key(str(c))):
            values = clean_text(part[c]).dropna()
            counts = hits.setdefault(c, [0, 0])
            counts[0], counts[1] = counts[0] + int(values.isin(known).sum()), counts[1] + len(values)
    found = {c: hit / n for c, (hit, n) in hits.items() if n}
    best = max(found, key=found.get, default=None)
    return best if best and found[best] >= COVERED else None


def _a_key(header: str) -> bool:
    """A column that may identify a person: an id or an email."""
    words = key(header).split()
    return "id" in words or "email" in words
