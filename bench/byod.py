"""Bring your own data, measured: one world exported natively and as Salesforce and HubSpot would export it,
each run the way a new user would, against the native run.

    python bench/byod.py                          # seeds 7 8 9, both styles, params.yaml's world size
    python bench/byod.py --seeds 7 --accounts 5000
    python bench/byod.py --write                  # also docs/benchmarks.md (bench/record.py)

Per seed, the native world runs synthesize ... score. Each style writes the same world (`icp synthesize
--style`); `icp init` guesses a mapping; EDITS apply what init marks TO REVIEW or the docs say a person must
decide (which technology tags are competitors, complements or our own product; the date the firmographics
were exported), nothing else; then ingest ... score run on it.
The truth is the native world's with its ids written as the style writes them, so evaluate's oracle and the
tiers' true P(win) judge every run alike. Printed per run: the ratio to the oracle (evaluate's, holdout), the
tiers' true P(win) over the universe's, rows rejected and the rejects for a code outside a closed list.
"""

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from record import add_write, recorded  # noqa: E402

from pipeline import params as P  # noqa: E402
from pipeline.guess import write_mapping  # noqa: E402
from pipeline.io import new_folder  # noqa: E402
from pipeline.paths import paths  # noqa: E402
from pipeline.run import run_stages  # noqa: E402
from pipeline.world import vendor_fields as F  # noqa: E402

STAGES = ["ingest", "featurize", "train", "evaluate", "explain", "score"]  # score reads the ICP profile
STYLES = ("salesforce", "hubspot")
# id columns of the truth tables, as each style writes them
IDS = {
    "salesforce": {
        "account_id": lambda s: F.salesforce_ids(s, "001"),
        "opportunity_id": lambda s: F.salesforce_ids(s, "006"),
    },
    "hubspot": {
        "account_id": lambda s: F.hubspot_ids(s, "company").astype("str"),
        "opportunity_id": lambda s: F.hubspot_ids(s, "deal").astype("str"),
    },
}


def _values(mapping: dict, table: str, column: str, codes: dict) -> None:
    spec = mapping["tables"][table]
    spec.setdefault("values", {}).setdefault(column, {}).update(codes)


def _tags(mapping: dict) -> None:
    """BuiltWith's tags are the vendor's: which are competitors, complements and our product is ours to say
    (docs/data_contract.md, technographics)."""
    tags = {
        "Revenue Intelligence": "competitor",
        "Sales Engagement": "complement",
        "Revenue Operations": "ours",
    }
    _values(mapping, "technographics", "Tag", tags)


def edit_salesforce(mapping: dict, p: P.Params) -> None:
    """The tags (init guesses pricing-page visits from the activity type's name)."""
    _tags(mapping)


def edit_hubspot(mapping: dict, p: P.Params) -> None:
    """The tags as above; init dates today's firmographics by the file's date and asks for the date they were
    measured: the export date, the world's end."""
    _tags(mapping)
    mapping["tables"]["accounts"].setdefault("defaults", {})["snapshot_date"] = p.synthesize.end_date


EDITS = {"salesforce": edit_salesforce, "hubspot": edit_hubspot}


def styled_truth(truth: Path, out: Path, style: str) -> None:
    """The native truth with its ids as `style` writes them."""
    with new_folder(out) as folder:
        for f in truth.iterdir():
            if f.suffix == ".parquet":
                t = pd.read_parquet(f)
                for column, styled in IDS[style].items():
                    if column in t:
                        t[column] = styled(t[column]).to_numpy()
                t.to_parquet(folder / f.name, index=False)
            else:
                (folder / f.name).write_bytes(f.read_bytes())


