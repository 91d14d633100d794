"""Command-line contract: columns, files written, clear errors."""

from __future__ import annotations

import pandas as pd
import pytest

from sendforecast.cli import main
from tests.conftest import SEN2_2022, SEN2_2025, require_real_data


def test_data_summary_writes_long_csv(tmp_path, capsys):
    require_real_data()
    out = tmp_path / "summary.csv"
    rc = main(["data", "summary", "--data", str(SEN2_2025), "--data", str(SEN2_2022),
               "--la", "825,E92000001", "--out", str(out)])
    assert rc == 0
    df = pd.read_csv(out, dtype={"la_code": str})
    assert list(df.columns) == ["la_code", "la_name", "measure", "year", "value"]
    assert {"caseload", "requests", "assessments", "new_plans", "ceased"} <= set(df.measure)
    bucks = df[(df.la_code == "825") & (df.measure == "caseload")].set_index("year").value
    assert bucks[2024] == 6697 and bucks[2011] == 2996


def test_data_summary_all_las(tmp_path):
    require_real_data()
    out = tmp_path / "all.csv"
    assert main(["data", "summary", "--data", str(SEN2_2025), "--la", "all", "--out", str(out)]) == 0
    df = pd.read_csv(out, dtype={"la_code": str})
    assert df.la_code.nunique() >= 150
    assert df.la_code.str.fullmatch(r"\d{3}").all()


def test_data_quality_prints_report_and_writes_tables(tmp_path, capsys):
    require_real_data()
    assert main(["data", "quality", "--data", str(SEN2_2025), "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "Suppressed cells read as missing" in text and "Hackney" in text
    sup = pd.read_csv(tmp_path / "quality_suppressed.csv")
    assert len(sup) > 1000 and set(sup.code) <= {"x", "z", "c", "low", "u", "", ":"}


def test_unknown_la_is_a_clear_error(tmp_path, capsys):
    require_real_data()
    rc = main(["data", "summary", "--data", str(SEN2_2025), "--la", "123", "--out", str(tmp_path / "x.csv")])
    assert rc == 2
    assert "unknown area code" in capsys.readouterr().err


def test_missing_path_is_a_clear_error(tmp_path, capsys):
    rc = main(["data", "quality", "--data", str(tmp_path / "nope")])
    assert rc == 2 and "not found" in capsys.readouterr().err


def test_demo_writes_tables_charts_and_workbook(tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    for name in ("history.csv", "placements.csv", "history.png", "placements.png", "workbook.xlsx",
                 "quality.txt", "run.json"):
        assert (out / name).exists(), name
    wb = load_workbook(out / "workbook.xlsx")
    assert {"About", "History", "Placements"} <= set(wb.sheetnames)
    hist = pd.read_csv(out / "history.csv", dtype={"la_code": str})
    assert set(hist.la_code) == {"999"} and hist.value.notna().any()


@pytest.mark.parametrize("argv", [["data"], ["nonsense"]])
def test_bad_command_exits_nonzero(argv):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code != 0


def test_run_without_allocation_reports_costs_but_no_balance(tmp_path):
    from sendforecast.data.example import EXAMPLE_DIR

    out = tmp_path / "run"
    assert main(["run", "--data", str(EXAMPLE_DIR), "--la", "999", "--draws", "50", "--years", "4",
                 "--out", str(out)]) == 0
    costs = pd.read_csv(out / "costs.csv")
    assert list(costs.columns) == ["financial_year", "line", "mean", "p10", "p90", "p2_5", "p97_5"]
    assert (costs.loc[costs.line == "total_hnb", "mean"] > 0).all()
    assert not (out / "dsg_balance.csv").exists() and not (out / "dsg_balance_fan.png").exists()
