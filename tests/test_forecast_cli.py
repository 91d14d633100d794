"""The ``sendforecast forecast`` command contract."""

from __future__ import annotations

import argparse

import pandas as pd

from sendforecast.cli_forecast import CSV_COLUMNS, add_forecast_parser

from .conftest import SEN2_2022, SEN2_2025, require_real_data


def _run(argv):
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command")
    add_forecast_parser(sub)
    args = p.parse_args(argv)
    return args.func(args)


def test_cli_forecast_writes_exact_columns(tmp_path, capsys):
    require_real_data()
    out = tmp_path / "fc.csv"
    rc = _run(["forecast", "--data", str(SEN2_2025), "--data", str(SEN2_2022),
               "--measure", "caseload", "--horizon", "2", "--la", "825,940",
               "--method", "drift", "--seed", "3", "--out", str(out)])
    assert rc == 0
    df = pd.read_csv(out, dtype={"la_code": str})
    assert list(df.columns) == CSV_COLUMNS == ["la_code", "la_name", "measure", "year", "mean",
                                               "p10", "p90", "p2_5", "p97_5", "method"]
    assert sorted(df.year.unique()) == [2025, 2026]  # forecast years only
    assert set(df.la_code) == {"825", "940"} and (df.measure == "caseload").all()
    assert (df.p10 <= df.p90).all()
    # 940 (North Northamptonshire) is a reorganised LA: warnings go to a side file and stderr
    warn = pd.read_csv(tmp_path / "fc.csv.warnings.csv", dtype={"la_code": str})
    assert "940" in set(warn.la_code)
    assert "warnings" in capsys.readouterr().err


def test_cli_rejects_bad_measure():
    import pytest

    with pytest.raises(SystemExit):
        _run(["forecast", "--data", "x", "--measure", "plans", "--horizon", "2", "--out", "o.csv"])