def judged(p: P.Params) -> dict:
    """Ratio to the oracle, the tiers' true P(win) over the universe's, and the rejects of a run."""
    f = paths(p)
    metrics = pd.read_json(f.metrics, typ="series")
    listed = pd.read_csv(f.target_list("csv"), usecols=["account_id", "tier"], dtype={"account_id": str})
    truth = pd.read_parquet(f.truth_table("accounts"), columns=["account_id", "true_p_win"])
    truth["account_id"] = truth["account_id"].astype(str)
    listed = listed.merge(truth, on="account_id", how="left")
    universe = listed["true_p_win"].mean()
    summary = pd.read_json(f.ingest_summary, typ="series")
    rejects = pd.read_csv(f.rejects, dtype=str, keep_default_na=False)
    return {
        "ratio": metrics["model_vs_oracle"]["ratio_to_oracle"],
        "model_auc": metrics["model"]["roc_auc"],
        "oracle_auc": metrics["oracle"]["roc_auc"],
        "tier1_x": listed.loc[listed["tier"] == 1, "true_p_win"].mean() / universe,
        "tier12_x": listed.loc[listed["tier"] <= 2, "true_p_win"].mean() / universe,
        "unmatched": int(listed["true_p_win"].isna().sum()),
        "rejected": sum(t["rows_rejected"] for t in summary["tables"].values()),
        "cleared": sum(t["values_cleared"] for t in summary["tables"].values()),
        "code_rejects": int(rejects["reason"].str.contains("is not one of").sum()),
    }


def run_style(base: P.Params, root: Path, seed: int, style: str, native: P.Params) -> dict:
    p = P.override(P.rooted(base, root, seed), {"synthesize.style": style})
    run_stages(p, ["synthesize"])
    f = paths(p)
    mapping_file = root / "mapping.yaml"
    write_mapping(f.world, mapping_file)
    mapping = yaml.safe_load(mapping_file.read_text())
    EDITS[style](mapping, p)
    mapping_file.write_text(yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True))
    styled_truth(paths(native).world_truth, root / "truth_ids", style)
    p = P.override(p, {"ingest.mapping": str(mapping_file), "evaluate.truth": str(root / "truth_ids")})
    run_stages(p, STAGES)
    return judged(p)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[7, 8, 9])
    ap.add_argument("--accounts", type=int, help="world size (default: params.yaml)")
    ap.add_argument("--styles", nargs="+", default=list(STYLES), choices=STYLES)
    add_write(ap)
    args = ap.parse_args()
    with recorded(__file__, args.write):
        report(args)


def report(args: argparse.Namespace) -> None:
    """Run each seed natively and in each style; print the runs and each style's gaps to native."""
    base = P.load(Path(__file__).resolve().parents[1] / "params.yaml")
    if args.accounts:
        base = P.override(base, {"synthesize.accounts": args.accounts})
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            native = P.rooted(base, Path(tmp) / str(seed) / "native", seed)
            run_stages(native, ["synthesize", *STAGES])
            rows.append({"seed": seed, "style": "native", **judged(native)})
            for style in args.styles:
                row = run_style(base, Path(tmp) / str(seed) / style, seed, style, native)
                rows.append({"seed": seed, "style": style, **row})
                print(f"seed {seed} {style}: ratio {row['ratio']:.3f}", file=sys.stderr)
    table = pd.DataFrame(rows).set_index(["seed", "style"])
    pd.set_option("display.width", 200)
    print(
        "Per run (ratio = (AUC-0.5)/(oracle AUC-0.5) on the holdout; "
        "tier1_x = Tier 1 true P(win) / universe's)"
    )
    print(table.round(3).to_string())
    native = table.xs("native", level="style")
    print()
    for style in args.styles:
        t = table.xs(style, level="style")
        gap = (t["ratio"] - native["ratio"]).abs()
        tier = (t["tier1_x"] / native["tier1_x"] - 1).abs()
        print(
            f"{style}: ratio within {gap.max():.3f} of native (target 0.02), Tier 1 true P(win) within "
            f"{tier.max():.1%} of native (target 10%), code rejects {int(t['code_rejects'].sum())}, "
            f"rows rejected {int(t['rejected'].sum())} vs native {int(native['rejected'].sum())}"
        )


if __name__ == "__main__":
    main()
