"""Stage `score`: the ranked, tiered target-account list with predicted value and reasons in words.

`python -m pipeline.stages.score` reads params.yaml. The list of the scoring set (pipeline/target_list.py,
which `icp refresh` shares): `score.out`/target_accounts.csv/.xlsx/.html, open_deals.csv and summary.json.
"""

import time

from pipeline import params as P
from pipeline import target_list
from pipeline.console import stage_main
from pipeline.io import new_folder
from pipeline.paths import paths


def run(p: P.Params) -> dict:
    start, f = time.perf_counter(), paths(p)
    t = target_list.build(p, f.score_set)
    with new_folder(f.targets) as tmp:
        summary = target_list.write(t, tmp, p)
    target_list.log_written("score", f.targets, p, t, start)
    return summary


if __name__ == "__main__":
    stage_main(run)
