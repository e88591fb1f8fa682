"""explain and score on a small world: SHAP, the ICP profile, tiers, and reasons that match their SHAP values."""

import json
import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shap

from models.explain import contributions
from models.reasons import describe, phrase, reasons, span, why_now
from models.spec import encode
from models.targets import rank, tiers
from pipeline import score
from pipeline.train import load_bundle

PRODUCTS = {"gong": "Gong"}


@pytest.mark.parametrize("feature, value, text", [
    ("trig_days_since_funding_round", 45.7, "raised a funding round 45 days ago"),
    ("trig_days_since_funding_round", np.nan, "no funding rounds on record"),
    ("beh_pricing_page_30d", 5.0, "5 pricing-page visits in the last 30 days"),
    ("beh_pricing_page_30d", 1.0, "1 pricing-page visit in the last 30 days"),
    ("beh_all_90d", 0.0, "no engagement activities in the last 90 days"),
    ("tech_n_competitor", 1.0, "1 competing product in use"),
    ("tech_has_gong", 1.0, "runs Gong"),
    ("tech_has_gong", 0.0, "does not run Gong"),
    ("firm_size_band", "201-1,000", "201-1,000 employees"),
    ("firm_log_employees", 3.0, "1,000 employees"),
    ("firm_revenue", 12_340_000.0, "annual revenue $12.3M"),
    ("rel_prior_spend", 0.0, "no prior spend with us"),
    ("firm_growth_1y", 0.12, "headcount growth of +12% over a year"),
    ("intent_max_28d", 81.0, "top intent score 81 on our topics in the last 4 weeks"),
    ("firm_industry", None, "industry unknown"),
])
def test_describe_quotes_the_value_in_plain_language(feature, value, text):
    assert describe(feature, value, PRODUCTS) == text


def test_conditions_read_as_ranges_and_recency():
    assert span("firm_employees", 249.5, 1000.5, PRODUCTS) == "250-1,000 employees"
    assert span("beh_contacts_90d", 2.5, np.inf, PRODUCTS) == "at least 3 contacts engaged in the last 90 days"
    assert span("beh_contacts_90d", -np.inf, 0.5, PRODUCTS) == "no contacts engaged in the last 90 days"
    assert span("trig_days_since_funding_round", -np.inf, 90.2, PRODUCTS) == "raised a funding round in the last 90 days"
    assert span("trig_days_since_funding_round", 90.2, np.inf, PRODUCTS) == "no funding rounds in the last 90 days"
    assert span("tech_has_gong", 0.5, np.inf, PRODUCTS) == "runs Gong"
    assert phrase("some_new_feature", PRODUCTS).kind == "number"  # unknown names still get words


def test_reasons_pick_by_sign_and_why_now_picks_the_newest_signal():
    shap_row = pd.Series({"beh_contacts_90d": 0.9, "trig_days_since_funding_round": 0.4, "tech_n_competitor": -0.7,
                          "firm_age_years": -0.1, "tech_has_gong": 0.0})
    values = pd.Series({"beh_contacts_90d": 4.0, "trig_days_since_funding_round": 45.0, "tech_n_competitor": 2.0,
                        "firm_age_years": 3.0, "tech_has_gong": 0.0, "trig_days_since_executive_hire": 12.0,
                        "intent_days_since_surge": 200.0})
    up, down = reasons(shap_row, values, PRODUCTS)
    assert [f for f, _, _ in up] == ["beh_contacts_90d", "trig_days_since_funding_round"]  # zero SHAP is no reason
    assert down[0] == "tech_n_competitor" and down[2] == "2 competing products in use"
    assert why_now(values, PRODUCTS) == "hired an executive 12 days ago"
    assert why_now(values.drop(["trig_days_since_executive_hire", "trig_days_since_funding_round"]), PRODUCTS) == ""


def test_tiers_follow_capacity_and_the_probability_floor():
    p = pd.Series([0.9, 0.8, 0.1, 0.5, 0.05, 0.3, 0.4, 0.02])
    assert tiers(p, 1, 2, 2, 0.25).tolist() == [1, 2, 2, 3, 4, 3, 4, 4]
    assert tiers(p.head(2), 5, 5, 5, 0.25).tolist() == [1, 1]  # fewer accounts than Tier 1
    scored = pd.DataFrame({"account_id": ["b", "a", "c"], "expected_value": [5.0, 5.0, 9.0], "p_win": [.2, .2, .1]})
    assert rank(scored)[["account_id", "rank"]].values.tolist() == [["c", 1], ["a", 2], ["b", 3]]


def _number(text: str) -> float | None:
    """The first number a reason quotes, with $, k/M/B and % read back; 'no ...' is 0."""
    if text.startswith("no "):
        return 0.0
    m = re.search(r"([+-]?[\d,]*\.?\d+)\s*([kMB%])?", text)
    if not m:
        return None
    scale = {"k": 1e3, "M": 1e6, "B": 1e9, "%": 0.01, None: 1}[m[2]]
    return float(m[1].replace(",", "")) * scale


def _quotes(feature: str, value, text: str) -> bool:
    """Does `text` state this feature's actual value? Numbers are read back from the text, not re-formatted."""
    kind = phrase(feature, {}).kind
    if pd.isna(value):
        return "unknown" in text or "on record" in text
    if kind == "category":
        return str(value) in text
    if kind == "flag":
        return text.startswith(("does not", "no ", "not ")) == (value < 0.5)
    said = 10 ** value if phrase(feature, {}).scale == "log10" else value
    got = _number(text)
    return got is not None and abs(got - said) <= max(1.0, 0.06 * abs(said))


