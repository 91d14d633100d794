"""The workbook's editable "Assumptions" sheet: cost assumptions as rows, and back.

:func:`assumptions_frame` gives one row per cost line (``kind, placement_group, phase,
need, line, annual_cost, unit, inflation, price_year, basis, source``) - the sheet a finance
officer edits in ``workbook.xlsx``; :func:`read_assumptions_sheet` reads an edited sheet
back into :class:`~sendforecast.finance.costs.CostAssumptions` (``--costs workbook.xlsx``),
raising one :class:`~sendforecast.errors.InputError` that names the sheet, row and column
of every bad cell.  The sheet holds the *whole* set of assumptions: lines deleted from it
are gone, lines added to it (same columns) are used.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from sendforecast.errors import InputError, Problem
from sendforecast.finance.costs import CostAssumptions, FixedLine, TransportCost, UnitCost

__all__ = ["SHEET", "COLUMNS", "KINDS", "assumptions_frame", "read_assumptions_sheet",
           "has_assumptions_sheet"]

SHEET = "Assumptions"
UNIT = "unit cost (HNB)"
TRANSPORT = "transport (general fund)"
FIXED = "fixed line (HNB)"
KINDS = {UNIT: "GBP per pupil per year", TRANSPORT: "GBP per pupil per year",
         FIXED: "GBP per year"}
COLUMNS = ["kind", "placement_group", "phase", "need", "line", "annual_cost", "unit",
           "inflation", "price_year", "basis", "source"]
#: Sheet column -> model field, per kind (the rest map to themselves).
_FIELDS = {FIXED: {"line": "name", "annual_cost": "amount", "inflation": "growth"}}


def assumptions_frame(assumptions: CostAssumptions) -> pd.DataFrame:
    """One row per cost line, with its unit (``inflation`` is a fraction a year)."""
    f = assumptions.to_frame()
    f.insert(f.columns.get_loc("annual_cost") + 1, "unit", f["kind"].map(KINDS))
    return f[COLUMNS]


def has_assumptions_sheet(path: str | Path) -> bool:
    """True for an .xlsx file with a sheet named "Assumptions" (a sendforecast workbook)."""
    path = Path(path)
    if path.suffix.lower() not in {".xlsx", ".xlsm"} or not path.is_file():
        return False
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True)
    except Exception:  # noqa: BLE001 - not a readable workbook: the table reader says why
        return False
    try:
        return SHEET in wb.sheetnames
    finally:
        wb.close()


def read_assumptions_sheet(path: str | Path) -> CostAssumptions:
    """Cost assumptions from the "Assumptions" sheet of a workbook written by sendforecast."""
    import openpyxl

    path = Path(path)
    where = f"{path}!{SHEET}"
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        if SHEET not in wb.sheetnames:
            raise InputError(Problem(str(path), None, None, f"a sheet named '{SHEET}'",
                                     ", ".join(wb.sheetnames)))
        rows = list(wb[SHEET].iter_rows(values_only=True))
    finally:
        wb.close()
    if not rows:
        raise InputError(Problem(where, 1, None, "a header row", "an empty sheet"))
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    need = ["kind", "line", "annual_cost", "inflation", "price_year"]
    missing = [c for c in need if c not in header]
    if missing:
        raise InputError([Problem(where, 1, c, f"a column named '{c}'", ", ".join(header))
                          for c in missing])
    col = {h: j for j, h in enumerate(header) if h}
    problems: list[Problem] = []
    unit, transport, fixed = [], [], []
    for n, row in enumerate(rows[1:], start=2):
        if all(v is None or str(v).strip() == "" for v in row):
            continue
        cell = {h: (row[j] if j < len(row) else None) for h, j in col.items()}
        kind = str(cell.get("kind") or "").strip()
        if kind not in KINDS:
            problems.append(Problem(where, n, "kind", "one of " + ", ".join(KINDS), kind))
            continue
        values = {}
        for c in ("placement_group", "phase", "need", "line", "price_year", "basis", "source"):
            v = cell.get(c)
            if v is not None and str(v).strip() != "":
                values[c] = str(v).strip()
        for c in ("annual_cost", "inflation"):
            v = cell.get(c)
            if v is None or str(v).strip() == "":
                if c == "annual_cost":
                    problems.append(Problem(where, n, c, "a number (GBP)", "a blank cell"))
                continue
            try:
                values[c] = float(str(v).replace(",", "").replace("£", "").strip())
            except ValueError:
                problems.append(Problem(where, n, c, "a number", str(v)))
        if any(p.row == n for p in problems):
            continue
        rename = _FIELDS.get(kind, {})
        fields = {rename.get(k, k): v for k, v in values.items()}
        try:
            if kind == UNIT:
                unit.append(UnitCost(**fields))
            elif kind == TRANSPORT:
                fields.pop("line", None)
                fields.pop("phase", None)
                fields.pop("need", None)
                transport.append(TransportCost(**fields))
            else:
                for k in ("placement_group", "phase", "need"):
                    fields.pop(k, None)
                fixed.append(FixedLine(**fields))
        except ValidationError as exc:
            back = {v: k for k, v in rename.items()}
            for e in exc.errors():
                field = str(e["loc"][0]) if e["loc"] else None
                problems.append(Problem(where, n, back.get(field, field),
                                        e["msg"].removeprefix("Value error, "),
                                        None if e.get("input") is None else str(e["input"])))
    if problems:
        raise InputError(problems)
    if not unit:
        raise InputError(Problem(where, None, "kind", f"at least one '{UNIT}' row", "none"))
    return CostAssumptions(unit_costs=unit, transport=transport, fixed_lines=fixed)
