"""Keys across rows and tables: duplicate ids, duplicate accounts merged by domain, rows attached to the
accounts kept.

pandera checks the rows of one chunk of one table; these rules need every row of a table, or the kept rows of
another, so they run after features/rules.py has checked each chunk: as Ibis expressions over the checked
chunks (on DuckDB: hash joins and windows in bounded memory, however many rows), which return only the rows a
rule hits; the reasons are worded here, in pandas, from those few rows.
- A key the contract says is unique (account_id, opportunity_id, contact_id, account_id + snapshot_date)
  that several rows share rejects every one of them: which of them is right cannot be told.
- Enrichment tables keyed by `account_domain` (a domain or website URL, as vendors deliver them) are joined to
  the kept accounts by normalised domain; a row matching no account is rejected quoting the domain.
- Accounts sharing a normalised domain are one company: the most complete row is kept (tie: smallest
  account_id), the others are merged into it, listed in the merge table and in the rejects, and every
  reference is re-pointed, so no deal or signal is lost.
- A row whose account_id names no kept account is rejected: it cannot be attached to anything. A dangling
  parent_account_id or activity contact_id is cleared instead, the row kept and the clearing listed: the
  account or the event is real, only the link is unknown, and dropping the row would lose deals or behaviour.
"""

from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from ibis import _

from features.contract import DOMAIN_KEY, SCHEMAS
from features.normalize import email_host, normalise_domain
from features.parse import clean_text
from features.rules import CLEARED, issue, shown

# Bookkeeping columns of a checked chunk: its source row (0-based), whether a row rule dropped it, and
# (accounts) how many of its values are empty, which ranks duplicate accounts.
ROW, DROP, EMPTY = "_row", "_drop", "_empty"
# Links whose dangling target is cleared rather than rejected: (table, column, target table, target key).
LINKS = [
    ("accounts", "parent_account_id", "accounts", "account_id"),
    ("activities", "contact_id", "contacts", "contact_id"),
]
MERGES = ["duplicate_account_id", "kept_account_id", "domain"]


def unique_keys(name: str) -> list[list[str]]:
    """The column sets the contract says no two rows of table `name` share."""
    schema = SCHEMAS[name]
    keys = [[c] for c, col in schema.columns.items() if col.unique] + [list(schema.unique or [])]
    return [k for i, k in enumerate(keys) if k and k not in keys[:i]]


def quoted(name: str) -> list[str]:
    """The columns whose source text a rule across rows quotes: the unique keys and the links."""
    cols = [c for k in unique_keys(name) for c in k] + ["account_id", "parent_account_id", "domain"]
    return [c for c in dict.fromkeys(cols) if c in SCHEMAS[name].columns]


def shown_column(col: str) -> str:
    """The checked chunk's column holding `col`'s source value: its text (rules.shown), or its date."""
    return "_shown_" + col


def origin_column(col: str) -> str:
    """The checked chunk's column saying where a looked-up value of `col` came from (rules.origins)."""
    return "_origin_" + col


def duplicates(name: str, t: ibis.Table) -> pd.DataFrame:
    """Every row of table `name` (`t`: all its checked rows) sharing a unique key with another: issues with
    the source value. As pandera counts them: empty values are equal, a key wholly empty is no key."""
    found = []
    for key in unique_keys(name):
        given = t.filter(~ibis.and_(*[t[k].isnull() for k in key]))
        # the shared keys (few) by a grouping, then their rows: a window would sort every row of the table
        shared = given.group_by(key).agg(_n=_.count()).filter(_._n > 1)
        hit = given.semi_join(shared, [given[k].identical_to(shared[k]) for k in key])
        rows = _fetch(hit.select(ROW, *[shown_column(k) for k in key], origin_column(key[0])))
        said = " + ".join(key) + " " + shown(rows[shown_column(key[0])])
        for k in key[1:]:
            said = said + " + " + shown(rows[shown_column(k)])
        found.append(_quoting(rows, key[0], "duplicate " + said + " (every row with it is rejected)"))
    return pd.concat(found, ignore_index=True).drop_duplicates(["row", "column", "reason"])


