"""Excel workbooks and report tables (openpyxl), built from result frames only."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_HEADER_FONT = Font(bold=True, color="FFFFFF")


def write_workbook(sheets: Mapping[str, pd.DataFrame], path: str | Path,
                   about: Mapping[str, str] | None = None) -> Path:
    """Write frames to an .xlsx file, one sheet each, formatted for a report.

    ``about`` (key -> text) becomes a first sheet "About" recording the inputs
    and settings that produced the numbers.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "About"
    ws.append(["Item", "Value"])
    for k, v in (about or {}).items():
        ws.append([k, str(v)])
    _style(ws)
    for name, frame in sheets.items():
        sheet = wb.create_sheet(_sheet_name(name))
        frame = frame.reset_index(drop=True)
        sheet.append([str(c) for c in frame.columns])
        for row in frame.itertuples(index=False):
            sheet.append([_cell(v) for v in row])
        _style(sheet)
        for j, col in enumerate(frame.columns, start=1):
            if pd.api.types.is_float_dtype(frame[col]):
                fmt = "0.0%" if str(col).endswith(("share", "_pc", "rate", "coverage")) else "#,##0"
                for cell in sheet.iter_rows(min_row=2, min_col=j, max_col=j):
                    cell[0].number_format = fmt
    wb.save(path)
    return path


def _cell(v):
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def _sheet_name(name: str) -> str:
    bad = '[]:*?/\\'
    clean = "".join("_" if ch in bad else ch for ch in name)
    return clean[:31]


def _style(ws) -> None:
    for cell in ws[1]:
        cell.fill = _HEADER_FILL
        cell.font = _HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    for j, col in enumerate(ws.iter_cols(min_row=1, max_row=min(ws.max_row, 200)), start=1):
        width = max((len(str(c.value)) for c in col if c.value is not None), default=8)
        ws.column_dimensions[get_column_letter(j)].width = min(max(10, width + 2), 60)
