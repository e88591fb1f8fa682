"""The target list from a scoring set: one path for the `score` stage and for `icp refresh`, so a refreshed
list is made exactly as the first one was.

`build` reads the scoring set in chunks (bounded memory for millions of accounts), keeps the scoring universe,
predicts, ranks by expected value, tiers by capacity, explains Tier 1-3 (or all) with SHAP values turned into
sentences and names the contacts to work at Tier 1-2 accounts with the committee roles missing there (the ICP
profile's confirmed roles); `stability` compares its top tiers with the list as of an earlier day (ranked
and tiered only); `write` puts the list's files into a folder.
"""

import json
import logging
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import ibis
import pandas as pd

from features.committee import contacts_as_of
from features.spines import scoring_spine
from features.vocabulary import words
from models.bundle import Bundle, load_bundle, predict
from models.changes import churn
from models.contacts import KNOWN, NAMED_TIERS, confirmed_roles, named_contacts
from models.explain import as_seen, contributions
from models.metrics import chance_verdict
from models.reasons import REASONS, explain_rows
from models.targets import open_deal_list, rank, scored_batch, tier_table, tiers
from pipeline import engines
from pipeline import params as P
from pipeline.console import progress
from pipeline.io import parquet_batches, parquet_rows, to_json
from pipeline.outputs.crm import write_crm
from pipeline.outputs.lists import COLUMNS, write_lists
from pipeline.paths import LISTS, Paths, paths

log = logging.getLogger(__name__)


@dataclass
class TargetList:
    targets: pd.DataFrame  # the ranked universe with tiers and reasons, lists.COLUMNS
    deals: pd.DataFrame  # the open deals with their account's place
    contacts: pd.DataFrame  # contacts.csv: the contacts to work at Tier 1-2 accounts, best first
    summary: dict  # summary.json without its `files`
    bundle: Bundle  # the model that scored it
    said: dict  # the features' words, for reasons


