"""A corpus of hostile exports (issue 14): a tiny world's CSV files, each broken one way, through `icp init`
and `icp run`, in-process. None ends in a traceback, and `icp init` always writes YAML that loads. Each case
ends as it says: the run stops with exit code 2 and one exact line; or it goes through, and the rejects it
adds to the clean export's are exactly the ones listed, the console says what it must, and the values read
equal the clean export's. In every table ingest read, rows in = rows kept + rows rejected, and rows in is
the number of rows the file holds."""

import copy
import shutil
from pathlib import Path

import mlflow
import pandas as pd
import pytest
import yaml

from pipeline.cli import main as icp
from pipeline.stages.synthesize import write_world
from pipeline.world import WorldConfig
from tests.conftest import ingest_into

ROOT = Path(__file__).resolve().parents[1]
OPPS = "opportunities"
KEY = ["table", "row", "column", "value", "reason"]


def _path(folder: Path, name: str) -> Path:
    return folder / f"{name}.csv"


def _text(folder: Path, name: str) -> str:
    return _path(folder, name).read_text(encoding="utf-8")


def _write(folder: Path, name: str, text: str | bytes) -> None:
    path = _path(folder, name)
    path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text, encoding="utf-8")


def _lines(name: str, change):
    """Each line of the file as `change(line number from 0, line)` makes it."""

    def apply(folder: Path) -> None:
        lines = _text(folder, name).splitlines()
        _write(folder, name, "".join(change(i, line) + "\n" for i, line in enumerate(lines)))

    return apply


def _frame(name: str, change, sep: str = ","):
    """The file as text cells, as `change(frame)` makes it."""

    def apply(folder: Path) -> None:
        df = pd.read_csv(_path(folder, name), dtype=str, keep_default_na=False)
        change(df).to_csv(_path(folder, name), index=False, sep=sep)

    return apply


