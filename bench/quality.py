"""Model quality against the truth of three synthetic worlds, and what leakage would do.

    python bench/quality.py                 # seeds 7 8 9 at the default size: model vs oracle vs baselines
    python bench/quality.py --leaky         # also train on present-state snapshot fields, judge against truth
    python bench/quality.py --write         # also docs/benchmarks.md (bench/record.py)

Each world runs the real stages (synthesize, ingest, featurize, train, evaluate, backtest) in a temporary
folder with the project's params.yaml. The first table shows holdout metrics per seed and the ratio
(AUC - 0.5) / (oracle AUC - 0.5); the second the rolling-origin backtest's ROC AUC and ratio per origin.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from record import add_write, recorded  # noqa: E402

from models.bundle import load_bundle, predict, read_summary  # noqa: E402
from pipeline import params as P  # noqa: E402
from pipeline.paths import paths  # noqa: E402
from pipeline.run import run_stages  # noqa: E402


def run_graph(p: P.Params, stages: tuple = ("synthesize", "ingest", "featurize", "train", "evaluate")):
    """synthesize ... evaluate (or `stages`) on the world of `p`: the metrics and each stage's seconds."""
    timings = {}
    for name in stages:
        t = time.perf_counter()
        run_stages(p, [name])
        timings[name] = time.perf_counter() - t
    return json.loads(paths(p).metrics.read_text()), timings


def soft_auc(score: np.ndarray, p_true: np.ndarray) -> float:
    """The ROC AUC expected if outcomes were drawn from the true probabilities: judges a ranking by the
    truth."""
    y = np.r_[np.ones(len(score)), np.zeros(len(score))]
    return float(roc_auc_score(y, np.r_[score, score], sample_weight=np.r_[p_true, 1 - p_true]))


LEAKS = {  # present-state fields a careless pipeline joins as they are today
    "firm_now_is_customer": lambda acc, tech, acts: acc["is_customer"].astype(float),
    "firm_now_employees": lambda acc, tech, acts: acc["employees"].astype(float),
    "tech_now_our_product": lambda acc, tech, acts: (
        acc["account_id"].isin(tech.loc[tech["category"] == "ours", "account_id"]).astype(float)
    ),
    "beh_all_time_onboarding": lambda acc, tech, acts: (
        acc["account_id"]
        .map(acts[acts["activity_type"] == "onboarding_session"].groupby("account_id").size())
        .fillna(0.0)
    ),
}


def leaky_features(p: P.Params, leaky: P.Params) -> None:
    """Copy the feature folder of `p` to that of `leaky`, adding today's snapshot fields to every row, as of
    no date at all."""
    f, out = paths(p), paths(leaky)
    acc, tech, acts = (
        pd.read_parquet(f.interim_table(n)) for n in ("accounts", "technographics", "activities")
    )
    leak = pd.DataFrame(
        {"account_id": acc["account_id"], **{k: f(acc, tech, acts) for k, f in LEAKS.items()}}
    )
    out.features.mkdir(parents=True)
    for src, dst in ((f.train_set, out.train_set), (f.score_set, out.score_set)):
        pd.read_parquet(src).merge(leak, on="account_id", how="left").to_parquet(dst, index=False)
    spec = json.loads(f.features_json.read_text())
    family = {"firm": "firmographic", "tech": "technographic", "beh": "behaviour"}
    spec["features"] += [{"name": k, "family": family[k.split("_")[0]], "kind": "numeric"} for k in LEAKS]
    out.features_json.write_text(json.dumps(spec))


