"""The CRM write-back files: one row per ranked account keyed by the CRM's own id, values as Salesforce's Data
Loader and HubSpot's import read them, the reasons in one line within the field's length; on a made-up list,
on the small world's run, and on a world exported as Salesforce exports it."""

import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline import params as P
from pipeline.guess import write_mapping
from pipeline.outputs.crm import NO_REASONS, write_crm
from pipeline.paths import paths
from pipeline.run import run_stages
from pipeline.stages.synthesize import write_world
from pipeline.world import WorldConfig
from tests.conftest import PARAMS, params_at
from tests.test_lists import make_targets

CRM = PARAMS.score.crm
LENGTH = CRM.reasons_length
LONG = "Pricing page visited by 12 people of the buying committee in the last 30 days " * 5
# Ids as CRMs write them, which a number or a changed case would break: Salesforce's case-sensitive 18
# characters, a HubSpot Record ID beyond a float's precision, leading zeros.
IDS = {0: "001Hs000000005aIAA", 1: "001Hs000000005AIAQ", 2: "9007199254740993", 3: "00042"}


def crm_files(folder: Path, crms=P.CRMS) -> dict[str, Path]:
    """The CRM files in `folder`, named as the score stage names them."""
    f = paths(P.override(PARAMS, {"score.out": str(folder)}))
    return {crm: f.crm_file(crm) for crm in crms}


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def columns(crm: str, cfg: P.Crm = CRM) -> list[str]:
    names = getattr(cfg, crm)
    return [names.id, names.tier, names.score, names.expected_value, names.reasons, names.as_of]


def planted() -> pd.DataFrame:
    """make_targets' list with CRM-shaped ids, an over-long reason and reasons spread over lines."""
    t = make_targets()
    t.loc[list(IDS), "account_id"] = list(IDS.values())
    t.loc[0, "reason_1"] = LONG
    t.loc[5, "reason_2"] = "two\nlines\r\n and\ta tab\x07"
    return t


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("crm")
    targets = planted()
    counts = write_crm(targets, crm_files(folder), CRM)
    return {"folder": folder, "targets": targets, "counts": counts}


def test_every_ranked_account_is_one_row_keyed_by_its_crm_id(written):
    t = written["targets"]
    assert written["counts"] == {"crm_salesforce.csv": len(t), "crm_hubspot.csv": len(t)}
    for crm, path in crm_files(written["folder"]).items():
        got = read(path)
        assert list(got.columns) == columns(crm), crm
        ids = got[getattr(CRM, crm).id]
        assert ids.tolist() == t["account_id"].tolist(), crm  # the same text, in rank order
        assert ids.is_unique, crm


def test_values_are_plain_text_the_importers_read(written):
    t = written["targets"]
    for crm, path in crm_files(written["folder"]).items():
        names = getattr(CRM, crm)
        got = read(path)
        assert got[names.tier].astype(int).tolist() == t["tier"].tolist(), crm
        assert got[names.score].str.fullmatch(r"\d{1,3}\.\d").all(), crm  # P(win) in percent
        assert ((got[names.score].astype(float) - 100 * t["p_win"]).abs() <= 0.05).all(), crm
        assert got[names.expected_value].str.fullmatch(r"\d+").all(), crm  # whole units, no separators
        assert ((got[names.expected_value].astype(int) - t["expected_value"]).abs() <= 0.5).all(), crm
        assert (got[names.as_of] == "2026-07-01").all(), crm


def test_reasons_are_one_line_within_the_field_length(written):
    got = read(crm_files(written["folder"])["salesforce"])["ICP_Reasons__c"]
    t = written["targets"]
    assert got.str.len().max() <= LENGTH and not got.str.contains(r"[\x00-\x1f\x7f]").any()
    kept = got[0].removesuffix("...")
    assert got[0].endswith("...") and LONG.startswith(kept) and LONG[len(kept)] == " "  # after a whole word
    assert len(got[0]) > LENGTH - 15
    assert got[5] == "Mid-size company (200-2,000 employees); two lines and a tab"
    assert got[1] == (
        "Mid-size company (200-2,000 employees); Funding round in the last 90 days; "
        "Why now: Pricing page visited by 4 people this week"
    )
    assert (got[t["tier"] == 4] == NO_REASONS).all()  # not empty: an empty cell would keep the old reasons


