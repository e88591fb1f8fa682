"""Stage `explain`: what drives the model (SHAP on the holdout) and the ICP profile in plain language, with
the buying committee's roles that win (learned from the closed deals' engaged contacts).

`python -m pipeline.stages.explain` reads params.yaml. Writes `explain.out`/importance.json, bar.png,
beeswarm.png, families.png, dependence_<feature>.png, and `explain.profile`.md / .json.
"""

import json
import logging
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no screen
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shap  # noqa: E402

from features.today import todays_values, undated_note  # noqa: E402
from features.vocabulary import words  # noqa: E402
from models.bundle import load_bundle, log_odds, read_summary  # noqa: E402
from models.committee import committee, section  # noqa: E402
from models.explain import chart_data, contributions, importance, interaction_partner  # noqa: E402
from models.metrics import chance_verdict  # noqa: E402
from models.profile import interval_words, line, no_icp, segments  # noqa: E402
from models.split import LEARNED, read_deals, split_of  # noqa: E402
from pipeline import params as P  # noqa: E402
from pipeline.console import stage_main  # noqa: E402
from pipeline.io import new_folder, to_json, write_text  # noqa: E402
from pipeline.paths import paths  # noqa: E402

log = logging.getLogger(__spec__.name)  # not __name__: that is "__main__" under python -m

DPI = 110
OUTCOMES = ["opportunity_id", "won"]  # what the buying committee's roles are judged on


def _save(path: Path) -> None:
    fig = plt.gcf()
    fig.savefig(path, dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)


def charts(
    folder: Path,
    bar: str,
    shap_values: pd.DataFrame,
    bias: np.ndarray,
    data: pd.DataFrame,
    ranked: dict,
    top: int,
    dependence: int,
    seed: int,
) -> list[str]:
    """Bar and beeswarm of the top features, family shares, and dependence plots of the top few.

    SHAP's beeswarm and scatter jitter dots with NumPy's global generator: seeded before each, so the same
    inputs give the same pictures. A dependence plot is coloured by the feature SHAP would pick, found by
    models/explain.interaction_partner: SHAP's search takes seconds per chart."""
    explanation = shap.Explanation(
        values=shap_values.to_numpy(),
        base_values=bias,
        data=data.to_numpy(),
        feature_names=list(shap_values.columns),
    )
    shap.plots.bar(explanation, max_display=top, show=False)
    plt.title("Mean |SHAP| on the holdout (log-odds of winning)")
    _save(folder / bar)
    np.random.seed(seed)
    with warnings.catch_warnings():  # a feature the export lacks is all missing: SHAP finds no colour range
        warnings.filterwarnings("ignore", "All-NaN slice encountered", RuntimeWarning)
        shap.plots.beeswarm(explanation, max_display=top, show=False)
    plt.title("How each feature moves P(win), one dot per holdout deal")
    _save(folder / "beeswarm.png")
    fam = pd.DataFrame(ranked["families"]).iloc[::-1]
    plt.figure(figsize=(6, 3))
    plt.barh(fam["family"], fam["share"], color="#1E88E5")
    plt.xlabel("share of total mean |SHAP|")
    plt.title("Feature families")
    _save(folder / "families.png")
    written = [bar, "beeswarm.png", "families.png"]
    for f in [r["feature"] for r in ranked["features"][:dependence]]:
        np.random.seed(seed)
        partner = interaction_partner(explanation.values, explanation.data, shap_values.columns.get_loc(f))
        color = explanation if partner is None else explanation[:, shap_values.columns[partner]]
        shap.plots.scatter(explanation[:, f], color=color, show=False)
        _save(folder / f"dependence_{f}.png")
        written.append(f"dependence_{f}.png")
    return written


