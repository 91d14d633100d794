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


# ------------------------------------------------------------- result workbooks


def budget_sheets(result) -> dict[str, pd.DataFrame]:
    """The sheets of a :class:`~sendforecast.finance.budget.BudgetResult`'s workbook."""
    sheets = {"Assumptions": result.assumptions.to_frame(),
              "HNB allocation": result.allocation.to_frame(), "Demand": result.demand}
    if result.sufficiency is not None:
        sheets["Sufficiency gap"] = result.sufficiency
        ffy = result.first_full_year.astype(object)
        sheets["First full year"] = ffy.where(ffy.notna(), None)
    sheets["Costs"] = result.costs
    sheets["DSG balance"] = result.dsg_balance
    return sheets


def budget_workbook(result, path: str | Path) -> Path:
    """Costs, DSG balance and sufficiency of a budget result as one workbook."""
    about = {"contents": "High Needs Block costs, DSG balance and sufficiency "
                         "(sendforecast.budget)",
             "money": "GBP, cash terms of each April-March financial year",
             "sign": "balance = income - spend; negative = deficit",
             "financial years": "January stocks interpolated monthly, averaged Apr-Mar "
                                "(weights 15/48, 32/48, 1/48; see costs.financial_year_stock)",
             "transport": "general fund, not HNB: lines transport:* and total_transport"}
    about |= {k: str(v) for k, v in result.settings.items()}
    return write_workbook(budget_sheets(result), path, about)


def comparison_workbook(comparison, path: str | Path) -> Path:
    """A scenario comparison (savings, DBV table, balances, plans) as one workbook."""
    about = {"contents": "Scenario comparison on paired Monte Carlo draws (sendforecast)",
             "sign": "balance = income - spend (negative = deficit); saving = baseline cost "
                     "- strategy cost", **{k: str(v) for k, v in comparison.settings.items()},
             "strategies": comparison.describe()}
    base = comparison.baseline.budget
    sheets = {"Savings (5 years)": comparison.savings(), "DBV table": comparison.dbv_table(),
              "Comparison": comparison.table(), "Plans by placement": comparison.plans(),
              "Assumptions": base.assumptions.to_frame(),
              "HNB allocation": base.allocation.to_frame()}
    return write_workbook(sheets, path, about)
