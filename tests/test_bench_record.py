"""bench/record.py, the `--write` of every bench: a bench rewrites its own section of docs/benchmarks.md and
nothing else."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("bench_record", ROOT / "bench" / "record.py")
record = importlib.util.module_from_spec(spec)
spec.loader.exec_module(record)

DOC = """# Benchmarks

Written by hand.

## bench/quality.py

<!-- bench/quality.py -->
quality's old figures
<!-- end bench/quality.py -->

## bench/calibration.py

Why this bench exists, by hand.

<!-- bench/calibration.py -->
calibration's old figures
<!-- end bench/calibration.py -->

## bench/targets.py

<!-- bench/targets.py -->
targets' figures
<!-- end bench/targets.py -->
"""


def test_write_replaces_only_its_own_section(tmp_path, monkeypatch, capsys):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(DOC)
    monkeypatch.setattr(sys, "argv", ["bench/calibration.py", "--seeds", "8", "9", "--write"])
    with record.recorded(str(ROOT / "bench" / "calibration.py"), True, doc):
        print("method  ece\nsigmoid 0.02")
    assert "sigmoid 0.02" in capsys.readouterr().out  # still printed as usual
    text = doc.read_text()
    before, rest = text.split("<!-- bench/calibration.py -->\n")
    section, after = rest.split("<!-- end bench/calibration.py -->")
    old_before, old_rest = DOC.split("<!-- bench/calibration.py -->\n")
    assert (before, after) == (old_before, old_rest.split("<!-- end bench/calibration.py -->")[1])
    assert "old figures" not in section
    assert "`python bench/calibration.py --seeds 8 9 --write`" in section
    assert "cores" in section and "```text\nmethod  ece\nsigmoid 0.02\n```" in section


def test_a_missing_section_is_appended_and_a_failed_run_writes_nothing(tmp_path, monkeypatch):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(DOC)
    monkeypatch.setattr(sys, "argv", ["bench/byod.py", "--write"])
    with pytest.raises(RuntimeError), record.recorded(str(ROOT / "bench" / "byod.py"), True, doc):
        print("half a table")
        raise RuntimeError("the bench failed")
    assert doc.read_text() == DOC
    with record.recorded(str(ROOT / "bench" / "byod.py"), True, doc):
        print("byod's table")
    text = doc.read_text()
    assert text.startswith(DOC.rstrip())
    assert text.rstrip().endswith("byod's table\n```\n<!-- end bench/byod.py -->")


def test_without_write_the_file_is_not_touched(tmp_path):
    doc = tmp_path / "benchmarks.md"
    with record.recorded(str(ROOT / "bench" / "byod.py"), False, doc):
        print("table")
    assert not doc.exists()


def test_an_unclosed_section_is_an_error():
    with pytest.raises(ValueError, match="has no <!-- end bench/quality.py -->"):
        record.replace_section("<!-- bench/quality.py -->\nold\n", "bench/quality.py", "new")
