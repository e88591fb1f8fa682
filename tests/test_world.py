"""The synthetic world: contract, determinism, truth consistency, planted effects and traps."""

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from features.contract import INDUSTRIES, SCHEMAS, TABLES, foreign_key_violations
from features.normalize import canonical_country, canonical_industry, normalise_domain
from pipeline.cli import main as cli
from pipeline.io import read_table
from pipeline.stages.synthesize import write_world as run
from pipeline.world import WorldConfig
from pipeline.world.catalog import OUR_PRODUCT
from pipeline.world_report import committee_at_creation, deals_at_creation, report


def _tables(folder) -> dict[str, pd.DataFrame]:
    return {name: read_table(folder, name) for name in TABLES}


def _canonical(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    acc = tables["accounts"].copy()
    acc["industry"] = canonical_industry(acc["industry"])
    acc["country"] = canonical_country(acc["country"])
    acc["domain"] = normalise_domain(acc["domain"])
    return {**tables, "accounts": acc}


def _digest(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_every_table_meets_the_contract_after_normalisation(small_world):
    tables = _canonical(_tables(small_world["data"]))
    for name, schema in SCHEMAS.items():
        schema.validate(tables[name], lazy=True)
    for name, bad in foreign_key_violations(tables).items():
        assert not bad.any(), f"{name}: {int(bad.sum())} rows point at unknown records"


def test_raw_industries_and_countries_are_messy_but_all_normalise(small_world):
    acc = read_table(small_world["data"], "accounts")
    assert acc["industry"].nunique() > 20  # 15 industries, many spellings
    assert set(canonical_industry(acc["industry"]).dropna()) <= set(INDUSTRIES)  # every spelling is an alias
    assert (acc["country"] != canonical_country(acc["country"])).mean() > 0.05


def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path, small_world):
    cfg = WorldConfig(accounts=900, seed=3, chunk_size=300)  # one process, then two simulating ahead
    for name, workers in (("a", 0), ("b", 2)):
        run(cfg, tmp_path / name, tmp_path / f"{name}_truth", "parquet", workers=workers)
    run(WorldConfig(accounts=900, seed=4, chunk_size=300), tmp_path / "c", tmp_path / "c_truth", "parquet")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a_truth") == _digest(tmp_path / "b_truth")
    differ = {k for k, v in _digest(tmp_path / "a").items() if _digest(tmp_path / "c")[k] != v}
    assert differ == set(_digest(tmp_path / "a"))


def test_csv_and_parquet_worlds_hold_the_same_data(tmp_path):
    cfg = WorldConfig(accounts=500, seed=5)
    run(cfg, tmp_path / "p", tmp_path / "pt", "parquet")
    run(cfg, tmp_path / "c", tmp_path / "ct", "csv")
    for name in TABLES:
        p, c = read_table(tmp_path / "p", name), read_table(tmp_path / "c", name)
        assert len(p) == len(c) and list(p.columns) == list(c.columns), name
        assert (p.iloc[:, 0].astype(str).to_numpy() == c.iloc[:, 0].astype(str).to_numpy()).all(), name


def test_every_opportunity_has_truth_and_the_oracle_auc_is_in_range(small_world):
    opps = read_table(small_world["data"], "opportunities")
    truth = read_table(small_world["truth"], "opportunities")
    assert list(truth["opportunity_id"]) == list(opps["opportunity_id"])
    assert truth["true_p_win"].between(0, 1).all() and (truth["true_expected_amount"] > 0).all()
    s = small_world["summary"]
    assert 0.78 <= s["oracle_roc_auc_closed"] <= 0.90
    assert 0.15 <= s["win_rate"] <= 0.35
    accounts = read_table(small_world["truth"], "accounts")
    assert len(accounts) == 6000 and accounts["true_expected_value"].gt(0).all()
    drivers = json.loads((small_world["truth"] / "drivers.json").read_text())
    assert sum(d["kind"] == "interaction" for d in drivers) >= 2


def test_deals_span_three_years_with_open_ones_at_the_end(small_world):
    opps = read_table(small_world["data"], "opportunities")
    created = pd.to_datetime(opps["created_date"])
    assert (created.max() - created.min()).days > 3 * 365 - 30
    assert set(opps["type"]) == {"new business", "expansion"}
    open_ = opps[opps["stage"] == "open"]
    assert len(open_) > 0 and open_["close_date"].isna().all()
    assert pd.to_datetime(open_["created_date"]).min() > created.min() + pd.Timedelta(days=365)
    lost = opps[opps["stage"] == "lost"]
    assert 0.1 < lost["amount"].isna().mean() < 0.4


def test_planted_effects_are_visible_in_the_raw_data(small_world):
    deals = deals_at_creation(small_world["data"], small_world["truth"])
    band = pd.cut(deals["employees"], [0, 50, 200, 2000, np.inf])
    by_size = deals.groupby(band, observed=True)["won"].mean().to_numpy()
    assert by_size.argmax() in (1, 2) and by_size[0] < by_size.max() and by_size[-1] < by_size.max()
    recent = deals["days_since_funding"].le(90)
    assert deals.loc[recent, "won"].mean() > deals.loc[~recent, "won"].mean() + 0.05
    tech = read_table(small_world["data"], "technographics")
    for category, sign in (("complement", 1), ("competitor", -1)):
        has = deals["account_id"].isin(tech.loc[tech["category"] == category, "account_id"])
        assert sign * (deals.loc[has, "won"].mean() - deals.loc[~has, "won"].mean()) > 0, category
    # the planted role: with as many contacts engaged, deals with an engaged finance contact win more
    committee = committee_at_creation(small_world["data"], deals)
    rates = committee[committee["engaged"] > 0].groupby(["engaged", "role"])["won"].mean().unstack("role")
    weights = committee[committee["role"]].groupby("engaged").size()
    assert ((rates[True] - rates[False]) * weights).sum() / weights.sum() > 0.05


def test_the_leakage_traps_exist(small_world):
    data = small_world["data"]
    opps = read_table(data, "opportunities")
    dup = read_table(small_world["truth"], "duplicates").set_index("duplicate_account_id")["account_id"]
    opps["account_id"] = opps["account_id"].map(dup).fillna(opps["account_id"])
    first_win = pd.to_datetime(opps[opps["stage"] == "won"].groupby("account_id")["close_date"].min())
    tech = read_table(data, "technographics")
    ours = tech[tech["technology"] == OUR_PRODUCT]
    assert len(ours) > 0 and (pd.to_datetime(ours["first_seen"]) > ours["account_id"].map(first_win)).all()
    acts = read_table(data, "activities")
    post = acts[acts["activity_type"].isin(["onboarding_session", "support_ticket"])]
    assert len(post) > 0 and (pd.to_datetime(post["timestamp"]) > post["account_id"].map(first_win)).all()
    accounts = read_table(data, "accounts").set_index("account_id")
    customers = accounts.index[accounts["is_customer"] & ~accounts.index.isin(dup.index)]
    assert (
        set(customers) == set(first_win.index)
        and (accounts["customer_since"].notna() == accounts["is_customer"]).all()
    )
    snaps = read_table(data, "snapshots")
    first_snap = snaps.dropna().groupby("account_id")["employees"].first()
    grew = (accounts["employees"] / first_snap).dropna()
    assert grew[grew.index.isin(customers)].median() > grew[~grew.index.isin(customers)].median() * 1.1


def test_the_mess_of_real_exports_is_there(small_world):
    acc = read_table(small_world["data"], "accounts")
    assert (
        0.05 <= acc["employees"].isna().mean() <= 0.20 and 0.05 <= acc["annual_revenue"].isna().mean() <= 0.20
    )
    assert normalise_domain(acc["domain"]).duplicated().sum() > 0
    emp = acc["employees"].dropna()
    assert emp.max() > 10_000 and emp.median() < 500  # heavy tail with a global/strategic top
    assert (
        acc["parent_account_id"].notna().sum() > 0
        and acc["industry"].pipe(canonical_industry).nunique() == 15
    )


def test_cli_synthesize_writes_both_folders_and_the_report_reads_them(tmp_path, capsys):
    out = tmp_path / "w"
    assert cli(["synthesize", "--accounts", "400", "--seed", "2", "--out", str(out), "--format", "csv"]) == 0
    assert (out / "accounts.csv").exists() and (tmp_path / "w_truth" / "world.json").exists()
    text = report(out, tmp_path / "w_truth")
    assert "Oracle ROC AUC" in text and "Leakage traps" in text


@pytest.mark.parametrize(
    "before, after, said",
    [
        (["-q"], [], []),
        ([], ["--quiet"], []),
        ([], [], ["synthesize: wrote"]),
        (["-v"], [], ["synthesize: 300/300 accounts", "synthesize: wrote"]),
        ([], ["-v"], ["synthesize: 300/300 accounts", "synthesize: wrote"]),
    ],
)
def test_quiet_and_verbose_set_what_the_console_shows(tmp_path, capsys, before, after, said):
    """-q / -v before the command or after it."""
    argv = [*before, "synthesize", *after, "--accounts", "300", "--out", str(tmp_path / "w")]
    assert cli(argv) == 0
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == len(said) and all(line.startswith(s) for line, s in zip(lines, said, strict=True))


def test_a_failed_run_leaves_no_half_written_folder(tmp_path):
    with pytest.raises(ValueError):
        run(WorldConfig(accounts=300, end_date="not a date"), tmp_path / "x", tmp_path / "xt")
    assert not (tmp_path / "x").exists() and not list(tmp_path.glob(".x.tmp-*"))