def _cell(name: str, row: int, column: str, value: str):
    """One cell of data row `row` (from 1, as rejects.csv counts) set to `value`."""

    def change(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[row - 1, column] = value
        return df

    return _frame(name, change)


def _written(name: str, column: str, written, sep: str = ","):
    """A number column as `written(value)` writes each value (an empty cell stays empty)."""
    return _frame(
        name,
        lambda df: df.assign(
            **{column: pd.to_numeric(df[column]).map(lambda v: "" if v != v else written(v))}
        ),
        sep,
    )


def _european(v: float) -> str:
    return f"{v:,.2f} €".replace(",", " ").replace(".", ",").replace(" ", ".", 1 if v >= 1e6 else 0)


def _dates(columns, written):
    return lambda df: df.assign(**{c: df[c].map(lambda v: written(v) if v else v) for c in columns})


def _closed_that_day(time: str):
    """Every closed deal closed the day it was created, its creation written with `time` after the date."""
    return _frame(
        OPPS,
        lambda df: df.assign(
            created_date=df["created_date"] + time,
            close_date=df["created_date"].where(df["close_date"] != "", ""),
        ),
    )


def _excel_serial(v: str) -> str:
    return str((pd.Timestamp(v) - pd.Timestamp("1899-12-30")).days)


def _title_block(folder: Path) -> None:
    _write(folder, OPPS, "Pipeline export,,\nRun on 2026-11-01\n" + _text(folder, OPPS))


def _workbook(folder: Path) -> None:
    deals = pd.read_csv(_path(folder, OPPS), dtype=str, keep_default_na=False)
    deals.to_excel(folder / "opportunities.xlsx", index=False, startrow=1)
    _path(folder, OPPS).unlink()


def _mapped(**changes):
    """The clean export's mapping with tables.<table>.<key> = value for each `table__key=value`."""

    def apply(mapping: dict) -> None:
        for dotted, value in changes.items():
            table, key = dotted.split("__")
            mapping["tables"][table][key] = value

    return apply


def _stop(line: str, **case) -> dict:
    return {"stop": line, **case}


def _rejected(column: str, value: str, reason: str, **case) -> dict:
    """A stop because every deal is rejected for `column`, the first quoted, with what a mapping can do."""
    remedy = DATES if column.endswith("_date") else VALUES
    return _stop(
        SHARE.format(data="{data}", out="{out}", column=column, value=value, reason=reason, remedy=remedy),
        **case,
    )


SHARE = (
    "{data}/opportunities.csv: 368 of 368 rows (100%) rejected, more than ingest.max_reject_share = 0.2; 368 "
    "of them for column {column}, first: row 1, value '{value}': {reason}. Fix the file (or {remedy}), or "
    "raise ingest.max_reject_share in params.yaml (icp run: --set ingest.max_reject_share=...). Every reject "
    "is listed in {out}/interim/rejects.csv; no table was written."
)
DATES = "give the column's format under `date_format:` in a mapping: `icp init` guesses it"
VALUES = "map the values under `values:`"
TITLE = (
    "{data}/opportunities.csv: line 2 has 8 fields but the header (line 1: '{header}') has {width}: a "
    "title above "
    "the header (say which line is the header with `header_row:` in the mapping, "
    "docs/bring_your_own_data.md), or "
    "a column without a name?"
)
AGAIN = ". Export it again as CSV with a header row, as Parquet or as Excel."
NEED_BOTH = (
    "the {n} train deals need a lost deal and a won deal with an amount: export a longer history, or check "
    "that "
    "the closed deals are not all of one outcome"
)

CASES = {
    # --- files the readers must not misread -----------------------------------------------------------------
    "nothing broken": {},
    "a delimiter ending every data row": {
        "change": _lines("accounts", lambda i, line: line + "," if i else line),
        "said": "accounts.csv: every row ends with a delimiter after its last column: that empty field is "
        "dropped",
        "same": {"accounts": ["name", "employees", "snapshot_date"]},
    },
    "a delimiter ending every line, the header's too": {
        "change": _lines("accounts", lambda i, line: line + ","),
        "same": {"accounts": ["name", "employees", "snapshot_date"]},
    },
    "a title line above the header": _stop(
        TITLE.format(data="{data}", header="Pipeline export", width=1),
        change=lambda d: _write(d, OPPS, "Pipeline export\n" + _text(d, OPPS)),
    ),
    "a title block, with header_row": {
        "change": _title_block,
        "mapping": _mapped(opportunities__header_row=3),
        "same": {OPPS: ["created_date", "amount", "stage"]},
    },
    "a title block, the header_row icp init guessed": {
        "change": _title_block,
        "mapping": "init",
        "same": {OPPS: ["created_date", "amount", "stage"]},
    },
    "a workbook with its header on row 2, with header_row": {
        "change": _workbook,
        "mapping": _mapped(opportunities__file="opportunities.xlsx", opportunities__header_row=2),
        "same": {OPPS: ["created_date", "amount", "stage"]},
    },
    "a header one name short": _stop(
        TITLE.format(
            data="{data}",
            header="opportunity_id, account_id, created_date, close_date, stage, amount, type",
            width=7,
        ),
        change=_lines(OPPS, lambda i, line: line.rsplit(",", 1)[0] if i == 0 else line),
    ),
    "two headers differing in case": _stop(
        "{data}/accounts.csv: columns 'account_id' and 'Account_ID' are one name ignoring case and spaces: "
        "rename or "
        "drop one of them",
        change=_lines("accounts", lambda i, line: line + (",Account_ID" if i == 0 else ",x")),
    ),
    "headers in words, without a mapping": _stop(
        "{data}/opportunities.csv: missing columns 'opportunity_id', 'account_id', 'created_date', "
        "'close_date', "
        "'lead_source', required by the data contract (docs/data_contract.md). The file has: opportunity id, "
        "account id, created date, close date, stage, amount, type, lead source. Add the column (values "
        "may be "
        "empty where the contract allows it) or rename yours to it.",
        change=_lines(OPPS, lambda i, line: line.replace("_", " ") if i == 0 else line),
    ),
    "an empty deals file": _stop(
        "{data}/opportunities.csv: the file is empty. Export it again with its header row and rows.",
        change=lambda d: _write(d, OPPS, ""),
    ),
    "a deals file with a header only": _stop(
        "{data}/opportunities.csv: no data rows, but the opportunities table is required. Export its rows.",
        change=lambda d: _write(d, OPPS, _text(d, OPPS).split("\n")[0]),
    ),
    "binary garbage for accounts": _stop(
        "{data}/accounts.csv: not text in UTF-8, UTF-16 or Windows-1252 (byte 0x81 at position 129): is it "
        "a table "
        "at all? Export it again as CSV (UTF-8), Parquet or Excel.",
        change=lambda d: _write(d, "accounts", bytes(range(256)) * 8),
    ),
    "UTF-16 without a byte-order mark": {
        "change": lambda d: _write(d, "accounts", _text(d, "accounts").encode("utf-16-le")),
        "same": {"accounts": ["name", "industry", "employees"]},
    },
    "UTF-16 with a byte-order mark": {
        "change": lambda d: _write(d, "accounts", _text(d, "accounts").encode("utf-16")),
        "same": {"accounts": ["name", "industry", "employees"]},
    },
    "UTF-8 with a byte-order mark": {
        "change": lambda d: _write(d, OPPS, "\ufeff" + _text(d, OPPS)),
        "same": {OPPS: ["opportunity_id", "amount"]},
    },
    "Windows-1252 accented names": {
        "change": lambda d: _write(
            d, "accounts", _text(d, "accounts").replace("Ltd", "Société").encode("cp1252")
        ),
        "same": {"accounts": ["industry", "employees"]},
    },
    "a row with two fields too many": _stop(
        "{data}/opportunities.csv: cannot read it (line 4 has 10 fields where the header has 8: a "
        "delimiter inside "
        "a value that is not quoted? Quote that value or remove the extra delimiters)" + AGAIN,
        change=_lines(OPPS, lambda i, line: line + ",a,b" if i == 3 else line),
    ),
    "a quote never closed": _stop(
        "{data}/accounts.csv: cannot read it (a quote opened on line 6 is never closed)" + AGAIN,
        change=_lines("accounts", lambda i, line: line + ',"unclosed' if i == 5 else line),
    ),
    "a ;-separated file with decimal commas": {
        "change": lambda d: _write(d, "snapshots", _text(d, "snapshots").replace(",", ";").replace(".", ",")),
        "same": {"snapshots": ["employees", "annual_revenue"]},
    },
    "tab-separated": {
        "change": lambda d: _write(d, OPPS, _text(d, OPPS).replace(",", "\t")),
        "same": {OPPS: ["created_date", "amount"]},
    },
    "pipe-separated": {
        "change": lambda d: _write(d, "triggers", _text(d, "triggers").replace(",", "|")),
        "same": {"triggers": ["date", "trigger_type", "detail"]},
    },
    "Windows line endings": {
        "change": lambda d: _write(d, OPPS, _text(d, OPPS).replace("\n", "\r\n")),
        "same": {OPPS: ["lead_source", "amount"]},
    },
    "blank lines between rows and at the end": {
        "change": lambda d: _write(d, OPPS, _text(d, OPPS).replace("\n", "\n\n", 5) + "\n\n\n"),
        "same": {OPPS: ["opportunity_id", "amount"]},
    },
    "a line break and a delimiter inside quoted values": {
        "change": _frame("triggers", lambda df: df.assign(detail=df["detail"] + "\nmore, on a second line")),
    },
    # --- dates ----------------------------------------------------------------------------------------------
    "a creation time beside a plain close date of the same day": {
        "change": _closed_that_day("T18:09:07.000Z")
    },
    "an evening creation west of UTC, closed the same day": {"change": _closed_that_day("T20:00:00-05:00")},
    "Z, offsets and no zone in one column": {
        "change": _frame(
            OPPS,
            lambda df: df.assign(
                created_date=[
                    v + ("", "T10:00:00Z", "T09:00:00+02:00")[i % 3] for i, v in enumerate(df["created_date"])
                ]
            ),
        ),
    },
    "a partial close date": {
        "change": _cell(OPPS, 5, "close_date", "2024-03"),
        "rejects": [
            (OPPS, 5, "close_date", "2024-03", "partial date '2024-03' (no day): not read as the 1st")
        ],
    },
    "dates the mapping says are months": {
        "change": _frame(OPPS, _dates(["created_date", "close_date"], lambda v: v[:7])),
        "mapping": _mapped(opportunities__date_format="%Y-%m"),
    },
    "Excel serial day numbers, no mapping": {
        "change": _frame(OPPS, _dates(["created_date"], _excel_serial)),
        "said": "created_date: holds numbers only, read as Excel serial day numbers ('45113')",
        "same": {OPPS: ["created_date"]},
    },
    "day-first dates without a mapping": _rejected(
        "created_date",
        "06/07/2023",
        "unparsable date '06/07/2023' (expected YYYY-MM-DD)",
        change=_frame(
            OPPS, _dates(["created_date", "close_date"], lambda v: pd.Timestamp(v).strftime("%d/%m/%Y"))
        ),
    ),
    "day-first dates with their date_format": {
        "change": _frame(
            OPPS, _dates(["created_date", "close_date"], lambda v: pd.Timestamp(v).strftime("%d/%m/%Y"))
        ),
        "mapping": _mapped(opportunities__date_format="%d/%m/%Y"),
        "same": {OPPS: ["created_date", "close_date"]},
    },
    "a close date in the future": {
        "change": _cell(OPPS, 5, "close_date", "2031-01-01"),
        "rejects": [(OPPS, 5, "close_date", "2031-01-01", "date 2031-01-01 is in the future")],
    },
    "a close before the creation": {
        "change": _frame(
            OPPS,
            lambda df: df.assign(
                created_date=df["created_date"].mask(df.index == 4, "2023-07-08"),
                close_date=df["close_date"].mask(df.index == 4, "2019-01-01"),
            ),
        ),
        "rejects": [
            (OPPS, 5, "close_date", "2019-01-01", "close_date 2019-01-01 is before created_date 2023-07-08")
        ],
    },
    "every creation date unreadable": _rejected(
        "created_date",
        "soon",
        "unparsable date 'soon' (expected YYYY-MM-DD)",
        change=_frame(OPPS, lambda df: df.assign(created_date="soon")),
    ),
    "every activity in the future": {
        "change": _frame("activities", lambda df: df.assign(timestamp="2031-01-01 10:00:00")),
        "rejects_of": ("activities", "timestamp", "date 2031-01-01 10:00:00 is in the future"),
    },
    # --- numbers and placeholders ---------------------------------------------------------------------------
    "NaN, N/A, null, - and the like in an optional number": {
        "change": _frame(
            "accounts",
            lambda df: df.assign(
                employee_growth_1y=[
                    ("NaN", "N/A", "null", "-", "NULL", "None", "NA", "")[i % 8] for i in range(len(df))
                ]
            ),
        ),
        "same": {"accounts": ["employees", "annual_revenue"]},
    },
    "amounts written $1,200.50": {
        "change": _written(OPPS, "amount", lambda v: f"${v:,.2f}"),
        "same": {OPPS: ["amount"]},
    },
    "amounts written 1.200,50 € in a ;-separated file": {
        "change": _written(OPPS, "amount", _european, ";"),
        "same": {OPPS: ["amount"]},
    },
    "amounts written 1.200,50 € with number_format": {
        "change": _written(OPPS, "amount", _european, ";"),
        "mapping": _mapped(opportunities__number_format="1.234,56"),
        "same": {OPPS: ["amount"]},
    },
    "headcounts with a thousands comma": {
        "change": _frame(
            "accounts",
            lambda df: df.assign(employees=df["employees"].map(lambda v: f"{int(v):,}" if v else v)),
        ),
        "same": {"accounts": ["employees"]},
    },
    "growth written as a percentage": {
        "change": _written("accounts", "employee_growth_1y", lambda v: f"{v:.1%}"),
        "same": {"accounts": ["employee_growth_1y"]},
    },
    "true and false written yes and no": {
        "change": _frame(
            "accounts",
            lambda df: df.assign(is_customer=df["is_customer"].map({"False": "no", "True": "Yes"})),
        ),
        "same": {"accounts": ["is_customer"]},
    },
    "a negative amount": {
        "change": _cell(OPPS, 5, "amount", "-500"),
        "rejects": [(OPPS, 5, "amount", "-500", "amount -500 is less than 0")],
    },
    "words for an amount": {
        "change": _cell(OPPS, 5, "amount", "call me"),
        "rejects": [(OPPS, 5, "amount", "call me", "unparsable number 'call me'")],
    },
    "revenue in millions, scale 1e6": {
        "change": _written("accounts", "annual_revenue", lambda v: f"{v / 1e6:g}"),
        "mapping": _mapped(accounts__scale={"annual_revenue": "1e6"}),
        "same": {"accounts": ["annual_revenue"]},
    },
    "a negative revenue under scale, quoted as written": {
        "change": _cell("accounts", 5, "annual_revenue", "-12"),
        "mapping": _mapped(accounts__scale={"annual_revenue": 1000}),
        "rejects": [("accounts", 5, "annual_revenue", "-12", "annual_revenue -12 is less than 0")],
        "more": True,  # its deals, contacts and events are rejected with it
    },
    # --- keys -----------------------------------------------------------------------------------------------
    "a duplicate deal id": {
        "change": _cell(OPPS, 5, "opportunity_id", "OPP-0000000"),
        "rejects": [
            (
                OPPS,
                row,
                "opportunity_id",
                "OPP-0000000",
                "duplicate opportunity_id OPP-0000000 (every row with it is rejected)",
            )
            for row in (1, 5)
        ],
    },
    "a deal for an account nobody exported": {
        "change": _cell(OPPS, 5, "account_id", "ACC-9999999"),
        "rejects": [(OPPS, 5, "account_id", "ACC-9999999", "account_id ACC-9999999 is not in accounts")],
    },
    "ids padded with spaces": {
        "change": _frame(OPPS, lambda df: df.assign(account_id=" " + df["account_id"] + " ")),
        "same": {OPPS: ["account_id"]},
    },
    "every deal on one account": {"change": _frame(OPPS, lambda df: df.assign(account_id="ACC-0000000"))},
    "no contacts file": {"change": lambda d: _path(d, "contacts").unlink()},
    "a file that is no table of the contract": {"change": lambda d: _write(d, "notes", "a,b\n1,2\n")},
    # --- what the model needs -------------------------------------------------------------------------------
    "no stage anyone knows": _rejected(
        "stage",
        "Negotiating",
        "stage 'Negotiating' is not one of won, lost, open",
        change=_frame(OPPS, lambda df: df.assign(stage="Negotiating")),
    ),
    "no created_date column": _stop(
        "{data}/opportunities.csv: missing column 'created_date', required by the data contract "
        "(docs/data_contract.md). The file has: opportunity_id, account_id, close_date, stage, amount, type, "
        "lead_source. Add the column (values may be empty where the contract allows it) or rename yours to "
        "it.",
        change=_frame(OPPS, lambda df: df.drop(columns="created_date")),
    ),
    "every won deal without an amount": _stop(
        "{data}/opportunities.csv: 116 of 368 rows (32%) rejected, more than ingest.max_reject_share = "
        "0.2; 116 of "
        "them for column amount, first: row 1, value '': won deal has no amount. Fix the file (or map the "
        "values "
        "under `values:`), or raise ingest.max_reject_share in params.yaml (icp run: --set "
        "ingest.max_reject_share=...). Every reject is listed in {out}/interim/rejects.csv; no table was "
        "written.",
        change=_frame(OPPS, lambda df: df.assign(amount="")),
    ),
    "every deal won": _stop(
        NEED_BOTH.format(n=134),
        change=_frame(OPPS, lambda df: df.assign(stage=df["stage"].replace("lost", "won"))),
    ),
    "no lost deal before the newest 30%": _stop(
        NEED_BOTH.format(n=135),
        change=_frame(
            OPPS,
            lambda df: df.assign(
                stage=df["stage"].where(
                    df["created_date"] > df["created_date"].sort_values().iloc[len(df) * 7 // 10], "won"
                )
            ),
        ),
    ),
    "thirty deals": _stop(
        NEED_BOTH.format(n=0),  # the few deals of the train part all closed after it ended
        change=_frame(OPPS, lambda df: df.head(30)),
    ),
    # --- params and mappings --------------------------------------------------------------------------------
    "--set without =": _stop(
        "--set 'ingest.max_reject_share': write section.key=value", args=["--set", "ingest.max_reject_share"]
    ),
    "--set an unknown key": _stop(
        "params.yaml: section 'ingest' has unknown keys ['nope']; its keys are source, out, "
        "max_reject_share, "
        "chunk_rows, memory_limit, mapping",
        args=["--set", "ingest.nope=1"],
    ),
    "--set a word for a number": _stop(
        "params.yaml: ingest.max_reject_share must be a number, not 'lots'",
        args=["--set", "ingest.max_reject_share=lots"],
    ),
    "a mapping file that is not there": _stop(
        "{tmp}/none.yaml: no such mapping file. Write one with `icp init --from <your export folder>` "
        "(docs/bring_your_own_data.md).",
        args=["--mapping", "{tmp}/none.yaml"],
    ),
    "a mapping that is not YAML": _stop(
        "{map}: not valid YAML (line 2, column 4: expected ',' or ']', but got ':')",
        mapping="tables: [unclosed\n  x: {",
    ),
    "a mapping naming a column the file lacks": _stop(
        "{map}: opportunities.csv: no column 'Amount USD' (named in tables.opportunities.columns). The "
        "file has: "
        "opportunity_id, account_id, created_date, close_date, stage, amount, type, lead_source. Fix the "
        "mapping or "
        "the export.",
        mapping=lambda m: m["tables"][OPPS]["columns"].update(amount="Amount USD"),
    ),
}


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> dict:
    """The tiny export, its mapping as `icp init` writes it, what ingest makes of it, and the files' rows."""
    root = tmp_path_factory.mktemp("clean")
    write_world(WorldConfig(accounts=400, seed=3), root / "raw", root / "truth", "csv")
    raw = root / "raw"
    assert icp(["-q", "init", "--from", str(raw), "--out", str(root / "map.yaml")]) == 0
    summary = ingest_into(raw, root / "interim")
    rows = {t: c["rows_in"] for t, c in summary["tables"].items()}
    assert rows == {t: len(pd.read_csv(raw / f"{t}.csv")) for t in rows}  # every row of every file read
    return {
        "rows": rows,
        "data": raw,
        "mapping": yaml.safe_load((root / "map.yaml").read_text()),
        "interim": root / "interim",
        "rejects": pd.read_csv(root / "interim" / "rejects.csv", keep_default_na=False),
        "mlflow": f"sqlite:///{root / 'mlflow.db'}",  # one store for the module: each run adds a version
    }


@pytest.mark.parametrize("name", CASES)
def test_a_hostile_export_ends_as_its_case_says(clean, name, tmp_path, capsys, monkeypatch):
    case, data, out = CASES[name], tmp_path / "export", tmp_path / "run"
    shutil.copytree(clean["data"], data)
    case.get("change", lambda d: None)(data)
    # icp runs in a project folder; fewer resamples, one backtest origin, no dependence plots, no earlier list
    # for the stability figure: these cases judge how an export is read, and 40 full runs are most of
    # `make test`
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["evaluate"] |= {"bootstrap": 100, "backtest_origins": 1}
    params["explain"] |= {"bootstrap": 100, "dependence_plots": 0}
    params["score"]["stability_days"] = 0
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", clean["mlflow"])
    fill = {"data": str(data), "out": str(out), "tmp": str(tmp_path), "map": str(tmp_path / "mine.yaml")}

    assert icp(["init", "--from", str(data), "--out", str(tmp_path / "init.yaml")]) in (0, 2)
    if (tmp_path / "init.yaml").exists():
        yaml.safe_load((tmp_path / "init.yaml").read_text())  # what init wrote loads, whatever it found
    argv = ["run", "--data", str(data), "--out", str(out), *(a.format(**fill) for a in case.get("args", []))]
    if case.get("mapping") == "init":
        argv += ["--mapping", str(tmp_path / "init.yaml")]
    elif "mapping" in case:
        mapping = case["mapping"]
        if callable(mapping):
            mapping = copy.deepcopy(clean["mapping"])
            case["mapping"](mapping)
            mapping = yaml.safe_dump(mapping)
        (tmp_path / "mine.yaml").write_text(mapping)
        argv += ["--mapping", fill["map"]]
    capsys.readouterr()
    try:
        code = icp(argv)
    finally:
        mlflow.set_tracking_uri(None)  # report pointed MLflow at the store for the whole process
    said = capsys.readouterr()
    console = said.err + said.out
    assert "Traceback" not in console, console[-3000:]

    if "stop" in case:
        lines = [line for line in said.err.splitlines() if line.startswith("icp run:")]
        assert code == 2 and lines == ["icp run: " + case["stop"].format(**fill)], (code, said.err[-3000:])
    else:
        assert code == 0 and (out / "targets" / "target_accounts.csv").exists(), said.err[-3000:]
        if "said" in case:
            assert case["said"] in said.err.splitlines(), said.err[-3000:]
        _check_rejects(case, clean, out)
        for table, columns in case.get("same", {}).items():
            got, want = (pd.read_parquet(f / f"{table}.parquet") for f in (out / "interim", clean["interim"]))
            pd.testing.assert_frame_equal(got[columns], want[columns])

    summary = out / "interim" / "ingest_summary.json"
    if summary.exists():
        for table, counts in yaml.safe_load(summary.read_text())["tables"].items():
            assert counts["rows_in"] == counts["rows_kept"] + counts["rows_rejected"], table
            if name != "thirty deals":  # the others keep every row of the files, however written
                assert counts["rows_in"] == clean["rows"][table], table


def _check_rejects(case: dict, clean: dict, out: Path) -> None:
    """The rejects the case adds to the clean export's: exactly its list (at least, when it says `more`)."""
    rejects = pd.read_csv(out / "interim" / "rejects.csv", keep_default_na=False)
    known = set(clean["rejects"][KEY].itertuples(index=False, name=None))
    added = {r for r in rejects[KEY].itertuples(index=False, name=None) if r not in known}
    if "rejects_of" in case:
        table, column, reason = case["rejects_of"]
        assert {(t, c, why) for t, _, c, _, why in added} == {(table, column, reason)}
        return
    wanted = {(t, r, c, str(v), why) for t, r, c, v, why in case.get("rejects", [])}
    assert wanted <= added if case.get("more") else wanted == added, sorted(added)[:10]


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
        and lines[1].startswith("test_hostile_exports: ")
    )
    for line in lines:
        assert (
            "internal error, not a problem with your data or params (ZeroDivisionError: a bug of ours)"
            in line
        )
        log = Path(line.rsplit("the traceback is in ", 1)[1].removesuffix(": please report it"))
        assert "Traceback" in log.read_text() and "a bug of ours" in log.read_text()
