"""The contacts to work at Tier 1-2 accounts: the order rule, the missing roles in words, the stage's files,
and nothing about a person in MLflow."""

import io
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from models.contacts import CONTACT_COLUMNS, PEOPLE_COLUMNS, confirmed_roles, gaps, missing_text, ordered
from pipeline import params as P
from pipeline import tracking
from pipeline.outputs.layout import CONTACT_SHEET
from pipeline.paths import paths
from pipeline.stages import score

FINANCE = {"label": "Finance", "department": "finance", "seniority": None, "confirmed": True}
C_LEVEL = {"label": "C-level", "department": None, "seniority": "c_level", "confirmed": True}


def _known(*rows) -> pd.DataFrame:
    """Contacts of account A as features/committee.contacts_as_of gives them: (id, department, seniority,
    last activity or None, engaged)."""
    return pd.DataFrame(
        [
            {
                "account_id": "A",
                "contact_id": cid,
                "department": department,
                "seniority": seniority,
                "title": None,
                "last_activity": pd.Timestamp(last) if last else pd.NaT,
                "last_activity_type": None,
                "activities": float(engaged),
                "engaged": engaged,
            }
            for cid, department, seniority, last, engaged in rows
        ]
    )


def test_the_order_rule():
    """Engaged contacts and those to bring in (filling a confirmed role no engaged contact fills) first; in
    each group one contact per department per round; in a queue and a round, a confirmed role first, then
    the most recent activity (none last), then seniority, then contact id."""
    known = _known(
        ("S1", "sales", "manager", "2024-05-20", True),
        ("S2", "sales", "vp", "2024-05-15", True),  # more recent than M1 and P1: still in a later round
        ("S3", "sales", "director", "2024-05-15", True),  # S2's day, less senior: after S2 in sales' queue
        ("M1", "marketing", "director", "2024-05-10", True),
        ("P1", "product", "vp", "2024-05-10", True),  # M1's day, more senior: before M1 in the round
        ("F1", "finance", "c_level", None, False),
        ("I1", "it", "manager", "2023-01-01", False),
        ("E1", "engineering", "manager", "2023-01-01", False),  # I1's day and seniority: the id decides
        ("X1", None, None, None, False),
    )
    order = ordered(known, [])
    assert order["contact_id"].tolist() == ["S1", "P1", "M1", "S2", "S3", "E1", "I1", "F1", "X1"]
    assert order["contact_order"].tolist() == list(range(1, 10))
    assert set(order["role_confirmed"]) == {""}
    # Finance confirmed and engaged nowhere: F1 is the one to bring in, first of its round
    order = ordered(known, [FINANCE])
    assert order["contact_id"].tolist() == ["F1", "S1", "P1", "M1", "S2", "S3", "E1", "I1", "X1"]
    assert order.set_index("contact_id")["role_confirmed"].to_dict()["F1"] == "Finance"
    # an engaged finance manager fills Finance; F1 still fills C-level, which nobody engaged does
    cfo = _known(("F2", "finance", "manager", "2024-04-01", True))
    order = ordered(pd.concat([known, cfo], ignore_index=True), [FINANCE, C_LEVEL]).set_index("contact_id")
    assert order.index.tolist() == ["F2", "S1", "P1", "M1", "F1", "S2", "S3", "E1", "I1", "X1"]
    assert (
        order.loc["F1", "role_confirmed"] == "Finance, C-level"
        and order.loc["F2", "role_confirmed"] == "Finance"
    )


def test_the_missing_roles_are_said_in_words():
    """A confirmed role is missing where no engaged contact fills it (a null department or seniority means
    any); without a confirmed role nothing is missing."""
    assert missing_text(["Finance"]) == "no Finance contact engaged"
    assert missing_text(["Finance", "IT", "C-level"]) == "no Finance, IT or C-level contact engaged"
    known = _known(
        ("S1", "sales", "c_level", "2024-05-20", True),  # fills C-level: any department
        ("F1", "finance", "manager", "2023-01-01", False),  # not engaged: Finance stays missing
        ("I1", "it", "vp", "2024-05-02", True),
        ("I2", "it", "manager", "2024-05-03", True),
        ("R1", "Revenue Operations", None, "2024-05-04", True),  # the export's own word, as written
    )
    it = {"label": "IT", "department": "it", "seniority": None, "confirmed": True}
    said = gaps(pd.Series(["A", "B"]), known, [FINANCE, it, C_LEVEL]).set_index("account_id")
    assert said.loc["A"].to_dict() == {
        "roles_engaged": "IT, Revenue Operations, Sales",  # most engaged contacts first, then A to Z
        "roles_missing": "no Finance contact engaged",
    }
    assert said.loc["B"].to_dict() == {
        "roles_engaged": "",
        "roles_missing": "no Finance, IT or C-level contact engaged",  # no contacts at all
    }
    assert set(gaps(pd.Series(["A", "B"]), known, [])["roles_missing"]) == {""}
    profile = {"committee": {"roles": [FINANCE, {**it, "confirmed": False}]}}
    assert confirmed_roles(profile) == [FINANCE] and confirmed_roles({"segments": []}) == []


