"""The one runner: stages in the order of dvc.yaml, for `icp run`, the tests and the benches.

`icp run` is the whole graph, ingest to report, on a user's export folder, without DVC. Its params are
params.yaml's with every output under `--out`, `ingest.source` = the export, `ingest.mapping` = the mapping,
no ground truth (real data has none), the mapping's own `params:` and then `--set` on top. The MLflow
experiment and registered model are named after the run (`icp-<name>`, `<name>-win-model`), so a user's models
never compete with the demo's for the champion alias.
"""

import logging
import time
from pathlib import Path

from pipeline import params as P
from pipeline.sources import load_mapping
from pipeline.stages import backtest, evaluate, explain, featurize, ingest, report, score, synthesize, train

log = logging.getLogger(__name__)

STAGES = {
    "synthesize": synthesize.run,
    "ingest": ingest.run,
    "featurize": featurize.run,
    "train": train.run,
    "evaluate": evaluate.run,
    "backtest": backtest.run,
    "explain": explain.run,
    "score": score.run,
    "report": report.run,
}
MODELLING = tuple(STAGES)[1:]  # what `icp run` runs on a user's export: everything but the demo world


def run_stages(p: P.Params, names=MODELLING) -> dict:
    """Run the named stages in graph order; what each returned, by name."""
    unknown = set(names) - set(STAGES)
    if unknown:
        raise ValueError(f"no stage {sorted(unknown)}; the stages are {', '.join(STAGES)}")
    start, results = time.perf_counter(), {}
    for name in (n for n in STAGES if n in names):
        results[name] = STAGES[name](p)
    log.info(f"run: {', '.join(results)} done in {time.perf_counter() - start:.0f}s")
    return results


def params_for(
    data: str | Path,
    mapping: str | Path | None,
    out: str | Path,
    name: str,
    sets: list[str] = (),
    base: str | Path = "params.yaml",
) -> P.Params:
    overrides = P.flatten(load_mapping(mapping).get("params") or {}) if mapping else {}
    p = P.rooted(P.load(base, overrides | P.sets(sets)), out)
    return P.override(
        p,
        {
            "ingest.source": str(data),
            "ingest.mapping": str(mapping or ""),
            "evaluate.truth": "",
            "report.experiment": f"icp-{name}",
            "report.registered_model": f"{name}-win-model",
        },
    )
