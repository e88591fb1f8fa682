"""The two HTML pages rendered from their Jinja templates (pipeline/templates/): the same input gives the same
bytes, and every value is escaped, as html.escape escapes it."""

import html

from test_lists import files_in, make_targets
from test_report import card_facts

from pipeline.outputs.lists import write_lists
from pipeline.outputs.model_card import render

PLANTED = "<script>alert('x')</script> & \"y\""


def planted_card() -> str:
    """The model card with the planted value in the text of every section that shows text from the data."""
    base = card_facts()
    profile = {
        "base_win_rate": 0.25,
        "deals": 180,
        "learned": {"deals": 720, "win_rate": 0.24},
        "summary": PLANTED,
        "interval": "wilson",
        "resamples": 0,
        "segments": [
            {
                "rule": PLANTED,
                "deals": 40,
                "wins": 20,
                "win_rate": 0.5,
                "ci_low": 0.35,
                "ci_high": 0.65,
                "lift": 2.0,
                "avg_deal_value": None,
                "uncertain": True,
            }
        ],
    }
    importance = {
        "rows": 60,
        "features": [{"feature": PLANTED, "family": PLANTED, "mean_abs_shap": 0.3, "rank": 1}],
        "families": [{"family": PLANTED, "mean_abs_shap": 0.3, "share": 1.0}],
    }
    return render(
        card_facts(
            model={**base["model"], "name": PLANTED, "run_id": PLANTED, "commit": PLANTED},
            decision={**base["decision"], "version": PLANTED, "champion": PLANTED, "reason": PLANTED},
            features={**base["features"], "score_as_of": PLANTED, "families": [PLANTED]},
            targets={
                "as_of": PLANTED,
                "universe": 10,
                "tiers": [
                    {
                        "tier": PLANTED,
                        "accounts": 10,
                        "expected_wins": 1.0,
                        "expected_value": 9.0,
                        "mean_p_win": 0.1,
                    }
                ],
            },
            profile=profile,
            importance=importance,
            ingest={**base["ingest"], "source": PLANTED},
            rejects=base["rejects"].assign(table=PLANTED, reason=PLANTED),
            drift={"against": PLANTED, "rows": [(PLANTED, 0.5)]},
        )
    )


def planted_list(folder) -> str:
    targets = make_targets()
    for column in ("name", "domain", "reason_1", "reason_against", "why_now", "industry", "account_id"):
        targets.loc[[0, 9], column] = PLANTED
    write_lists(targets, files_in(folder), 20, PLANTED, PLANTED)
    return (folder / "target_accounts.html").read_text(encoding="utf-8")


def test_same_input_same_bytes(tmp_path):
    assert render(card_facts()).encode() == render(card_facts()).encode()
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        write_lists(make_targets(), files_in(tmp_path / run), 20, "Target accounts: demo")
    pages = [(tmp_path / run / "target_accounts.html").read_bytes() for run in ("a", "b")]
    assert pages[0] == pages[1]


def test_a_script_in_the_data_is_escaped_in_the_model_card():
    card = planted_card()
    assert "<script" not in card
    assert card.count(html.escape(PLANTED)) == 25  # ' and " as &#x27; and &quot;, not markupsafe's &#39;


def test_a_script_in_the_data_is_escaped_in_the_html_list(tmp_path):
    page = planted_list(tmp_path)
    assert "<script>alert" not in page and page.count("<script>") == 1  # the page's own
    assert page.count(html.escape(PLANTED)) == 17
