"""`icp init`: how a file whose rows name no company finds each row's account."""

from pathlib import Path

import pandas as pd

from features.contract import DOMAIN_KEY
from features.parse import clean_text
from pipeline import readers
from pipeline.export_names import ALIASES, key

ACCOUNT = ["account id", *ALIASES["account_id"]]  # an account column's names, the likeliest first
COVERED = 0.5  # the share of the log's person ids a file must give an account to be the log's people


def through_people(tables: dict, samples: dict[str, pd.DataFrame], source: Path, headers: dict) -> list[str]:
    """A marketing tool's activities keyed by the person, with no company column: each row's account looked
    up in a file of people that gives most of the log's person ids an account, one each: the contacts file,
    else one init placed nowhere (Marketo's leads, with their `SFDC Account ID`). Else an email's domain, when
    matched, stays the key. Notes saying which."""
    acts = tables.get("activities")
    if not acts or "account_id" in acts["columns"] or "contact_id" not in acts["columns"]:
        return []
    own = acts["columns"]["contact_id"]
    ids = clean_text(samples[acts["file"]][own]).dropna()
    if ids.empty:
        return []
    people, best = tables.get("contacts"), (0.0, "")
    for file, person, account in _people_files(tables, samples, headers):
        found, person = _held(source / file, headers[file], ids, person, account)
        if found < COVERED:
            best = max(best, (found, file))
            continue
        acts["columns"].pop(DOMAIN_KEY, None)
        acts["lookup"] = {"account_id": {"file": file, "column": own, "key": person, "value": account}}
        said = (
            f"activities.account_id: no company column; each activity's account is its person's in {file} "
            f"({found:.0%} of the sample's {own} have one there, by its {person})"
        )
        if people and file != people["file"]:  # the log's own person ids are not the CRM's contacts
            del acts["columns"]["contact_id"]
            link = _contact_column(source, headers, file, person, people)
            if link:
                acts["lookup"]["contact_id"] = {"file": file, "column": own, "key": person, "value": link}
                said += f", and its contact is the person's {link} in {people['file']}"
            else:
                said += f"; {own} names no contact of {people['file']}, so activities have no contact"
        return [said]
    if not best[1]:
        return []
    return [
        f"activities.account_id: no company column, and no file of people gives most of the sample's {own} "
        f"one account each (at best {best[0]:.0%}, in {best[1]}): map a company column, or write a look-up "
        "(docs/bring_your_own_data.md, Activities keyed by the person)"
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
        by_key = {key(h): str(h) for h in reversed(frame.columns)}  # the first of two spellings
        account = next((by_key[n] for n in ACCOUNT if n in by_key), None)
        if file not in placed and account and headers[file] == 1:
            out.append((file, None, account))
    return out


def _held(
    path: Path, header_row: int, ids: pd.Series, person: str | None, account: str
) -> tuple[float, str | None]:
    """The share of `ids` that `path` gives a non-empty `account`, by its `person` column (None: whichever id
    or email column gives the most), and that column. A column naming one person twice with two accounts
    gives none: a look-up could not tell which."""
    wanted = set(ids)
    pairs: dict[str, list[pd.DataFrame]] = {}
    for part in readers.chunks(path, 500_000, header_row=header_row):
        accounts = clean_text(part[account])
        columns = [person] if person else [c for c in map(str, part.columns) if c != account and _a_key(c)]
        for c in columns:
            values = clean_text(part[c])
            hit = values.isin(wanted) & accounts.notna()
            pairs.setdefault(c, []).append(pd.DataFrame({"person": values[hit], "account": accounts[hit]}))
    shares = {}
    for c, frames in pairs.items():
        both = pd.concat(frames).drop_duplicates()
        if not both["person"].duplicated().any():
            shares[c] = ids.isin(set(both["person"])).mean()
    column = max(shares, key=shares.get, default=None)
    return (shares[column], column) if column else (0.0, None)


def _contact_column(source: Path, headers: dict, file: str, person: str, contacts: dict) -> str | None:
    """The column of a file of people (not the contacts file) that names each person's CRM contact: the id
    column most of whose values are the contacts' ids (Marketo's `SFDC Contact ID`)."""
    theirs = contacts["columns"]["contact_id"]
    known = set()
    for part in readers.chunks(source / contacts["file"], 500_000, header_row=headers[contacts["file"]]):
        known |= set(clean_text(part[theirs]).dropna())
    hits: dict[str, list[int]] = {}
    for part in readers.chunks(source / file, 500_000, header_row=headers[file]):
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
