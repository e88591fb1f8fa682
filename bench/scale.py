"""Behaviour features on 100M activities (DuckDB, Spark, plain pandas) and the whole graph at 1M accounts.

    python bench/scale.py                       # 1M accounts, 100M activities, 10M-activity pandas slice
    python bench/scale.py --accounts 50000 --activities 5000000 --slice 1000000 --work /tmp/scale
    python bench/scale.py --write               # also docs/benchmarks.md (bench/record.py)

The feature world is the generator's (`--base` accounts, ingested by the real ingest stage) tiled to
`--accounts` with new ids per copy (accounts, contacts, opportunities), its activities copied again, each
copy 25 hours earlier than the last, until about `--activities`: the tiled tables are written by DuckDB
straight into the interim folder in the contract's columns, because ingest at that size is the graph's
measure, not the features'. The spine is the project's training spine (closed deals) and scoring spine
(accounts), as featurize builds them. Each engine runs in its own child process, from connect to the Parquet
written: DuckDB and Spark `local[2]` run `features.pointintime.build` with only the behaviour family (the
project's Ibis expressions, unchanged); pandas runs a plain pandas version of the same features (`pandas_
behaviour`: merge, filter, groupby). Results are compared row by row (the same keys, numbers to 1e-9). pandas
runs on a slice of the accounts holding about `--slice` activities, and on the full data only when its peak
memory, extrapolated from the slice, fits in the memory available. Spark runs on the full data, or with
`--spark-on slice` on the slice (on the full 100M activities it took 8.2x DuckDB's time: docs/benchmarks.md).

The graph part runs every stage of dvc.yaml (`python -m pipeline.stages.<stage>`, one child each, params.yaml
rooted in the work folder, the generator at `--accounts`) and reads each child's peak RSS from the kernel
(wait4). Built worlds are kept under `--work`, so a rerun skips building them.
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from record import add_write, recorded  # noqa: E402

from features.pointintime import SENIOR, FeatureConfig, build  # noqa: E402
from features.spines import scoring_date, scoring_spine, training_spine  # noqa: E402
from features.vocabulary import DEPARTMENT, frequent_values, slug  # noqa: E402
from pipeline import engines  # noqa: E402
from pipeline import params as P  # noqa: E402

STAGES = ("synthesize", "ingest", "featurize", "train", "evaluate", "backtest", "explain", "score", "report")
TABLES = (
    "accounts",
    "opportunities",
    "contacts",
    "activities",
)  # what the behaviour features and spines need
SHIFT_HOURS = 25  # each further copy of an account's activities is this much earlier: no two rows alike
GIB = 2**30
TOLERANCE = 1e-9
TIME = "/usr/bin/time"  # GNU time: the graph's stages' peak RSS, as issue 16 measures it


def interim(folder: Path, name: str) -> Path:
    return folder / f"{name}.parquet"


def count(con, path: Path) -> int:
    return con.execute(f"select count(*) from '{path}'").fetchone()[0]


def base_world(work: Path, accounts: int, seed: int) -> Path:
    """The generator's world of `accounts`, through the real ingest stage: the interim tables to tile."""
    from pipeline.stages import ingest
    from pipeline.stages.synthesize import write_world
    from pipeline.world import WorldConfig

    folder = work / f"base_{accounts}_{seed}"
    if (folder / "interim" / "ingest_summary.json").exists():
        return folder / "interim"
    p = P.rooted(P.load(ROOT / "params.yaml"), folder, seed=seed)
    write_world(WorldConfig(accounts=accounts, seed=seed, chunk_size=min(accounts, 20000)), *_raw(p))
    ingest.run(p)
    return folder / "interim"


def _raw(p: P.Params) -> tuple[Path, Path]:
    return Path(p.synthesize.out), Path(p.synthesize.truth_out)


