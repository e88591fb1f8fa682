"""The `icp` command line."""

import argparse
import sys
from pathlib import Path

from features.errors import ContractError
from pipeline import console
from pipeline import params as P
from pipeline.world import WorldConfig
from pipeline.world.styles import STYLES


def _noise(default) -> argparse.ArgumentParser:
    """-q / -v, before or after the command (after it, SUPPRESS keeps what was given before)."""
    flags = argparse.ArgumentParser(add_help=False)
    noise = flags.add_mutually_exclusive_group()
    noise.add_argument(
        "-q",
        "--quiet",
        action="store_const",
        const=-1,
        dest="verbosity",
        default=default,
        help="warnings and results only, no progress",
    )
    noise.add_argument(
        "-v",
        "--verbose",
        action="store_const",
        const=1,
        dest="verbosity",
        default=default,
        help="also the details of each step",
    )
    return flags


def _export(parser: argparse.ArgumentParser, required: bool) -> None:
    """The arguments naming a user's export and where its run lives: `icp run`'s, and `icp refresh`'s for
    the same run (without --data, refresh works on params.yaml's project)."""
    parser.add_argument("--data", required=required, help="the folder of your export's files")
    parser.add_argument(
        "--mapping",
        help="the mapping file (icp init writes one); omit when the files use the contract's names",
    )
    parser.add_argument("--out", help="folder for every output (default: runs/<name>)")
    parser.add_argument(
        "--name",
        help="name of the run, its MLflow experiment icp-<name> and registered model "
        "<name>-win-model (default: the data folder's name)",
    )
    parser.add_argument(
        "--engine",
        choices=["duckdb", "spark"],
        help="where features are built and accounts scored (default: params.yaml's engine; docs/scale.md)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a param of params.yaml, as dvc exp run -S does (repeatable)",
    )


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="icp", description="Predictive ICP pipeline", parents=[_noise(0)])
    sub = parser.add_subparsers(dest="command", required=True)
    after = [_noise(argparse.SUPPRESS)]
    s = sub.add_parser("synthesize", parents=after, help="generate a synthetic B2B world with known truth")
    s.add_argument("--accounts", type=int, default=WorldConfig.accounts)
    s.add_argument("--seed", type=int, default=WorldConfig.seed)
    s.add_argument("--end-date", default=WorldConfig.end_date, help="the world's last date (YYYY-MM-DD)")
    s.add_argument("--years", type=int, default=WorldConfig.years)
    s.add_argument("--chunk-size", type=int, default=WorldConfig.chunk_size)
    s.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    s.add_argument(
        "--role-effect",
        action=argparse.BooleanOptionalAction,
        default=WorldConfig.role_effect,
        help="plant the role effect: an engaged finance contact raises P(win) (--no-role-effect: only the "
        "committee's breadth counts)",
    )
    s.add_argument(
        "--style",
        choices=STYLES,
        default="native",
        help="native: the data contract's tables; salesforce / hubspot: the same world as those tools export "
        "it, as CSV (the truth is the same)",
    )
    s.add_argument("--out", required=True, help="folder for the export tables")
    s.add_argument("--truth-out", help="folder for the ground truth (default: <out>_truth)")
    r = sub.add_parser(
        "world-report", parents=after, help="describe a synthetic world and check its planted truth"
    )
    r.add_argument("--data", help="the world's export (default: synthesize.out of params.yaml)")
    r.add_argument("--truth", help="its ground truth (default: synthesize.truth_out)")
    t = sub.add_parser(
        "targets",
        parents=after,
        help="show the top of the ranked target-account list and where its files are",
    )
    t.add_argument("--top", type=int, default=10)
    m = sub.add_parser(
        "promote", parents=after, help="make a registered model version the champion (the model in use)"
    )
    m.add_argument("version", help="the version number, as the MLflow registry lists it")
    sub.add_parser("rollback", parents=after, help="move the champion back to the previous champion")
    sub.add_parser(
        "registry", parents=after, help="where the MLflow runs are, and which model version is champion"
    )
    i = sub.add_parser(
        "init",
        parents=after,
        help="write a starter mapping file for your CRM export, guessed from its headers",
    )
    i.add_argument("--from", dest="source", required=True, help="the folder of your export's files")
    i.add_argument("--out", help="the mapping file to write (default: <folder name>.mapping.yaml)")
    i.add_argument("--force", action="store_true", help="overwrite an existing mapping file")
    g = sub.add_parser("run", parents=after, help="the whole pipeline on your own export, without DVC")
    _export(g, required=True)
    w = sub.add_parser(
        "refresh",
        parents=after,
        help="ingest the export again and list it as of a new date with the same model: what changed since "
        "the previous list (changes.csv), without retraining",
    )
    w.add_argument("--as-of", help="the new list's date (default: the day after the latest date in the data)")
    _export(w, required=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        with console.messages(args.verbosity):
            return _command(args)
    except (ContractError, P.ParamsError) as e:
        print(f"icp {args.command}: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # the boundary: anything else is ours, said in one line
        print(console.internal_error(f"icp {args.command}", e), file=sys.stderr)
        return console.INTERNAL


def _export_params(args) -> P.Params:
    """`icp run`'s params for --data, or params.yaml's (with --set) when refresh is not given one."""
    from pipeline.run import params_for

    sets = args.set + ([f"engine={args.engine}"] if args.engine else [])
    if args.data is None:
        return P.load(overrides=P.sets(sets))
    name = args.name or Path(args.data).resolve().name
    return params_for(args.data, args.mapping, args.out or Path("runs") / name, name, sets)


def _command(args) -> int:

    if args.command == "synthesize":
        from pipeline.stages.synthesize import write_world

        cfg = WorldConfig(
            accounts=args.accounts,
            seed=args.seed,
            end_date=args.end_date,
            years=args.years,
            chunk_size=args.chunk_size,
            role_effect=args.role_effect,
        )
        truth = args.truth_out or f"{args.out.rstrip('/')}_truth"
        write_world(cfg, args.out, truth, args.format, args.style)
    elif args.command == "world-report":
        from pipeline.paths import paths
        from pipeline.world_report import report

        f = paths(P.load()) if not (args.data and args.truth) else None
        print(report(args.data or f.world, args.truth or f.world_truth))
    elif args.command == "targets":
        from pipeline.console import show
        from pipeline.paths import paths

        print(show(paths(P.load()), args.top))
    elif args.command == "init":
        from pipeline.guess import write_mapping

        out = args.out or f"{Path(args.source).resolve().name}.mapping.yaml"
        print(write_mapping(args.source, out, args.force))
    elif args.command == "run":
        from pipeline.console import show
        from pipeline.paths import paths
        from pipeline.run import run_stages

        p = _export_params(args)
        f = paths(p)
        registered = run_stages(p)["report"]
        print(show(f, 10))
        print(
            f"\nMetrics: {f.metrics}   ICP profile: {f.profile_md}\n"
            f"Model card: {f.model_card}   MLflow: {p.report.registered_model} v{registered['version']} in "
            f"experiment {p.report.experiment}"
        )
    elif args.command == "refresh":
        from pipeline import refresh
        from pipeline.console import show_changes
        from pipeline.paths import paths
        from pipeline.run import run_stages

        p = _export_params(args)
        run_stages(p, ["ingest"])
        refresh.run(p, args.as_of)
        print(show_changes(paths(p), 10))
    elif args.command in ("promote", "rollback", "registry"):
        from pipeline import registry

        cfg, client = P.load().report, registry.connect()
        if args.command == "promote":
            print(
                registry.promote(client, cfg.registered_model, args.version, "promoted by hand (icp promote)")
            )
        elif args.command == "rollback":
            print(registry.rollback(client, cfg.registered_model))
        else:
            print(registry.status(client, cfg))
    return 0


if __name__ == "__main__":
    sys.exit(main())
