"""Reading the files people export: CSV of any delimiter and encoding, Parquet, Excel.

CSV and Excel cells are read as text (an empty cell is missing), so validation sees every value as written
and can quote it; Parquet keeps its types. Encoding: a byte-order mark (UTF-8, or UTF-16 as Excel's "Unicode
text" writes), UTF-16 without one (told by its zero bytes), else UTF-8 when every byte decodes, else
Windows-1252 (a superset of Latin-1 for text), which is what spreadsheets on Windows write. The delimiter is
sniffed from the first lines among , ; tab and |. Quoted delimiters and line breaks inside quotes are kept.
Nothing is guessed silently: a delimiter ending every row is said and its empty field dropped; a first line
shorter than the rows below it (a title above the header) stops with the line and `header_row:`, the mapping
key that says where the header is.
"""

import codecs
import csv
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pv
import pyarrow.parquet as pq

from features.errors import ContractError

CSV = (".csv", ".tsv", ".txt")
EXCEL = (".xlsx", ".xlsm")
READABLE = (*CSV, ".parquet", *EXCEL)
DELIMITERS = ",;\t|"

log = logging.getLogger(__name__)


def encoding(path: Path) -> str:
    """utf-8-sig, utf-16, utf-8 or cp1252; decoded block by block, so a big file is never read into memory."""
    with path.open("rb") as f:
        head = f.read(3)
    if head == codecs.BOM_UTF8:
        return "utf-8-sig"
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    if wide := _utf16_without_bom(path):
        return wide
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as f:
            while block := f.read(1 << 24):
                decoder.decode(block)
        decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def _utf16_without_bom(path: Path) -> str | None:
    """utf-16-le or utf-16-be when the file starts like UTF-16 text without a byte-order mark: ASCII text in
    UTF-16 has a zero byte after (little-endian) or before (big-endian) every character."""
    with path.open("rb") as f:
        sample = f.read(4096)
    sample = sample[: len(sample) // 2 * 2]
    if len(sample) < 8:
        return None
    odd, even = sample[1::2].count(0) / (len(sample) / 2), sample[0::2].count(0) / (len(sample) / 2)
    return "utf-16-le" if odd > 0.9 > even else "utf-16-be" if even > 0.9 > odd else None


def delimiter(path: Path, enc: str, header_row: int = 1) -> str:
    """The delimiter of the header and first lines; a comma when the file has one column."""
    with path.open(encoding=enc, newline="") as f:
        for _ in range(header_row - 1):  # a title block above the header is not the table
            f.readline()
        sample = f.read(1 << 16)
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        return max(DELIMITERS, key=header.count) if any(d in header for d in DELIMITERS) else ","


def chunks(
    path: Path, rows: int | None = None, sheet: str | int = 0, header_row: int = 1
) -> Iterator[pd.DataFrame]:
    """The file `rows` rows at a time (None: at once), its header on line (or sheet row) `header_row`; one
    empty frame with the columns for a header-only file. A file that cannot be read stops the run with what
    to do about it."""
    path = Path(path)
    if path.suffix.lower() not in READABLE:
        raise ContractError(
            f"{path}: cannot read a {path.suffix or 'suffix-less'} file. Export it as CSV, "
            f"Parquet or Excel (.xlsx)."
        )
    if path.stat().st_size == 0:
        raise ContractError(f"{path}: the file is empty. Export it again with its header row and rows.")
    try:
        yield from _or_empty(
            _frames(path, rows, sheet, header_row), lambda: _header_only(path, sheet, header_row)
        )
    except ContractError:
        raise
    except UnicodeDecodeError as e:
        raise ContractError(
            f"{path}: not text in UTF-8, UTF-16 or Windows-1252 (byte 0x{e.object[e.start]:02x} at position "
            f"{e.start:,}): is it a table at all? Export it again as CSV (UTF-8), Parquet or Excel."
        ) from e
    except (OSError, ValueError, KeyError, pa.ArrowException, csv.Error) as e:
        raise ContractError(
            f"{path}: cannot read it ({_said(e)}). Export it again as CSV with a header row, as "
            f"Parquet or as Excel."
        ) from e


def read(path: Path, sheet: str | int = 0, header_row: int = 1) -> pd.DataFrame:
    return next(chunks(path, None, sheet, header_row))


def _said(error: Exception) -> str:
    """A reader's message on one line, in the file's own line numbers where it gives one."""
    said = " ".join(str(error).split())
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", said)
    if fields:
        expected, line, saw = map(int, fields.groups())
        return _too_many(line, saw, expected)
    quote = re.search(r"EOF inside string starting at row (\d+)", said)
    if quote:
        return f"a quote opened on line {int(quote.group(1)) + 1:,} is never closed"
    return said


def _text_options(path: Path, header_row: int = 1) -> dict:
    enc = encoding(path)
    sep = delimiter(path, enc, header_row)
    _check_header(path, enc, sep, header_row)
    return {
        "dtype": str,
        "keep_default_na": False,
        "na_values": [""],
        "encoding": enc,
        "sep": sep,
        "skiprows": header_row - 1,
        # never a first column taken for an index: with a delimiter ending every row, pandas would shift every
        # value one column to the left
        "index_col": False,
    }


def header_line(path: Path) -> int:
    """The line a CSV's header is probably on: the first as wide as most of the 50 lines below it (a title
    block above it is narrower); 1 for other files. `icp init` writes it as `header_row:`."""
    if path.suffix.lower() not in CSV:
        return 1
    try:
        enc = encoding(path)
        with path.open(encoding=enc, newline="") as f:
            rows = csv.reader(f, delimiter=delimiter(path, enc))
            widths = [len(row) for _, row in zip(range(60), rows, strict=False)]
    except (OSError, UnicodeDecodeError, csv.Error):  # reading it says what is wrong, in one line
        return 1
    usual = pd.Series([w for w in widths if w > 1] or [1]).mode().max()
    return next((i + 1 for i, w in enumerate(widths) if w == usual), 1)


def _check_header(path: Path, enc: str, sep: str, header_row: int) -> None:
    """What pandas would guess silently: a first row longer than the header is a delimiter ending every row
    (its empty field dropped, and said), a value with an unquoted delimiter, or a header that is not the
    header (a title above it, told by rows mostly longer than it): stopped, with the line and what to do."""
    with path.open(encoding=enc, newline="") as f:
        lines = [row for _, row in zip(range(header_row + 50), csv.reader(f, delimiter=sep), strict=False)]
    header, rows = lines[header_row - 1 : header_row], [r for r in lines[header_row:] if r]
    if not header or not rows:
        return
    width, widths = len(header[0]), pd.Series([len(r) for r in rows])
    usual = int(widths.mode().min())
    if len(rows[0]) == width + 1 and all(len(r) <= width or not "".join(r[width:]).strip() for r in rows):
        log.info(
            f"{path.name}: every row ends with a delimiter after its last column: that empty field is dropped"
        )
        return
    line = header_row + 1 + lines[header_row:].index(rows[int((widths == max(usual, len(rows[0]))).idxmax())])
    if usual > width:
        raise ContractError(
            f"{path}: line {line} has {usual} fields but the header (line {header_row}: "
            f"{', '.join(header[0])[:80]!r}) has {width}: a title above the header (say which line is the "
            f"header with `header_row:` in the mapping, docs/bring_your_own_data.md), or a column without a "
            f"name?"
        )
    if len(rows[0]) > width:
        raise ContractError(f"{path}: {_too_many(line, len(rows[0]), width)}")


def _too_many(line: int, saw: int, expected: int) -> str:
    return (
        f"line {line:,} has {saw} fields where the header has {expected}: a delimiter inside a value that is "
        f"not quoted? Quote that value or remove the extra delimiters"
    )


def _frames(path: Path, rows: int | None, sheet, header_row: int) -> Iterator[pd.DataFrame]:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        if rows is None:
            yield pd.read_parquet(path)
        else:
            yield from (b.to_pandas() for b in pq.ParquetFile(path).iter_batches(batch_size=rows))
    elif suffix in EXCEL:
        yield pd.read_excel(
            path, sheet_name=sheet, header=header_row - 1, dtype=str, keep_default_na=False, na_values=[""]
        )
    elif rows is None:
        yield _arrow_csv(path, header_row)
    else:
        yield from pd.read_csv(path, chunksize=rows, **_text_options(path, header_row))


def _arrow_csv(path: Path, header_row: int) -> pd.DataFrame:
    """A whole CSV through Arrow's reader (20x pandas' on millions of rows), every column as text, line breaks
    inside quotes kept; the header is read by pandas, which names duplicate columns apart as the chunks do."""
    options = _text_options(path, header_row)
    names = list(pd.read_csv(path, nrows=0, **options).columns)
    try:
        table = pv.read_csv(
            path,
            read_options=pv.ReadOptions(
                encoding=options["encoding"], column_names=names, skip_rows=header_row
            ),
            parse_options=pv.ParseOptions(delimiter=options["sep"], newlines_in_values=True),
            convert_options=pv.ConvertOptions(
                column_types={n: pa.string() for n in names}, null_values=[""], strings_can_be_null=True
            ),
        )
    except pa.ArrowInvalid:  # pandas' reader says which line is malformed, Arrow's does not
        return pd.read_csv(path, **options)
    return table.to_pandas().astype("str")


def _header_only(path: Path, sheet, header_row: int) -> pd.DataFrame:
    if path.suffix.lower() == ".parquet":
        return pq.read_schema(path).empty_table().to_pandas()
    if path.suffix.lower() in EXCEL:
        return pd.read_excel(path, sheet_name=sheet, header=header_row - 1, nrows=0)
    return pd.read_csv(path, nrows=0, **_text_options(path, header_row))


def _or_empty(frames: Iterator[pd.DataFrame], empty) -> Iterator[pd.DataFrame]:
    """The frames, or one empty frame with the file's columns when there are none (a file with a header only):
    its columns are still checked and its counts are zero."""
    seen = False
    for frame in frames:
        seen = True
        yield frame
    if not seen:
        yield empty()
