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
    assert "unknown LA code" in capsys.readouterr().err


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
    import json

    from sendforecast.models.settings import STATUTORY_SETTINGS

    about = json.loads((out / "run.json").read_text())  # the statutory section's settings too
    assert about["statutory: version"] == STATUTORY_SETTINGS["version"]
    assert about["statutory: seed"] == str(about["seed"])
    # no binary float noise in any CSV (113568000.00000001 and 813343.7499999999 were)
    import re

    noise = re.compile(r"\d\.\d*(0{7,}|9{7,})\d")
    for f in out.glob("*.csv"):
        assert not noise.search(f.read_text()), f.name


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


# ------------------------------------------------------------ one option vocabulary
@pytest.mark.parametrize("args, message", [
    (["project", "--draws", "0", "--out", "x"], "--draws: expected a whole number >= 1, got '0'"),
    (["project", "--years", "-1", "--out", "x"], "--horizon/--years: expected a whole number from 1 to 30 (years ahead)"),
    (["demo", "--horizon", "ten"], "expected a whole number from 1 to 30 (years ahead), got 'ten'"),
    (["demo", "--seed", "-3"], "--seed: expected a whole number >= 0"),
    (["forecast", "--data", "d", "--measure", "requests", "--horizon", "2", "--la", " , ",
      "--out", "f.csv"], "expected an area code"),
    (["run", "--data", "d", "--la", ","], "expected an area code"),
    (["project", "--data", "d", "--la", "825,826", "--out", "x"], "expected one area code"),
])
def test_bad_argument_values_are_argument_errors(args, message, capsys):
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_out_naming_an_existing_file_is_an_argument_error(tmp_path, capsys):
    f = tmp_path / "taken.txt"
    f.write_text("x")
    with pytest.raises(SystemExit) as e:
        main(["demo", "--out", str(f)])
    assert e.value.code == 2 and "is an existing file; give a folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["data", "summary", "--data", "d", "--out", str(tmp_path)])  # a folder, not a file
    assert "is a folder; give a file name" in capsys.readouterr().err


def test_data_may_be_repeated_or_listed(tmp_path):
    from sendforecast.cli import build_parser

    p = build_parser()
    for argv in (["--data", "A", "--data", "B"], ["--data", "A", "B"]):
        for cmd in (["project", "--out", str(tmp_path)], ["run", "--la", "825"],
                    ["forecast", "--measure", "requests", "--horizon", "1", "--out", "f.csv"],
                    ["data", "summary", "--out", "s.csv"], ["data", "quality"]):
            assert p.parse_args(cmd + argv).data == ["A", "B"], cmd
    assert p.parse_args(["forecast", "--data", "A", "--measure", "requests", "--years", "4",
                         "--out", "f.csv"]).horizon == 4  # --years is --horizon's alias


def test_every_stochastic_command_defaults_to_one_seed():
    from sendforecast.cli import build_parser
    from sendforecast.defaults import DEFAULT_SEED

    p = build_parser()
    for cmd in (["demo"], ["run", "--data", "d", "--la", "825"], ["project", "--out", "o"],
                ["forecast", "--data", "d", "--measure", "requests", "--horizon", "1",
                 "--out", "f.csv"]):
        assert p.parse_args(cmd).seed == DEFAULT_SEED == 1


# --------------------------------------------------------------------- error path
def _boom(exc):
    def func(args):
        raise exc
    return func


@pytest.mark.parametrize("exc, rc, text", [
    (RuntimeError("kaput"), 1, "unexpected error (RuntimeError): kaput"),
    (KeyError("age"), 1, "unexpected error (KeyError): not found: age"),
    (FileNotFoundError(2, "No such file", "/x/y.csv"), 2, "file or folder not found: /x/y.csv"),
])
def test_errors_reach_the_user_as_one_clear_message(monkeypatch, capsys, exc, rc, text):
    import sendforecast.cli as cli
    import sendforecast.cli.run as cli_run

    monkeypatch.setattr(cli_run, "cmd_demo", _boom(exc))
    assert cli.main(["demo"]) == rc
    err = capsys.readouterr().err
    assert text in err and "Traceback" not in err
    if rc == 1:
        assert "rerun with --debug" in err