def tiled_world(base: Path, folder: Path, accounts: int, activities: int) -> dict:
    """The base interim tables tiled to about `accounts` and `activities` (DuckDB SQL: bench plumbing, not
    features); what was built, also saved as world.json, which marks the world complete."""
    done = folder / "world.json"
    if done.exists():
        return json.loads(done.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    n_base = count(con, interim(base, "accounts"))
    per_copy = count(con, interim(base, "activities"))
    copies = max(1, round(accounts / n_base))
    rounds = max(1, math.ceil(activities / (copies * per_copy)))  # copies of each account's activities
    last = math.ceil((activities - (rounds - 1) * copies * per_copy) / per_copy)  # account copies in the last
    new = {c: f"{c} || '-t' || k.k" for c in ("account_id", "contact_id", "opportunity_id")}
    new["timestamp"] = f"timestamp - to_hours(r.r * {SHIFT_HOURS})"  # activities only
    for name in TABLES:
        cols = con.sql(f"select * from '{interim(base, name)}' limit 0").columns
        select = ", ".join(f"{new[c]} as {c}" if c in new else c for c in cols)
        if name == "activities":
            source = (
                f"'{interim(base, name)}', range({copies}) k(k), range({rounds}) r(r) "
                f"where r.r < {rounds - 1} or k.k < {last}"
            )
        else:
            source = f"'{interim(base, name)}', range({copies}) k(k)"
        con.execute(f"copy (select {select} from {source}) to '{interim(folder, name)}' (format parquet)")
    rows = {name: count(con, interim(folder, name)) for name in TABLES}
    world = {"base_accounts": n_base, "account_copies": copies, "activity_rounds": rounds, "rows": rows}
    done.write_text(json.dumps(world, indent=1))
    return world


def spine_and_config(folder: Path, p: P.Params) -> dict:
    """The spine every engine gets (closed deals as of their creation, accounts as of the scoring date) and
    the behaviour features' configuration, chosen as featurize chooses it (values frequent before the
    scoring date)."""
    target = folder / "spine.parquet"
    config = folder / "config.json"
    if target.exists() and config.exists():
        return json.loads(config.read_text())
    con = engines.connect(P.override(p, {"engine": "duckdb"}))
    tables = {name: engines.read(con, interim(folder, name)) for name in TABLES}
    as_of = scoring_date(tables, p.score.as_of)
    train = training_spine(tables, p.features.opportunity_types, p.features.as_of_lag_days)
    spine = train.select("key", "account_id", "as_of").union(
        scoring_spine(tables, as_of).select("key", "account_id", "as_of")
    )
    con.to_parquet(spine, target)
    f = p.features
    cfg = {
        "families": ["behaviour"],
        "windows": list(f.windows),
        "activity_types": list(
            frequent_values(tables, "behaviour", as_of, f.top_values, f.min_value_records)
        ),
        "departments": list(frequent_values(tables, "departments", as_of, f.top_values, f.min_value_records)),
    }
    config.write_text(json.dumps(cfg, indent=1))
    return cfg


def slice_world(folder: Path, out: Path, share: float) -> dict:
    """The accounts of about `share` of the activities (chosen by a hash of their id), with their contacts,
    activities and spine rows."""
    done = out / "slice.json"
    if done.exists():
        return json.loads(done.read_text())
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    keep = f"hash(account_id) % 100000 < {max(1, round(share * 100000))}"
    for name in ("contacts", "activities", "spine"):
        con.execute(f"copy (select * from '{interim(folder, name)}' where {keep}) to '{interim(out, name)}'")
    shutil.copy(folder / "config.json", out / "config.json")
    rows = {n: count(con, interim(out, n)) for n in ("activities", "spine")}
    done.write_text(json.dumps(rows))
    return rows


# ---- the engines, each in a child process ----


def seconds_since_epoch(t: pd.Series) -> np.ndarray:
    """Whole seconds, as the project counts days (features/elapsed.py)."""
    return t.to_numpy().astype("datetime64[s]").astype("int64")


def pandas_behaviour(
    spine: pd.DataFrame, acts: pd.DataFrame, contacts: pd.DataFrame, cfg: dict
) -> pd.DataFrame:
    """The behaviour features as an analyst would write them in pandas: join the spine to its accounts'
    activities of the last year before as_of, attach each contact's department and seniority, group by row."""
    lookback = pd.Timedelta(days=max(365, *cfg["windows"]))
    j = spine.merge(acts, on="account_id")
    j = j[(j["timestamp"] < j["as_of"]) & (j["timestamp"] >= j["as_of"] - lookback)]
    c = contacts.rename(columns={"created_date": "contact_created"})
    j = j.merge(c[["contact_id", "department", "seniority", "contact_created"]], on="contact_id", how="left")
    j["age"] = (seconds_since_epoch(j["as_of"]) - seconds_since_epoch(j["timestamp"])) / 86400.0
    parts = []
    for w in cfg["windows"]:
        within = j[j["age"] <= w]
        by_type = within.groupby(["key", "activity_type"]).size().unstack()
        counts = pd.DataFrame({f"beh_all_{w}d": by_type.sum(axis=1)})
        for kind in cfg["activity_types"]:
            counts[f"beh_{slug(kind)}_{w}d"] = by_type[kind] if kind in by_type else np.nan
        parts.append(counts)
    g = j.groupby("key")
    d30, d90 = j[j["age"] <= 30], j[j["age"] <= 90]
    known = d90[d90["contact_created"] < d90["as_of"]]
    n30, n90 = d30.groupby("key").size(), d90.groupby("key").size()
    parts.append(
        pd.DataFrame(
            {
                "beh_days_since_last": g["age"].min(),
                "beh_days_since_pricing": j[j["activity_type"] == "pricing_page"].groupby("key")["age"].min(),
                "beh_trend_30d": n30.sub((n90.sub(n30, fill_value=0)) / 2, fill_value=0),
                "beh_contacts_30d": d30.groupby("key")["contact_id"].nunique(),
                "beh_contacts_90d": d90.groupby("key")["contact_id"].nunique(),
                "beh_departments_90d": known.groupby("key")["department"].nunique(),
                "beh_seniorities_90d": known.groupby("key")["seniority"].nunique(),
                "beh_senior_contacts_90d": known[known["seniority"].isin(SENIOR)]
                .groupby("key")["contact_id"]
                .nunique(),
            }
        )
    )
    by_dept = known.groupby(["key", "department"])["contact_id"].nunique().unstack()
    parts.append(
        pd.DataFrame(
            {
                f"beh_{DEPARTMENT}{slug(d)}_90d": by_dept[d] if d in by_dept else np.nan
                for d in cfg["departments"]
            },
            index=by_dept.index,
        )
    )
    feats = pd.concat(parts, axis=1).astype("float64")
    out = spine.merge(feats, left_on="key", right_index=True, how="left")
    counts = [c for c in feats.columns if "days_since" not in c]
    out[counts] = out[counts].fillna(0.0)
    return out.sort_values("key", ignore_index=True)


def child(engine: str, world: Path, out: Path, master: str) -> dict:
    """One engine's behaviour features of `world` into `out`: seconds from connect (or first read) to the
    file written, and this process's peak RSS (with Spark, plus the JVM's)."""
    cfg = json.loads((world / "config.json").read_text())
    start = time.perf_counter()
    jvm_peak = 0
    if engine == "pandas":
        spine = pd.read_parquet(interim(world, "spine"))
        acts = pd.read_parquet(
            interim(world, "activities"), columns=["account_id", "contact_id", "timestamp", "activity_type"]
        )
        contacts = pd.read_parquet(interim(world, "contacts"))
        pandas_behaviour(spine, acts, contacts, cfg).to_parquet(out, index=False)
    else:
        p = P.override(P.load(ROOT / "params.yaml"), {"engine": engine, "spark.master": master})
        con = engines.connect(p)
        tables = {name: engines.read(con, interim(world, name)) for name in ("contacts", "activities")}
        spine = engines.read(con, interim(world, "spine"))
        config = FeatureConfig(
            families=("behaviour",),
            windows=tuple(cfg["windows"]),
            activity_types=tuple(cfg["activity_types"]),
            departments=tuple(cfg["departments"]),
        )
        con.to_parquet(build(spine, tables, config), out)
        if engine == "spark":
            jvm_peak = _jvm_peak()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_gib": (high_water("self") + jvm_peak) / GIB}


def _jvm_peak() -> int:
    """The Spark driver JVM's peak RSS: it is pyspark's child, never waited for, so no rusage holds it."""
    from pyspark import SparkContext

    try:
        return high_water(SparkContext._gateway.proc.pid)
    except AttributeError:
        return 0


def high_water(pid: int | str) -> int:
    """A process's peak RSS in bytes (VmHWM; 0 when it cannot be read). Not getrusage: a child started by
    vfork and exec inherits its parent's peak in ru_maxrss, and this bench's parent holds whole frames."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1]) * 1024


def tree_rss(root: int) -> int:
    """RSS in bytes of a process and all its descendants, now (from /proc; 0 for processes gone)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        kids = [c for c, parent in parents.items() if parent == pid]
        tree.update(kids)
        frontier += kids
    total = 0
    for pid in tree:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return total


def run_child(args: list[str], cwd: Path = ROOT, env: dict | None = None) -> tuple[int, float, float]:
    """A child process: its exit code, wall seconds and peak RSS in GiB: GNU time's (its own small process
    is what the child inherits its peak from, see `high_water`), or the largest sum over the child and its
    own children, sampled every 0.2 s, where that is more (a stage working in more than one process, as
    synthesize does, holds all of their memory at once)."""
    with tempfile.NamedTemporaryFile("r") as peak:
        start, most = time.perf_counter(), 0
        child = subprocess.Popen(
            [TIME, "-q", "-f", "%M", "-o", peak.name, *args],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=sys.stderr,  # the children's chatter stays out of the report (stdout)
        )
        while child.poll() is None:
            most = max(most, tree_rss(child.pid))
            time.sleep(0.2)
        seconds = time.perf_counter() - start
        kib = peak.read().strip().splitlines()
    timed = int(kib[-1]) * 1024 if kib and kib[-1].isdigit() else 0
    return child.returncode, seconds, max(timed, most) / GIB if timed or most else float("nan")


def measure(engine: str, world: Path, out: Path, master: str) -> dict:
    """`engine` on `world` in a child process; its own timing (without Python's start-up and imports)."""
    report = out.with_suffix(".json")
    code, _, _ = run_child(
        [
            sys.executable,
            __file__,
            "--child",
            engine,
            "--child-world",
            str(world),
            "--child-out",
            str(out),
            "--master",
            master,
        ]
    )
    if code:
        raise SystemExit(f"bench/scale.py: the {engine} child failed (exit {code})")
    return json.loads(report.read_text())


def compare(a: Path, b: Path) -> dict:
    """Rows by key, the same columns, numbers within TOLERANCE (missing where missing): what differs."""
    x, y = (pd.read_parquet(f).sort_values("key", ignore_index=True) for f in (a, b))
    if set(x.columns) != set(y.columns):
        return {"equal": False, "why": f"columns differ: {sorted(set(x.columns) ^ set(y.columns))}"}
    if len(x) != len(y) or not x["key"].equals(y["key"]):
        return {"equal": False, "why": f"rows differ: {len(x):,} and {len(y):,}"}
    worst, why = 0.0, ""
    for col in x.columns:
        u, v = x[col], y[col]
        if pd.api.types.is_numeric_dtype(u) and pd.api.types.is_numeric_dtype(v):
            u, v = u.to_numpy("float64", na_value=np.nan), v.to_numpy("float64", na_value=np.nan)
            if (np.isnan(u) != np.isnan(v)).any():
                return {"equal": False, "why": f"{col}: missing in one, not the other"}
            gap = np.nanmax(np.abs(u - v), initial=0.0)
            if gap > worst:
                worst, why = gap, col
        elif not u.astype(str).equals(v.astype(str)):
            return {"equal": False, "why": f"{col}: values differ"}
    if worst > TOLERANCE:
        return {"equal": False, "why": f"{why}: differs by {worst:.3g}", "max_diff": worst}
    return {"equal": True, "max_diff": worst, "rows": len(x), "columns": len(x.columns)}


def available_bytes() -> int:
    """MemAvailable of /proc/meminfo."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


# ---- the whole graph ----


def graph(work: Path, accounts: int, names: tuple = STAGES) -> list[dict]:
    """The stages of dvc.yaml in order (`names`, all by default), each a child process in a project rooted
    under `work`: from scratch when synthesize is one of them, else on what an earlier run left there."""
    folder = work / f"graph_{accounts}"
    if "synthesize" in names:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        p = P.override(P.rooted(P.load(ROOT / "params.yaml"), folder), {"synthesize.accounts": accounts})
        (folder / "params.yaml").write_text(yaml.safe_dump(P.as_dict(p), sort_keys=False))
    elif not (folder / "params.yaml").exists():
        raise SystemExit(f"bench/scale.py: no earlier graph run in {folder}: run synthesize first")
    env = {"PYTHONPATH": str(ROOT), "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}"}
    rows = []
    for stage in (s for s in STAGES if s in names):
        print(f"graph: {stage} ...", file=sys.stderr, flush=True)
        code, seconds, peak = run_child([sys.executable, "-m", f"pipeline.stages.{stage}"], folder, env)
        rows.append({"stage": stage, "seconds": seconds, "peak_gib": peak, "exit": code})
        print(f"graph: {stage} {seconds:.1f}s, peak {peak:.2f} GiB, exit {code}", file=sys.stderr, flush=True)
        if code:
            break
    return rows


# ---- the report ----


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--activities", type=int, default=100_000_000)
    ap.add_argument("--slice", type=int, default=10_000_000, help="activities pandas runs on first")
    ap.add_argument("--base", type=int, default=20_000, help="accounts the generator makes before tiling")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--master", default="local[2]", help="Spark master")
    ap.add_argument("--skip-spark", action="store_true")
    ap.add_argument(
        "--spark-on",
        choices=("full", "slice"),
        default="full",
        help="the data Spark runs on (and is compared)",
    )
    ap.add_argument("--skip-graph", action="store_true")
    ap.add_argument("--skip-features", action="store_true")
    ap.add_argument(
        "--stages",
        default=",".join(STAGES),
        help="the graph's stages to run, comma-separated (without synthesize: on the last run's files)",
    )
    ap.add_argument("--work", type=Path, help="folder for the worlds (kept); default a temporary one")
    ap.add_argument("--child", choices=("duckdb", "spark", "pandas"), help=argparse.SUPPRESS)
    ap.add_argument("--child-world", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    add_write(ap)
    args = ap.parse_args()
    if unknown := set(args.stages.split(",")) - set(STAGES):
        ap.error(f"--stages: no stage {', '.join(sorted(unknown))}; the stages are {', '.join(STAGES)}")
    if args.child:
        result = child(args.child, args.child_world, args.child_out, args.master)
        args.child_out.with_suffix(".json").write_text(json.dumps(result))
        return
    with recorded(__file__, args.write):
        if args.work:
            args.work.mkdir(parents=True, exist_ok=True)
            report(args, args.work)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                report(args, Path(tmp))


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def report(args: argparse.Namespace, work: Path) -> None:
    print(f"load average (1/5/15 min) at start: {load()}; {os.cpu_count()} cores")
    if not args.skip_features:
        features(args, work)
    if not args.skip_graph:
        print()
        stages(args, work)
    print(f"\nload average (1/5/15 min) at end: {load()}")


def features(args: argparse.Namespace, work: Path) -> None:
    p = P.load(ROOT / "params.yaml")
    started = time.perf_counter()
    base = base_world(work, min(args.base, args.accounts), args.seed)
    folder = work / f"world_{args.accounts}_{args.activities}_{args.base}_{args.seed}"
    world = tiled_world(base, folder, args.accounts, args.activities)
    spine_and_config(folder, p)
    n_acts = world["rows"]["activities"]
    part = slice_world(folder, folder / f"slice_{args.slice}", min(1.0, args.slice / n_acts))
    print(
        f"world: {world['rows']['accounts']:,} accounts ({world['account_copies']} copies of the generator's "
        f"{world['base_accounts']:,}), {n_acts:,} activities ({world['activity_rounds']} rounds, each "
        f"{SHIFT_HOURS} h earlier), {world['rows']['contacts']:,} contacts, "
        f"{world['rows']['opportunities']:,} deals; built or found in {time.perf_counter() - started:.0f}s"
    )
    print(f"slice: {part['activities']:,} activities, {part['spine']:,} spine rows")
    results = work / "results"
    shutil.rmtree(results, ignore_errors=True)  # an earlier run's files: Spark will not write over them
    results.mkdir()
    runs, checks = {}, []
    sl = folder / f"slice_{args.slice}"
    runs["duckdb slice"] = measure("duckdb", sl, results / "duckdb_slice.parquet", args.master)
    runs["pandas slice"] = measure("pandas", sl, results / "pandas_slice.parquet", args.master)
    checks.append(
        (
            "pandas = duckdb on the slice",
            compare(results / "duckdb_slice.parquet", results / "pandas_slice.parquet"),
        )
    )
    runs["duckdb"] = measure("duckdb", folder, results / "duckdb.parquet", args.master)
    scale = n_acts / part["activities"]
    need, have = runs["pandas slice"]["peak_gib"] * scale * GIB, available_bytes()
    pandas_note = None
    if need < 0.8 * have:
        runs["pandas"] = measure("pandas", folder, results / "pandas.parquet", args.master)
        checks.append(("pandas = duckdb", compare(results / "duckdb.parquet", results / "pandas.parquet")))
    else:
        pandas_note = (
            f"pandas on the full data not run: its peak, extrapolated from the slice, is {need / GIB:.1f} "
            f"GiB and {have / GIB:.1f} GiB is available; its time below is the slice's x {scale:.2f} (linear)"
        )
        runs["pandas (extrapolated)"] = {
            "seconds": runs["pandas slice"]["seconds"] * scale,
            "peak_gib": need / GIB,
        }
    spark = f"spark {args.master}" + (" slice" if args.spark_on == "slice" else "")
    if not args.skip_spark:
        on, ref = (folder, "duckdb") if args.spark_on == "full" else (sl, "duckdb_slice")
        runs[spark] = measure("spark", on, results / f"spark_{args.spark_on}.parquet", args.master)
        checks.append(
            (
                f"spark = duckdb{'' if args.spark_on == 'full' else ' on the slice'}",
                compare(results / f"{ref}.parquet", results / f"spark_{args.spark_on}.parquet"),
            )
        )
    print(f"\nBehaviour features, {part['spine']:,} / {_rows(folder):,} spine rows (slice / full)")
    print(f"{'engine':>24} {'seconds':>9} {'peak GiB':>9}")
    for name, r in runs.items():
        print(f"{name:>24} {r['seconds']:>9.1f} {r['peak_gib']:>9.2f}")
    if pandas_note:
        print(pandas_note)
    duck = runs["duckdb"]["seconds"]
    on_slice = runs["pandas slice"]["seconds"] / runs["duckdb slice"]["seconds"]
    print(f"\npandas / duckdb on the slice: {on_slice:.1f}x")
    full = "pandas" if "pandas" in runs else "pandas (extrapolated)"
    print(f"{full} / duckdb on the full data: {runs[full]['seconds'] / duck:.1f}x (target: at least 20x)")
    print(f"duckdb on {n_acts:,} activities: {duck:.1f}s (target: at most 120 s)")
    if spark in runs:
        same = "duckdb" if args.spark_on == "full" else "duckdb slice"
        print(f"{spark} / {same}: {runs[spark]['seconds'] / runs[same]['seconds']:.1f}x")
    for what, c in checks:
        said = (
            f"equal ({c['rows']:,} rows, {c['columns']} columns, largest difference {c['max_diff']:.2g})"
            if c["equal"]
            else f"NOT EQUAL: {c['why']}"
        )
        print(f"{what}: {said}")


def _rows(folder: Path) -> int:
    return count(duckdb.connect(), interim(folder, "spine"))


def stages(args: argparse.Namespace, work: Path) -> None:
    rows = graph(work, args.accounts, tuple(args.stages.split(",")))
    total = sum(r["seconds"] for r in rows)
    whole = "The whole graph" if len(rows) == len(STAGES) else "Stages of the graph"
    print(f"{whole} at {args.accounts:,} accounts (one child process per stage)")
    print(f"{'stage':>12} {'seconds':>9} {'peak GiB':>9}")
    for r in rows:
        flag = "" if r["exit"] == 0 else f"  failed (exit {r['exit']})"
        print(f"{r['stage']:>12} {r['seconds']:>9.1f} {r['peak_gib']:>9.2f}{flag}")
    print(f"{'total':>12} {total:>9.1f} {max(r['peak_gib'] for r in rows):>9.2f}")
    over = [r["stage"] for r in rows if r["peak_gib"] >= 2]
    said = f"targets: every stage under 2 GiB ({'met' if not over else 'over: ' + ', '.join(over)})"
    if len(rows) == len(STAGES):
        said += f", the graph under 15 min ({total / 60:.1f} min: {'met' if total < 900 else 'not met'})"
    print(said)


if __name__ == "__main__":
    main()
