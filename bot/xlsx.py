"""XLSX workbooks from rows: the 通报's spreadsheet now, the 台账 export later.

openpyxl in write_only mode streams rows to the file instead of holding a cell object per
value, so a big period costs little memory. Imported lazily by callers that only sometimes
need it (the bot starts without loading openpyxl).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Cell = str | int | float | datetime | None
SHEET_TITLE_LIMIT = 31  # Excel's limit; longer titles are refused by openpyxl
_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


@dataclass(frozen=True, slots=True)
class Sheet:
    """One worksheet: a bold header row, then ROWS (any iterable, consumed once)."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Cell]]
    widths: Sequence[int] = ()  # column widths in characters; default from the headers
    percent: Sequence[int] = ()  # 0-based columns holding fractions, shown as 12.5%


def sheet_title(text: str) -> str:
    """Returns TEXT as a valid worksheet title (≤ 31 characters, no []:*?/\\)."""
    return text.translate(_FORBIDDEN)[:SHEET_TITLE_LIMIT] or "Sheet"


def _value(value: Cell) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones: callers pass local times
    return value


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """Returns the XLSX file holding SHEETS, in order."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in sheets:
        ws = book.create_sheet(sheet_title(sheet.title))
        widths = list(sheet.widths) or [max(8, 2 * len(h) + 2) for h in sheet.headers]
        for index, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
        header = []
        for text in sheet.headers:
            cell = WriteOnlyCell(ws, value=text)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        percent = set(sheet.percent)
        for row in sheet.rows:
            if not percent:
                ws.append([_value(v) for v in row])
                continue
            cells: list[Any] = []
            for index, value in enumerate(row):
                if index in percent and isinstance(value, float):
                    cell = WriteOnlyCell(ws, value=value)
                    cell.number_format = "0.0%"
                    cells.append(cell)
                else:
                    cells.append(_value(value))
            ws.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