@pytest.fixture(scope="module")
def with_roles(small_run, tmp_path_factory):
    """The score stage again on the small world, its profile's committee confirming Finance (Sales tried and
    not confirmed), 3 contacts per account."""
    p, root = small_run["params"], tmp_path_factory.mktemp("contacts")
    profile = json.loads(paths(p).profile_json.read_text())
    sales = {"label": "Sales", "department": "sales", "seniority": None, "confirmed": False, "holdout": {}}
    profile["committee"] = {"roles": [{**FINANCE, "holdout": {}}, sales]}
    (root / "icp_profile.json").write_text(json.dumps(profile))
    q = P.override(
        p,
        {
            "explain.profile": str(root / "icp_profile"),
            "score.out": str(root / "targets"),
            "score.contacts_per_account": 3,
            "score.stability_days": 0,  # the earlier list names no one
        },
    )
    return {"params": q, "summary": score.run(q)}


def test_tier_1_2_accounts_with_contacts_get_names_and_their_missing_roles(with_roles, small_run):
    f = paths(with_roles["params"])
    targets = pd.read_csv(f.target_list("csv"), keep_default_na=False)
    listed = pd.read_csv(f.contacts, keep_default_na=False)
    assert list(listed.columns) == CONTACT_COLUMNS
    contacts = pd.read_parquet(f.interim_table("contacts"))
    known = contacts[contacts["created_date"] < pd.Timestamp(targets["as_of"].iloc[0])]
    top = targets[targets["tier"] <= 2]
    named = set(top["account_id"]) & set(known["account_id"])
    assert named and set(listed["account_id"]) == named  # every Tier 1-2 account with contacts, no other
    assert (listed["name"] != "").all()
    assert listed["name"].tolist() == listed["contact_id"].map(known.set_index("contact_id")["name"]).tolist()
    per_account = listed.groupby("account_id", sort=False)["contact_order"].agg(list)
    sizes = known[known["account_id"].isin(named)].groupby("account_id").size().clip(upper=3)
    assert all(orders == list(range(1, sizes[a] + 1)) for a, orders in per_account.items())
    assert listed["rank"].is_monotonic_increasing
    said = (listed["name"] + ", " + listed["title"]).groupby(listed["account_id"]).agg("; ".join)
    assert top.set_index("account_id")["contacts"].to_dict() == {
        a: said.get(a, "") for a in top["account_id"]
    }
    assert (targets.loc[targets["tier"] > 2, PEOPLE_COLUMNS] == "").all().all()
    # an engaged finance contact fills Finance and leads its list; without one the row says so
    finance = listed[listed["engaged"] & (listed["department"] == "finance")]["account_id"]
    missing = top.set_index("account_id")["roles_missing"]
    expected = {a: "" if a in set(finance) else "no Finance contact engaged" for a in top["account_id"]}
    assert missing.to_dict() == expected and set(expected.values()) == {"", "no Finance contact engaged"}
    assert (
        listed["role_confirmed"] == (listed["department"] == "finance").map({True: "Finance", False: ""})
    ).all()
    assert (with_roles["summary"]["accounts_with_contacts"], with_roles["summary"]["contacts_listed"]) == (
        len(named),
        len(listed),
    )
    # the default run: the roles its own profile confirmed (the small world plants finance) are the only ones
    # said missing; up to 8 contacts each
    g = paths(small_run["params"])
    default = pd.read_csv(g.target_list("csv"), keep_default_na=False)
    labels = {r["label"] for r in confirmed_roles(json.loads(g.profile_json.read_text()))}
    said = set(default["roles_missing"]) - {""}
    assert said and all(any(label in text for label in labels) for text in said)
    assert small_run["summary"]["contacts_listed"] > len(listed)


def test_the_workbooks_contacts_sheet_is_contacts_csv(with_roles):
    f = paths(with_roles["params"])
    sheet = list(openpyxl.load_workbook(f.target_list("xlsx"))["Contacts"].values)
    assert list(sheet[0]) == [header for _, header, _ in CONTACT_SHEET]
    listed = pd.read_csv(f.contacts, dtype=str, keep_default_na=False)
    assert len(listed) == with_roles["summary"]["contacts_listed"] > 0
    expected = listed.replace({"engaged": {"True": "Yes", "False": "No"}}).values.tolist()
    assert [["" if v is None else str(v) for v in row] for row in sheet[1:]] == expected


def test_nothing_about_a_person_goes_to_mlflow(with_roles, monkeypatch):
    """The report stage logs the target list without its columns about people, and never contacts.csv."""
    f, logged = paths(with_roles["params"]), {}

    def artifact(path, folder=None):
        logged[f"{folder}/{Path(path).name}"] = Path(path).read_bytes()

    def artifacts(path, folder=None):
        logged.update({f"{folder}/{x.name}": x.read_bytes() for x in Path(path).rglob("*") if x.is_file()})

    for name in ("log_params", "set_tags", "log_metrics", "log_dict"):
        monkeypatch.setattr(tracking.mlflow, name, lambda *args, **kwargs: None)
    monkeypatch.setattr(tracking.mlflow, "log_artifact", artifact)
    monkeypatch.setattr(tracking.mlflow, "log_artifacts", artifacts)
    tracking.log_contents(with_roles["params"], {}, {}, {})
    assert "targets/summary.json" in logged and f.contacts.name not in {Path(k).name for k in logged}
    sent = pd.read_csv(io.BytesIO(logged["targets/target_accounts.csv"]), dtype=str, keep_default_na=False)
    whole = pd.read_csv(f.target_list("csv"), dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(sent, whole.drop(columns=PEOPLE_COLUMNS))
    names = set(pd.read_csv(f.contacts)["name"])
    assert not [k for k, content in logged.items() for n in names if n.encode() in content]
