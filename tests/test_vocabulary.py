"""Open vocabularies: which of an export's own values get features, chosen before the learning cut-off, and
said in the export's words."""

import ibis
import pandas as pd

from features.vocabulary import frequent_values, missing_topics_note, named_products, words
from models.phrases import describe

CUTOFF = pd.Timestamp("2024-01-01")


def _activities(counts: dict[str, tuple[int, int]]) -> dict:
    """An activities table holding, per type, (records before the cut-off, records on or after it)."""
    rows = []
    for kind, (before, after) in counts.items():
        rows += [(kind, CUTOFF - pd.Timedelta(days=1 + i)) for i in range(before)]
        rows += [(kind, CUTOFF + pd.Timedelta(days=i)) for i in range(after)]
    frame = pd.DataFrame(rows, columns=["activity_type", "timestamp"]).assign(account_id="A")
    return {"activities": ibis.memtable(frame)}


def test_values_are_chosen_from_records_before_the_cutoff_only():
    """A value frequent only after the cut-off gets no feature: choosing it would have looked at the deals the
    model is validated and tested on."""
    tables = _activities({"Fill Out Form": (30, 0), "Attend Webinar": (5, 500), "web_visit": (25, 0)})
    assert frequent_values(tables, "behaviour", CUTOFF, top=12, min_records=20) == (
        "web_visit",
        "Fill Out Form",
    )


def test_recommended_spellings_come_first_then_the_most_frequent_up_to_top():
    tables = _activities(
        {"Open Email": (90, 0), "Click Email": (80, 0), "webinar": (21, 0), "Visit Page": (70, 0)}
    )
    assert frequent_values(tables, "behaviour", CUTOFF, top=3, min_records=20) == (
        "Open Email",
        "Click Email",
        "Visit Page",
    )
    assert frequent_values(tables, "behaviour", CUTOFF, top=4, min_records=20)[0] == "webinar"


def test_a_value_whose_name_another_feature_uses_gets_none():
    """beh_all_30d counts every activity: an activity type called 'All' must not overwrite it; two spellings
    of one slug give one feature, the more frequent spelling's."""
    tables = _activities(
        {"All": (50, 0), "Web-Visit": (40, 0), "web visit": (30, 0), "!!": (60, 0), "Topic Research": (45, 0)}
    )
    assert frequent_values(tables, "behaviour", CUTOFF, top=12, min_records=20) == ("Web-Visit",)


def test_departments_are_chosen_from_contacts_created_before_the_cutoff():
    """A contact is dated by its creation: departments known only from later contacts get no feature; an
    activity type whose name a department's feature would take gets none either."""
    created = [CUTOFF - pd.Timedelta(days=1)] * 25 + [CUTOFF] * 40 + [CUTOFF - pd.Timedelta(days=9)] * 21
    contacts = pd.DataFrame(
        {"department": ["Customer Success"] * 25 + ["legal"] * 40 + ["finance"] * 21, "created_date": created}
    )
    tables = {"contacts": ibis.memtable(contacts.assign(account_id="A"))}
    assert frequent_values(tables, "departments", CUTOFF, top=12, min_records=20) == (
        "finance",
        "Customer Success",
    )
    acts = _activities({"Dept Finance": (50, 0), "web_visit": (30, 0)})
    assert frequent_values(acts, "behaviour", CUTOFF, top=12, min_records=20) == ("web_visit",)


def test_intent_topics_are_the_exports_own_chosen_before_the_cutoff():
    """Bombora's topics are whatever the export's product is about: the most frequent weekly scores before the
    cut-off choose which topics get a score of their own."""
    weeks = [CUTOFF - pd.Timedelta(weeks=1 + i) for i in range(30)] + [
        CUTOFF + pd.Timedelta(weeks=i) for i in range(40)
    ]
    topics = ["Customer Data Platform"] * 25 + ["Email Marketing"] * 5 + ["Churn"] * 40
    frame = pd.DataFrame({"account_id": "A", "topic": topics, "week": weeks, "score": 80})
    assert frequent_values({"intent": ibis.memtable(frame)}, "intent", CUTOFF, top=12, min_records=20) == (
        "Customer Data Platform",
    )


