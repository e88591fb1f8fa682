"""Stage `synthesize`: write the demo world's export tables and, apart, its ground truth.

`python -m pipeline.stages.synthesize` reads params.yaml; `icp synthesize --accounts N --seed S --out DIR`
does the same with explicit values. No modelling stage may read the truth folder: it exists to judge the
pipeline. `style` writes the same world as Salesforce or HubSpot export it (pipeline/world/styles.py); its
truth folder is the native world's, byte for byte.
"""

import logging
import os
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from models.auc import roc_auc
from pipeline import params as P
from pipeline.console import progress, stage_main
from pipeline.io import TableFolder, new_folder, to_json
from pipeline.paths import paths
from pipeline.world import DRIVERS, SUMMARY, WorldConfig, drivers, generate
from pipeline.world.styles import restyle

log = logging.getLogger(__spec__.name)  # not __name__: that is "__main__" under python -m


def run(p: P.Params) -> dict:
    s, f = p.synthesize, paths(p)
    cfg = WorldConfig(
        accounts=s.accounts,
        seed=s.seed,
        end_date=s.end_date,
        years=s.years,
        chunk_size=s.chunk_size,
        role_effect=s.role_effect,
    )
    return write_world(cfg, f.world, f.world_truth, s.format, s.style)


def write_world(
    cfg: WorldConfig,
    out: str | Path,
    truth_out: str | Path,
    fmt: str = "parquet",
    style: str = "native",
    workers: int | None = None,
) -> dict:
    """The world's export tables into `out`, its truth into `truth_out` (also `icp synthesize`'s job). A
    vendor `style` writes CSV files, as those tools export, whatever `fmt` says; the truth's world.json counts
    the native tables' rows, so it is the same file for every style. `workers` processes simulate the next
    chunks while this one exports and writes (by default one per core but this one's: on 2 cores a million
    accounts take two thirds of the time, and each process holds a chunk or two); the same files however
    many."""
    start = time.perf_counter()
    outcome = {"p": [], "won": [], "new": []}
    native_rows: dict[str, int] = {}
    with (
        new_folder(out) as out_dir,
        new_folder(truth_out) as truth_dir,
        TableFolder(out_dir, fmt if style == "native" else "csv") as tables,
        TableFolder(truth_dir, "parquet") as truth,
    ):
        done = 0
        workers = max((os.cpu_count() or 1) - 1, 0) if workers is None else workers
        chunks = progress(
            generate(cfg, workers),
            total=-(-cfg.accounts // cfg.chunk_size),
            what="synthesize",
            unit="chunk",
        )
        for index, chunk in enumerate(chunks):
            for name, df in restyle(style, chunk.tables, cfg.seed, index, cfg.end_date).items():
                tables.append(name, df)
            for name, df in chunk.tables.items():
                native_rows[name] = native_rows.get(name, 0) + len(df)
            for name, df in chunk.truth.items():
                truth.append(name, df)
            opps = chunk.tables["opportunities"]
            closed = (opps["stage"] != "open").to_numpy()
            outcome["p"].append(chunk.truth["opportunities"]["true_p_win"].to_numpy()[closed])
            outcome["won"].append((opps["stage"] == "won").to_numpy()[closed])
            outcome["new"].append((opps["type"] == "new business").to_numpy()[closed])
            done += chunk.accounts
            log.debug(f"synthesize: {done:,}/{cfg.accounts:,} accounts ({time.perf_counter() - start:.1f}s)")
        p, won, new = (np.concatenate(outcome[k]) for k in ("p", "won", "new"))
        summary = {
            "config": asdict(cfg),
            "format": fmt,
            "rows": native_rows,
            "closed_deals": int(len(won)),
            "win_rate": float(won.mean()) if len(won) else None,
            "oracle_roc_auc_closed": _auc(won, p),
            "oracle_roc_auc_new_business": _auc(won[new], p[new]),
        }
        (truth_dir / DRIVERS).write_text(to_json(drivers(cfg.role_effect)))
        (truth_dir / SUMMARY).write_text(to_json(summary))
    rows = ", ".join(f"{k} {v:,}" for k, v in tables.rows.items())
    shape = "" if style == "native" else f" as {style} exports it"
    took = time.perf_counter() - start
    log.info(f"synthesize: wrote {out}{shape} ({rows}) and truth to {truth_out} in {took:.1f}s")
    return summary


def _auc(y: np.ndarray, p: np.ndarray) -> float | None:
    return roc_auc(y, p) if 0 < y.sum() < len(y) else None


if __name__ == "__main__":
    stage_main(run)
