"""Reading a dealer's file into rows: CSV in the encodings Chinese offices use, XLSX and old XLS.

What real files do, and what happens here:
- The format is read from the file's first bytes, not its name: dealer systems
  save XLSX as .xls, tab-separated UTF-16 text as .xls, and web pages as .xls
  (refused with a sentence saying what to do).
- Text is UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text"), GBK/GB18030
  or Big5. A file that decodes in several is read in the one whose header row we
  recognise; one that decodes in none is refused — never imported as garbled text.
- The header need not be the first row: title and subtitle rows (merged cells
  read as one value and blanks) are skipped up to the first row that names our
  columns. `sheet` picks a worksheet by name or number; by default the first one
  with a recognisable header.
- Limits: file size, rows, and the decompressed size of an XLSX (a zip of a few
  kilobytes can expand to gigabytes) are checked before anything is parsed.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from carcrm_tui.domain import sheet as words

HEADER_SEARCH_ROWS = 30  # title rows above the header: never more than a handful


class SheetError(Exception):
    """The file itself cannot be read (not a row's problem)."""

    def __init__(self, code: str, **params) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 50 * 1024 * 1024
    max_rows: int = 200_000
    max_cell_chars: int = 10_000
    max_unzipped_bytes: int = 200 * 1024 * 1024  # an XLSX's parts, decompressed


@dataclass
class Sheet:
    path: Path
    headers: list[str]
    rows: Iterator[tuple[int, list]]  # (row number as the spreadsheet shows it, cells)
    encoding: str  # utf-8, utf-8-bom, utf-16, gb18030, big5, xlsx, xls
    name: str = ""  # the worksheet
    header_row: int = 1
    total: int | None = None  # data rows below the header, when known up front
    sheets: list[str] = field(default_factory=list)


def open_sheet(path: str | Path, sheet: str | None = None, limits: Limits = Limits(),
               is_header: Callable[[list], bool] = words.is_header) -> Sheet:
    """The sheet's header and an iterator over its rows; `is_header` tells a header row (customer sheets by default)."""
    path = Path(path)
    if not path.is_file():
        raise SheetError("file_missing", path=str(path))
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise SheetError("file_too_big", path=str(path), size=_mb(size), limit=_mb(limits.max_file_bytes))
    with path.open("rb") as fh:
        head = fh.read(512)
    if head.startswith(b"PK\x03\x04"):
        return _xlsx(path, sheet, limits, is_header)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _xls(path, sheet, limits, is_header)
    if not head.strip():
        raise SheetError("empty", path=str(path))
    return _text(path, limits, is_header)


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


# ---- text --------------------------------------------------------------------------------
def _decodings(data: bytes) -> list[tuple[str, str]]:
    """The encodings this file decodes in without a single error, most likely first."""
    if data.startswith(codecs.BOM_UTF8):
        return [("utf-8-bom", data[3:].decode("utf-8", errors="strict"))] if _strict(data[3:], "utf-8") else []
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return [("utf-16", data.decode("utf-16"))] if _strict(data, "utf-16") else []
    sample = data[:4096]
    if sample.count(b"\x00") > len(sample) // 4:  # UTF-16 without a BOM: every other byte is zero
        enc = "utf-16-le" if sample[1:2] == b"\x00" else "utf-16-be"
        return [("utf-16", data.decode(enc))] if _strict(data, enc) else []
    if _strict(data, "utf-8"):
        return [("utf-8", data.decode("utf-8"))]
    return [(enc, data.decode(enc)) for enc in ("gb18030", "big5") if _strict(data, enc)]


def _strict(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding, errors="strict")
        return True
    except (UnicodeDecodeError, LookupError):
        return False


def _delimiter(text: str) -> str:
    lines = [line for line in text[:20_000].splitlines()[:30] if line.strip()]
    counts = {d: sum(line.count(d) for line in lines) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _text_rows(text: str) -> Iterator[list]:
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise SheetError("csv_broken", row=reader.line_num, detail=str(e)) from None
        yield row


def _text(path: Path, limits: Limits, is_header) -> Sheet:
    # the reader never refuses a long field itself (its default limit raises mid-file);
    # the import reports an over-long cell as that row's problem instead
    csv.field_size_limit(max(csv.field_size_limit(), limits.max_file_bytes))
    data = path.read_bytes()
    if b"\x00" in data[:4096] and not _decodings(data):
        raise SheetError("not_text", path=str(path))
    found = _decodings(data)
    if not found:
        raise SheetError("encoding", path=str(path))
    head = data.lstrip(codecs.BOM_UTF8)[:2048].lstrip().lower()
    if head.startswith((b"<html", b"<!doctype", b"<table", b"<?xml")) or b"<table" in head:
        raise SheetError("html_sheet", path=str(path))
    best = None
    for encoding, text in found:
        if "\x00" in text:
            continue
        located = _find_header(_text_rows(text), is_header)
        if located is not None and (best is None or words.header_score(located[1]) > words.header_score(best[2][1])):
            best = (encoding, text, located)
    if best is None:
        if len(found) > 1:  # decodes as GBK and as Big5, and neither shows a header we know
            raise SheetError("encoding_unsure", path=str(path))
        raise SheetError("no_header", path=str(path))
    encoding, text, (header_at, headers) = best
    total = sum(1 for row in _text_rows(text) if any(c.strip() for c in row)) - header_at
    if total > limits.max_rows:
        raise SheetError("too_many_rows", rows=total, limit=limits.max_rows)
    rows = _below(_text_rows(text), header_at, headers)
    return Sheet(path, [h.strip() for h in headers], rows, encoding, "", header_at, total)


# ---- finding the header --------------------------------------------------------------------
def _find_header(rows: Iterator[list], is_header) -> tuple[int, list] | None:
    """(1-based row number, cells) of the first row that names our columns."""
    for n, row in enumerate(rows, start=1):
        if n > HEADER_SEARCH_ROWS:
            return None
        cells = [_header_text(c) for c in row]
        if is_header(cells):
            return n, cells
    return None


def _header_text(cell) -> str:
    return "" if cell is None else str(cell).strip()


def _below(rows: Iterator[list], header_at: int, headers: list) -> Iterator[tuple[int, list]]:
    heading = [_header_text(h) for h in headers]
    for n, row in enumerate(rows, start=1):
        if n <= header_at:
            continue
        if not any(c is not None and str(c).strip() for c in row):
            continue  # blank lines are not rows
        if [_header_text(c) for c in row[:len(heading)]] == heading:
            continue  # the header repeated (exports that print it on every page)
        yield n, list(row)


# ---- XLSX ----------------------------------------------------------------------------------
def _xlsx(path: Path, wanted: str | None, limits: Limits, is_header) -> Sheet:
    try:
        with zipfile.ZipFile(path) as z:
            unzipped = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError) as e:
        raise SheetError("xlsx_unreadable", path=str(path), detail=str(e)) from None
    if unzipped > limits.max_unzipped_bytes:  # zipfile never inflates past these declared sizes
        raise SheetError("unzipped_too_big", path=str(path), size=_mb(unzipped),
                         limit=_mb(limits.max_unzipped_bytes))
    from openpyxl import load_workbook

    try:
        # a file object: openpyxl judges a path by its suffix, and systems name XLSX files .xls
        book = load_workbook(path.open("rb"), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a damaged or foreign file
        raise SheetError("xlsx_unreadable", path=str(path), detail=str(e)) from None
    names = list(book.sheetnames)

    def rows_of(ws) -> Iterator[list]:
        ws.reset_dimensions()  # some writers record a wrong size: read what is there
        return (list(r) for r in ws.iter_rows(values_only=True))

    def declared_rows(ws) -> int | None:
        return ws.max_row if isinstance(ws.max_row, int) and ws.max_row > 1 else None

    return _pick(path, names, wanted, lambda name: book[name], rows_of, declared_rows, "xlsx", limits, is_header)


def _pick(path, names, wanted, get, rows_of, declared_rows, encoding, limits, is_header) -> Sheet:
    if wanted:
        name = _sheet_name(names, wanted)
        if name is None:
            raise SheetError("sheet_missing", name=wanted, sheets="、".join(names))
        candidates = [name]
    else:
        candidates = names
    for name in candidates:
        ws = get(name)
        total = declared_rows(ws)
        located = _find_header(rows_of(ws), is_header)
        if located is None:
            continue
        header_at, headers = located
        if total is not None and total - header_at > limits.max_rows:
            raise SheetError("too_many_rows", rows=total - header_at, limit=limits.max_rows)
        rows = _limited(_below(rows_of(ws), header_at, headers), limits.max_rows)
        return Sheet(path, [_header_text(h) for h in headers], rows, encoding, name, header_at,
                     total - header_at if total is not None else None, names)
    if wanted:
        raise SheetError("no_header_in_sheet", name=candidates[0])
    raise SheetError("no_header", path=str(path))


def _sheet_name(names: list[str], wanted: str) -> str | None:
    for name in names:
        if name == wanted or name.strip().lower() == wanted.strip().lower():
            return name
    if wanted.isdigit() and 1 <= int(wanted) <= len(names):
        return names[int(wanted) - 1]
    return None


def _limited(rows: Iterator[tuple[int, list]], limit: int) -> Iterator[tuple[int, list]]:
    for i, row in enumerate(rows, start=1):
        if i > limit:
            raise SheetError("too_many_rows", rows=f"{limit}+", limit=limit)
        yield row


# ---- XLS (Excel 97–2003) -------------------------------------------------------------------
def _xls(path: Path, wanted: str | None, limits: Limits, is_header) -> Sheet:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except Exception as e:  # xlrd.XLRDError, struct errors on a damaged file
        raise SheetError("xls_unreadable", path=str(path), detail=str(e)) from None

    def cell(c):
        if c.ctype == xlrd.XL_CELL_DATE:
            try:
                return xlrd.xldate_as_datetime(c.value, book.datemode)
            except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                return c.value
        if c.ctype == xlrd.XL_CELL_NUMBER:
            return int(c.value) if float(c.value).is_integer() else c.value
        if c.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
            return None
        if c.ctype == xlrd.XL_CELL_BOOLEAN:
            return bool(c.value)
        return c.value

    def rows_of(ws) -> Iterator[list]:
        return ([cell(c) for c in ws.row(r)] for r in range(ws.nrows))

    return _pick(path, book.sheet_names(), wanted, book.sheet_by_name, rows_of, lambda ws: ws.nrows, "xls", limits,
                 is_header)
