"""The workbook's editable "Assumptions" sheet, read back cell by cell.

The sheet (written from :meth:`~sendforecast.finance.costs.CostAssumptions.to_frame`) has
one row per cost line: ``kind, placement_group, phase, need, line, annual_cost, unit,
inflation, price_year, basis, source``.  :func:`read_sheet_rows` reads an edited sheet
into ``(row number, kind, values)`` and the problems of its cells (sheet, row, column);
:meth:`CostAssumptions.from_file` turns the rows into cost lines (``--costs
workbook.xlsx``).  The sheet holds the *whole* set of assumptions: lines deleted from it
are gone, lines added to it (same columns) are used.
"""

from __future__ import annotations

from pathlib import Path

from sendforecast.errors import InputError, Problem

__all__ = ["SHEET", "COLUMNS", "KINDS", "UNIT", "TRANSPORT", "FIXED", "read_sheet_rows",
           "has_assumptions_sheet"]

SHEET = "Assumptions"
UNIT = "unit cost (HNB)"
TRANSPORT = "transport (general fund)"
FIXED = "fixed line (HNB)"
#: The kinds of cost line and the unit of their ``annual_cost``.
KINDS = {UNIT: "GBP per pupil per year", TRANSPORT: "GBP per pupil per year",
         FIXED: "GBP per year"}
COLUMNS = ["kind", "placement_group", "phase", "need", "line", "annual_cost", "unit",
           "inflation", "price_year", "basis", "source"]


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


def read_sheet_rows(path: str | Path) -> tuple[str, list[tuple[int, str, dict]], list[Problem]]:
    """``(where, rows, problems)``: ``where`` names the sheet (``file!Assumptions``), each
    row is ``(row number, kind, {column: text or number})`` and ``problems`` the cells that
    are not what is expected (an unknown kind, a blank or non-numeric cost or inflation).
    A sheet without its header columns raises :class:`InputError` at once."""
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
    missing = [c for c in ("kind", "line", "annual_cost", "inflation", "price_year")
               if c not in header]
    if missing:
        raise InputError([Problem(where, 1, c, f"a column named '{c}'", ", ".join(header))
                          for c in missing])
    col = {h: j for j, h in enumerate(header) if h}
    problems: list[Problem] = []
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if all(v is None or str(v).strip() == "" for v in row):
            continue
        cell = {h: (row[j] if j < len(row) else None) for h, j in col.items()}
        kind = str(cell.get("kind") or "").strip()
        if kind not in KINDS:
            problems.append(Problem(where, n, "kind", "one of " + ", ".join(KINDS), kind))
            continue
        values: dict = {}
        for c in ("placement_group", "phase", "need", "line", "price_year", "basis", "source"):
            v = cell.get(c)
            if v is not None and str(v).strip() != "":
                values[c] = str(v).strip()
        ok = True
        for c in ("annual_cost", "inflation"):
            v = cell.get(c)
            if v is None or str(v).strip() == "":
                if c == "annual_cost":
                    problems.append(Problem(where, n, c, "a number (GBP)", "a blank cell"))
                    ok = False
                continue
            try:
                values[c] = float(str(v).replace(",", "").replace("£", "").strip())
            except ValueError:
                problems.append(Problem(where, n, c, "a number", str(v)))
                ok = False
        if ok:
            out.append((n, kind, values))
    return where, out, problems