def chunks(path: Path, size: int, what: str):
    """The scoring set, `size` rows at a time, with a progress bar."""
    total = -(-parquet_rows(path) // size)
    yield from progress(parquet_batches(path, size), total=total, what=what, unit="chunk")


def _scores(p: P.Params, scoring_set: Path, bundle: Bundle, what: str) -> pd.DataFrame:
    """The accounts of the scoring universe and those with an open deal, predicted: on the driver, chunk by
    chunk, or with the spark engine on the cluster's executors (the same function on each partition)."""
    cfg = p.score
    score = partial(scored_batch, bundle=bundle, customers=cfg.include_customers, open_=cfg.include_open)
    if p.engine == "spark":
        return engines.map_batches(engines.spark_session(p.spark), scoring_set, score)
    return pd.concat([score(chunk) for chunk in chunks(scoring_set, cfg.chunk_size, f"{what}: scoring")])


def _open_deals(
    f: Paths, types: list, scored: pd.DataFrame, targets: pd.DataFrame, as_of: str, open_set: Path
) -> pd.DataFrame:
    """The open deals of the modelled types created before as_of, with their account's score and place, and
    their own P(win) by the deal model where train fitted one (from `open_set`, their rows as of as_of)."""
    o = pd.read_parquet(
        f.interim_table("opportunities"),
        columns=["opportunity_id", "account_id", "created_date", "stage", "type", "amount"],
    )
    deal_p_win = None
    if f.deal_model.is_dir() and open_set.exists():
        rows = pd.read_parquet(open_set)
        deal_p_win = predict(load_bundle(f.deal_model), rows)["p_win"].set_axis(rows["opportunity_id"])
    return open_deal_list(o, types, scored, targets, as_of, deal_p_win)


def _known_contacts(p: P.Params, accounts: pd.Series, as_of: str) -> pd.DataFrame:
    """The contacts of `accounts` known at as_of, with their engagement (features/committee.py); none without
    a contacts table or accounts (a list without reasons names nobody: no query). The spine holds these
    accounts only, so a million-account universe costs no more; on the engine of `p`, where the activities
    are."""
    f = paths(p)
    files = {t: f.interim_table(t) for t in ("accounts", "opportunities", "contacts", "activities")}
    if not files["contacts"].exists() or accounts.empty:
        return pd.DataFrame(columns=KNOWN)
    con = engines.connect(p)
    tables = {t: engines.read(con, path) for t, path in files.items() if path.exists()}
    spine = scoring_spine(tables, pd.Timestamp(as_of))
    wanted = ibis.memtable({"account_id": accounts.to_numpy()})
    return contacts_as_of(spine.filter(spine.account_id.isin(wanted.account_id)), tables).execute()


def _tiered(p: P.Params, scoring_set: Path, bundle: Bundle, what: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every account of `scoring_set` predicted, and those of the scoring universe ranked by expected value
    and tiered: a list without its words and people."""
    start, cfg = time.perf_counter(), p.score
    scored = _scores(p, scoring_set, bundle, what).reset_index(drop=True)
    log.info(f"{what}: {parquet_rows(scoring_set):,} accounts scored ({time.perf_counter() - start:.1f}s)")
    if not scored["in_universe"].any():
        raise SystemExit(
            f"{what}: no account of {scoring_set} is in the scoring universe (include_customers="
            f"{cfg.include_customers}, include_open={cfg.include_open})"
        )
    ranked = rank(scored[scored["in_universe"].astype(bool)].drop(columns="in_universe"))
    ranked["tier"] = tiers(
        ranked["p_win"], cfg.tier1_size, cfg.tier2_size, cfg.tier3_size, cfg.tier3_min_p_win
    )
    return scored, ranked


def _day(ranked: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(ranked["as_of"]).dt.strftime("%Y-%m-%d")


def stability(p: P.Params, t: TargetList, earlier_set: Path) -> dict:
    """How much of the top tiers the list as of an earlier day differs by (models/changes.churn): the same
    model on the earlier scoring set, ranked and tiered only, since only its tiers are compared."""
    ranked = _tiered(p, earlier_set, t.bundle, "score: earlier")[1]
    return {"as_of": _day(ranked).iloc[0], **churn(ranked, t.targets)}


def build(p: P.Params, scoring_set: Path, what: str = "score", open_set: Path | None = None) -> TargetList:
    """The list of `scoring_set` by the model of `train.out`, with reasons and the contacts to work
    (`open_set`: the open deals' rows as of the same date, featurize's by default). A model no better than
    chance (evaluate's metrics.json) puts a warning on it."""
    start, cfg, f = time.perf_counter(), p.score, paths(p)
    chance = chance_verdict(json.loads(f.metrics.read_text())["model"])
    warning = chance and f"WARNING: {chance}: this ranking is no better than a random list"
    bundle = load_bundle(f.model)
    meta = json.loads(f.features_json.read_text())
    said = words(meta["config"], meta["features"])
    scored, ranked = _tiered(p, scoring_set, bundle, what)

    wanted = set(
        ranked["account_id"] if cfg.reasons_for_all else ranked.loc[ranked["tier"] <= 3, "account_id"]
    )
    texts = []
    for chunk in chunks(scoring_set, cfg.chunk_size, f"{what}: reasons") if wanted else ():
        chunk = chunk[chunk["account_id"].isin(wanted)].set_index("account_id", drop=False)
        if len(chunk):
            shap_values, _ = contributions(bundle, chunk)
            texts.append(explain_rows(shap_values, as_seen(chunk, bundle.spec), said))
    explained = pd.concat(texts) if texts else pd.DataFrame(columns=REASONS)
    log.info(f"{what}: reasons for {len(explained):,} accounts ({time.perf_counter() - start:.1f}s)")

    accounts = pd.read_parquet(f.interim_table("accounts"), columns=["account_id", "name", "domain"])
    targets = ranked.merge(accounts, on="account_id", how="left", validate="one_to_one").merge(
        explained, left_on="account_id", right_index=True, how="left"
    )
    targets[REASONS] = targets[REASONS].fillna("")
    targets["as_of"] = _day(targets)
    as_of = targets["as_of"].iloc[0]
    known = _known_contacts(p, targets.loc[targets["tier"] <= NAMED_TIERS, "account_id"], as_of)
    roles = confirmed_roles(json.loads(f.profile_json.read_text()))
    targets, people = named_contacts(targets, known, roles, cfg.contacts_per_account)
    targets = targets[COLUMNS]

    deals = _open_deals(f, meta["opportunity_types"], scored, targets, as_of, open_set or f.open_set)
    summary = {
        "as_of": as_of,
        "read": parquet_rows(scoring_set),
        "universe": len(targets),
        "tiers": tier_table(targets),
        "explained": len(explained),
        "open_deals": len(deals),
        "accounts_with_contacts": people["account_id"].nunique(),
        "contacts_listed": len(people),
        "warning": warning,
    }  # no timings: same inputs, same bytes
    return TargetList(targets, deals, people, summary, bundle, said)


def write(t: TargetList, folder: Path, p: P.Params, changes: pd.DataFrame | None = None) -> dict:
    """The list's files in `folder` (named as score.out has them), the CRM import files among them; returns
    summary.json as written."""
    f, summary = paths(p), dict(t.summary)
    as_of = summary["as_of"]
    files = {fmt: folder / f.target_list(fmt).name for fmt in LISTS}
    summary["files"] = write_lists(
        t.targets,
        files,
        p.score.list_rows_per_tier,
        f"Target accounts as of {as_of}",
        summary["warning"],
        changes,
        t.contacts,
    )
    t.contacts.to_csv(folder / f.contacts.name, index=False, lineterminator="\n")
    t.deals.to_csv(folder / f.open_deals.name, index=False, lineterminator="\n")
    crm = {c: folder / f.crm_file(c).name for c in p.score.crm.files}
    summary["files"] |= write_crm(t.targets, crm, p.score.crm)
    if changes is not None:
        changes.to_csv(folder / f.changes.name, index=False, lineterminator="\n")
    (folder / f.targets_summary.name).write_text(to_json(summary))
    return summary


def log_written(what: str, where: Path, p: P.Params, t: TargetList, start: float) -> None:
    """One line: where the files went, the tier counts and the speed."""
    f, s = paths(p), t.summary
    names = [f.target_list(e).name for e in LISTS] + [f.crm_file(c).name for c in p.score.crm.files]
    names += [f.contacts.name, f.open_deals.name, f.targets_summary.name]
    elapsed = time.perf_counter() - start
    counts = ", ".join(f"Tier {x['tier']}: {x['accounts']:,}" for x in s["tiers"])
    named = (
        f"{s['contacts_listed']:,} contacts at {s['accounts_with_contacts']:,} Tier 1-{NAMED_TIERS} accounts"
    )
    log.info(
        f"{what}: wrote {where}: {', '.join(names)}: {s['universe']:,} accounts ({counts}), {named}, "
        f"{s['open_deals']:,} open deals in {elapsed:.1f}s ({s['read'] / elapsed:,.0f} accounts/s)"
    )
    if s["warning"]:
        log.warning(f"{what}: {s['warning']}")
