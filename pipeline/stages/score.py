"""Stage `score`: the ranked, tiered target-account list with predicted value and reasons in words.

`python -m pipeline.stages.score` reads params.yaml. Reads the scoring set in chunks (bounded memory for millions of
accounts), keeps the scoring universe, predicts, ranks by expected value, tiers by capacity, explains Tier 1-3
(or all) with SHAP values turned into sentences, and writes `score.out`/target_accounts.csv/.xlsx/.html and
summary.json.
"""

import json
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from models.bundle import predict
from models.explain import as_seen, contributions
from models.metrics import chance_verdict
from models.reasons import REASONS, explain_rows
from models.targets import open_deals, rank, tier_table, tiers
from pipeline import params as P
from pipeline.stages.featurize import products
from pipeline.io import new_folder, say, to_json
from pipeline.outputs.lists import COLUMNS, write_lists
from pipeline.stages.train import load_bundle
# open_deals.csv, in order (docs/outputs.md describes every column)
OPEN_DEAL_COLUMNS = ["opportunity_id", "account_id", "name", "type", "created_date", "days_open", "amount",
                     "predicted_value", "deal_value", "p_win", "expected_value", "account_rank", "account_tier",
                     "reason_1"]
KEPT = {"firm_strategic": "strategic", "firm_industry": "industry", "firm_employees": "employees",
        "firm_country": "country"}


def chunks(path: Path, size: int):
    """The scoring set, `size` rows at a time."""
    for batch in pq.ParquetFile(path).iter_batches(batch_size=size):
        yield batch.to_pandas()


def universe(frame: pd.DataFrame, cfg: P.Score) -> pd.Series:
    """Who is scored: by default prospects only (no customers, no open opportunity); params widen it."""
    keep = pd.Series(True, index=frame.index)
    if not cfg.include_customers:
        keep &= ~frame["customer"].astype(bool)
    if not cfg.include_open:
        keep &= ~frame["open_opportunity"].astype(bool)
    return keep


def _scored(chunk: pd.DataFrame, bundle) -> pd.DataFrame:
    pred = predict(bundle, chunk).rename(columns={"amount": "predicted_value"})
    kept = chunk.reindex(columns=["account_id", "as_of", "customer", "open_opportunity", "in_universe", *KEPT])
    kept = kept.rename(columns=KEPT)
    kept["strategic"] = kept["strategic"].fillna(0).astype(bool)
    return pd.concat([kept, pred], axis=1)


def _open_deals(interim: str | Path, features: str | Path, scored: pd.DataFrame, targets: pd.DataFrame,
                as_of: str) -> pd.DataFrame:
    """The open deals of the modelled types created before as_of, with their account's score and place."""
    types = json.loads((Path(features) / "features.json").read_text())["opportunity_types"]
    o = pd.read_parquet(Path(interim) / "opportunities.parquet",
                        columns=["opportunity_id", "account_id", "created_date", "stage", "type", "amount"])
    o = o[(o["stage"] == "open") & o["type"].isin(types) & (o["created_date"] < pd.Timestamp(as_of))]
    place = targets[["account_id", "name", "rank", "tier", "reason_1"]].rename(
        columns={"rank": "account_rank", "tier": "account_tier"})
    accounts = scored[["account_id", "p_win", "predicted_value"]].merge(place, on="account_id", how="left")
    deals = open_deals(o.drop(columns="stage"), accounts)
    deals["days_open"] = (pd.Timestamp(as_of) - deals["created_date"]).dt.days
    deals["created_date"] = deals["created_date"].dt.strftime("%Y-%m-%d")
    deals = deals[OPEN_DEAL_COLUMNS].astype({"account_rank": "Int64", "account_tier": "Int64"})
    return deals.round({"p_win": 6, "predicted_value": 2, "deal_value": 2, "expected_value": 2})


def top_table(targets: pd.DataFrame, n: int = 10) -> str:
    """The first `n` rows as a console table: rank, tier, account, expected value, P(win), first reason."""
    rows = [f"{'rank':>4}  {'tier':>4}  {'account':<28} {'expected value':>14} {'P(win)':>7}  first reason"]
    for r in targets.head(n).itertuples():
        name = str(r.name if isinstance(r.name, str) and r.name else r.account_id)[:28]
        rows.append(f"{r.rank:>4}  {r.tier:>4}  {name:<28} {r.expected_value:>14,.0f} {r.p_win:>7.1%}  "
                    f"{r.reason_1 if isinstance(r.reason_1, str) else ''}")
    return "\n".join(rows)


