"""Who to talk to at a Tier 1-2 account, and which roles of the buying committee are not engaged there.

Pure functions of the contacts known at as_of (features/committee.contacts_as_of: one row per account and
contact, with its department, seniority, title, name where the export has one, last activity and whether it
was engaged in the 90 days before as_of) and of the roles the explain stage confirmed: those of the ICP
profile's `committee` whose engagement raised the win rate on held-out deals. Only what the export holds about
a person is shown, and only in the list's files: the report stage keeps it out of MLflow.
"""

import pandas as pd

from features.contract import DEPARTMENTS, SENIORITIES

NAMED_TIERS = 2  # Tier 1 and 2 accounts get named contacts and their committee gaps
# contacts.csv, in order (docs/outputs.md describes every column)
CONTACT_COLUMNS = [
    "rank",
    "account_id",
    "account_name",
    "tier",
    "contact_order",
    "contact_id",
    "name",
    "title",
    "department",
    "seniority",
    "engaged",
    "last_activity",
    "last_activity_type",
    "activities_90d",
    "role_confirmed",
]
# the target list's columns about the account's people, which never go to MLflow
PEOPLE_COLUMNS = ["roles_engaged", "roles_missing", "contacts"]
# what is read of features/committee.contacts_as_of's rows (and `name` where the export has one)
KNOWN = [
    "account_id",
    "contact_id",
    "department",
    "seniority",
    "title",
    "last_activity",
    "last_activity_type",
    "activities",
    "engaged",
]
_SENIORITY = {s: i for i, s in enumerate(SENIORITIES)}  # C-level first; an export's own word, or none, after


def confirmed_roles(profile: dict) -> list[dict]:
    """The ICP profile's confirmed committee roles, in its order; none while the profile has no committee."""
    return [r for r in profile.get("committee", {}).get("roles", []) if r.get("confirmed")]


def department_word(department: str) -> str:
    """`it` is IT, the contract's other codes capitalised, an export's own word as written."""
    if department == "it":
        return "IT"
    return department.capitalize() if department in DEPARTMENTS else department


def _fills(contacts: pd.DataFrame, role: dict) -> pd.Series:
    """Whether each contact fills `role`: its department and seniority are the role's, where the role names
    one (null: any)."""
    fills = pd.Series(True, index=contacts.index)
    for field in ("department", "seniority"):
        if role.get(field) is not None:
            fills &= contacts[field].eq(role[field]).fillna(False).astype(bool)
    return fills


def _covered(known: pd.DataFrame, fills: pd.Series) -> pd.Series:
    """The accounts where an engaged contact fills the role that `fills` marks."""
    return known.loc[fills & known["engaged"].astype(bool), "account_id"]


def ordered(known: pd.DataFrame, roles: list[dict]) -> pd.DataFrame:
    """Each account's contacts best first, numbered from 1 in `contact_order`, with `role_confirmed` (the
    labels of the confirmed roles a contact fills). The rule: first the contacts engaged in the 90 days before
    as_of and those who fill a confirmed role no engaged contact fills (the people to bring in), then the
    others. Within each group, one contact per department comes before a second of any department: each
    department's contacts queue up, and each round takes the next contact of every queue. Queues and rounds
    follow one order: a contact filling a confirmed role first, then the most recent activity (none last),
    then seniority (C-level first), then contact id."""
    labels = pd.Series("", index=known.index, dtype="str")
    first = known["engaged"].astype(bool)
    for role in roles:
        fills = _fills(known, role)
        labels = labels.mask(fills, labels.where(labels == "", labels + ", ") + role["label"])
        first |= fills & ~known["account_id"].isin(_covered(known, fills))
    c = known.assign(
        role_confirmed=labels,
        _first=first,
        _in_role=labels != "",
        _senior=known["seniority"].map(_SENIORITY).fillna(len(_SENIORITY)),
        _department=known["department"].fillna(""),
    )
    best, down = ["_in_role", "last_activity", "_senior", "contact_id"], [False, False, True, True]
    c = c.sort_values(["account_id", "_first", *best], ascending=[True, False, *down], na_position="last")
    c["_round"] = c.groupby(["account_id", "_first", "_department"]).cumcount()
    c = c.sort_values(
        ["account_id", "_first", "_round", *best], ascending=[True, False, True, *down], na_position="last"
    )
    c["contact_order"] = c.groupby("account_id").cumcount() + 1
    return c.drop(columns=["_first", "_in_role", "_senior", "_department", "_round"]).reset_index(drop=True)


