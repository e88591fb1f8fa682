"""The model card: a self-contained HTML page for leadership (inline CSS, PNG charts as data URIs, offline).

`render(facts)` turns what the report stage gathered into the page, whose words and markup are
pipeline/templates/model_card.html.j2; every section says plainly when its input was not produced. Keys of
`facts`: model (name, version, run_id, experiment, tracking_uri, commit), decision (registry.decide plus
version, same_data), params (the typed params), train_summary, features (features.json), metrics
(metrics.json), plots (name -> frame of data/reports/plots), targets (summary.json), backtest
(backtest.json), profile (icp_profile.json), importance (importance.json), bar_png (bytes), ingest
(ingest_summary.json), rejects (rejects.csv as a frame), drift (against, rows of (feature, psi)). The last
eight may be None.
"""

import pandas as pd

from features.today import todays_values, undated_note
from models.drift import LARGE, MODERATE
from models.leakage import words
from models.metrics import BASELINES, compared
from models.profile import interval_words
from pipeline.outputs import templating
from pipeline.outputs.card_charts import as_base64, backtest_chart, charts
from pipeline.outputs.templating import pct

TOP_DRIVERS = 10
TOP_REASONS = 12
METRICS = [  # key, label, what it says
    ("roc_auc", "ROC AUC", "ranking of won above lost deals; 0.5 is a coin flip"),
    ("pr_auc", "PR AUC", "average precision over the ranking"),
    ("top_decile_lift", "Top-decile lift", "win rate of the top 10% over the base rate"),
    ("precision_at_tier1", "Won at Tier 1", "share won among the top Tier-1-size deals by expected value"),
    ("value_captured_at_tier1", "Value captured at Tier 1", "their share of all won value"),
    ("precision_at_tier1_2", "Won at Tier 1+2", "the same for the Tier 1+2 size"),
    ("value_captured_at_tier1_2", "Value captured at Tier 1+2", ""),
    ("log_loss", "Log loss", "lower is better: probabilities' honesty and sharpness"),
    ("brier", "Brier score", "lower is better"),
    ("ece", "Calibration error (ECE)", "lower is better: gap between predicted and observed win rates"),
]


def render(facts: dict) -> str:
    """The page: pipeline/templates/model_card.html.j2 writes it from the facts and what each section derives
    from them (None where the section's input is missing)."""
    card = {
        "purpose": _purpose(facts),
        "data": _data(facts),
        "metrics": _metrics(facts),
        "charts": charts(facts["plots"]),
        "backtest": _backtest(facts["backtest"]),
        "tiers": _tiers(facts),
        "profile": _profile(facts),
        "drivers": _drivers(facts),
        "quality": _quality(facts),
        "drift": _drift(facts),
        "caveats": _caveats(facts),
    }
    return templating.render("model_card.html.j2", f=facts, card=card, moderate=MODERATE, large=LARGE)