def markdown(profile: dict, ranked: dict, top: int) -> str:
    """icp_profile.md: the segments in words, then the top drivers."""
    base, learned = profile["base_win_rate"], profile["learned"]["deals"]
    rows = [
        f"# Ideal Customer Profile\n\n{profile['summary']}\n",
        f"Segments of a depth-limited tree fitted to the model's scores on the {learned:,} deals it "
        f"learned from (it reproduces {profile['surrogate_r2']:.0%} of their variance), which also "
        f"chose the headline segment. Win rates are the actual outcomes of the {profile['deals']:,} holdout "
        f"deals ({profile['wins']:,} won, base win rate {base:.0%}), which did neither, with "
        f"{interval_words(profile)}.\n",
        *(
            [f"Today's values, standing in for every deal's: {'; '.join(profile['todays_values'])}.\n"]
            if "todays_values" in profile
            else []
        ),
        *([f"Firmographics: {profile['firmographics']}.\n"] if "firmographics" in profile else []),
        "## Segments, by the model's score, best first\n"
        if profile["beats_chance"]
        else "## Segments of the model's scores (no ICP)\n",
    ]
    rows += [f"{i}. {line(s, base)}" for i, s in enumerate(profile["segments"], start=1)]
    rows += ["", *section(profile["committee"])]
    rows += [
        "## Top drivers (mean |SHAP| on the holdout)\n",
        "| rank | feature | family | mean abs SHAP |",
        "|---:|---|---|---:|",
    ]
    rows += [
        f"| {r['rank']} | {r['feature']} | {r['family']} | {r['mean_abs_shap']:.4f} |"
        for r in ranked["features"][:top]
    ]
    return "\n".join(rows) + "\n"


def run(p: P.Params) -> dict:
    """Evaluate's verdict on the model (metrics.json) says if the segments are an ICP."""
    start, cfg, seed, f = time.perf_counter(), p.explain, p.train.seed, paths(p)
    bundle, summary, deals = load_bundle(f.model), read_summary(f.model), read_deals(f.train_set)
    split = split_of(deals, summary)
    holdout, learned, outcomes = deals[split == "holdout"], deals[split.isin(LEARNED)], deals[OUTCOMES]
    del deals  # from here on only its parts: on a million deals the whole is 0.7 GiB more at the peak
    hold = holdout
    if len(hold) > cfg.max_rows:
        hold = hold.sample(cfg.max_rows, random_state=seed).sort_index()
    shap_values, bias = contributions(bundle, hold)
    ranked = importance(shap_values, bundle.spec)
    log.info(
        f"explain: SHAP values of {len(hold):,} holdout deals; top features: "
        + ", ".join(r["feature"] for r in ranked["features"][:5])
    )

    meta = json.loads(f.features_json.read_text())
    profile = segments(
        learned,
        log_odds(bundle, learned),
        holdout,
        bundle.spec,
        cfg.profile_depth,
        cfg.profile_min_deals,
        cfg.few_deals,
        words(meta["config"], meta["features"]),
        cfg.bootstrap if summary["small_data"] else 0,
        seed,
    )
    del learned, holdout  # the segments' alone: the committee's merge below would peak beside them
    chance = chance_verdict(json.loads(f.metrics.read_text())["model"])
    profile["beats_chance"] = chance is None
    profile["summary"] = no_icp(chance) if chance else profile["summary"]
    if note := undated_note(meta.get("undated_firmographics")):
        profile["firmographics"] = note
    if todays := todays_values(meta):
        profile["todays_values"] = todays
    engaged = pd.read_parquet(f.committee) if f.committee.exists() else None  # none without contacts
    profile["committee"] = committee(engaged, outcomes, split, cfg.committee_min_deals)
    log.info(f"explain: {profile['summary']}")
    log.info(f"explain: {profile['committee']['summary']}")

    with new_folder(f.explain) as tmp:
        written = charts(
            tmp,
            f.bar_chart.name,
            shap_values,
            bias,
            chart_data(hold, bundle.spec),
            ranked,
            cfg.top_features,
            cfg.dependence_plots,
            seed,
        )
        (tmp / f.importance.name).write_text(to_json(ranked))
    write_text(f.profile_json, to_json(profile))
    write_text(f.profile_md, markdown(profile, ranked, cfg.top_features))
    log.info(
        f"explain: wrote {f.explain} ({f.importance.name}, {len(written)} charts) and {f.profile_md}, .json "
        f"({len(profile['segments'])} segments measured on {profile['deals']:,} holdout deals) "
        f"in {time.perf_counter() - start:.1f}s"
    )
    return {"importance": ranked, "profile": profile}


if __name__ == "__main__":
    stage_main(run)