def test_hubspot_matched_on_domain_leaves_out_an_account_without_one(tmp_path):
    t = planted()
    t.loc[3, "domain"] = None
    cfg = P.override(PARAMS, {"score.crm.hubspot.id": "Company Domain Name"}).score.crm
    files = crm_files(tmp_path, ["hubspot"])
    assert write_crm(t, files, cfg) == {"crm_hubspot.csv": len(t) - 1}
    got = read(files["hubspot"])
    assert list(got.columns) == columns("hubspot", cfg)
    assert got["Company Domain Name"].tolist() == t["domain"].drop(3).tolist()


def test_an_id_on_two_accounts_is_refused(tmp_path):
    t = planted()
    t.loc[9, "account_id"] = t.loc[4, "account_id"]
    with pytest.raises(ValueError, match="crm: Id 'A00004' is on two accounts"):
        write_crm(t, crm_files(tmp_path, ["salesforce"]), CRM)


def test_same_input_same_bytes(written, tmp_path):
    write_crm(written["targets"], crm_files(tmp_path), CRM)
    for name in ("crm_salesforce.csv", "crm_hubspot.csv"):
        assert (tmp_path / name).read_bytes() == (written["folder"] / name).read_bytes(), name


def assert_lists_every_ranked_account(folder: Path, crms) -> None:
    """The CRM files in a score stage's folder hold its target list: each account once, in rank order, with
    its tier, and summary.json counts their rows."""
    targets = pd.read_csv(folder / "target_accounts.csv", dtype=str, keep_default_na=False)
    summary = json.loads((folder / "summary.json").read_text())
    for crm, path in crm_files(folder, crms).items():
        names = getattr(CRM, crm)
        got = read(path)
        assert got[names.id].tolist() == targets["account_id"].tolist() and got[names.id].is_unique, crm
        assert got[names.tier].tolist() == targets["tier"].tolist(), crm
        assert got[names.reasons].str.len().max() <= LENGTH, crm
        assert summary["files"][path.name] == len(targets) == summary["universe"], crm


def test_the_score_stage_writes_both_files_of_the_ranked_list(small_run):
    assert_lists_every_ranked_account(Path(small_run["params"].score.out), P.CRMS)


@pytest.fixture(scope="module")
def salesforce_run(tmp_path_factory):
    """A 2,000-account world as Salesforce exports it, through `icp init`'s guessed mapping and the stages,
    writing the Salesforce file only."""
    root = tmp_path_factory.mktemp("sf")
    write_world(
        WorldConfig(accounts=2000, seed=11, chunk_size=2000),
        root / "raw",
        root / "t",
        "parquet",
        "salesforce",
    )
    write_mapping(root / "raw", root / "mapping.yaml")
    values = {"ingest.source": root / "raw", "ingest.mapping": root / "mapping.yaml", "evaluate.truth": ""}
    p = params_at(root / "run", values | {"score.crm.files": ["salesforce"]})
    run_stages(p, ["ingest", "featurize", "train", "evaluate", "explain", "score"])
    return {"raw": root / "raw", "targets": Path(p.score.out)}


def test_a_salesforce_export_gets_its_own_account_ids_back(salesforce_run):
    folder = salesforce_run["targets"]
    assert_lists_every_ranked_account(folder, ["salesforce"])
    assert not crm_files(folder, ["hubspot"])["hubspot"].exists()
    ids = read(crm_files(folder, ["salesforce"])["salesforce"])["Id"]
    exported = set(read(salesforce_run["raw"] / "Account.csv")["Id"])
    assert ids.str.fullmatch(r"001[0-9A-Za-z]{15}").all() and set(ids) <= exported
