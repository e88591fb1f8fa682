"""`icp run`: the whole graph, ingest to report, on a user's export folder, without DVC.

The params are params.yaml's with every output under `--out`, `ingest.source` = the export, `ingest.mapping` =
the mapping, no ground truth (real data has none), the mapping's own `params:` and then `--set` on top. The
MLflow experiment and registered model are named after the run (`icp-<name>`, `<name>-win-model`), so a
user's models never compete with the demo's for the champion alias.
"""

import time
from pathlib import Path

import yaml

from pipeline.stages import evaluate, explain, featurize, ingest, report, score, train
from pipeline import params as P
from pipeline.io import say
from pipeline.sources import load_mapping


def params_for(data: str | Path, mapping: str | Path | None, out: str | Path, name: str,
               sets: list[str] = (), base: str | Path = "params.yaml") -> P.Params:
    overrides = P.flatten(load_mapping(mapping).get("params") or {}) if mapping else {}
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--set {item!r}: write section.key=value")
        overrides[key.strip()] = yaml.safe_load(value)
    p = P.rooted(P.load(base, overrides), out)
    return P.override(p, {"ingest.source": str(data), "ingest.mapping": str(mapping or ""), "evaluate.truth": "",
                          "report.experiment": f"icp-{name}", "report.registered_model": f"{name}-win-model"})


def run(p: P.Params, log=say) -> dict:
    """Every stage in the order of dvc.yaml; returns what the report registered."""
    start = time.perf_counter()
    ingest.run(p.ingest.source, p.ingest.out, p.ingest.max_reject_share, log=log, mapping=p.ingest.mapping)
    featurize.run(p, log=log)
    train.run(p.train, p.features.out, log=log)
    evaluate.run(p.evaluate, p.score, p.features.out, p.train.out, log=log)
    metrics = Path(p.evaluate.out) / "metrics.json"
    explain.run(p.explain, p.features.out, p.train.out, metrics, p.train.seed, log=log)
    score.run(p.score, p.features.out, p.train.out, p.ingest.out, metrics, log=log)
    registered = report.run(p, log=log)
    log(f"run: done in {time.perf_counter() - start:.0f}s")
    return registered
