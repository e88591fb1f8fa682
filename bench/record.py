"""`--write` of every bench: its printed report goes to its own section of docs/benchmarks.md.

A bench's section lies between `<!-- bench/<name>.py -->` and `<!-- end bench/<name>.py -->`; writing replaces
what is between them (or appends the section when the file has none) and leaves the rest of the file, other
benches' sections included, as it was. The section holds the exact command, the date, the machine's cores, the
run time, the commit and what the bench printed on stdout (its progress goes to stderr and stays out).
"""

import argparse
import datetime as dt
import io
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"


def add_write(ap: argparse.ArgumentParser) -> None:
    ap.add_argument(
        "--write",
        action="store_true",
        help="also write the report to this bench's section of docs/benchmarks.md",
    )


def markers(bench: str) -> tuple[str, str]:
    return f"<!-- {bench} -->", f"<!-- end {bench} -->"


def replace_section(text: str, bench: str, body: str) -> str:
    """`text` with the section of `bench` holding `body`: appended, under a heading, when absent."""
    start, end = markers(bench)
    block = f"{start}\n{body.rstrip()}\n{end}"
    i = text.find(start)
    if i < 0:
        return f"{text.rstrip()}\n\n## {bench}\n\n{block}\n" if text.strip() else f"## {bench}\n\n{block}\n"
    j = text.find(end, i)
    if j < 0:
        raise ValueError(f"{start} has no {end} after it: fix the file by hand")
    return text[:i] + block + text[j + len(end) :]


def section(command: str, when: dt.datetime, seconds: float, commit: str, output: str) -> str:
    """What a bench's section holds: how the figures were made, then the report as printed (less the
    spaces pandas pads lines with)."""
    report = "\n".join(line.rstrip() for line in output.strip("\n").splitlines())
    return (
        f"`{command}`\n\n"
        f"{when:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, {seconds / 60:.1f} min, commit {commit}\n\n"
        f"```text\n{report}\n```"
    )


def commit() -> str:
    """The short commit of the code that ran, marked when the work tree differs from it (docs aside)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout

    try:
        head = git("rev-parse", "--short", "HEAD").strip()
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs").strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} with uncommitted changes" if dirty else head


class _Tee(io.TextIOBase):
    def __init__(self, *streams):
        self.streams = streams

    def write(self, s: str) -> int:
        for stream in self.streams:
            stream.write(s)
        return len(s)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


@contextmanager
def recorded(bench_file: str, write: bool, doc: Path = DOC) -> Iterator[None]:
    """Run the block as usual; with `write`, and when the block succeeds, also put what it printed on stdout
    in the bench's section of `doc`."""
    if not write:
        yield
        return
    bench = Path(bench_file).resolve().relative_to(ROOT).as_posix()
    command = shlex.join(["python", bench, *sys.argv[1:]])
    when, start, out = dt.datetime.now(dt.UTC), time.perf_counter(), io.StringIO()
    with redirect_stdout(_Tee(sys.stdout, out)):
        yield
    body = section(command, when, time.perf_counter() - start, commit(), out.getvalue())
    doc.write_text(replace_section(doc.read_text() if doc.exists() else "", bench, body))
    print(f"wrote the {bench} section of {doc}", file=sys.stderr)
