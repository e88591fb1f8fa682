"""What a person sees in the terminal: one log format on stderr, --quiet / --verbose, progress bars on long
loops, and the error boundary of `python -m pipeline.stages.<name>` and `icp`: one line, no traceback (exit
code 2 for bad input or params, 3 for an error of the pipeline itself, whose traceback goes to a log file)."""

import json
import logging
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import pandas as pd
from tqdm import tqdm

from features.errors import ContractError
from pipeline import params as P
from pipeline.paths import LISTS, Paths

LEVELS = {-1: logging.WARNING, 0: logging.INFO, 1: logging.DEBUG}
OURS = ("pipeline", "features", "models")  # the loggers set up here; libraries keep their own settings


@contextmanager
def messages(verbosity: int = 0, handler: logging.Handler | None = None) -> Iterator[None]:
    """Our messages on stderr (or to `handler`) inside the block: stdout stays clean for reports. -1 warnings
    only, 0 progress, 1 details. Undone after it, so a command run in-process leaves no handler behind."""
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
    loggers = [logging.getLogger(name) for name in OURS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(LEVELS[max(-1, min(1, verbosity))])
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


def progress(items: Iterable, total: int | None = None, what: str = "", unit: str = "it") -> Iterable:
    """A progress bar on stderr while logging shows progress and stderr is a terminal; the items as they are
    otherwise."""
    quiet = not logging.getLogger("pipeline").isEnabledFor(logging.INFO)
    return tqdm(
        items,
        total=total,
        desc=what,
        unit=unit,
        leave=False,
        file=sys.stderr,
        disable=True if quiet else None,
    )


INTERNAL = 3  # exit code of an error in the pipeline itself, not in the input or params (those are 2)


def internal_error(who: str, error: Exception) -> str:
    """An unexpected error in one line for the console, its traceback written to a log file the line names:
    the person learns it is not their data, and has what to report."""
    fd, path = tempfile.mkstemp(prefix="icp-error-", suffix=".log")
    with os.fdopen(fd, "w") as log:
        traceback.print_exception(error, file=log)
    said = " ".join(str(error).split())[:300]
    return (
        f"{who}: internal error, not a problem with your data or params ({type(error).__name__}: {said}); "
        f"the traceback is in {path}: please report it"
    )


def stage_main(run: Callable[[P.Params], object]) -> None:
    """`python -m pipeline.stages.<name>`: params.yaml, the stage, and a bad input or param said in one
    line (exit 2); an error of the pipeline itself in one line too, its traceback in a log file (exit 3)."""
    stage = sys.modules[run.__module__].__spec__.name.rsplit(".", 1)[-1]  # run.__module__ is "__main__"
    try:
        with messages():
            run(P.load())
    except (ContractError, P.ParamsError) as e:
        print(f"{stage}: {e}", file=sys.stderr)
        sys.exit(2)
    except Exception as e:  # the boundary: anything else is ours, said in one line
        print(internal_error(stage, e), file=sys.stderr)
        sys.exit(INTERNAL)


def top_table(targets: pd.DataFrame, n: int = 10) -> str:
    """The first `n` rows as a console table: rank, tier, account, expected value, P(win), first reason."""
    rows = [f"{'rank':>4}  {'tier':>4}  {'account':<28} {'expected value':>14} {'P(win)':>7}  first reason"]
    for r in targets.head(n).itertuples():
        name = str(r.name if isinstance(r.name, str) and r.name else r.account_id)[:28]
        rows.append(
            f"{r.rank:>4}  {r.tier:>4}  {name:<28} {r.expected_value:>14,.0f} {r.p_win:>7.1%}  "
            f"{r.reason_1 if isinstance(r.reason_1, str) else ''}"
        )
    return "\n".join(rows)


def show(f: Paths, n: int = 10) -> str:
    """The console view of the last scoring run: top `n` accounts, tier counts, files."""
    if not f.targets_summary.exists():
        raise SystemExit(f"no target list in {f.targets}: run `make run` (or `dvc repro score`) first")
    summary = json.loads(f.targets_summary.read_text())
    targets = pd.read_csv(f.target_list("csv"), nrows=n, keep_default_na=False)
    counts = ", ".join(f"Tier {t['tier']}: {t['accounts']:,}" for t in summary["tiers"])
    crm = [f.targets / name for name in summary["files"] if "." in name]  # the CRM files, by file name
    files = "\n".join(f"  {path}" for path in (*map(f.target_list, LISTS), f.contacts, f.open_deals, *crm))
    warning = f"{summary['warning']}\n" if summary.get("warning") else ""
    return (
        f"{warning}Top {n} target accounts as of {summary['as_of']} ({summary['universe']:,} scored: "
        f"{counts})\n"
        f"{top_table(targets, n)}\n\nThe full lists (with the contacts to work, the open deals and the CRM "
        f"import files):\n{files}"
    )


def show_changes(f: Paths, n: int = 10) -> str:
    """The console view of the last refresh: how much of the top tiers was replaced, the first `n` changes
    (best new tier first) and where the files are."""
    summary = json.loads((f.refresh / f.targets_summary.name).read_text())
    changes = pd.read_csv(f.changes, nrows=n, keep_default_na=False, dtype=str)
    c1, c2 = summary["churn"]["tier_1"], summary["churn"]["tier_1_to_2"]
    lines = [f"{r.what}: {r.name or r.account_id}: {r.reason}" for r in changes.itertuples()]
    files = "\n".join(f"  {f.refresh / f.target_list(e).name}" for e in LISTS)
    return (
        f"List as of {summary['as_of']} against {summary['previous_as_of']}: {c1['replaced']} of "
        f"{c1['previous']} Tier 1 accounts replaced ({c1['share_replaced']:.0%}), {c2['replaced']} of "
        f"{c2['previous']} in Tiers 1-2; {sum(summary['changes'].values()):,} accounts changed tier\n"
        + ("\n".join(lines) or "Nothing changed.")
        + f"\n\nEvery change: {f.changes}\nThe refreshed lists:\n{files}"
    )
