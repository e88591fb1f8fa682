"""Model quality against the truth of three synthetic worlds, and what leakage would do.

    python bench/quality.py                 # seeds 7 8 9 at the default size: model vs oracle vs baselines
    python bench/quality.py --leaky         # also train on present-state snapshot fields, judge against truth

Each world runs the real stages (synthesize, ingest, featurize, train, evaluate) in a temporary folder with the
project's params.yaml. The table shows holdout metrics per seed and the ratio (AUC - 0.5) / (oracle AUC - 0.5).
"""

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.stages import evaluate, featurize, ingest, synthesize, train  # noqa: E402
from pipeline import params as P  # noqa: E402
from pipeline.world import WorldConfig  # noqa: E402
from models.bundle import predict  # noqa: E402

QUIET = {"log": lambda *a, **k: None}


def run_graph(p: P.Params) -> tuple[dict, dict]:
    s = p.synthesize
    timings = {}
    t = time.perf_counter()
    synthesize.run(WorldConfig(s.accounts, s.seed, s.end_date, s.years, s.chunk_size), s.out, s.truth_out, s.format,
                   **QUIET)
    timings["synthesize"] = time.perf_counter() - t
    for name, step in (("ingest", lambda: ingest.run(p.ingest.source, p.ingest.out, p.ingest.max_reject_share,
                                                      **QUIET)),
                       ("featurize", lambda: featurize.run(p, **QUIET)),
                       ("train", lambda: train.run(p.train, p.features.out, **QUIET)),
                       ("evaluate", lambda: evaluate.run(p.evaluate, p.score, p.features.out, p.train.out,
                                                         **QUIET))):
        t = time.perf_counter()
        step()
        timings[name] = time.perf_counter() - t
    return json.loads((Path(p.evaluate.out) / "metrics.json").read_text()), timings


def soft_auc(score: np.ndarray, p_true: np.ndarray) -> float:
    """The ROC AUC expected if outcomes were drawn from the true probabilities: judges a ranking by the truth."""
    y = np.r_[np.ones(len(score)), np.zeros(len(score))]
    return float(roc_auc_score(y, np.r_[score, score], sample_weight=np.r_[p_true, 1 - p_true]))


LEAKS = {  # present-state fields a careless pipeline joins as they are today
    "firm_now_is_customer": lambda acc, tech, acts: acc["is_customer"].astype(float),
    "firm_now_employees": lambda acc, tech, acts: acc["employees"].astype(float),
    "tech_now_our_product": lambda acc, tech, acts: acc["account_id"].isin(
        tech.loc[tech["category"] == "ours", "account_id"]).astype(float),
    "beh_all_time_onboarding": lambda acc, tech, acts: acc["account_id"].map(
        acts[acts["activity_type"] == "onboarding_session"].groupby("account_id").size()).fillna(0.0),
}


def leaky_features(p: P.Params, out: Path) -> None:
    """Copy the feature folder, adding today's snapshot fields to every row, as of no date at all."""
    interim = Path(p.ingest.out)
    acc, tech, acts = (pd.read_parquet(interim / f"{n}.parquet") for n in ("accounts", "technographics", "activities"))
    leak = pd.DataFrame({"account_id": acc["account_id"], **{k: f(acc, tech, acts) for k, f in LEAKS.items()}})
    out.mkdir(parents=True)
    for name in ("train", "score"):
        frame = pd.read_parquet(Path(p.features.out) / f"{name}.parquet").merge(leak, on="account_id", how="left")
        frame.to_parquet(out / f"{name}.parquet", index=False)
    spec = json.loads((Path(p.features.out) / "features.json").read_text())
    family = {"firm": "firmographic", "tech": "technographic", "beh": "behaviour"}
    spec["features"] += [{"name": k, "family": family[k.split("_")[0]], "kind": "numeric"} for k in LEAKS]
    (out / "features.json").write_text(json.dumps(spec))


