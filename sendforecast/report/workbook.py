"""Excel workbooks and report tables (openpyxl), built from result frames only."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from sendforecast.report.suppress import describe, sheet_key, suppress_tables

_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_EDIT_FILL = PatternFill("solid", fgColor="FFF2CC")  # cells a finance officer may edit
_Q = ["mean", "p10", "p90", "p2_5", "p97_5"]
GBP = '"£"#,##0'
#: Money columns (GBP) by sheet name (:func:`~.suppress.sheet_key`: "Savings (3 years)" is
#: "Savings"): formatted as £ with thousands separators.
MONEY_COLUMNS: dict[str, list[str]] = {
    "Costs": _Q, "DSG balance": _Q, "Savings": _Q, "Comparison": _Q,
    "Assumptions": ["annual_cost"],
}
#: Sheets whose every column but ``financial_year`` is money (wide DBV-style tables).
WIDE_MONEY_SHEETS = {"DBV table"}
#: Columns of the Assumptions sheet a user edits (highlighted).
EDITABLE = ["annual_cost", "inflation", "price_year", "source"]


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
        money = set(MONEY_COLUMNS.get(name, MONEY_COLUMNS.get(sheet_key(name), [])))
        if name in WIDE_MONEY_SHEETS:
            money = {c for c in frame.columns if c != "financial_year"}
        share = ("share", "_pc", "rate", "coverage", "inflation", "p_short", "p_saving_gt_0",
                 "p_deficit")
        for j, col in enumerate(frame.columns, start=1):
            if col in money:
                fmt = GBP
            elif str(col).endswith(share) or str(col).startswith("p_"):
                fmt = "0.0%"
            elif pd.api.types.is_float_dtype(frame[col]):
                fmt = "#,##0"
            else:
                continue
            for cell in sheet.iter_rows(min_row=2, min_col=j, max_col=j):
                cell[0].number_format = fmt
        if "measure" in frame.columns:  # probabilities in a long money table
            jm = list(frame.columns).index("measure") + 1
            for row in sheet.iter_rows(min_row=2):
                if str(row[jm - 1].value).startswith("p_"):
                    for c in row[jm:]:
                        c.number_format = "0.0%"
        if name == "Assumptions":
            for j, col in enumerate(frame.columns, start=1):
                if col in EDITABLE:
                    for cell in sheet.iter_rows(min_row=2, min_col=j, max_col=j):
                        cell[0].fill = _EDIT_FILL
        if name == "How to rerun":
            sheet.column_dimensions["A"].width = 110
            for row in sheet.iter_rows(min_row=2):
                row[0].alignment = Alignment(wrap_text=True, vertical="top")
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


def assumptions_sheet(result) -> pd.DataFrame:
    """The editable Assumptions sheet of a budget result: its cost assumptions, without the
    HNB file's central lines (those are on the "HNB allocation" sheet and come back with
    ``--hnb``), so that ``--costs workbook.xlsx`` reruns with exactly the sheet's lines."""
    central = {f.name for f in result.allocation.central_lines}
    kept = [f for f in result.assumptions.fixed_lines if f.name not in central]
    return result.assumptions.model_copy(update={"fixed_lines": kept}).to_frame()


def how_to_rerun(command: str) -> pd.DataFrame:
    """The "How to rerun" sheet: how to rerun with the edited Assumptions sheet."""
    steps = [
        "1. Go to the 'Assumptions' sheet. Each row is one cost line: annual_cost (GBP per "
        "pupil per year, or per year for a fixed line), inflation (a fraction a year: 0.03 = "
        "3%), the financial year its price is in (price_year, e.g. 2024-25) and its source. "
        "Edit the yellow cells; add a row (same columns) for a new line; delete a row to drop "
        "a line. Write where your figure comes from in 'source'.",
        "2. Save the workbook as .xlsx (keep the sheet name 'Assumptions' and its header row).",
        "3. Rerun the forecast with the edited workbook as the cost assumptions (--costs), "
        "into a new folder:",
        f"   {command}",
        "4. The new costs.csv, dsg_balance.csv, workbook.xlsx and report.html use your edited "
        "lines; the About sheet records the file they came from. A bad cell stops the run with "
        "a message naming the sheet, row and column.",
        "Other inputs keep their meaning: --hnb (HNB allocation YAML), --capacity "
        "(commissioned places), --seed (the same seed gives the same draws, so a change in "
        "cost is due to your edit alone).",
    ]
    return pd.DataFrame({"How to rerun with edited assumptions": steps})


def budget_sheets(result) -> dict[str, pd.DataFrame]:
    """The sheets of a :class:`~sendforecast.finance.budget.BudgetResult`'s workbook."""
    sheets = {"Assumptions": assumptions_sheet(result),
              "HNB allocation": result.allocation.to_frame(), "Demand": result.demand}
    if result.sufficiency is not None:
        sheets["Sufficiency gap"] = result.sufficiency
        ffy = result.first_full_year.astype(object)
        sheets["First full year"] = ffy.where(ffy.notna(), None)
    sheets["Costs"] = result.costs
    sheets["DSG balance"] = result.dsg_balance
    return sheets


def budget_workbook(result, path: str | Path, suppress: int | None = None) -> Path:
    """Costs, DSG balance and sufficiency of a budget result as one workbook."""
    about = {"contents": "High Needs Block costs, DSG balance and sufficiency "
                         "(sendforecast.budget)",
             "money": "GBP, cash terms of each April-March financial year",
             "sign": "balance = income - spend; negative = deficit",
             "financial years": "January stocks interpolated monthly, averaged Apr-Mar "
                                "(weights 15/48, 32/48, 1/48; see costs.financial_year_stock)",
             "transport": "general fund, not HNB: lines transport:* and total_transport"}
    about |= {k: str(v) for k, v in result.settings.items()}
    about["publication suppression"] = describe(suppress)
    return write_workbook(suppress_tables(budget_sheets(result), suppress), path, about)


def savings_sheet(years: int) -> str:
    """The savings sheet's name, with the number of financial years its savings add up
    (it said "5 years" whatever the run's horizon)."""
    return f"Savings ({years} year{'' if years == 1 else 's'})"


def comparison_workbook(comparison, path: str | Path, suppress: int | None = None) -> Path:
    """A scenario comparison (savings, DBV table, balances, plans) as one workbook."""
    about = {"contents": "Scenario comparison on paired Monte Carlo draws (sendforecast)",
             "sign": "balance = income - spend (negative = deficit); saving = baseline cost "
                     "- strategy cost", **{k: str(v) for k, v in comparison.settings.items()},
             "strategies": comparison.describe()}
    base = comparison.baseline.budget
    sheets = {savings_sheet(comparison.savings_years()): comparison.savings(),
              "DBV table": comparison.dbv_table(),
              "Comparison": comparison.table(), "Plans by placement": comparison.plans(),
              "Assumptions": assumptions_sheet(base),
              "HNB allocation": base.allocation.to_frame()}
    about["publication suppression"] = describe(suppress)
    return write_workbook(suppress_tables(sheets, suppress), path, about)