def judge_by_truth(p: P.Params) -> dict:
    """How well the model's ranking agrees with the truth, on holdout deals and on the scoring universe."""
    f = paths(p)
    bundle = load_bundle(f.model)
    deals = pd.read_parquet(f.train_set)
    split = read_summary(f.model)
    holdout = deals[deals["created_date"] >= pd.Timestamp(split["boundaries"]["holdout"])]
    truth = pd.read_parquet(f.truth_table("opportunities")).set_index("opportunity_id")
    p_hold = predict(bundle, holdout)["p_win"].to_numpy()
    score = pd.read_parquet(f.score_set)
    score = score[~score["customer"] & ~score["open_opportunity"]]
    acc_truth = pd.read_parquet(f.truth_table("accounts")).set_index("account_id")["true_p_win"]
    p_score = predict(bundle, score)["p_win"].to_numpy()
    return {
        "holdout_auc_vs_truth": soft_auc(
            p_hold, holdout["opportunity_id"].map(truth["true_p_win"]).to_numpy()
        ),
        "universe_auc_vs_truth": soft_auc(p_score, score["account_id"].map(acc_truth).to_numpy()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[7, 8, 9])
    ap.add_argument("--accounts", type=int, help="world size (default: params.yaml)")
    ap.add_argument("--leaky", action="store_true", help="also train on leaky present-state fields")
    add_write(ap)
    args = ap.parse_args()
    with recorded(__file__, args.write):
        report(args)


def report(args: argparse.Namespace) -> None:
    """Run the worlds and print the quality table (and, with --leaky, the leakage table)."""
    base = P.load(Path(__file__).resolve().parents[1] / "params.yaml")
    if args.accounts:
        base = P.override(base, {"synthesize.accounts": args.accounts})
    rows, leak_rows, origins = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            p = P.rooted(base, Path(tmp) / str(seed), seed)
            m, t = run_graph(p, ("synthesize", "ingest", "featurize", "train", "evaluate", "backtest"))
            origins += [
                {"seed": seed, **{k: x[k] for k in ("origin", "tested_deals", "roc_auc", "ratio_to_oracle")}}
                for x in json.loads(paths(p).backtest.read_text())["origins"]
            ]
            row = {"seed": seed, "deals": m["holdout"]["deals"]}
            for who in ("model", "logistic", "checklist", "oracle"):
                row[f"{who}_auc"] = m[who]["roc_auc"]
            for who in ("model", "logistic", "checklist", "oracle"):
                row[f"{who}_lift10"] = m[who]["top_decile_lift"]
            row["ratio"] = (m["model"]["roc_auc"] - 0.5) / (m["oracle"]["roc_auc"] - 0.5)
            row["lift_ratio"] = m["model"]["top_decile_lift"] / m["oracle"]["top_decile_lift"]
            row["model_ece"] = m["model"]["ece"]
            row["stages_s"] = t["ingest"] + t["featurize"] + t["train"] + t["evaluate"]
            rows.append(row)
            print(f"seed {seed}: " + ", ".join(f"{k} {v:.1f}s" for k, v in t.items()), file=sys.stderr)
            if args.leaky:
                honest = judge_by_truth(p)
                leaky_dir = Path(tmp) / str(seed) / "leaky"
                lp = P.override(
                    p,
                    {
                        "features.out": str(leaky_dir / "features"),
                        "train.out": str(leaky_dir / "model"),
                        "evaluate.out": str(leaky_dir / "reports"),
                    },
                )
                leaky_features(p, lp)
                lm = run_stages(lp, ["train", "evaluate"])["evaluate"]
                leaky = judge_by_truth(lp)
                leak_rows += [
                    {"seed": seed, "model": "honest", "offline_holdout_auc": m["model"]["roc_auc"], **honest},
                    {"seed": seed, "model": "leaky", "offline_holdout_auc": lm["model"]["roc_auc"], **leaky},
                ]
    pd.set_option("display.width", 200)
    table = pd.DataFrame(rows).set_index("seed")
    print(
        "Holdout quality per seed (AUC = ROC AUC; lift10 = top-decile lift; "
        "ratio = (AUC-0.5)/(oracle AUC-0.5))"
    )
    print(table.round(3).to_string())
    beats = (
        (table["model_auc"] > table[["logistic_auc", "checklist_auc"]].max(axis=1))
        & (table["model_lift10"] > table[["logistic_lift10", "checklist_lift10"]].max(axis=1))
    ).all()
    print(
        f"\nworst ratio {table['ratio'].min():.3f}; worst lift ratio {table['lift_ratio'].min():.3f}; "
        f"max model ECE {table['model_ece'].max():.4f}; model beats logistic and checklist on AUC and "
        f"top-decile lift on every seed: {bool(beats)}; "
        f"ingest+featurize+train+evaluate at most {table['stages_s'].max():.1f}s"
    )
    print("\nRolling-origin backtest: ROC AUC and ratio to the oracle per quarterly origin")
    print(pd.DataFrame(origins).set_index(["seed", "origin"]).round(3).to_string())
    if leak_rows:
        print("\nLeakage: offline holdout AUC vs agreement with the truth (soft AUC on true probabilities)")
        print(pd.DataFrame(leak_rows).set_index(["seed", "model"]).round(3).to_string())


if __name__ == "__main__":
    main()
