"""What a person sees in the terminal: one log format on stderr, --quiet / --verbose, progress bars on long
loops, and the error boundary of `python -m pipeline.stages.<name>` (one line, exit code 2, no traceback)."""

import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from tqdm import tqdm

from features.ingest import ContractError
from pipeline import params as P

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


def stage_main(run: Callable[[P.Params], object]) -> None:
    """`python -m pipeline.stages.<name>`: params.yaml, the stage, and a bad input or param said in one
    line."""
    try:
        with messages():
            run(P.load())
    except (ContractError, P.ParamsError) as e:
        stage = sys.modules[run.__module__].__spec__.name.rsplit(".", 1)[-1]  # run.__module__ is "__main__"
        print(f"{stage}: {e}", file=sys.stderr)
        sys.exit(2)
