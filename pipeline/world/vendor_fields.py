"""How vendors write a field: Salesforce's 18-character ids and HubSpot's numeric Record IDs (both in the
native ids' order, so ties break as in the native world), times of day on dated records, whole-number money,
domains and typed websites, and coded values in a vendor's words.

Why apart from the styles: both styles share them, and each is a small rule a test can check on its own.
"""

import numpy as np
import pandas as pd

from pipeline.world.vendor_words import HS_ID_OFFSET


def coded(values: pd.Series, vocabulary: dict) -> pd.Series:
    """Native codes in a vendor's words; a code the vocabulary lacks is a bug here, not a blank cell."""
    out = values.map(vocabulary)
    unknown = values.notna() & out.isna()
    if unknown.any():
        raise ValueError(f"no vendor word for {sorted(set(values[unknown]))}")
    return out


def domains(acc: pd.DataFrame) -> pd.Series:
    """account_id -> the domain vendors key it by (acme.com): the world's `www.` and `https://www.ACME.COM/`
    spellings undone."""
    bare = acc["domain"].str.lower().str.removeprefix("https://").str.removeprefix("www.").str.rstrip("/")
    return pd.Series(bare.to_numpy(), index=acc["account_id"].to_numpy())


def websites(rng, domain: pd.Series) -> pd.Series:
    """A Website field as people type it: `https://www.acme.com` or `acme.com`; a URL already there stays."""
    bare = domain.str.removeprefix("www.")
    typed = pd.Series(np.where(rng.uniform(size=len(bare)) < 0.5, "https://www." + bare, bare), bare.index)
    return typed.where(~domain.str.contains("://", regex=False), domain)


def at_time(rng, days: pd.Series) -> pd.Series:
    """A day's record at a time between 07:00 and 21:00 UTC: the same calendar day, as CRMs stamp it."""
    seconds = rng.integers(7 * 3600, 21 * 3600, len(days))
    return pd.Series(days.to_numpy(), index=days.index).astype("datetime64[s]") + pd.to_timedelta(
        seconds, unit="s"
    )


def stamp(when: pd.Series, pattern: str) -> pd.Series:
    """Dates as a vendor writes them (a strftime `pattern`); empty stays empty."""
    return when.dt.strftime(pattern)


def whole(values: pd.Series) -> pd.Series:
    """Money the world rounds to hundreds, written as a whole number (`4200`, not `4200.0`)."""
    return values.round().astype("Int64")


def _numbers(ids: pd.Series) -> pd.Series:
    """`ACC-0001234` -> 1234 (empty stays empty): the native ids' running number."""
    return pd.to_numeric(ids.str.slice(4)).astype("Int64")


def hubspot_ids(ids: pd.Series, kind: str) -> pd.Series:
    """HubSpot's numeric Record IDs, each object type in its own range."""
    return _numbers(ids) + HS_ID_OFFSET[kind]


_BASE62 = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
_CHECKSUM = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"))


def salesforce_ids(ids: pd.Series, key_prefix: str) -> pd.Series:
    """Salesforce's 18-character ids (`001Hs000000001uIAA`): key prefix, pod, the running number in base 62,
    and the three checksum characters that make the id case-insensitive."""
    numbers = _numbers(ids)
    known = numbers.notna().to_numpy()
    n = numbers[known].to_numpy("int64")
    digits = _BASE62[(n[:, None] // 62 ** np.arange(9, -1, -1)) % 62]
    body = np.concatenate([np.broadcast_to(np.array(list(key_prefix + "Hs")), (len(n), 5)), digits], axis=1)
    upper = np.char.isupper(body).reshape(-1, 3, 5) @ (1 << np.arange(5))
    chars = np.ascontiguousarray(np.concatenate([body, _CHECKSUM[upper]], axis=1))
    out = np.full(len(ids), None, object)
    out[known] = chars.view("<U18")[:, 0].astype(object)
    return pd.Series(out, index=ids.index)
