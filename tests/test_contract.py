"""docs/data_contract.md and features/contract.py describe the same tables, columns, flags and
vocabularies."""

import re
from pathlib import Path

import pytest

from features.contract import (
    ACTIVITY_TYPES,
    DEPARTMENTS,
    INDUSTRIES,
    OPPORTUNITY_TYPES,
    REGIONS,
    SCHEMAS,
    SENIORITIES,
    STAGES,
    TABLES,
    TECH_CATEGORIES,
    TRIGGER_TYPES,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "data_contract.md"
HEADER = "| column | type | unit / format | allowed values | required | description |"
CELLS = [c.strip() for c in HEADER.strip("|").split("|")]
BACKTICKED = re.compile(r"`([^`]+)`")

# The vocabularies the doc must list, and the table whose section lists each.
VOCABULARIES = {
    "INDUSTRIES": (INDUSTRIES, "accounts"),
    "REGIONS": (REGIONS, "accounts"),
    "STAGES": (STAGES, "opportunities"),
    "OPPORTUNITY_TYPES": (OPPORTUNITY_TYPES, "opportunities"),
    "TECH_CATEGORIES": (TECH_CATEGORIES, "technographics"),
    "ACTIVITY_TYPES": (ACTIVITY_TYPES, "activities"),
    "TRIGGER_TYPES": (TRIGGER_TYPES, "triggers"),
    "SENIORITIES": (SENIORITIES, "contacts"),
    "DEPARTMENTS": (DEPARTMENTS, "contacts"),
}
TYPE_WORDS = {
    "string": {"text"},
    "Int64": {"integer"},
    "float64": {"number"},
    "bool": {"boolean"},
    "datetime64": {"date", "datetime"},
}


def _sections(text: str) -> dict[str, str]:
    """Body of every `## heading` section, by heading, in document order."""
    out: dict[str, str] = {}
    name = None
    for line in text.splitlines():
        if line.startswith("## "):
            name = line[3:].strip()
            assert name not in out, f"duplicate section '## {name}' in {DOC.name}"
            out[name] = ""
        elif name is not None:
            out[name] += line + "\n"
    return out


def _rows(body: str) -> list[dict[str, str]] | None:
    """The rows of the section's column table, as dicts keyed by header cell; None when it has no such
    table."""
    lines = body.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == HEADER]
    if not starts:
        return None
    assert len(starts) == 1, "a section has more than one column table"
    i = starts[0] + 1
    assert re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i].strip()), (
        f"no separator row under the header: {lines[i]!r}"
    )
    rows = []
    for line in lines[i + 1 :]:
        if not line.strip().startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == len(CELLS), f"row has {len(cells)} cells, expected {len(CELLS)}: {line!r}"
        rows.append(dict(zip(CELLS, cells, strict=True)))
    return rows


def _column_name(cell: str) -> str:
    m = re.fullmatch(r"`([^`]+)`", cell)
    assert m, f"first cell must be a backticked column name, got {cell!r}"
    return m.group(1)


@pytest.fixture(scope="module")
def sections() -> dict[str, str]:
    return _sections(DOC.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tables(sections) -> dict[str, dict[str, dict[str, str]]]:
    """Documented tables: the sections holding a column table; per table, rows by column name, in doc
    order."""
    out = {}
    for name, body in sections.items():
        rows = _rows(body)
        if rows is not None:
            out[name] = {_column_name(r["column"]): r for r in rows}
            assert len(out[name]) == len(rows), f"{name}: a column is documented twice"
    return out


def test_documented_tables_equal_contract_tables(tables):
    documented = list(tables)
    assert set(documented) == set(TABLES), (
        f"tables only in the doc: {sorted(set(documented) - set(TABLES))}; "
        f"only in the contract: {sorted(set(TABLES) - set(documented))}"
    )
    assert documented == list(TABLES), f"doc table order {documented} != TABLES order {list(TABLES)}"


@pytest.mark.parametrize("table", TABLES)
def test_documented_columns_equal_schema(tables, table):
    assert table in tables, f"no '## {table}' section with a column table in {DOC.name}"
    doc_cols = list(tables[table])
    schema_cols = list(SCHEMAS[table].columns)
    only_doc = [c for c in doc_cols if c not in schema_cols]
    only_schema = [c for c in schema_cols if c not in doc_cols]
    assert not only_doc and not only_schema, (
        f"{table}: columns only in the doc: {only_doc}; columns only in the schema: {only_schema}"
    )
    assert doc_cols == schema_cols, f"{table}: doc column order {doc_cols} != schema order {schema_cols}"


@pytest.mark.parametrize("table", TABLES)
def test_required_matches_nullable(tables, table):
    rows = tables.get(table, {})
    wrong = {}
    for name, column in SCHEMAS[table].columns.items():
        if name in rows:
            expected = "no" if column.nullable else "yes"
            if rows[name]["required"] != expected:
                wrong[name] = (rows[name]["required"], expected)
    assert not wrong, f"{table}: 'required' cell disagrees with the schema (doc, expected): {wrong}"


@pytest.mark.parametrize("table", TABLES)
def test_type_matches_dtype(tables, table):
    rows = tables.get(table, {})
    wrong = {}
    for name, column in SCHEMAS[table].columns.items():
        if name in rows:
            dtype = str(column.dtype)
            words = next(w for prefix, w in TYPE_WORDS.items() if dtype.startswith(prefix))
            if rows[name]["type"] not in words:
                wrong[name] = (rows[name]["type"], dtype)
    assert not wrong, f"{table}: 'type' cell disagrees with the schema dtype (doc, dtype): {wrong}"


@pytest.mark.parametrize("vocabulary", VOCABULARIES)
def test_vocabulary_listed_in_table_section(sections, vocabulary):
    values, table = VOCABULARIES[vocabulary]
    assert table in sections, f"no '## {table}' section in {DOC.name}"
    listed = set(BACKTICKED.findall(sections[table]))
    missing = [v for v in values if v not in listed]
    assert not missing, (
        f"{vocabulary}: values not listed (in backticks) in the '## {table}' section: {missing}"
    )


@pytest.mark.parametrize("table", TABLES)
def test_allowed_values_and_ranges_match_checks(tables, table):
    """Each column's allowed-values cell lists exactly its isin vocabulary (or an open vocabulary's
    recommended spellings, after "any") and states its numeric bounds."""
    rows = tables.get(table, {})
    problems = []
    for name, column in SCHEMAS[table].columns.items():
        if name not in rows:
            continue
        cell = rows[name]["allowed values"]
        if column.metadata:
            listed = BACKTICKED.findall(cell)
            if not cell.startswith("any") or listed != column.metadata["known"]:
                problems.append(
                    f"{name}: open vocabulary, doc lists {listed}, schema {column.metadata['known']}"
                )
        for check in column.checks:
            stats = check.statistics or {}
            if check.name == "isin":
                allowed = set(stats["allowed_values"])
                listed = set(BACKTICKED.findall(cell))
                if listed != allowed:
                    problems.append(
                        f"{name}: only in doc {sorted(listed - allowed)}, "
                        f"only in schema {sorted(allowed - listed)}"
                    )
            elif check.name == "in_range":
                if f"{stats['min_value']} to {stats['max_value']}" not in cell:
                    problems.append(
                        f"{name}: range {stats['min_value']} to {stats['max_value']} not in {cell!r}"
                    )
            elif check.name == "greater_than_or_equal_to":
                if f">= {stats['min_value']}" not in cell:
                    problems.append(f"{name}: bound >= {stats['min_value']} not in {cell!r}")
    assert not problems, f"{table}: " + "; ".join(problems)
