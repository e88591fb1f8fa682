"""The `icp` command line."""

import argparse
import sys

from pipeline.world import WorldConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="icp", description="Predictive ICP pipeline")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("synthesize", help="generate a synthetic B2B world with known truth")
    s.add_argument("--accounts", type=int, default=WorldConfig.accounts)
    s.add_argument("--seed", type=int, default=WorldConfig.seed)
    s.add_argument("--end-date", default=WorldConfig.end_date, help="the world's last date (YYYY-MM-DD)")
    s.add_argument("--years", type=int, default=WorldConfig.years)
    s.add_argument("--chunk-size", type=int, default=WorldConfig.chunk_size)
    s.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    s.add_argument("--out", required=True, help="folder for the export tables")
    s.add_argument("--truth-out", help="folder for the ground truth (default: <out>_truth)")
    r = sub.add_parser("world-report", help="describe a synthetic world and check its planted truth")
    r.add_argument("--data", default="data/raw/synthetic")
    r.add_argument("--truth", default="data/raw/synthetic_truth")
    args = parser.parse_args(argv)

    if args.command == "synthesize":
        from pipeline.synthesize import run
        cfg = WorldConfig(accounts=args.accounts, seed=args.seed, end_date=args.end_date, years=args.years,
                          chunk_size=args.chunk_size)
        run(cfg, args.out, args.truth_out or f"{args.out.rstrip('/')}_truth", args.format)
    elif args.command == "world-report":
        from pipeline.world_report import report
        print(report(args.data, args.truth))
    return 0


if __name__ == "__main__":
    sys.exit(main())
