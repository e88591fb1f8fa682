"""Reading the files people export: CSV of any delimiter and encoding, Parquet, Excel.

CSV and Excel cells are read as text (an empty cell is missing), so validation sees every value as written
and can quote it; Parquet keeps its types. Encoding: a byte-order mark (UTF-8, or UTF-16 as Excel's "Unicode
text" writes), UTF-16 without one (told by its zero bytes), else UTF-8 when every byte decodes, else
Windows-1252 (a superset of Latin-1 for text), which is what spreadsheets on Windows write. The delimiter is
sniffed from the first lines among , ; tab and |. Quoted delimiters and line breaks inside quotes are kept.
"""

import codecs
import csv
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


def delimiter(path: Path, enc: str) -> str:
    """The delimiter of the header and first lines; a comma when the file has one column."""
    with path.open(encoding=enc, newline="") as f:
        sample = f.read(1 << 16)
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        return max(DELIMITERS, key=header.count) if any(d in header for d in DELIMITERS) else ","


def chunks(path: Path, rows: int | None = None, sheet: str | int = 0) -> Iterator[pd.DataFrame]:
    """The file `rows` rows at a time (None: at once); one empty frame with the columns for a header-only
    file. A file that cannot be read stops the run with what to do about it."""
    path = Path(path)
    if path.suffix.lower() not in READABLE:
        raise ContractError(
            f"{path}: cannot read a {path.suffix or 'suffix-less'} file. Export it as CSV, "
            f"Parquet or Excel (.xlsx)."
        )
    try:
        yield from _or_empty(_frames(path, rows, sheet), lambda: _header_only(path, sheet))
    except (OSError, ValueError, KeyError, pa.ArrowException, csv.Error) as e:
        raise ContractError(
            f"{path}: cannot read it ({e}). Export it again as CSV with a header row, as Parquet or as Excel."
        ) from e


def read(path: Path, sheet: str | int = 0) -> pd.DataFrame:
    return next(chunks(path, None, sheet))


def _text_options(path: Path) -> dict:
    enc = encoding(path)
    return {
        "dtype": str,
        "keep_default_na": False,
        "na_values": [""],
        "encoding": enc,
        "sep": delimiter(path, enc),
        # never a first column taken for an index: with a delimiter ending every row, pandas would shift every
        # value one column to the left
        "index_col": False,
    }


def _frames(path: Path, rows: int | None, sheet) -> Iterator[pd.DataFrame]:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        if rows is None:
            yield pd.read_parquet(path)
        else:
            yield from (b.to_pandas() for b in pq.ParquetFile(path).iter_batches(batch_size=rows))
    elif suffix in EXCEL:
        yield pd.read_excel(path, sheet_name=sheet, dtype=str, keep_default_na=False, na_values=[""])
    elif rows is None:
        yield _arrow_csv(path)
    else:
        yield from pd.read_csv(path, chunksize=rows, **_text_options(path))


def _arrow_csv(path: Path) -> pd.DataFrame:
    """A whole CSV through Arrow's reader (20x pandas' on millions of rows), every column as text, line breaks
    inside quotes kept; the header is read by pandas, which names duplicate columns apart as the chunks do."""
    options = _text_options(path)
    names = list(pd.read_csv(path, nrows=0, **options).columns)
    try:
        table = pv.read_csv(
            path,
            read_options=pv.ReadOptions(encoding=options["encoding"], column_names=names, skip_rows=1),
            parse_options=pv.ParseOptions(delimiter=options["sep"], newlines_in_values=True),
            convert_options=pv.ConvertOptions(
                column_types={n: pa.string() for n in names}, null_values=[""], strings_can_be_null=True
            ),
        )
    except pa.ArrowInvalid:  # pandas' reader says which line is malformed, Arrow's does not
        return pd.read_csv(path, **options)
    return table.to_pandas().astype("str")


def _header_only(path: Path, sheet) -> pd.DataFrame:
    if path.suffix.lower() == ".parquet":
        return pq.read_schema(path).empty_table().to_pandas()
    if path.suffix.lower() in EXCEL:
        return pd.read_excel(path, sheet_name=sheet, nrows=0)
    return pd.read_csv(path, nrows=0, **_text_options(path))


def _or_empty(frames: Iterator[pd.DataFrame], empty) -> Iterator[pd.DataFrame]:
    """The frames, or one empty frame with the file's columns when there are none (a file with a header only):
    its columns are still checked and its counts are zero."""
    seen = False
    for frame in frames:
        seen = True
        yield frame
    if not seen:
        yield empty()