def test_debug_shows_the_traceback(monkeypatch):
    import sendforecast.cli as cli
    import sendforecast.cli.run as cli_run

    monkeypatch.setattr(cli_run, "cmd_demo", _boom(RuntimeError("kaput")))
    with pytest.raises(RuntimeError, match="kaput"):
        cli.main(["demo", "--debug"])


def test_download_off_line_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SENDFORECAST_EES_API", "http://127.0.0.1:9/api")  # nothing listens
    assert main(["data", "download", "2025", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "could not look up release '2025'" in err and "pass it to --data" in err


def test_la_list_keeps_each_code_once():
    """--la 825,826,825: each LA once, in the order given (statutory wrote 825's rows twice)."""
    from sendforecast.cli.options import la_codes

    assert la_codes("825, 826,825") == ["825", "826"]


def test_our_warnings_are_one_line_each(monkeypatch):
    """During a command a SendForecastWarning is formatted as 'sendforecast: warning: ...'
    (it showed the package's file name, line number and source line); other warnings keep
    Python's format, and the formatter is restored afterwards."""
    import warnings

    import sendforecast.cli as cli
    import sendforecast.cli.run as cli_run
    from sendforecast.errors import SendForecastWarning

    seen = {}

    def cmd(args):
        seen["ours"] = warnings.formatwarning("LA 909: no usable January", SendForecastWarning,
                                              "/x/workflow.py", 90, "model = f()")
        seen["other"] = warnings.formatwarning("old", FutureWarning, "/x/y.py", 3, "z()")
        return 0

    monkeypatch.setattr(cli_run, "cmd_demo", cmd)
    assert cli.main(["demo"]) == 0
    assert seen["ours"] == "sendforecast: warning: LA 909: no usable January\n"
    assert "/x/y.py:3: FutureWarning: old" in seen["other"]
    assert warnings.formatwarning("a", SendForecastWarning, "f.py", 1, "").startswith("f.py:1")


@pytest.mark.parametrize("routing, text", [
    ("{bad", "expected JSON such as"),  # was 'unexpected error (JSONDecodeError)'
    ('{"state_special": 0.5}', "destinations' shares"),  # was a TypeError deeper down
])
def test_bad_routing_is_a_usage_error(tmp_path, capsys, routing, text):
    from sendforecast.cli import main

    rc = main(["demo", "--routing", routing, "--draws", "20", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and "--routing" in err and text in err and "bug" not in err


@pytest.mark.realdata
def test_run_says_when_an_la_has_no_statutory_forecast(sen2, tmp_path, capsys):
    """Cumbria (909): no statutory series in the newest year; the main job said nothing and
    wrote no statutory.csv."""
    from sendforecast.cli import main
    from tests.conftest import SEN2_2022, SEN2_2025

    assert main(["run", "--data", str(SEN2_2025), str(SEN2_2022), "--la", "909", "--draws",
                 "20", "--horizon", "1", "--out", str(tmp_path)]) == 0
    assert "no statutory forecast" in capsys.readouterr().out
    assert not (tmp_path / "statutory.csv").exists()


@pytest.mark.realdata
def test_run_of_several_las_names_those_that_no_longer_exist(sen2, tmp_path, capsys):
    """--la all includes Dorset, Poole, Bournemouth, Northamptonshire and Cumbria, projected
    on their old footprints in years their successors cover too: summing the national tables
    double counted them (about GBP 0.39bn of 2025-26 HNB cost) without a word."""
    from sendforecast.cli import main
    from tests.conftest import SEN2_2022, SEN2_2025

    assert main(["run", "--data", str(SEN2_2025), str(SEN2_2022), "--la", "909,942", "--jobs",
                 "1", "--draws", "20", "--horizon", "1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "no longer exist (909)" in out and "successors (942)" in out
    assert "do not add both" in out


def test_python_dash_m_runs_the_same_command_line():
    import subprocess
    import sys

    ok = subprocess.run([sys.executable, "-m", "sendforecast", "forecast", "--help"],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "--measure" in ok.stdout and "conversion" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "sendforecast", "forecast", "--measure", "x"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid choice: 'x'" in bad.stderr
    assert "Traceback" not in bad.stderr