def reject_reasons(rejects: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows per table and kind of reason: the quoted values, ids, dates, numbers and domains of each
    reason become "…", so one reason with many values counts as one."""
    kind = (
        rejects["reason"]
        .astype(str)
        .str.replace(r"'[^']*'", "'…'", regex=True)
        .str.replace(r"[\w.@/-]*\d[\w.@/-]*|[\w-]+(?:\.[\w-]+)+", "…", regex=True)
    )
    counts = rejects.assign(reason=kind).groupby(["table", "reason"])["row"].nunique().rename("rows")
    return counts.reset_index().sort_values(["rows", "table", "reason"], ascending=[False, True, True])


def _purpose(f: dict) -> dict:
    p, s = f["params"], f["train_summary"]["splits"]
    left_out = [
        w
        for w, inc in (
            ("existing customers", p.score.include_customers),
            ("accounts with an open opportunity", p.score.include_open),
        )
        if not inc
    ]
    learned = [s["train"], s["validation"]]
    return {
        "deals": sum(x["deals"] for x in learned),
        "wins": sum(x["wins"] for x in learned),
        "held_back": sum(x["held_back"] for x in f["train_summary"].get("held_back", {}).values()),
        "left_out": left_out,
        "todays": todays_values(f["features"]),
    }


def _data(f: dict) -> list[list]:
    return [
        [name, f"{x['deals']:,}", f"{x['wins']:,}", pct(x["win_rate"]), x["from"], x["to"]]
        for name, x in f["train_summary"]["splits"].items()
    ]


def _value(m: dict, key: str) -> str:
    """A metric with its 95% interval when evaluate computed one."""
    ci = f" ({m[key + '_ci_low']:.3f}–{m[key + '_ci_high']:.3f})" if key + "_ci_low" in m else ""
    return f"{m[key]:.3f}{ci}"


def _metrics(f: dict) -> dict:
    metrics = f["metrics"]
    methods = [m for m in ("model", "logistic", "checklist", "deal_model", "oracle") if m in metrics]
    rows = [
        [label, *(_value(metrics[m], key) for m in methods), meaning]
        for key, label, meaning in METRICS
        if key in metrics["model"]
    ]
    return {
        "methods": methods,
        "rows": rows,
        "cv": metrics["holdout"]["evaluation"] == "chronological_cv",
        "intervals": any(f"{key}_ci_low" in metrics["model"] for key, _, _ in METRICS),
        "against": [
            f"{words}: {compared(metrics[f'model_minus_{base}'], words)}"
            for base, words in BASELINES.items()
            if f"model_minus_{base}" in metrics
        ],
        "champion": _head_to_head(f["decision"].get("same_deals")),
    }


def _head_to_head(same: dict | None) -> list[list] | None:
    """This version and the champion on the same deals: each paired figure, and the difference with its
    interval."""
    if not same or "metrics" not in same:
        return None
    labels = {key: label for key, label, _ in METRICS}
    return [
        [labels[key], f"{m['new']:.3f}", f"{m['old']:.3f}", f"{m['difference']:+.3f}"]
        + ([f"{m['ci_low']:+.3f} to {m['ci_high']:+.3f}"] if "ci_low" in m else ["–"])
        for key, m in same["metrics"].items()
    ]


def _backtest(b: dict | None) -> dict | None:
    """The backtest's origins as table rows, their mean and spread, and its chart."""
    if not b or not b["origins"]:
        return None
    oracle = "ratio_to_oracle" in b["mean"]
    rows = [
        [
            x["origin"],
            f"{x['learned_deals']:,}",
            f"{x['tested_deals']:,} ({x['tested_wins']:,})",
            f"{x['roc_auc']:.3f}",
            f"{x['top_decile_lift']:.2f}",
            pct(x["value_captured_at_top_decile"]),
        ]
        + ([f"{x['ratio_to_oracle']:.3f}"] if oracle else [])
        for x in b["origins"]
    ]
    return {"rows": rows, "oracle": oracle, "chart": backtest_chart(b["origins"])}


def _tiers(f: dict) -> list[list] | None:
    t = f["targets"]
    if not t:
        return None
    rows = [
        [
            r["tier"],
            f"{r['accounts']:,}",
            f"{r['expected_wins']:,.1f}",
            f"{r['expected_value']:,.0f}",
            pct(r["mean_p_win"]),
        ]
        for r in t["tiers"]
    ]
    rows.append(
        [
            "all",
            f"{sum(r['accounts'] for r in t['tiers']):,}",
            f"{sum(r['expected_wins'] for r in t['tiers']):,.1f}",
            f"{sum(r['expected_value'] for r in t['tiers']):,.0f}",
            "",
        ]
    )
    return rows


def _profile(f: dict) -> dict | None:
    p = f["profile"]
    if not p:
        return None
    rows = [
        [
            s["rule"] + (" (few deals)" if s["uncertain"] else ""),
            f"{s['deals']:,}",
            f"{s['wins']:,}",
            f"{pct(s['win_rate'])} ({pct(s['ci_low'])}–{pct(s['ci_high'])})" if s["deals"] else "–",
            f"{s['lift']:.2f}" if s["deals"] else "–",
            "–" if s["avg_deal_value"] is None else f"{s['avg_deal_value']:,.0f}",
        ]
        for s in p["segments"]
    ]
    return {"rows": rows, "intervals": interval_words(p), "committee": _committee(p.get("committee"))}


def _committee(c: dict | None) -> dict | None:
    """The buying committee's roles (a profile written before it had one has none): holdout figures."""
    if c is None:
        return None
    rows = [
        [
            r["label"],
            f"{r['holdout']['with_role']:,}",
            f"{pct(r['holdout']['won_share'])} vs {pct(r['holdout']['lost_share'])}",
            "–"
            if r["holdout"]["odds_ratio"] is None
            else f"{r['holdout']['odds_ratio']:.2f} ({r['holdout']['low']:.2f}–{r['holdout']['high']:.2f})",
            "yes" if r["confirmed"] else "no",
        ]
        for r in c["roles"]
    ]
    return {"summary": c["summary"], "rows": rows}


def _drivers(f: dict) -> dict | None:
    imp = f["importance"]
    if not imp:
        return None
    return {
        "rows": [
            [r["rank"], r["feature"], r["family"], f"{r['mean_abs_shap']:.4f}"]
            for r in imp["features"][:TOP_DRIVERS]
        ],
        "families": [[r["family"], pct(r["share"])] for r in imp["families"]],
        "bar": as_base64(f["bar_png"]) if f["bar_png"] else None,
    }


def _quality(f: dict) -> dict | None:
    """Rows in, kept and rejected per table, and the commonest kinds of reason for a rejection."""
    ingest = f["ingest"]
    if not ingest:
        return None
    rows = [
        [
            name,
            f"{t['rows_in']:,}",
            f"{t['rows_kept']:,}",
            f"{t['rows_rejected']:,}",
            f"{t['values_cleared']:,}",
        ]
        for name, t in ingest["tables"].items()
    ]
    if f["rejects"] is None or f["rejects"].empty:
        return {"rows": rows, "reasons": None, "more": 0}
    reasons = reject_reasons(f["rejects"])
    return {
        "rows": rows,
        "more": max(0, len(reasons) - TOP_REASONS),
        "reasons": [[r.table, r.reason, f"{r.rows:,}"] for r in reasons.head(TOP_REASONS).itertuples()],
    }


def _reading(psi: float) -> str:
    return "large shift" if psi > LARGE else "moderate shift" if psi > MODERATE else "stable"


def _drift(f: dict) -> list[list] | None:
    d = f["drift"]
    if not d or not d["rows"]:
        return None
    return [[feature, f"{psi:.3f}", _reading(psi)] for feature, psi in d["rows"]]


def _caveats(f: dict) -> dict:
    return {
        "few": sum(s["uncertain"] for s in (f["profile"] or {}).get("segments", [])),
        "large": [feature for feature, psi in (f["drift"] or {}).get("rows", []) if psi > LARGE],
        "oracle": "oracle" in f["metrics"],
        "undated": undated_note(f["features"].get("undated_firmographics")),
        "leaks": [words(s) for s in f["train_summary"].get("leak_guard", {}).get("left_out", [])],
    }
