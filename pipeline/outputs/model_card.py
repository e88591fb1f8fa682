"""The model card: a self-contained HTML page for leadership (inline CSS, PNG charts as data URIs, offline).

`render(facts)` turns what the report stage gathered into the page; every section says plainly when its input
was not produced. Keys of `facts`: model (name, version, run_id, experiment, tracking_uri, commit), decision
(registry.decide plus version, same_data), champion_metrics (the champion's holdout metrics or None), params
(the typed params), train_summary, features (features.json), metrics (metrics.json), plots (name -> frame of
data/reports/plots), targets (summary.json), profile (icp_profile.json), importance (importance.json),
bar_png (bytes), ingest (ingest_summary.json), rejects (rejects.csv as a frame), drift (against, rows of
(feature, psi)). The last six may be None.
"""

import base64
import html
import io

import matplotlib

matplotlib.use("Agg")  # files only, no screen
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from models.drift import LARGE, MODERATE  # noqa: E402
from models.profile import interval_words  # noqa: E402

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
CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2433;margin:0}
main{max-width:1080px;margin:0 auto;padding:8px 24px 40px}
h1{font-size:24px;margin:20px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d8dee8}
.sub{color:#5b6577;margin:0 0 12px}.note{color:#5b6577;font-size:13px}
.decision{padding:10px 14px;border-radius:6px;margin:12px 0}
.champion{background:#e6f4ea;border:1px solid #8cc79b}.challenger{background:#fdf0d5;border:1px solid #e0b869}
.small{background:#fde8e8;border:1px solid #e09a9a}
table{border-collapse:collapse;margin:6px 0 10px}th,td{padding:4px 10px;border-bottom:1px solid #e3e7ee}
th{background:#eef2f7;text-align:left}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:16px}.charts img{max-width:min(100%,560px);border:1px solid #e3e7ee}
.flag{background:#fdf0d5;color:#7a4d00;border-radius:3px;padding:0 4px;font-size:12px}
li{margin:4px 0}
"""


def render(facts: dict) -> str:
    m = facts["model"]
    sections = [_header(facts), _small_data(facts), _purpose(facts), _data(facts), _metrics(facts),
                _charts(facts), _tiers(facts), _profile(facts), _drivers(facts), _quality(facts),
                _drift(facts), _caveats(facts)]
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Model card: '
            f'{_e(m["name"])} v{_e(m["version"])}</title><style>{CSS}</style></head><body><main>\n'
            + "\n".join(sections) + "\n</main></body></html>\n")


def reject_reasons(rejects: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows per table and kind of reason: the quoted values, ids, dates, numbers and domains of each
    reason become "…", so one reason with many values counts as one."""
    kind = (rejects["reason"].astype(str).str.replace(r"'[^']*'", "'…'", regex=True)
            .str.replace(r"[\w.@/-]*\d[\w.@/-]*|[\w-]+(?:\.[\w-]+)+", "…", regex=True))
    counts = rejects.assign(reason=kind).groupby(["table", "reason"])["row"].nunique().rename("rows")
    return counts.reset_index().sort_values(["rows", "table", "reason"], ascending=[False, True, True])


def _e(value) -> str:
    return html.escape(str(value))


def _table(headers: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    """An HTML table; cells are escaped text, columns in `numeric` right-aligned."""
    def cells(values, tag):
        return "".join(f'<{tag}{" class=n" if i in numeric else ""}>{_e(v)}</{tag}>'
                       for i, v in enumerate(values))
    body = "".join(f"<tr>{cells(r, 'td')}</tr>" for r in rows)
    return f"<table><thead><tr>{cells(headers, 'th')}</tr></thead><tbody>{body}</tbody></table>"


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _missing(what: str) -> str:
    return f'<p class="note">Not available: {_e(what)} was not produced by this run.</p>'


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"  # None: an empty tier has no mean


def _header(f: dict) -> str:
    m, d = f["model"], f["decision"]
    commit = f" · commit {m['commit'][:10]}" if m.get("commit") else ""
    verdict = (f"v{d['version']} is the new <b>champion</b> (and challenger)" if d["promote"] else
               f"v{d['version']} is the <b>challenger</b>; the champion stays v{d['champion']}")
    return (f"<h1>Model card: {_e(m['name'])} v{_e(m['version'])}</h1>"
            f'<p class="sub">MLflow run {_e(m["run_id"])} in experiment {_e(m["experiment"])} '
            f"({_e(m['tracking_uri'])}){_e(commit)}</p>"
            f'<div class="decision {"champion" if d["promote"] else "challenger"}">{verdict}: '
            f"{_e(d['reason'])}.</div>")


def _small_data(f: dict) -> str:
    """The small-data warning, at the top: what the run did about it and how to read its figures."""
    s = f["train_summary"]
    if not s["small_data"]:
        return ""
    return (f'<div class="decision small"><b>Small data: {s["closed_deals"]["won"]:,} won and '
            f'{s["closed_deals"]["lost"]:,} lost deals</b>, fewer than the {s["small_data_deals"]:,} of each '
            "that commercial tools ask for. This run used stronger regularisation "
            f"(train.small_data_classifier), and its metrics are pooled over {len(s['cv'])} chronological "
            "folds (each fold's model learned only from older deals) with 95% bootstrap intervals. Treat every "
            "figure, and the ICP segments, as uncertain: read the intervals, not the points.</div>")


def _purpose(f: dict) -> str:
    p, s, feats = f["params"], f["train_summary"]["splits"], f["features"]
    deals, wins = sum(x["deals"] for x in s.values()), sum(x["wins"] for x in s.values())
    left_out = [w for w, inc in (("existing customers", p.score.include_customers),
                                 ("accounts with an open opportunity", p.score.include_open)) if not inc]
    who = f"the {f['targets']['universe']:,} accounts" if f["targets"] else "every account"
    excluded = f" (left out: {' and '.join(left_out)})" if left_out else ""
    types = ", ".join(p.features.opportunity_types)
    return ("<h2>What it predicts, for whom</h2>"
            f"<p>For {who} of the scoring set as of {_e(feats['score_as_of'])}{_e(excluded)}: the "
            "calibrated probability that a new deal opened now would be won (P(win)), the predicted deal "
            "value if won, and their product, the expected value, by which accounts are ranked and put into "
            "tiers.</p>"
            f"<p>It learned from {deals:,} closed deals of type {_e(types)} ({wins:,} won, {deals - wins:,} "
            f"lost) created from {_e(s['train']['from'])} to {_e(s['holdout']['to'])}. Every feature of a "
            "deal is computed only from what was known on the day it was created; the newest deals are held "
            "out and never seen in training.</p>")


def _data(f: dict) -> str:
    s, feats = f["train_summary"]["splits"], f["features"]
    rows = [[name, f"{x['deals']:,}", f"{x['wins']:,}", _pct(x["win_rate"]), x["from"], x["to"]]
            for name, x in s.items()]
    return ("<h2>Data</h2>" + _table(["split", "deals", "won", "win rate", "from", "to"], rows, {1, 2, 3})
            + f"<p>Scoring set: {feats['rows']['score']:,} accounts as of {_e(feats['score_as_of'])}. "
            f"{len(feats['features'])} features from the families {_e(', '.join(feats['families']))}"
            + (f"; no source data for {_e(', '.join(feats['dropped_families']))}" if feats["dropped_families"]
               else "") + ".</p>")


def _value(m: dict, key: str) -> str:
    """A metric with its 95% interval when evaluate computed one."""
    ci = f" ({m[key + '_ci_low']:.3f}–{m[key + '_ci_high']:.3f})" if key + "_ci_low" in m else ""
    return f"{m[key]:.3f}{ci}"


def _metrics(f: dict) -> str:
    metrics, champ, d = f["metrics"], f["champion_metrics"], f["decision"]
    h = metrics["holdout"]
    cv = h["evaluation"] == "chronological_cv"
    methods = [m for m in ("model", "logistic", "checklist", "oracle") if m in metrics]
    champion = [f"champion v{d['champion']}"] if champ else []
    headers = ["metric (95% interval)", *methods, *champion, "meaning"]
    rows = [[label, *(_value(metrics[m], key) for m in methods)]
            + ([_value(champ, key) if key in champ else "–"] if champ else []) + [meaning]
            for key, label, meaning in METRICS if key in metrics["model"]]
    where = (f"the {h['deals']:,} deals ({h['wins']:,} won) of {h['folds']} chronological test blocks, "
             f"created {_e(h['from'])} to {_e(h['to'])}, pooled: each block predicted by a model and "
             "baselines trained only on the deals before it" if cv else
             f"the {h['deals']:,} newest deals ({h['wins']:,} won), created {_e(h['from'])} to {_e(h['to'])}")
    text = (f"<p>On {where}. The logistic regression and the checklist (one point each for the hand-made ICP "
            "rules) are what the model must beat; the oracle knows the true win probabilities (demo world "
            "only).</p>")
    if any(f"{key}_ci_low" in metrics["model"] for key, _, _ in METRICS):
        text += (f"<p>In brackets: 95% bootstrap intervals ({f['params'].evaluate.bootstrap:,} resamples of "
                 "these deals), the range the figure could take on another sample of as many deals; where "
                 "two methods' intervals overlap widely, these deals cannot tell them apart.</p>")
    if "model_vs_oracle" in metrics:
        ratio = metrics["model_vs_oracle"]["ratio_to_oracle"]
        text += (f"<p>The model recovers {_pct(ratio)} of the learnable signal (its ROC AUC above chance "
                 "relative to the oracle's).</p>")
    if champ:
        same = {True: "the same input data", False: "different input data",
                None: "input data of unknown origin"}[d.get("same_data")]
        text += f"<p>The champion's figures come from its own run, on {same}.</p>"
    numeric = set(range(1, len(headers) - 1))
    title = "Cross-validated metrics against baselines" if cv else "Holdout metrics against baselines"
    return f"<h2>{title}</h2>" + text + _table(headers, rows, numeric)


def _charts(f: dict) -> str:
    gains, calibration = f["plots"].get("gains"), f["plots"].get("calibration")
    if gains is None or calibration is None:
        return "<h2>Lift and calibration</h2>" + _missing("the plot data of evaluate")
    fig, ax = plt.subplots(figsize=(5.2, 4))
    for column in gains.columns.drop("share_of_deals"):
        if gains[column].notna().any():
            ax.plot(gains["share_of_deals"], gains[column], label=column,
                    linestyle="--" if column == "random" else "-", linewidth=2 if column == "model" else 1.2)
    ax.set(xlabel="share of holdout deals, best first", ylabel="share of all wins",
           title="Cumulative gains (lift)")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    lift = _png(fig)
    fig, ax = plt.subplots(figsize=(5.2, 4))
    ax.plot(calibration["predicted"], calibration["perfect"], linestyle="--", color="grey", label="perfect")
    ax.plot(calibration["predicted"], calibration["observed"], marker="o", label="model")
    ax.set(xlabel="predicted P(win)", ylabel="observed win rate", title="Calibration on the holdout")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return ("<h2>Lift and calibration</h2><p>Left: how many of the wins the top of each ranking catches. "
            "Right: predicted P(win) against the observed win rate in bins of the holdout.</p>"
            f'<div class="charts">{_img(lift, "cumulative gains")}{_img(_png(fig), "calibration")}</div>')


def _tiers(f: dict) -> str:
    t = f["targets"]
    if not t:
        return "<h2>Tiers</h2>" + _missing("the target-account list (stage score)")
    rows = [[r["tier"], f"{r['accounts']:,}", f"{r['expected_wins']:,.1f}", f"{r['expected_value']:,.0f}",
             _pct(r["mean_p_win"])] for r in t["tiers"]]
    rows.append(["all", f"{sum(r['accounts'] for r in t['tiers']):,}",
                 f"{sum(r['expected_wins'] for r in t['tiers']):,.1f}",
                 f"{sum(r['expected_value'] for r in t['tiers']):,.0f}", ""])
    return (f"<h2>Tiers</h2><p>The {t['universe']:,} accounts of the list as of {_e(t['as_of'])}, ranked by "
            "expected value. Expected wins are the sum of P(win); expected pipeline value the sum of P(win) "
            "x predicted value, if every account got a deal.</p>"
            + _table(["tier", "accounts", "expected wins", "expected pipeline value", "mean P(win)"], rows,
                     {1, 2, 3, 4}))


def _profile(f: dict) -> str:
    p = f["profile"]
    if not p:
        return "<h2>The ICP in plain words</h2>" + _missing("the ICP profile (stage explain)")
    rows = [[s["rule"] + (" (few deals)" if s["uncertain"] else ""), f"{s['deals']:,}", f"{s['wins']:,}",
             f"{_pct(s['win_rate'])} ({_pct(s['ci_low'])}–{_pct(s['ci_high'])})", f"{s['lift']:.2f}",
             "–" if s["avg_deal_value"] is None else f"{s['avg_deal_value']:,.0f}"] for s in p["segments"]]
    return (f"<h2>The ICP in plain words</h2><p>{_e(p['summary'])}</p><p class=note>Base win rate "
            f"{_pct(p['base_win_rate'])} over {p['deals']:,} deals; win rates with "
            f"{_e(interval_words(p))}.</p>"
            + _table(["segment", "deals", "won", "win rate (95% interval)", "lift", "average won deal"], rows,
                     {1, 2, 3, 4, 5}))


def _drivers(f: dict) -> str:
    imp = f["importance"]
    if not imp:
        return "<h2>Top drivers</h2>" + _missing("the SHAP importance (stage explain)")
    rows = [[r["rank"], r["feature"], r["family"], f"{r['mean_abs_shap']:.4f}"]
            for r in imp["features"][:TOP_DRIVERS]]
    families = [[r["family"], _pct(r["share"])] for r in imp["families"]]
    return (f"<h2>Top drivers</h2><p>Mean absolute SHAP value on {imp['rows']:,} holdout deals (log-odds of "
            "winning): how much each feature moves P(win), whichever the direction.</p>"
            f'<div class="charts"><div>{_table(["rank", "feature", "family", "mean |SHAP|"], rows, {0, 3})}'
            f'{_table(["family", "share"], families, {1})}</div>'
            + (_img(f["bar_png"], "top drivers") if f["bar_png"] else "") + "</div>")


def _quality(f: dict) -> str:
    ingest = f["ingest"]
    if not ingest:
        return "<h2>Data quality</h2>" + _missing("the ingest summary")
    rows = [[name, f"{t['rows_in']:,}", f"{t['rows_kept']:,}", f"{t['rows_rejected']:,}",
             f"{t['values_cleared']:,}"] for name, t in ingest["tables"].items()]
    text = (f"<h2>Data quality</h2><p>Every row of {_e(ingest['source'])} is kept or rejected with a reason; "
            f"{ingest['account_merges']:,} duplicate accounts (same domain) were merged.</p>"
            + _table(["table", "rows in", "kept", "rejected", "values cleared"], rows, {1, 2, 3, 4}))
    if f["rejects"] is None or f["rejects"].empty:
        return text + "<p>No row was rejected or changed.</p>"
    reasons = reject_reasons(f["rejects"])
    shown = [[r.table, r.reason, f"{r.rows:,}"] for r in reasons.head(TOP_REASONS).itertuples()]
    more = (f"<p class=note>{len(reasons) - TOP_REASONS:,} more kinds of reason in rejects.csv.</p>"
            if len(reasons) > TOP_REASONS else "")
    return (text + "<p>Rows left out or changed, by kind of reason:</p>"
            + _table(["table", "reason", "rows"], shown, {2}) + more)


def _reading(psi: float) -> str:
    return "large shift" if psi > LARGE else "moderate shift" if psi > MODERATE else "stable"


def _drift(f: dict) -> str:
    d = f["drift"]
    if not d or not d["rows"]:
        return "<h2>Drift in the inputs</h2>" + _missing("a drift reference")
    rows = [[feature, f"{psi:.3f}", _reading(psi)] for feature, psi in d["rows"]]
    return ("<h2>Drift in the inputs</h2><p>Population stability index (PSI) of the top drivers: the "
            f"accounts scored now against {_e(d['against'])}. Below {MODERATE}: stable; above {LARGE}: a "
            "large shift.</p>" + _table(["feature", "PSI", "reading"], rows, {1})
            + "<p class=note>Training rows describe accounts at the moment they opened a deal, the scoring "
            "set describes prospects today, so engagement, intent and relationship features differ by "
            "design; watch how these figures move from run to run rather than their level.</p>")


def _caveats(f: dict) -> str:
    d, notes = f["decision"], []
    few = [x for x in (f["profile"] or {}).get("segments", []) if x["uncertain"]]
    if few:
        notes.append(f"{len(few)} ICP segment(s) rest on few deals (marked): read their win rates with the "
                     "intervals.")
    large = [feature for feature, psi in (f["drift"] or {}).get("rows", []) if psi > LARGE]
    if large:
        notes.append(f"Input drift: {', '.join(large)} shifted strongly (PSI above {LARGE}) against "
                     f"{f['drift']['against']}. Part of it is by design (see Drift in the inputs); a shift "
                     "that grows from run to run means the list is scored on a population the model did not "
                     "learn from.")
    if d["champion"] is not None and d.get("same_data") is False:
        notes.append(f"Champion v{d['champion']} was measured on other input data, so the comparison with it "
                     "is indicative, not head to head.")
    if "oracle" in f["metrics"]:
        notes.append("The oracle and the ratio to it exist only on the synthetic demo world, where the true "
                     "win probabilities are known.")
    items = "".join(f"<li>{_e(n)}</li>" for n in notes) or "<li>None flagged.</li>"
    return f"<h2>Caveats</h2><ul>{items}</ul>"