def test_reasons_in_the_list_agree_with_shap_and_quote_real_values(small_run):
    p = small_run["params"]
    targets = pd.read_csv(Path(p.score.out) / "target_accounts.csv", keep_default_na=False)
    sample = targets[targets["tier"] <= 3].sample(60, random_state=0)
    frame = pd.read_parquet(Path(p.features.out) / "score.parquet").set_index("account_id", drop=False)
    frame = frame.loc[sample["account_id"]]
    shap_values, _ = contributions(load_bundle(p.train.out), frame)
    checked = 0
    for row in sample.itertuples():
        up, down = reasons(shap_values.loc[row.account_id], frame.loc[row.account_id], {})
        shown = [row.reason_1, row.reason_2, row.reason_3]
        assert [t for _, _, t in up] == [s for s in shown if s]
        for feature, value, text in up:
            assert value > 0 and _quotes(feature, frame.at[row.account_id, feature], text), (feature, text)
            checked += 1
        if down:
            assert down[1] < 0 and down[2] == row.reason_against
            assert _quotes(down[0], frame.at[row.account_id, down[0]], down[2]), down
    assert checked >= 100


def test_pred_contrib_is_tree_shap_and_adds_up_to_the_raw_score(small_run):
    p = small_run["params"]
    bundle = load_bundle(p.train.out)
    frame = pd.read_parquet(Path(p.features.out) / "score.parquet").head(40)
    ours, bias = contributions(bundle, frame)
    raw = bundle.classifier.predict(encode(frame, bundle.spec), raw_score=True)
    np.testing.assert_allclose(ours.sum(axis=1) + bias, raw, atol=1e-9)
    theirs = shap.TreeExplainer(bundle.classifier).shap_values(encode(frame, bundle.spec))
    np.testing.assert_allclose(ours.to_numpy(), theirs, atol=1e-6)


def test_explain_writes_ranked_importance_charts_and_a_profile_from_the_data(small_run):
    p = small_run["params"]
    ranked = json.loads((Path(p.explain.out) / "importance.json").read_text())
    means = [f["mean_abs_shap"] for f in ranked["features"]]
    assert means == sorted(means, reverse=True) and [f["rank"] for f in ranked["features"]][:3] == [1, 2, 3]
    assert math.isclose(sum(f["share"] for f in ranked["families"]), 1.0, abs_tol=1e-4)
    for name in ["bar.png", "beeswarm.png", "families.png"] + [f"dependence_{f['feature']}.png" for f in
                                                               ranked["features"][:p.explain.dependence_plots]]:
        assert (Path(p.explain.out) / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    profile = json.loads(Path(f"{p.explain.profile}.json").read_text())
    deals = pd.read_parquet(Path(p.features.out) / "train.parquet")
    segs = profile["segments"]
    assert sum(s["deals"] for s in segs) == len(deals) and sum(s["wins"] for s in segs) == deals["won"].sum()
    assert all(s["ci_low"] <= s["win_rate"] <= s["ci_high"] and s["rule"] for s in segs)
    assert all(s["uncertain"] == (s["deals"] < p.explain.few_deals) for s in segs)
    assert min(s["deals"] for s in segs) >= p.explain.profile_min_deals
    assert segs[0]["lift"] > 1 > segs[-1]["lift"]
    md = Path(f"{p.explain.profile}.md").read_text()
    assert profile["summary"] in md and segs[0]["rule"] in md


def test_score_ranks_tiers_and_explains_the_universe(small_run):
    p = small_run["params"]
    targets = pd.read_csv(Path(p.score.out) / "target_accounts.csv", keep_default_na=False)
    assert list(targets.columns) == score.COLUMNS
    frame = pd.read_parquet(Path(p.features.out) / "score.parquet")
    prospects = frame[~frame["customer"] & ~frame["open_opportunity"]]
    assert sorted(targets["account_id"]) == sorted(prospects["account_id"])
    assert targets["rank"].tolist() == list(range(1, len(targets) + 1))
    assert targets["expected_value"].is_monotonic_decreasing
    counts = targets["tier"].value_counts()
    assert counts[1] == p.score.tier1_size and counts[2] == p.score.tier2_size
    assert counts.get(3, 0) <= p.score.tier3_size and (targets.loc[targets["tier"] == 3, "p_win"] >=
                                                       p.score.tier3_min_p_win).all()
    assert (targets.loc[targets["tier"] <= 3, "reason_1"] != "").all()
    assert (targets.loc[targets["tier"] == 4, ["reason_1", "why_now"]] == "").all().all()
    summary = json.loads((Path(p.score.out) / "summary.json").read_text())
    assert [t["accounts"] for t in summary["tiers"]] == [counts.get(t, 0) for t in range(1, 5)]
    assert math.isclose(sum(t["expected_value"] for t in summary["tiers"]), targets["expected_value"].sum(),
                        rel_tol=1e-6)


def test_scoring_in_small_chunks_gives_the_same_list_and_reasons_for_all_on_request(small_run, tmp_path):
    p = small_run["params"]
    cfg = replace(p.score, out=str(tmp_path / "targets"), chunk_size=700, reasons_for_all=True)
    score.run(cfg, p.features.out, p.train.out, p.ingest.out, log=lambda *a: None)
    whole = pd.read_csv(Path(p.score.out) / "target_accounts.csv", keep_default_na=False)
    chunked = pd.read_csv(tmp_path / "targets" / "target_accounts.csv", keep_default_na=False)
    pd.testing.assert_frame_equal(chunked.drop(columns=score.REASONS), whole.drop(columns=score.REASONS))
    tier3 = chunked["tier"] <= 3
    pd.testing.assert_frame_equal(chunked[tier3], whole[tier3])
    assert (chunked.loc[~tier3, "reason_1"] != "").mean() > 0.9  # Tier 4 explained too (unless nothing helps)
