"""The three target-account lists: the CSV round-trips, the workbook is laid out for people, the page is
self-contained and works in a real browser (Debian's chromium, driven by Playwright)."""

import html
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from pipeline import params as P
from pipeline.outputs.lists import COLUMNS, write_lists
from pipeline.paths import LISTS, paths
from tests.conftest import PARAMS, chromium

TIER_SIZES = {1: 5, 2: 10, 3: 15, 4: 30}
ROWS_PER_TIER = 20  # cuts Tier 4 (30 accounts) only
TRICKY = 'Smith <b>&amp; "Sons" & Co'


def files_in(folder: Path) -> dict[str, Path]:
    """The three list files in `folder`, named as the score stage names them."""
    f = paths(P.override(PARAMS, {"score.out": str(folder)}))
    return {fmt: f.target_list(fmt) for fmt in LISTS}


def make_targets(sizes: dict = TIER_SIZES, seed: int = 3) -> pd.DataFrame:
    """Ranked accounts shaped like the score stage's frame, with the awkward values real data has."""
    rng = np.random.default_rng(seed)
    n = sum(sizes.values())
    tier = np.repeat(list(sizes), list(sizes.values()))
    p_win = np.sort(rng.random(n))[::-1] ** 1.7  # full-precision floats, decreasing with the tier
    value = rng.lognormal(10, 1, n)
    employees = rng.integers(5, 40000, n).astype(float)
    employees[[3, 17, 41]] = np.nan
    names = [f"Account {i}" for i in range(n)]
    names[0], names[7], names[22] = TRICKY, "=HYPERLINK(1)", "Bell\x07 GmbH"
    reason = np.where(tier < 4, "Mid-size company (200-2,000 employees)", "")
    return pd.DataFrame(
        {
            "rank": np.arange(1, n + 1),
            "account_id": [f"A{i:05d}" for i in range(n)],
            "name": names,
            "domain": [f"acct{i}.example" for i in range(n)],
            "tier": tier,
            "strategic": employees >= 10000,
            "p_win": p_win,
            "predicted_value": value,
            "expected_value": p_win * value,
            "reason_1": reason,
            "reason_2": np.where(tier < 3, "Funding round in the last 90 days", ""),
            "reason_3": "",
            "reason_against": np.where(tier == 2, "Runs a competing product", ""),
            "why_now": np.where(tier == 1, "Pricing page visited by 4 people this week", ""),
            "roles_engaged": np.where(tier <= 2, "Sales, Marketing", ""),
            "roles_missing": np.where(tier == 1, "no Finance contact engaged", ""),
            "contacts": np.where(tier <= 2, "Jane Doe, CFO; CON-0000123, VP Sales", ""),
            "industry": pd.Series(["Software", None, "Manufacturing"] * (n // 3), dtype="str"),
            "employees": employees,
            "country": pd.Series(["DE", "US", None, "FR"] * (n // 4), dtype="str"),
            "customer": np.zeros(n, bool),
            "open_opportunity": np.arange(n) % 11 == 0,
            "as_of": "2026-07-01",
        }
    )


@pytest.fixture(scope="module")
def lists(tmp_path_factory):
    folder = tmp_path_factory.mktemp("targets")
    targets = make_targets()
    summary = write_lists(targets, files_in(folder), ROWS_PER_TIER, "Target accounts: demo")
    return {"folder": folder, "targets": targets, "summary": summary}


def test_summary(lists):
    assert lists["summary"] == {"csv": 60, "xlsx": 50, "html": 50, "truncated": {4: 30}}


def test_csv_round_trips(lists):
    read = pd.read_csv(lists["folder"] / "target_accounts.csv")
    assert list(read.columns) == COLUMNS
    expected = lists["targets"].replace("", np.nan)  # an empty reason is an empty CSV field
    pd.testing.assert_frame_equal(read, expected, check_dtype=False)
    assert (read["p_win"].to_numpy() == lists["targets"]["p_win"].to_numpy()).all()


def test_xlsx_layout(lists):
    wb = openpyxl.load_workbook(lists["folder"] / "target_accounts.xlsx")
    assert wb.sheetnames == ["About", "Tier 1", "Tier 2", "Tier 3", "Tier 4", "Contacts"]
    for tier, size in TIER_SIZES.items():
        ws = wb[f"Tier {tier}"]
        header = [c.value for c in ws[1]]
        assert header[:8] == [
            "Rank",
            "Account",
            "Domain",
            "Tier",
            "Global/strategic",
            "P(win)",
            "Predicted deal value",
            "Expected value",
        ]
        assert ws.freeze_panes == "A2"
        ranks = [r[0] for r in ws.iter_rows(min_row=2, values_only=True) if isinstance(r[0], int)]
        assert len(ranks) == min(size, ROWS_PER_TIER) and ranks == sorted(ranks)
        assert ws.auto_filter.ref == f"A1:V{len(ranks) + 1}"
        col = {name: i for i, name in enumerate(header)}
        row = ws[2]
        assert row[col["P(win)"]].number_format == "0.0%"
        assert row[col["Predicted deal value"]].number_format == "#,##0"
        assert row[col["Expected value"]].number_format == "#,##0"
        assert ws.column_dimensions["B"].width >= len("Account") + 2
    assert wb["Tier 1"].cell(1, 18).value == "Employees" and wb["Tier 1"].cell(2, 18).number_format == "#,##0"
    t1 = wb["Tier 1"]
    assert t1["B2"].value == TRICKY
    t2 = wb["Tier 2"]
    assert t2["B4"].value == "=HYPERLINK(1)" and t2["B4"].data_type == "s"  # text, never a formula
    assert wb["Tier 3"]["B9"].value == "Bell GmbH"  # the control character Excel refuses is dropped
    note = "showing the top 20 of 30 accounts of Tier 4; the full list is target_accounts.csv"
    assert wb["Tier 4"].cell(wb["Tier 4"].max_row, 1).value == note
    about = [v for row in wb["About"].iter_rows(values_only=True) for v in row if v is not None]
    assert note in about and "2026-07-01" in about
    assert not any(
        "showing the top" in str(v)
        for s in ("Tier 1", "Tier 2", "Tier 3")
        for row in wb[s].iter_rows(values_only=True)
        for v in row
    )


def test_html_is_self_contained_and_escaped(lists):
    text = (lists["folder"] / "target_accounts.html").read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text
    assert not re.search(r"\b(src|href)\s*=", text, re.IGNORECASE)
    assert "@import" not in text and "url(" not in text
    assert TRICKY not in text and html.escape(TRICKY) in text
    assert "showing the top 20 of 30 accounts of Tier 4; the full list is target_accounts.csv" in text
    tiers = re.findall(r'<tr data-tier="(\d)"', text)
    assert {t: tiers.count(str(t)) for t in TIER_SIZES} == {1: 5, 2: 10, 3: 15, 4: 20}


def test_same_input_same_bytes(lists, tmp_path):
    write_lists(lists["targets"], files_in(tmp_path), ROWS_PER_TIER, "Target accounts: demo")
    for name in ("target_accounts.csv", "target_accounts.xlsx", "target_accounts.html"):
        assert (tmp_path / name).read_bytes() == (lists["folder"] / name).read_bytes(), name
    with zipfile.ZipFile(tmp_path / "target_accounts.xlsx") as xlsx:  # no clock, even across a second
        assert {i.date_time for i in xlsx.infolist()} == {(2026, 7, 1, 0, 0, 0)}
        assert xlsx.read("docProps/core.xml").decode().count(">2026-07-01T00:00:00Z<") == 2


def test_empty_tier_keeps_its_sheet_and_button(tmp_path):
    targets = make_targets()
    targets = targets[targets["tier"] != 3].reset_index(drop=True)
    summary = write_lists(targets, files_in(tmp_path), 100, "No Tier 3")
    assert summary["truncated"] == {}
    wb = openpyxl.load_workbook(tmp_path / "target_accounts.xlsx")
    assert wb["Tier 3"].max_row == 1
    assert 'data-filter="3"' in (tmp_path / "target_accounts.html").read_text(encoding="utf-8")


def test_a_warning_opens_both_lists_and_is_absent_otherwise(lists, tmp_path):
    warning = 'WARNING: the model ranks <no better> than chance & "so on"'
    write_lists(make_targets(), files_in(tmp_path), ROWS_PER_TIER, "Target accounts: demo", warning)
    about = openpyxl.load_workbook(tmp_path / "target_accounts.xlsx")["About"]
    assert (
        about["A2"].value == warning and about["A2"].font.b and about["A2"].font.color.rgb.endswith("B00020")
    )
    page = (tmp_path / "target_accounts.html").read_text(encoding="utf-8")
    assert (
        f'<h1>Target accounts: demo</h1>\n<p class="warning" role="alert">{html.escape(warning)}</p>' in page
    )
    plain = (lists["folder"] / "target_accounts.html").read_text(encoding="utf-8")
    assert 'class="warning"' not in plain
    assert (
        openpyxl.load_workbook(lists["folder"] / "target_accounts.xlsx")["About"]["A2"].value
        == "Accounts as of"
    )


def test_missing_column_is_named(tmp_path):
    with pytest.raises(ValueError, match="why_now"):
        write_lists(make_targets().drop(columns="why_now"), files_in(tmp_path), 10, "x")


def test_html_in_chromium(lists, tmp_path):
    """The page opens offline in a real browser, shows every tier, filters, sorts, and pages long lists."""
    url = (lists["folder"] / "target_accounts.html").resolve().as_uri()
    write_lists(make_targets({1: 50, 2: 200, 3: 450, 4: 300}), files_in(tmp_path), 1000, "Longer than a page")
    long_url = (tmp_path / "target_accounts.html").resolve().as_uri()
    requests, failed, errors = [], [], []
    with chromium() as browser:
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url, wait_until="load")

        assert requests == [url] and failed == [] and errors == []
        visible = page.locator("#list tbody tr:visible")
        assert visible.count() == 50
        assert page.locator("#shown").inner_text() == "50 of 50 rows shown"
        for tier, shown in {1: 5, 2: 10, 3: 15, 4: 20}.items():
            assert page.locator(f'#list tbody tr[data-tier="{tier}"]:visible').count() == shown
            assert page.locator(f'[data-filter="{tier}"]').inner_text() == f"Tier {tier} ({shown})"
        assert page.locator("#list tbody tr").first.locator("td").nth(1).inner_text() == TRICKY
        strategic = int(lists["targets"].groupby("tier").head(ROWS_PER_TIER)["strategic"].sum())
        assert page.locator("#list tbody tr.strategic:visible").count() == strategic > 0
        assert page.locator("#list tbody tr.strategic td:nth-child(5)").first.inner_text() == "Yes"
        assert "showing the top 20 of 30 accounts of Tier 4" in page.locator("header").inner_text()

        page.click('[data-filter="1"]')
        assert visible.count() == 5
        assert page.locator('#list tbody tr:visible:not([data-tier="1"])').count() == 0
        page.click('[data-filter="all"]')
        assert visible.count() == 50

        def column(name: str) -> list[str]:
            return page.eval_on_selector_all(
                "#list tbody tr:not([hidden])",
                f"rows => rows.map(r => r.querySelector('td:nth-child({name})').dataset.v)",
            )

        by_rank = column("1")
        value = [float(v) for v in column("7")]  # Predicted deal value: not in rank order
        page.click("#list thead th:nth-child(7) button")
        assert [float(v) for v in column("7")] == sorted(value, reverse=True)
        assert column("1") != by_rank
        page.click("#list thead th:nth-child(7) button")
        assert [float(v) for v in column("7")] == sorted(value)
        page.click("#list thead th:nth-child(1) button")
        assert column("1") == by_rank

        page.fill("#q", "hyperlink")
        assert visible.count() == 1
        assert requests == [url] and failed == [] and errors == []

        page.goto(long_url, wait_until="load")  # 1,000 rows: one page of 500 laid out at a time
        assert page.locator("#shown").inner_text() == "500 of 1,000 rows shown"
        page.click("#more")
        assert visible.count() == 1000 and page.locator("#more").is_hidden()
        page.click('[data-filter="3"]')
        assert page.locator("#shown").inner_text() == "450 of 450 rows shown"
        assert requests == [url, long_url] and failed == [] and errors == []