def merged_accounts(ok: ibis.Table) -> ibis.Table:
    """The accounts of `ok` (the rows no rule rejected) merged into another: of the rows of one domain the
    most complete (tie: smallest account_id) is kept, the others merged into it."""
    w = ibis.window(group_by="domain", order_by=[EMPTY, "account_id"])
    ranked = ok.filter(ok.domain.notnull()).mutate(
        _n=ibis.row_number().over(w), kept_account_id=ok.account_id.first().over(w)
    )
    dup = ranked.filter(_._n > 0).rename(duplicate_account_id="account_id")
    return dup.select(ROW, *MERGES, shown_column("domain"), origin_column("domain"))


@dataclass(frozen=True)
class Across:
    """What the rules across rows found in the keyed tables, and what the other tables are checked against."""

    issues: dict[str, pd.DataFrame]  # per keyed table: issues quoting the source value, 0-based rows
    gone: dict[
        str, np.ndarray
    ]  # per keyed table: the rows rejected across rows (duplicates, merges, orphans)
    cleared: np.ndarray  # the accounts whose parent_account_id is cleared
    merges: pd.DataFrame  # duplicate_account_id, kept_account_id, domain: in the row order of the duplicates
    kept: dict[str, ibis.Table]  # accounts (account_id, domain) and contacts (contact_id) kept
    rejected: dict[str, ibis.Table]  # the account and contact ids whose rows were rejected
    con: ibis.BaseBackend  # the connection holding them

    def repointing(self) -> pd.Series:
        return self.merges.set_index("duplicate_account_id")["kept_account_id"]


def across(con, tables: dict[str, ibis.Table]) -> Across:
    """The rules across rows on the keyed `tables` (every checked row of each, on connection `con`): duplicate
    keys rejected, then duplicate accounts merged, then rows naming no kept account rejected (contacts before
    the activities are checked against them), then dangling parents cleared."""
    issues, gone, ok, kept, rejected = {}, {}, {}, {}, {}

    def drop(name: str, found: pd.DataFrame) -> None:
        issues[name].append(found)
        gone[name] = np.union1d(gone[name], found["row"].to_numpy())
        ok[name] = ok[name].anti_join(ibis.memtable({ROW: found["row"].to_numpy()}), ROW)

    for name, t in tables.items():
        issues[name], gone[name], ok[name] = [], np.array([], dtype="int64"), t.filter(~t[DROP])
        drop(name, duplicates(name, t))
    moved = con.create_table("_merged", merged_accounts(ok["accounts"]), temp=True, overwrite=True)
    rows = _fetch(moved)
    why = "duplicate of " + rows["kept_account_id"] + " (same domain " + rows["domain"] + "): merged into it"
    drop("accounts", _quoting(rows, "domain", why, "merge"))
    merges = moved.select("duplicate_account_id", "kept_account_id")
    for name, key in (("accounts", "account_id"), ("contacts", "contact_id")):
        if name == "contacts" and "contacts" in tables:
            drop(
                "contacts",
                orphans(ok["contacts"], "account_id", kept["accounts"], rejected["accounts"], merges),
            )
        if name in tables:
            cols = [key, "domain"] if name == "accounts" else [key]
            kept[name] = con.create_table(f"_kept_{name}", ok[name].select(*cols), temp=True, overwrite=True)
            every = tables[name].select(key).distinct()
            rejected[name] = con.create_table(
                f"_rejected_{name}", every.anti_join(kept[name], key), temp=True, overwrite=True
            )
    for name in (n for n in tables if n not in ("accounts", "contacts")):
        drop(name, orphans(ok[name], "account_id", kept["accounts"], rejected["accounts"], merges))
    ids = kept["accounts"].select("account_id")
    parents = orphans(ok["accounts"], "parent_account_id", ids, rejected["accounts"], merges)
    issues["accounts"].append(parents)
    found = {name: pd.concat(frames, ignore_index=True) for name, frames in issues.items()}
    return Across(found, gone, parents["row"].to_numpy(), rows[MERGES], kept, rejected, con)