def judge_by_truth(p: P.Params, features: str, model: str) -> dict:
    """How well the model's ranking agrees with the truth, on holdout deals and on the scoring universe."""
    bundle = train.load_bundle(model)
    deals = pd.read_parquet(Path(features) / "train.parquet")
    split = json.loads((Path(model) / "train_summary.json").read_text())
    holdout = deals[deals["created_date"] >= pd.Timestamp(split["boundaries"]["holdout"])]
    truth = pd.read_parquet(Path(p.evaluate.truth) / "opportunities.parquet").set_index("opportunity_id")
    p_hold = predict(bundle, holdout)["p_win"].to_numpy()
    score = pd.read_parquet(Path(features) / "score.parquet")
    score = score[~score["customer"] & ~score["open_opportunity"]]
    acc_truth = pd.read_parquet(Path(p.evaluate.truth) / "accounts.parquet").set_index("account_id")["true_p_win"]
    p_score = predict(bundle, score)["p_win"].to_numpy()
    return {"holdout_auc_vs_truth": soft_auc(p_hold, holdout["opportunity_id"].map(truth["true_p_win"]).to_numpy()),
            "universe_auc_vs_truth": soft_auc(p_score, score["account_id"].map(acc_truth).to_numpy())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[7, 8, 9])
    ap.add_argument("--accounts", type=int, help="world size (default: params.yaml)")
    ap.add_argument("--leaky", action="store_true", help="also train on leaky present-state fields")
    args = ap.parse_args()
    base = P.load(Path(__file__).resolve().parents[1] / "params.yaml")
    if args.accounts:
        base = dataclasses.replace(base, synthesize=dataclasses.replace(base.synthesize, accounts=args.accounts))
    rows, leak_rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            p = P.rooted(base, Path(tmp) / str(seed), seed)
            m, t = run_graph(p)
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
                honest = judge_by_truth(p, p.features.out, p.train.out)
                leaky_dir = Path(tmp) / str(seed) / "leaky"
                leaky_features(p, leaky_dir / "features")
                lp = dataclasses.replace(p, train=dataclasses.replace(p.train, out=str(leaky_dir / "model")),
                                         evaluate=dataclasses.replace(p.evaluate, out=str(leaky_dir / "reports")))
                train.run(lp.train, str(leaky_dir / "features"), **QUIET)
                evaluate.run(lp.evaluate, lp.score, str(leaky_dir / "features"), lp.train.out, **QUIET)
                lm = json.loads((leaky_dir / "reports" / "metrics.json").read_text())
                leaky = judge_by_truth(lp, str(leaky_dir / "features"), lp.train.out)
                leak_rows += [{"seed": seed, "model": "honest", "offline_holdout_auc": m["model"]["roc_auc"], **honest},
                              {"seed": seed, "model": "leaky", "offline_holdout_auc": lm["model"]["roc_auc"], **leaky}]
    pd.set_option("display.width", 200)
    table = pd.DataFrame(rows).set_index("seed")
    print("Holdout quality per seed (AUC = ROC AUC; lift10 = top-decile lift; ratio = (AUC-0.5)/(oracle AUC-0.5))")
    print(table.round(3).to_string())
    beats = ((table["model_auc"] > table[["logistic_auc", "checklist_auc"]].max(axis=1))
             & (table["model_lift10"] > table[["logistic_lift10", "checklist_lift10"]].max(axis=1))).all()
    print(f"\nworst ratio {table['ratio'].min():.3f}; worst lift ratio {table['lift_ratio'].min():.3f}; "
          f"max model ECE {table['model_ece'].max():.4f}; model beats logistic and checklist on AUC and "
          f"top-decile lift on every seed: {bool(beats)}; "
          f"ingest+featurize+train+evaluate at most {table['stages_s'].max():.1f}s")
    if leak_rows:
        print("\nLeakage: offline holdout AUC vs agreement with the truth (soft AUC on true probabilities)")
        print(pd.DataFrame(leak_rows).set_index(["seed", "model"]).round(3).to_string())


if __name__ == "__main__":
    main()