def missing_text(labels: list[str]) -> str:
    """'no Finance contact engaged'; several: 'no Finance, IT or Executive contact engaged'; none: ''."""
    if not labels:
        return ""
    said = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} or {labels[-1]}"
    return f"no {said} contact engaged"


def _text(values: pd.Series) -> pd.Series:
    """Text with empty strings where missing: a column with no text at all (an export without contacts) is
    float NaN, which pandas will not fill with a string."""
    return values.astype("str").fillna("")


def gaps(accounts: pd.Series, known: pd.DataFrame, roles: list[dict]) -> pd.DataFrame:
    """Per account: `roles_engaged`, the departments of its engaged contacts in words (most engaged contacts
    first, ties A to Z), and `roles_missing`, the confirmed roles no engaged contact fills, said by
    missing_text (an account without contacts misses them all)."""
    engaged = known[known["engaged"].astype(bool) & known["department"].notna()]
    words = engaged.assign(word=engaged["department"].map(department_word)).value_counts(
        ["account_id", "word"]
    )
    words = words.reset_index().sort_values(["account_id", "count", "word"], ascending=[True, False, True])
    out = pd.DataFrame({"account_id": accounts.to_numpy()})
    out["roles_engaged"] = _text(out["account_id"].map(words.groupby("account_id")["word"].agg(", ".join)))
    has = [out["account_id"].isin(_covered(known, _fills(known, r))).to_numpy() for r in roles]
    out["roles_missing"] = [
        missing_text([r["label"] for r, h in zip(roles, has, strict=True) if not h[i]])
        for i in range(len(out))
    ]
    return out


def named_contacts(
    targets: pd.DataFrame, known: pd.DataFrame, roles: list[dict], n: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The target list with PEOPLE_COLUMNS (empty below Tier NAMED_TIERS), and contacts.csv's rows: the first
    `n` contacts of each Tier 1-2 account by `ordered`, in rank order. `contacts` names them briefly
    ("Jane Doe, CFO; CON-0000123, VP Sales": the name where the export has one, else the contact id)."""
    top = targets.loc[targets["tier"] <= NAMED_TIERS, ["rank", "account_id", "name", "tier"]]
    known = known[known["account_id"].isin(top["account_id"])]
    picked = ordered(known, roles)
    picked = picked[picked["contact_order"] <= n]
    rows = top.rename(columns={"name": "account_name"}).merge(picked, on="account_id", validate="one_to_many")
    rows = rows.sort_values(["rank", "contact_order"]).reset_index(drop=True)
    rows["name"] = rows.get("name")  # None where the export has no names
    rows["engaged"] = rows["engaged"].astype(bool)
    rows["last_activity"] = pd.to_datetime(rows["last_activity"]).dt.strftime("%Y-%m-%d")
    rows["activities_90d"] = rows["activities"].astype("int64")
    said = rows["name"].fillna(rows["contact_id"]) + (", " + rows["title"]).fillna("")
    per_account = gaps(top["account_id"], known, roles)
    per_account["contacts"] = per_account["account_id"].map(said.groupby(rows["account_id"]).agg("; ".join))
    out = targets.merge(per_account, on="account_id", how="left", validate="one_to_one")
    out[PEOPLE_COLUMNS] = out[PEOPLE_COLUMNS].apply(_text)
    return out, rows[CONTACT_COLUMNS]
