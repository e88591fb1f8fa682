"""The `score` stage on a large universe: peak memory and accounts per second, against the demo size.

    python bench/score_scale.py --accounts 1000000     # needs `make run` first (data/features, data/model)
    python bench/score_scale.py --write                # also docs/benchmarks.md (bench/record.py)

The demo world's scoring set is tiled (new account ids) to the requested size, then the real `score` stage
runs in a child process on both the original set (the baseline) and the tiled one, with the trained model of
data/model; each run's peak resident memory is read from the kernel (getrusage of the child). What this
measures is scoring alone: building a million-account scoring set needs ingest and featurize at that size too.
"""

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from record import add_write, recorded  # noqa: E402

from pipeline import params as P  # noqa: E402
from pipeline.paths import paths  # noqa: E402

CHILD = """
import sys; sys.path.insert(0, {root!r})
from pipeline import params as P
from pipeline.stages import score
score.run(P.override(P.load({params!r}), {overrides!r}))
"""


def tile(src: Path, dst: Path, n: int, suffix: str) -> None:
    """Copies of table `src` with account ids suffixed `-k` until `n` rows (streamed, never all in memory)."""
    source = pq.read_table(src)
    column, field = source.schema.get_field_index("account_id"), source.schema.field("account_id")
    with pq.ParquetWriter(dst, source.schema) as writer:
        written, k = 0, 0
        while written < n:
            part = source.slice(0, n - written)
            ids = pc.binary_join_element_wise(part["account_id"].cast(pa.string()), f"{suffix}{k}", "")
            writer.write_table(part.set_column(column, field, ids.cast(field.type)))
            written, k = written + len(part), k + 1


def measure(p: P.Params, overrides: dict) -> dict:
    """The score stage in a child process with `overrides` on the project's params."""
    code = CHILD.format(root=str(ROOT), params=str(ROOT / "params.yaml"), overrides=overrides)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    summary = json.loads(paths(P.override(p, overrides)).targets_summary.read_text())
    return {
        "accounts": summary["read"],
        "universe": summary["universe"],
        "explained": summary["explained"],
        "seconds": round(seconds, 1),
        "accounts_per_s": round(summary["read"] / seconds),
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=1_000_000)
    add_write(ap)
    args = ap.parse_args()
    with recorded(__file__, args.write):
        report(args)


def report(args: argparse.Namespace) -> None:
    """Score the demo set and the tiled one; print both runs and their ratios."""
    p = P.load(ROOT / "params.yaml")
    demo = paths(p)
    if not (ROOT / demo.score_set).exists() or not (ROOT / demo.model).exists():
        raise SystemExit(f"bench/score_scale.py needs {demo.features} and {demo.model}: run `make run` first")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = measure(p, {"score.out": str(tmp / "base")})  # first, so the children's peak is the baseline's
        overrides = {
            "features.out": str(tmp / "features"),
            "ingest.out": str(tmp / "interim"),
            "score.out": str(tmp / "big"),
        }
        big_paths = paths(P.override(p, overrides))
        big_paths.features.mkdir()
        big_paths.interim.mkdir()
        shutil.copy(ROOT / demo.features_json, big_paths.features_json)
        tile(ROOT / demo.score_set, big_paths.score_set, args.accounts, "-t")
        tile(ROOT / demo.interim_table("accounts"), big_paths.interim_table("accounts"), args.accounts, "-t")
        # the open deals, as they are
        shutil.copy(ROOT / demo.interim_table("opportunities"), big_paths.interim_table("opportunities"))
        big = measure(p, overrides)
    print(
        f"{'':>12} {'accounts':>10} {'universe':>10} {'explained':>9} {'seconds':>8} {'accounts/s':>10} "
        f"{'peak GiB':>8}"
    )
    for name, r in (("baseline", base), ("large", big)):
        print(
            f"{name:>12} {r['accounts']:>10,} {r['universe']:>10,} {r['explained']:>9,} {r['seconds']:>8} "
            f"{r['accounts_per_s']:>10,} {r['peak_rss_gib']:>8}"
        )
    print(
        f"\nlarge / baseline: {big['accounts'] / base['accounts']:.0f}x the accounts, throughput ratio "
        f"{big['accounts_per_s'] / base['accounts_per_s']:.2f}, peak memory ratio "
        f"{big['peak_rss_gib'] / base['peak_rss_gib']:.2f} (target: peak under 3 GiB)"
    )


if __name__ == "__main__":
    main()
