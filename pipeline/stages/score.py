"""Stage `score`: the ranked, tiered target-account list with predicted value and reasons in words.

`python -m pipeline.stages.score` reads params.yaml. The list of the scoring set (pipeline/target_list.py,
which `icp refresh` shares): `score.out`/target_accounts.csv/.xlsx/.html, open_deals.csv and summary.json,
whose `stability` says how much of the top tiers the list as of `score.stability_days` earlier differs by.
"""

import time

from pipeline import params as P
from pipeline import target_list
from pipeline.console import stage_main
from pipeline.io import new_folder
from pipeline.paths import paths


def run(p: P.Params) -> dict:
    """With score.stability_days, also the list that many days earlier by the same model, and how much of
    the top tiers it replaces (what a weekly refresh moves when no new export came)."""
    start, f = time.perf_counter(), paths(p)
    t = target_list.build(p, f.score_set)
    if p.score.stability_days:
        t.summary["stability"] = target_list.stability(p, t, f.earlier_set)
    with new_folder(f.targets) as tmp:
        summary = target_list.write(t, tmp, p)
    target_list.log_written("score", f.targets, p, t, start)
    return summary


if __name__ == "__main__":
    stage_main(run)
