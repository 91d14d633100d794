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


def test_hnb_allocation_sheet_holds_numbers_not_text(tmp_path):
    """The "HNB allocation" sheet held '105000000.0' as text (a finance officer could not sum
    or chart it; found by an end-user review of the demo workbook)."""
    from sendforecast.data.example import EXAMPLE_HNB
    from sendforecast.finance.hnb import HNBAllocation

    frame = HNBAllocation.from_file(EXAMPLE_HNB).to_frame()
    p = write_workbook({"HNB allocation": frame}, tmp_path / "w.xlsx")
    rows = {r[0]: r[1] for r in load_workbook(p)["HNB allocation"].iter_rows(min_row=2,
                                                                               values_only=True)}
    assert rows["base_amount"] == 105_000_000 and rows["growth"] == 0.04
    assert rows["opening_dsg_balance"] == -20_000_000
    assert rows["base_year"] == "2024-25"
    assert rows["central line central_sen_services"].startswith("£3,500,000 from 2024-25")
