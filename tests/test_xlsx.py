"""bot/xlsx.py: the workbook opens in openpyxl with its sheets, headers and values."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from bot.xlsx import Sheet, sheet_title, workbook


def test_a_workbook_holds_each_sheet_with_its_header_and_rows():
    data = workbook(
        [
            Sheet("概况", ["指标", "值"], [("立案", 12), ("结案率", 0.5)], percent=[1]),
            Sheet("Cases", ["id", "at"], iter([(1, datetime(2026, 11, 3, 9, 30, tzinfo=UTC))])),
        ]
    )
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["概况", "Cases"]
    first = book["概况"]
    assert [c.value for c in first[1]] == ["指标", "值"]
    assert first["A1"].font.bold
    assert (first["A2"].value, first["B2"].value, first["B3"].value) == ("立案", 12, 0.5)
    assert first["B3"].number_format == "0.0%" and first["B2"].number_format == "General"
    assert book["Cases"]["B2"].value == datetime(2026, 11, 3, 9, 30)


def test_sheet_titles_are_made_valid():
    assert sheet_title("a/b:c") == "a_b_c"
    assert len(sheet_title("很" * 40)) == 31
    assert sheet_title("") == "Sheet"
