"""The ranked target list as the files two CRMs import to update their accounts: `crm_salesforce.csv` for
Salesforce's Data Loader (an upsert of Account on Id) and `crm_hubspot.csv` for HubSpot's company import
(matched on Record ID or Company Domain Name). Field names come from `score.crm`.

Every ranked account gets a row, Tier 4 too, so an account that fell a tier has the last import's values
overwritten. Values are text both tools read whatever the user's locale: tier 1-4, P(win) in percent with one
decimal, expected value in whole currency units, dates YYYY-MM-DD, '.' decimals, no thousands separators; the
reasons in one line of at most `score.crm.reasons_length` characters. Same input, same bytes.
docs/outputs.md says how to create the fields once and import the files.
"""

from pathlib import Path

import pandas as pd

from pipeline import params as P

HUBSPOT_IDS = {"Record ID": "account_id", "Company Domain Name": "domain"}  # match column -> its values
PARTS = ["reason_1", "reason_2", "reason_3", "why_now"]  # what the reasons field holds, in order
NO_REASONS = "No reasons listed"  # not empty: both tools skip an empty cell, keeping the old reasons
ELLIPSIS = "..."  # ASCII: three characters whatever encoding the importer assumes


def reasons(targets: pd.DataFrame, length: int) -> pd.Series:
    """reason_1 to reason_3 and why now in one line ("a; b; c; Why now: d"), whitespace and control characters
    made single spaces; a longer line is cut after its last whole word that fits `length` with an ellipsis."""
    texts = targets[PARTS].fillna("").astype(str)
    texts["why_now"] = texts["why_now"].mask(texts["why_now"] != "", "Why now: " + texts["why_now"])
    joined = pd.Series(
        ["; ".join(t for t in row if t) for row in texts.itertuples(index=False)], index=targets.index
    )
    joined = joined.str.replace(r"[\s\x00-\x1f\x7f]+", " ", regex=True).str.strip().replace("", NO_REASONS)
    room = length - len(ELLIPSIS)
    words = joined.str[: room + 1].str.replace(r"\s*\S*$", "", regex=True).str.rstrip(" ;")  # no half word
    cut = words.where(words != "", joined.str[:room]) + ELLIPSIS
    return joined.where(joined.str.len() <= length, cut)


def icp_values(targets: pd.DataFrame, length: int) -> dict[str, pd.Series]:
    """The five ICP fields, keyed as in `score.crm.salesforce` / `.hubspot`, as the text the file holds."""
    return {
        "tier": targets["tier"].astype("int64").astype(str),
        "score": (100 * targets["p_win"]).map("{:.1f}".format),
        "expected_value": targets["expected_value"].round().astype("int64").astype(str),
        "reasons": reasons(targets, length),
        "as_of": pd.to_datetime(targets["as_of"]).dt.strftime("%Y-%m-%d"),
    }


def crm_frame(targets: pd.DataFrame, crm: str, cfg: P.Crm) -> pd.DataFrame:
    """One row per account of `targets` in rank order, for `crm` (salesforce or hubspot). Matched on domain,
    an account without one is left out: HubSpot could not tell which company it is."""
    names = getattr(cfg, crm)
    key = "account_id" if crm == "salesforce" else HUBSPOT_IDS[names.id]
    values = icp_values(targets, cfg.reasons_length)
    frame = pd.DataFrame({names.id: targets[key], **{getattr(names, k): v for k, v in values.items()}})
    frame = frame[frame[names.id].fillna("") != ""]
    twice = frame[names.id][frame[names.id].duplicated()]
    if len(twice):
        raise ValueError(f"crm: {names.id} {twice.iloc[0]!r} is on two accounts; a CRM takes one row each")
    return frame


def write_crm(targets: pd.DataFrame, files: dict[str, Path], cfg: P.Crm) -> dict[str, int]:
    """Write each CRM's file of `files` ({"salesforce": path, "hubspot": path}); returns the row count of
    each by file name (summary.json's `files`)."""
    counts = {}
    for crm, path in files.items():
        frame = crm_frame(targets, crm, cfg)
        frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        counts[path.name] = len(frame)
    return counts