def run(cfg: P.Score, features: str | Path, model: str | Path, interim: str | Path, metrics: str | Path,
        log=say) -> dict:
    """`metrics`: evaluate's metrics.json; a model no better than chance puts a warning on every list."""
    start = time.perf_counter()
    chance = chance_verdict(json.loads(Path(metrics).read_text())["model"])
    warning = chance and f"WARNING: {chance}: this ranking is no better than a random list"
    path = Path(features) / "score.parquet"
    total = pq.ParquetFile(path).metadata.num_rows
    bundle = load_bundle(model)
    named = products(features)
    parts, seen = [], 0
    for chunk in chunks(path, cfg.chunk_size):
        seen += len(chunk)
        chunk["in_universe"] = universe(chunk, cfg)
        kept = chunk[chunk["in_universe"] | chunk["open_opportunity"].astype(bool)]  # open deals are listed too
        if len(kept):
            parts.append(_scored(kept, bundle))
        rate = seen / max(time.perf_counter() - start, 1e-9)
        log(f"score: {seen:,}/{total:,} accounts read ({rate:,.0f}/s)")
    scored = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["in_universe"])
    if not scored["in_universe"].any():
        raise SystemExit(f"score: no account of {path} is in the scoring universe (include_customers="
                         f"{cfg.include_customers}, include_open={cfg.include_open})")
    ranked = rank(scored[scored["in_universe"].astype(bool)].drop(columns="in_universe"))
    ranked["tier"] = tiers(ranked["p_win"], cfg.tier1_size, cfg.tier2_size, cfg.tier3_size, cfg.tier3_min_p_win)

    wanted = set(ranked["account_id"] if cfg.reasons_for_all else ranked.loc[ranked["tier"] <= 3, "account_id"])
    texts = []
    for chunk in chunks(path, cfg.chunk_size):
        chunk = chunk[chunk["account_id"].isin(wanted)].set_index("account_id", drop=False)
        if len(chunk):
            shap_values, _ = contributions(bundle, chunk)
            texts.append(explain_rows(shap_values, as_seen(chunk, bundle.spec), named))
    explained = pd.concat(texts) if texts else pd.DataFrame(columns=REASONS)
    log(f"score: reasons for {len(explained):,} accounts ({time.perf_counter() - start:.1f}s)")

    accounts = pd.read_parquet(Path(interim) / "accounts.parquet", columns=["account_id", "name", "domain"])
    targets = (ranked.merge(accounts, on="account_id", how="left", validate="one_to_one")
               .merge(explained, left_on="account_id", right_index=True, how="left"))
    targets[REASONS] = targets[REASONS].fillna("")
    targets["as_of"] = pd.to_datetime(targets["as_of"]).dt.strftime("%Y-%m-%d")
    targets = targets[COLUMNS]

    as_of = targets["as_of"].iloc[0]
    deals = _open_deals(interim, features, scored, targets, as_of)
    elapsed = time.perf_counter() - start
    summary = {"as_of": as_of, "read": total, "universe": len(targets), "tiers": tier_table(targets),
               "explained": len(explained), "open_deals": len(deals),
               "warning": warning}  # no timings: same inputs, same bytes
    with new_folder(cfg.out) as tmp:
        summary["files"] = write_lists(targets, tmp, cfg.list_rows_per_tier, f"Target accounts as of {as_of}",
                                       warning)
        deals.to_csv(tmp / "open_deals.csv", index=False, lineterminator="\n")
        (tmp / "summary.json").write_text(to_json(summary))
    counts = ", ".join(f"Tier {t['tier']}: {t['accounts']:,}" for t in summary["tiers"])
    log(f"score: wrote {cfg.out}/target_accounts.csv, .xlsx, .html, open_deals.csv and summary.json: "
        f"{len(targets):,} accounts ({counts}), {len(deals):,} open deals in {time.perf_counter() - start:.1f}s ({total / elapsed:,.0f} accounts/s)")
    if warning:
        log(f"score: {warning}")
    return summary


def show(n: int = 10, out: str | Path | None = None) -> str:
    """The console view of the last scoring run into `out` (score.out): top `n` accounts, tier counts, files."""
    out = Path(out or P.load().score.out)
    if not (out / "summary.json").exists():
        raise SystemExit(f"no target list in {out}: run `make run` (or `dvc repro score`) first")
    summary = json.loads((out / "summary.json").read_text())
    targets = pd.read_csv(out / "target_accounts.csv", nrows=n, keep_default_na=False)
    counts = ", ".join(f"Tier {t['tier']}: {t['accounts']:,}" for t in summary["tiers"])
    files = "\n".join(f"  {out / name}" for name in ("target_accounts.csv", "target_accounts.xlsx",
                                                      "target_accounts.html", "open_deals.csv"))
    warning = f"{summary['warning']}\n" if summary.get("warning") else ""
    return (f"{warning}Top {n} target accounts as of {summary['as_of']} ({summary['universe']:,} scored: "
            f"{counts})\n"
            f"{top_table(targets, n)}\n\nThe full lists (and the open deals):\n{files}")


def main() -> None:
    params = P.load()
    run(params.score, params.features.out, params.train.out, params.ingest.out,
        Path(params.evaluate.out) / "metrics.json")


if __name__ == "__main__":
    main()
