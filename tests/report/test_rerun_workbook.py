"""The finance officers' workbook: £ formats, frozen headers, an editable Assumptions sheet,
"How to rerun", and the round trip: edit a cost in workbook.xlsx, rerun with
``--costs workbook.xlsx``, and the cost changes by exactly the edit."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from sendforecast.cli.main import main
from sendforecast.errors import InputError
from sendforecast.finance.costs import CostAssumptions

SMALL = ["--draws", "30", "--horizon", "3", "--seed", "4"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("rerun") / "demo"
    assert main(["demo", "--out", str(out), *SMALL]) == 0
    return out


def _row(ws, placement_group: str, line: str) -> int:
    head = [c.value for c in ws[1]]
    for r in range(2, ws.max_row + 1):
        cells = {h: ws.cell(r, j + 1).value for j, h in enumerate(head)}
        if cells["placement_group"] == placement_group and cells["line"] == line:
            return r
    raise AssertionError((placement_group, line))


def test_workbook_formats_and_sheets(demo):
    wb = load_workbook(demo / "workbook.xlsx")
    assert {"Assumptions", "How to rerun", "Costs", "DSG balance", "SCAP specialist places"} <= set(
        wb.sheetnames)
    costs = wb["Costs"]
    head = [c.value for c in costs[1]]
    assert costs.freeze_panes == "A2"
    assert "£" in costs.cell(2, head.index("mean") + 1).number_format
    a = wb["Assumptions"]
    ah = [c.value for c in a[1]]
    assert {"annual_cost", "unit", "inflation", "price_year", "source"} <= set(ah)
    assert "£" in a.cell(2, ah.index("annual_cost") + 1).number_format
    assert a.column_dimensions["K"].width > 10  # fitted, not the default
    sources = [a.cell(r, ah.index("source") + 1).value for r in range(2, a.max_row + 1)]
    assert all(sources), "every cost line carries its source"
    text = " ".join(str(c.value) for row in wb["How to rerun"].iter_rows() for c in row)
    assert "--costs" in text and "workbook.xlsx" in text


def test_round_trip_unchanged_then_edited(demo, tmp_path):
    # unchanged: the workbook's assumptions give the same costs, draw for draw (same seed)
    same = tmp_path / "same"
    assert main(["demo", "--out", str(same), "--costs", str(demo / "workbook.xlsx"), *SMALL]) == 0
    c0 = pd.read_csv(demo / "costs.csv")
    pd.testing.assert_frame_equal(pd.read_csv(same / "costs.csv"), c0)
    # edit: independent special fees +10% -> that line +10% in every year, total + the same £
    wb = load_workbook(demo / "workbook.xlsx")
    ws = wb["Assumptions"]
    col = [c.value for c in ws[1]].index("annual_cost") + 1
    r = _row(ws, "independent_special", "fees")
    old = ws.cell(r, col).value
    ws.cell(r, col).value = old * 1.1
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    out = tmp_path / "edited"
    assert main(["demo", "--out", str(out), "--costs", str(edited), *SMALL]) == 0
    c1 = pd.read_csv(out / "costs.csv")
    line0 = c0[c0.line == "independent_special"].set_index("financial_year")["mean"]
    line1 = c1[c1.line == "independent_special"].set_index("financial_year")["mean"]
    assert (line1 / line0).round(9).eq(1.1).all()
    t0 = c0[c0.line == "total_hnb"].set_index("financial_year")["mean"]
    t1 = c1[c1.line == "total_hnb"].set_index("financial_year")["mean"]
    assert ((t1 - t0) - 0.1 * line0).abs().max() < 1e-3
    other = c1[c1.line == "state_special"]["mean"].to_numpy()
    assert (other == c0[c0.line == "state_special"]["mean"].to_numpy()).all()


def _bad_cells(demo, tmp_path, cost) -> tuple[int, str]:
    """The demo workbook with the state special top-up's cost set to ``cost`` and the next
    row's price year to '2024': (that row, the error message)."""
    wb = load_workbook(demo / "workbook.xlsx")
    ws = wb["Assumptions"]
    head = [c.value for c in ws[1]]
    r = _row(ws, "state_special", "top_up")
    ws.cell(r, head.index("annual_cost") + 1).value = cost
    ws.cell(r + 1, head.index("price_year") + 1).value = "2024"
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    with pytest.raises(InputError) as e:
        CostAssumptions.from_file(bad)
    return r, str(e.value)


def test_bad_cell_names_sheet_row_and_column(demo, tmp_path):
    r, msg = _bad_cells(demo, tmp_path, "lots")
    assert f"bad.xlsx!Assumptions, line {r}, column 'annual_cost': expected a number" in msg
    assert f"line {r + 1}, column 'price_year'" in msg
    # the CLI turns it into one message, no traceback
    bad = tmp_path / "bad.xlsx"
    assert main(["demo", "--out", str(tmp_path / "x"), "--costs", str(bad), *SMALL]) == 2


def test_bad_cell_messages_are_plain_english(demo, tmp_path):
    """A negative cost read 'expected Input should be greater than or equal to 0' and a bad
    price year "... found '2024', found '2024'" (end-user review)."""
    r, msg = _bad_cells(demo, tmp_path, -5)
    assert (f"line {r}, column 'annual_cost': expected a number greater than or equal to 0, "
            "found '-5.0'") in msg
    assert f"line {r + 1}, column 'price_year': expected a financial year such as " in msg
    assert msg.count("found '2024'") == 1 and "Input should" not in msg