def orphans(
    t: ibis.Table, col: str, kept: ibis.Table, rejected: ibis.Table, merges: ibis.Table | None = None
) -> pd.DataFrame:
    """Rows of `t` whose `col` (an account id, re-pointed by `merges` when given) names no row of `kept`
    (one column: the key), as issues: rejected for account_id, cleared for a link (LINKS). `rejected`: the
    keys whose rows there were rejected. The source value is quoted when `t` has it (a checked chunk's)."""
    key = kept.columns[0]
    moved = t.filter(t[col].notnull()).mutate(_id=t[col])
    if merges is not None:
        moved = moved.left_join(merges, moved[col] == merges.duplicate_account_id)
        moved = moved.mutate(_id=moved.kept_account_id.fill_null(moved[col]))
    lost = moved.anti_join(kept, moved._id == kept[key])
    there = rejected.select(_there=rejected[key])
    lost = lost.left_join(there, lost._id == there._there)
    quotes = [c for c in (shown_column(col), origin_column(col)) if c in t.columns]
    rows = _fetch(lost.select(ROW, "_id", *quotes, _there=lost._there.notnull()))
    ids = pd.Series(rows["_id"].to_numpy(), index=rows[ROW].to_numpy(), name=col)
    table = next((target for _, c, target, _ in LINKS if c == col), "accounts")
    cleared = col != "account_id"
    found = unknown(ids, table, rows["_there"].to_numpy(), CLEARED if cleared else "")
    return (
        _quoting(rows, col, found["reason"].to_numpy(), "clear" if cleared else "drop") if quotes else found
    )


def unknown(ids: pd.Series, table: str, there: np.ndarray, then: str = "") -> pd.DataFrame:
    """'account_id X is not in accounts', saying when X's own row there was rejected (`there`)."""
    why = np.where(there, " (its row there was rejected)", "")
    return issue(
        ids.index,
        ids.name,
        ids.name + " " + ids + f" is not in {table}" + why + (f": {then}" if then else ""),
        "clear" if then else "drop",
    )


def by_domain(raw: pd.DataFrame, domains: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """account_id of each row from its account_domain (a domain, URL or person's email) via the kept
    accounts' `domains` (account_id by domain); the rows matching none, as problems quoting the domain (their
    account_id a placeholder: the row is out already, so no other check blames it)."""
    given = clean_text(raw[DOMAIN_KEY])
    domain = normalise_domain(email_host(given))
    ids = domain.map(domains)
    miss = ids.isna()
    said = DOMAIN_KEY + " " + given[miss].fillna("")
    why = np.select(
        [given[miss].isna(), domain[miss].isna()],
        [DOMAIN_KEY + " is empty", said + " names no company (a placeholder or a free mail address)"],
        said + " (domain " + domain[miss].fillna("") + ") matches no account's domain",
    )
    return raw.assign(account_id=ids.fillna("?")), issue(raw.index[miss], DOMAIN_KEY, why)


def repoint(df: pd.DataFrame, merges: pd.Series, cols=("account_id",)) -> pd.DataFrame:
    """The account references `cols` of `df` moved from a merged duplicate to the account it was merged into
    (`merges`: kept_account_id by duplicate_account_id)."""
    for col in cols:
        hit = isin(df[col], merges.index)
        if hit.any():
            df = df.assign(**{col: df[col].mask(hit, df[col].map(merges))})
    return df


def isin(values: pd.Series, keys) -> pd.Series:
    """values.isin(keys) through Arrow: pandas 3 makes a Python object of every key of a text column first."""
    arr = pa.array(values)
    found = pc.is_in(arr, value_set=pa.array(keys, type=arr.type))
    return pd.Series(np.asarray(found), index=values.index)


def _fetch(expr: ibis.Table) -> pd.DataFrame:
    """The (few) rows a rule hit, in source row order."""
    return expr.order_by(ROW).to_pandas().reset_index(drop=True)


def _quoting(rows: pd.DataFrame, col: str, reason, kind: str = "drop") -> pd.DataFrame:
    """Issues of the `rows` a rule hit (0-based ROW), quoting the source value of `col` and where it was
    looked up (a mapping's lookups)."""
    found = issue(rows[ROW], col, reason, kind)
    found["value"] = shown(rows[shown_column(col)]).to_numpy()
    found["reason"] = found["reason"] + rows[origin_column(col)].to_numpy()
    return found
