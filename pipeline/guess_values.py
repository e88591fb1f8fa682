"""Guesses `icp init` makes from a file's values, not its headers: the stage and type codes, the fields a
field history records, and the accounts columns left over for `custom:`, with a warning on those that look
like an outcome."""

import pandas as pd

from features.parse import clean_text
from pipeline.export_names import ALIASES, HISTORY, OUTCOME_WORDS, key


def stage_values(values: pd.Series) -> dict[str, str]:
    """won / lost / open from each stage label: 'Closed Won', 'closedwon', 'Won' are won."""
    out = {}
    for v in sorted(values.dropna().astype("str").str.strip().unique()):
        said = key(v).replace(" ", "")
        out[v] = "won" if "won" in said else "lost" if "lost" in said else "open"
    return out


def type_values(values: pd.Series) -> dict[str, str]:
    out = {}
    for v in sorted(values.dropna().astype("str").str.strip().unique()):
        said = key(v)
        out[v] = (
            "renewal"
            if "renew" in said
            else "expansion"
            if any(w in said for w in ("expan", "upsell", "upgrade", "existing", "cross", "growth", "add on"))
            else "new business"
        )
    return out


def history_of(frame: pd.DataFrame) -> dict | None:
    """The columns and `history:` of a field history (one row per recorded value of a field, as HubSpot's
    property history and Salesforce's field history are), when `frame` is one that records employees or
    revenue."""
    by_key = {key(h): str(h) for h in frame.columns}
    found = {part: next((by_key[n] for n in names if n in by_key), None) for part, names in HISTORY.items()}
    if None in found.values():
        return None
    labels = {key(v): v for v in clean_text(frame[found["field"]]).dropna().unique()}
    fields = {}
    for column in ("employees", "annual_revenue"):
        named = [n for n in [key(column), *ALIASES[column]] if n in labels]
        if named:
            fields[column] = labels[named[0]]
    if not fields:
        return None
    return {
        "columns": {"account_id": found["account"], "snapshot_date": found["time"]},
        "history": {"field": found["field"], "value": found["value"], "fields": fields},
    }


def candidates(
    file: str, frame: pd.DataFrame, free: list[str], kinds: str = "number, category or list", shown: int = 12
) -> list[str]:
    """Notes on the columns nothing maps: candidates for `custom:` features (the accounts': `kinds` number,
    category or list; a deal's: number or category), which init never maps itself (only you know what a
    field means and when it is filled), and a warning on each whose name or common values look like an
    outcome or a present state (Salesforce's Type: Customer / Prospect; a deal's Loss Reason)."""
    if not free:
        return []
    more = f" and {len(free) - shown} more" if len(free) > shown else ""
    notes = [
        f"{file}: not mapped: {', '.join(free[:shown])}{more}. A field of yours can be a feature: list it "
        f"under `custom:` with its kind ({kinds}), if it was known before a deal was won"
    ]
    outcome = [h for h in free if _said(h, frame[h]) & OUTCOME_WORDS]
    notes += [
        f"{file}: {h} looks like an outcome or today's state (won, closed, status, customer, stage...): "
        "never list it under `custom:`; it would tell the model the answer"
        for h in outcome
    ]
    return notes


def meanings(table: str, file: str, frame: pd.DataFrame, columns: dict) -> tuple[dict, list[str]]:
    """What the features give a meaning to and only the export's owner can name: pricing-page visits (a
    guess, from the activity type's name), which technology categories are a competitor's, a complement's and
    our own product, and our intent topics (notes quoting the file's most frequent values)."""
    column = {"activities": "activity_type", "technographics": "category", "intent": "topic"}.get(table)
    given = columns.get(column)
    if not isinstance(given, str) or given not in frame:
        return {}, []
    counts = clean_text(frame[given]).value_counts()
    more = f" and {len(counts) - 12} more" if len(counts) > 12 else ""
    top = ", ".join(counts.index[:12]) + more
    if table == "activities":
        pricing = {
            v: "pricing_page" for v in counts.index if "pricing" in key(v) and key(v) != "pricing page"
        }
        return ({given: pricing} if pricing else {}), []
    told = {key(v) for v in counts.index} & {"competitor", "complement", "ours"}
    if table == "technographics" and not told:
        return {}, [
            f"{file}: which of {given}'s categories ({top}) are a competitor's, a complement's or your own "
            f"product? Say it under `values: {{{given}: {{...: competitor, ...: complement, ...: ours}}}}`: "
            "their products get flags, and your own product at a customer is never a feature"
        ]
    if table == "intent":
        return {}, [
            f"{file}: its most frequent topics are {top}. Name your product's topics under "
            "`params: {features: {intent_topics: [...]}}` (params.yaml's are the demo's); every frequent "
            "topic gets a score of its own either way"
        ]
    return {}, []


def _said(header: str, values: pd.Series, common: int = 20) -> set[str]:
    """The words of a column's name and of its `common` most frequent values."""
    top = clean_text(values).value_counts().index[:common]
    return {w for text in [header, *top] for w in key(text).split()}
