"""Target lists and explanations against the truth of three synthetic worlds.

    python bench/targets.py                 # seeds 7 8 9 at the default size
    python bench/targets.py --write         # also docs/benchmarks.md (bench/record.py)

Each world runs the real stages (synthesize ... evaluate, explain, score) in a temporary folder. Printed per
seed:
- Tier 1 vs universe: the truth's mean win probability of Tier 1 accounts over the universe's mean (baseline:
  a random list of the same size scores 1.0);
- Tier 1+2 value: the truth's expected value of our Tier 1+2 over that of the truth's own top accounts of the
  same number (baseline: the truth's ranking, 1.0);
- planted drivers: each driver of the world's truth beside the best SHAP rank of the features that measure it.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quality import run_graph  # noqa: E402
from record import add_write, recorded  # noqa: E402

from pipeline import params as P  # noqa: E402
from pipeline.paths import paths  # noqa: E402
from pipeline.run import run_stages  # noqa: E402
from pipeline.world import DRIVERS  # noqa: E402

TOP = 15
# Which features measure each planted driver (the world's drivers.json names and describes them). An
# interaction counts as found when the features of both its parts are in the top.
MEASURES = {
    "company_size": ["firm_employees", "firm_log_employees", "firm_size_band"],
    "industry_fit": ["firm_industry"],
    "complementary_tech": ["tech_n_complement", "tech_days_since_complement", "tech_has_"],
    "competing_tech": ["tech_n_competitor", "tech_has_"],
    "funding_90d": ["trig_days_since_funding_round", "trig_funding_round_90d"],
    "executive_hire_90d": ["trig_days_since_executive_hire", "trig_executive_hire_90d"],
    "layoffs_180d": ["trig_days_since_layoffs", "trig_layoffs_90d", "trig_layoffs_365d"],
    "intent_surge_28d": [
        "intent_max_28d",
        "intent_days_since_surge",
        "intent_topics_surging_28d",
        "intent_weeks_surging_90d",
        "intent_mean_90d",
    ],
    "committee_breadth": [
        "beh_contacts_90d",
        "beh_contacts_30d",
        "beh_departments_90d",
        "beh_seniorities_90d",
        "beh_senior_contacts_90d",
    ],
    "finance_engaged_90d": ["beh_dept_finance_90d"],
    "company_age": ["firm_age_years"],
    "prior_lost_deals": ["rel_prior_lost", "rel_days_since_last_lost"],
    "prior_spend": ["rel_prior_spend", "rel_prior_won", "rel_tenure_days"],
}
PARTS = {
    "complement_x_midsize": ["complementary_tech", "company_size"],
    "surge_x_committee": ["intent_surge_28d", "committee_breadth"],
}


def best_rank(driver: str, ranks: dict[str, int]) -> tuple[int | None, str]:
    """The best rank among the features that measure a driver (tech_has_ matches any named product flag)."""
    found = [
        (r, f)
        for f, r in ranks.items()
        for m in MEASURES[driver]
        if f == m or (m.endswith("_") and f.startswith(m))
    ]
    return min(found) if found else (None, "")


def drivers_table(truth: Path, importance: dict) -> pd.DataFrame:
    ranks = {f["feature"]: f["rank"] for f in importance["features"]}
    rows = []
    for d in json.loads((truth / DRIVERS).read_text()):
        name = d["driver"]
        if name in PARTS:
            parts = [best_rank(p, ranks) for p in PARTS[name]]
            rank = max(r for r, _ in parts) if all(r is not None for r, _ in parts) else None
            feature = " + ".join(f for _, f in parts)
        else:
            rank, feature = best_rank(name, ranks)
        rows.append(
            {
                "driver": name,
                "effect_logit": d["effect_logit"],
                "best_feature": feature,
                "rank": rank,
                f"in_top_{TOP}": rank is not None and rank <= TOP,
            }
        )
    return pd.DataFrame(rows)


def tier_quality(truth_accounts: Path, targets: pd.DataFrame, tier12: int) -> dict:
    """The two target-list figures of a universe's tiers (`targets`: account_id, tier), by the truth's
    accounts table."""
    t = targets[["account_id", "tier"]]
    acc = pd.read_parquet(truth_accounts).set_index("account_id")
    t = t.join(acc[["true_p_win", "true_expected_value"]], on="account_id")
    ours = t.loc[t["tier"] <= 2, "true_expected_value"].sum()
    best = t["true_expected_value"].nlargest(tier12).sum()
    return {
        "universe": len(t),
        "tier1_mean_p": t.loc[t["tier"] == 1, "true_p_win"].mean(),
        "universe_mean_p": t["true_p_win"].mean(),
        "tier1_over_universe": t.loc[t["tier"] == 1, "true_p_win"].mean() / t["true_p_win"].mean(),
        "tier12_value_vs_truth": ours / best,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[7, 8, 9])
    add_write(ap)
    args = ap.parse_args()
    with recorded(__file__, args.write):
        report(args)


def report(args: argparse.Namespace) -> None:
    """Run the worlds and print the target lists' table and each seed's planted drivers."""
    base = P.load(Path(__file__).resolve().parents[1] / "params.yaml")
    rows, drivers = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            root = Path(tmp) / str(seed)
            p = P.rooted(base, root, seed)
            run_graph(p)
            explained = run_stages(p, ["explain", "score"])["explain"]
            truth = paths(p).truth
            listed = pd.read_csv(paths(p).target_list("csv"))
            tier12 = p.score.tier1_size + p.score.tier2_size
            rows.append({"seed": seed, **tier_quality(paths(p).truth_table("accounts"), listed, tier12)})
            drivers[seed] = drivers_table(truth, explained["importance"])
            print(f"seed {seed} done", file=sys.stderr)
    pd.set_option("display.width", 200)
    table = pd.DataFrame(rows).set_index("seed")
    print(
        "Target lists against the truth (tier1_over_universe: baseline random list = 1.0, target >= 3; "
        "tier12_value_vs_truth: baseline the truth's own ranking = 1.0, target >= 0.85)"
    )
    print(table.round(3).to_string())
    for seed, d in drivers.items():
        share = d[f"in_top_{TOP}"].mean()
        print(
            f"\nseed {seed}: planted drivers beside the global SHAP ranking; {d[f'in_top_{TOP}'].sum()} of "
            f"{len(d)} ({share:.0%}) in the top {TOP} (target >= 80%)"
        )
        print(d.to_string(index=False))


if __name__ == "__main__":
    main()