def test_intent_topics_that_the_export_lacks_are_said():
    """params' intent_topics are the demo product's: an export about another product is told to set them."""
    frame = pd.DataFrame({"topic": ["Customer Data Platform"] * 3 + ["Email Marketing"]})
    tables = {"intent": ibis.memtable(frame)}
    note = missing_topics_note(tables, ("revenue operations",))
    assert "most frequent are Customer Data Platform, Email Marketing" in note
    assert "Set features.intent_topics" in note
    assert missing_topics_note(tables, ("revenue operations", "customer-data_platform")) == ""
    assert missing_topics_note(tables, ()) == "" and missing_topics_note({}, ("x",)) == ""


def test_named_products_are_chosen_before_the_cutoff():
    tech = pd.DataFrame(
        {
            "account_id": ["A", "B", "C", "A"],
            "technology": ["Gong", "Gong", "Clari", "Outreach"],
            "category": ["competitor", "competitor", "complement", "crm"],
            "first_seen": pd.to_datetime(["2023-01-01", "2023-02-01", "2024-02-01", "2023-01-01"]),
        }
    )
    assert named_products({"technographics": ibis.memtable(tech)}, CUTOFF) == ("Gong",)


def test_reasons_say_the_exports_own_words():
    config = {
        "activity_types": ["Attend Webinar", "web_visit"],
        "trigger_types": ["Funding Announcement (Series B)"],
        "tech_categories": ["Sales Engagement"],
        "named_products": ["HubSpot"],
    }
    said = words(config)
    assert describe("beh_attend_webinar_90d", 3, said) == "3 Attend Webinar in the last 90 days"
    assert describe("beh_web_visit_30d", 2, said) == "2 web visits in the last 30 days"
    assert (
        describe("trig_days_since_funding_announcement_series_b", 45, said)
        == "Funding Announcement Series B 45 days ago"
    )
    assert describe("trig_funding_announcement_series_b_90d", 1, said) == (
        "1 Funding Announcement Series B event in the last 90 days"
    )
    assert describe("tech_n_sales_engagement", 2, said) == "2 Sales Engagement products in use"
    assert describe("tech_has_hubspot", 1, said) == "runs HubSpot"
    topics = words({"topics": ["Account-Based Marketing", "Customer Data Platform (CDP)"]})
    assert describe("intent_topic_account_based_marketing_max_28d", 84, topics) == (
        "top intent score 84 on Account-Based Marketing in the last 4 weeks"
    )
    assert describe("intent_topic_customer_data_platform_cdp_max_28d", None, topics) == (
        "no Customer Data Platform (CDP) intent lately"
    )
    departments = words({"departments": ["finance", "it", "Customer Success"]})
    assert (
        describe("beh_dept_finance_90d", 2, departments) == "2 Finance contacts engaged in the last 90 days"
    )
    assert describe("beh_dept_it_90d", 1, departments) == "1 IT contact engaged in the last 90 days"
    assert describe("beh_dept_customer_success_90d", 0, departments) == (
        "no Customer Success contacts engaged in the last 90 days"
    )


def test_custom_fields_are_said_in_their_own_names():
    features = [
        {"name": "custom_num_of_agents_total", "label": "# of Agents Total"},
        {"name": "custom_cat_segment", "label": "Segment {tier}"},
        {"name": "custom_has_products__zendesk", "label": "Products lists Zendesk"},
    ]
    said = words({}, features)
    assert describe("custom_num_of_agents_total", 25, said) == "# of Agents Total 25"
    assert describe("custom_cat_segment", "SMB", said) == "Segment {tier}: SMB"
    assert describe("custom_has_products__zendesk", 1, said) == "Products lists Zendesk"
    assert describe("custom_has_products__zendesk", 0, said) == "Products does not list Zendesk"
