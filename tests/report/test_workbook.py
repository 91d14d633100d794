"""Workbooks are written from result frames: one sheet per table plus an About sheet."""

from __future__ import annotations

import pandas as pd
from openpyxl import load_workbook

from sendforecast.report.workbook import write_workbook


def test_write_workbook_sheets_and_about(tmp_path):
    t = pd.DataFrame({"financial_year": ["2025-26", "2026-27"], "mean": [1.5e6, 2.25e6]})
    p = write_workbook({"Costs": t}, tmp_path / "w.xlsx", about={"seed": "1", "LA": "Exampleshire"})
    wb = load_workbook(p)
    assert wb.sheetnames == ["About", "Costs"]
    about = {r[0]: r[1] for r in wb["About"].iter_rows(values_only=True) if r[0]}
    assert about["seed"] == "1" and about["LA"] == "Exampleshire"
    rows = list(wb["Costs"].iter_rows(values_only=True))
    assert rows[0] == ("financial_year", "mean") and rows[2] == ("2026-27", 2250000.0)
