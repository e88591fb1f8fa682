"""Keys across tables: duplicate accounts merged by domain, rows attached to the accounts kept.

pandera checks one table at a time; these rules need the kept accounts (and contacts), so they run after
features/rules.py has checked each table's rows, and list what they do as its issues.
- Enrichment tables keyed by `account_domain` (a domain or website URL, as vendors deliver them) are joined to
  the kept accounts by normalised domain; a row matching no account is rejected quoting the domain.
- Accounts sharing a normalised domain are one company: the most complete row is kept (tie: smallest
  account_id), the others are merged into it, listed in the merge table and in the rejects, and every
  reference is re-pointed, so no deal or signal is lost.
- A row whose account_id names no kept account is rejected: it cannot be attached to anything. A dangling
  parent_account_id or activity contact_id is cleared instead, the row kept and the clearing listed: the
  account or the event is real, only the link is unknown, and dropping the row would lose deals or behaviour.
"""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.contract import DOMAIN_KEY
from features.normalize import normalise_domain
from features.parse import clean_text
from features.rules import CLEARED, issue


def by_domain(raw: pd.DataFrame, accounts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """account_id of each row from its account_domain (a domain or URL) via the kept accounts' domains; the
    rows matching none, as problems quoting the domain (their account_id a placeholder: the row is out
    already, so no other check blames it)."""
    given = clean_text(raw[DOMAIN_KEY])
    domain = normalise_domain(given)
    known = accounts.dropna(subset=["domain"]).drop_duplicates("domain").set_index("domain")["account_id"]
    ids = domain.map(known)
    miss = ids.isna()
    why = np.where(
        given[miss].isna(),
        DOMAIN_KEY + " is empty",
        DOMAIN_KEY
        + " "
        + given[miss].fillna("")
        + " (domain "
        + domain[miss].fillna("")
        + ") matches no account's domain",
    )
    return raw.assign(account_id=ids.fillna("?")), issue(raw.index[miss], DOMAIN_KEY, why)


def merge_duplicate_accounts(accounts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accounts left after merging the rows of one domain into its most complete row (tie: smallest
    account_id), and the merges (duplicate_account_id, kept_account_id, domain) indexed by duplicate row."""
    ranked = accounts[accounts["domain"].notna()]  # no domain: nothing to merge on
    ranked = ranked.assign(_empty=ranked.isna().sum(axis=1)).sort_values(["domain", "_empty", "account_id"])
    kept = ranked["domain"].map(ranked.drop_duplicates("domain").set_index("domain")["account_id"])
    dup = ranked[ranked["account_id"] != kept].sort_index()
    merges = pd.DataFrame(
        {
            "duplicate_account_id": dup["account_id"],
            "kept_account_id": kept[dup.index],
            "domain": dup["domain"],
        }
    )
    return accounts.drop(index=dup.index), merges


def repoint(kept: dict[str, pd.DataFrame], merges: pd.DataFrame) -> None:
    """Every account reference in `kept` moved from a merged duplicate to the account it was merged into."""
    to = merges.set_index("duplicate_account_id")["kept_account_id"]
    for name, df in kept.items():
        for col in ("account_id", "parent_account_id") if name == "accounts" else ("account_id",):
            hit = _isin(df[col], to.index)
            df.loc[hit, col] = df.loc[hit, col].map(to)


# Links whose dangling target is cleared rather than rejected: (table, column, target table, target key).
_LINKS = [
    ("accounts", "parent_account_id", "accounts", "account_id"),
    ("activities", "contact_id", "contacts", "contact_id"),
]


def check_keys(
    kept: dict[str, pd.DataFrame], canon: dict[str, pd.DataFrame], issues: dict, names: list
) -> None:
    """The contract's key rules (features.contract.foreign_key_violations) on the tables `names`: a row
    naming no kept account is rejected; then a dangling parent or activity contact is cleared (contacts lose
    orphans first)."""
    known = kept["accounts"]["account_id"]
    for name in names:
        if name != "accounts":
            df = kept[name]
            orphan = ~_isin(df["account_id"], known)
            issues[name].append(_unknown(df["account_id"][orphan], "accounts", canon, known))
            kept[name] = df[~orphan]
    for name, col, target, key in _LINKS:
        if name in names and target in kept:
            ids = kept[name][col]
            bad = ids.notna() & ~_isin(ids, kept[target][key])
            issues[name].append(_unknown(ids[bad], target, canon, kept[target][key], CLEARED))
            kept[name] = kept[name].assign(**{col: ids.mask(bad)})


def _unknown(ids: pd.Series, table: str, canon: dict, known: pd.Series, then: str = "") -> pd.DataFrame:
    """'account_id X is not in accounts', saying when X's own row there was rejected."""
    key = known.name
    dropped = canon[table][key][~_isin(canon[table][key], known)]
    why = np.where(_isin(ids, dropped), " (its row there was rejected)", "")
    return issue(
        ids.index,
        ids.name,
        ids.name + " " + ids + f" is not in {table}" + why + (f": {then}" if then else ""),
        "clear" if then else "drop",
    )


def _isin(values: pd.Series, keys) -> pd.Series:
    """values.isin(keys) through Arrow: pandas 3 makes a Python object of every key of a text column first."""
    arr = pa.array(values)
    found = pc.is_in(arr, value_set=pa.array(keys, type=arr.type))
    return pd.Series(np.asarray(found), index=values.index)
