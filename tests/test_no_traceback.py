"""`icp init` and `icp run` on malformed exports: each ends with exit code 0, or 2 and a message, never a
traceback (issue 13, item 6). The exports are a tiny world's CSV files, each broken one way."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import main as icp
from pipeline.stages.synthesize import write_world
from pipeline.world import WorldConfig
from tests.conftest import sh

ROOT = Path(__file__).resolve().parents[1]


def _text(folder: Path, name: str) -> str:
    return (folder / f"{name}.csv").read_text(encoding="utf-8")


def _write(folder: Path, name: str, text: str | bytes) -> None:
    path = folder / f"{name}.csv"
    path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text, encoding="utf-8")


def _lines(folder: Path, name: str, change) -> None:
    _write(
        folder, name, "\n".join(change(i, line) for i, line in enumerate(_text(folder, name).splitlines()))
    )


def _frame(folder: Path, name: str, change) -> None:
    df = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
    change(df).to_csv(folder / f"{name}.csv", index=False)


BREAKS = {
    "nothing broken": lambda d: None,  # the control: this one must run through
    "a trailing delimiter on every row": lambda d: _lines(d, "accounts", lambda i, line: line + ","),
    "a title line above the header": lambda d: _write(
        d, "opportunities", "Pipeline export\n" + _text(d, "opportunities")
    ),
    "two headers differing in case": lambda d: _lines(
        d, "accounts", lambda i, line: line + (",Account_ID" if i == 0 else ",x")
    ),
    "an empty deals file": lambda d: _write(d, "opportunities", ""),
    "a deals file with a header only": lambda d: _write(
        d, "opportunities", _text(d, "opportunities").split("\n")[0]
    ),
    "binary garbage for accounts": lambda d: _write(d, "accounts", bytes(range(256)) * 8),
    "UTF-16 without a byte-order mark": lambda d: _write(
        d, "accounts", _text(d, "accounts").encode("utf-16-le")
    ),
    "a row with too many fields": lambda d: _lines(
        d, "opportunities", lambda i, line: line + ",a,b" if i == 3 else line
    ),
    "every creation date unreadable": lambda d: _frame(
        d, "opportunities", lambda f: f.assign(created_date="soon")
    ),
    "no stage anyone knows": lambda d: _frame(d, "opportunities", lambda f: f.assign(stage="Negotiating")),
    "no created_date column": lambda d: _frame(d, "opportunities", lambda f: f.drop(columns="created_date")),
    "every deal won": lambda d: _frame(
        d, "opportunities", lambda f: f.assign(stage=f["stage"].replace("lost", "won"))
    ),
    "a ;-separated file with decimal commas": lambda d: _write(
        d, "snapshots", _text(d, "snapshots").replace(",", ";").replace(".", ",")
    ),
}


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    write_world(WorldConfig(accounts=400, seed=3), root / "raw", root / "truth", "csv")
    return root / "raw"


@pytest.mark.parametrize("broken", BREAKS)
def test_init_and_run_end_in_a_message_not_a_traceback(export, broken, tmp_path, capsys, monkeypatch):
    data = tmp_path / "export"
    shutil.copytree(export, data)
    BREAKS[broken](data)
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")  # icp runs in a project folder
    monkeypatch.chdir(tmp_path)
    codes = [icp(["init", "--from", str(data), "--out", str(tmp_path / "map.yaml")])]
    said = capsys.readouterr()
    # a subprocess: a run ends in report, which points MLflow at this project's store for the whole process
    run = sh(tmp_path, "icp", "-q", "run", "--data", str(data), "--out", str(tmp_path / "run"), check=False)
    codes.append(run.returncode)
    assert "Traceback" not in said.err + said.out + run.stderr + run.stdout, (said.err + run.stderr)[-2000:]
    assert set(codes) <= {0, 2}, (codes, run.stderr[-2000:])
    assert codes[1] == 0 or run.stderr.strip(), "a failed run says why"
    if broken == "nothing broken":
        assert codes == [0, 0] and (tmp_path / "run" / "targets" / "target_accounts.csv").exists()


def test_an_error_of_the_pipeline_itself_is_one_line_and_a_log(monkeypatch, capsys):
    """Not the user's data: said so in one line (exit 3), the traceback in the log file the line names."""
    import pipeline.cli as cli
    from pipeline.console import INTERNAL, stage_main

    def broken(*_):
        raise ZeroDivisionError("a bug of ours")

    monkeypatch.setattr(cli, "_command", broken)
    assert icp(["targets"]) == INTERNAL
    with pytest.raises(SystemExit) as stop:
        stage_main(broken)
    assert stop.value.code == INTERNAL
    lines = capsys.readouterr().err.splitlines()
    assert (
        len(lines) == 2
        and lines[0].startswith("icp targets: ")
        and lines[1].startswith("test_no_traceback: ")
    )
    for line in lines:
        assert (
            "internal error, not a problem with your data or params (ZeroDivisionError: a bug of ours)"
            in line
        )
        log = Path(line.rsplit("the traceback is in ", 1)[1].removesuffix(": please report it"))
        assert "Traceback" in log.read_text() and "a bug of ours" in log.read_text()
