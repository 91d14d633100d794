"""The ``sendforecast forecast`` command contract."""

from __future__ import annotations

import argparse

import pandas as pd
import pytest

from sendforecast.cli.forecast import CSV_COLUMNS, MEASURES, add_forecast_parser
from sendforecast.models.forecast.registry import methods_for
from tests.conftest import SEN2_2022, SEN2_2025


def _run(argv):
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command")
    add_forecast_parser(sub)
    args = p.parse_args(argv)
    return args.func(args)


@pytest.mark.realdata
def test_cli_forecast_writes_exact_columns(cli_data, tmp_path, capsys):
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
    with pytest.raises(SystemExit):
        _run(["forecast", "--data", "x", "--measure", "plans", "--horizon", "2", "--out", "o.csv"])


# ---------------------------------------------------------------- every measure x method
FAST = ["naive", "drift", "ets", "loglinear", "pipeline"]
PAIRS = [(ms, m) for ms in MEASURES for m in FAST if m in methods_for(ms)]


@pytest.fixture
def cli_data(sen2, monkeypatch):
    """The session's loaded releases stand in for load_sen2 (no re-reading per command)."""
    import sendforecast.data.sen2 as S

    monkeypatch.setattr(S, "load_sen2", lambda *paths: sen2)
    return sen2


def _main(argv):
    from sendforecast.cli import main

    return main(argv)


def test_every_offered_pair_is_listed():
    assert set(MEASURES) == {"caseload", "requests", "assessments", "new_plans"}
    assert ("requests", "pipeline") not in PAIRS and len(PAIRS) == 4 * 5 - 1


@pytest.mark.realdata
@pytest.mark.parametrize("measure, method", PAIRS)
def test_cli_measure_method(cli_data, tmp_path, measure, method):
    out = tmp_path / "fc.csv"
    rc = _main(["forecast", "--data", "x", "--measure", measure, "--horizon", "2",
                "--la", "825,330", "--method", method, "--out", str(out)])
    assert rc == 0
    df = pd.read_csv(out, dtype={"la_code": str})
    assert list(df.columns) == CSV_COLUMNS
    assert set(df.la_code) == {"825", "330"} and (df.measure == measure).all()
    assert df.groupby("la_code").size().tolist() == [2, 2]
    assert (df.p2_5 <= df.p10).all() and (df.p10 <= df["mean"]).all() and (df.p90 <= df.p97_5).all()
    # a guard fallback is allowed (and said); otherwise the method asked for is the one used
    warn = tmp_path / "fc.csv.warnings.csv"
    said = pd.read_csv(warn, dtype={"la_code": str}) if warn.exists() else pd.DataFrame(
        columns=["la_code", "warning"])
    for code, m in df.drop_duplicates("la_code").set_index("la_code")["method"].items():
        assert m == method or code in set(said.la_code)


@pytest.mark.parametrize("argv, text", [
    (["--measure", "requests", "--method", "pipeline"], "pipeline method forecasts"),
])
def test_cli_invalid_pair_is_one_line_exit_2(tmp_path, capsys, argv, text):
    rc = _main(["forecast", "--data", str(tmp_path), "--horizon", "3", "--la", "825",
                "--out", str(tmp_path / "fc.csv"), *argv])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and text in err and "Traceback" not in err
    assert "drift" in err  # names the methods that do forecast requests
    assert not (tmp_path / "fc.csv").exists()


def test_cli_unknown_method_is_argument_error(capsys):
    with pytest.raises(SystemExit) as e:
        _main(["forecast", "--data", "x", "--measure", "requests", "--horizon", "2",
               "--method", "prophet", "--out", "o.csv"])
    assert e.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_cli_help_lists_methods_per_measure(capsys):
    with pytest.raises(SystemExit):
        _main(["forecast", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "assessments" in out and "pipeline: assessments, new_plans, caseload" in out
    assert "not requests" in out


# ---------------------------------------------------------------- every LA accounted for
@pytest.mark.realdata
def test_cli_all_las_every_code_forecast_or_explained(cli_data, tmp_path, capsys):
    out = tmp_path / "fc.csv"
    rc = _main(["forecast", "--data", str(SEN2_2025), "--data", str(SEN2_2022), "--measure",
                "requests", "--horizon", "3", "--la", "all", "--method", "drift", "--out",
                str(out)])
    assert rc == 0
    fc = pd.read_csv(out, dtype={"la_code": str})
    warn = pd.read_csv(tmp_path / "fc.csv.warnings.csv", dtype={"la_code": str})
    assert list(warn.columns) == ["la_code", "la_name", "status", "warning"]
    in_data = set(cli_data.series("requests", level="la")["la_code"].astype(str))
    assert in_data == set(fc.la_code) | set(warn.la_code)
    not_fc = warn[warn.status == "not forecast"]
    assert not set(not_fc.la_code) & set(fc.la_code)
    assert (not_fc.warning.str.len() > 10).all()
    # newest year (2023) missing: forecast from 2022, over 2023 too, to the same last year
    w = warn.set_index("la_code")
    for code in ("204", "856", "921"):  # Hackney, Leicester, Isle of Wight
        assert w.loc[code, "status"] == "forecast from 2022"
        assert "no value for 2023" in w.loc[code, "warning"]
        assert fc.loc[fc.la_code == code, "year"].tolist() == [2023, 2024, 2025, 2026]
    assert set(fc.loc[fc.la_code == "825", "year"]) == {2024, 2025, 2026}
    # the new Cumbria LAs report a part-year 2023 only: listed as not forecast, with why
    for code in ("942", "943"):  # Cumberland, Westmorland and Furness
        assert w.loc[code, "status"] == "not forecast" and "part-year" in w.loc[code, "warning"]
    assert fc.la_code.nunique() == 151 and len(in_data) == 158
    err = capsys.readouterr().err
    line = [x for x in err.splitlines() if "with warnings" in x]
    assert len(line) == 1 and "7 not forecast" in line[0] and "3 forecast from an earlier year" \
        in line[0]


@pytest.mark.realdata
def test_cli_records_seed_method_and_sources(cli_data, tmp_path):
    import json

    argv = ["forecast", "--data", str(SEN2_2025), "--data", str(SEN2_2022), "--measure",
            "caseload", "--horizon", "2", "--la", "825,940", "--method", "drift",
            "--seed", "4"]
    assert _main([*argv, "--out", str(tmp_path / "a.csv")]) == 0
    assert _main([*argv, "--out", str(tmp_path / "b.csv")]) == 0
    meta = json.loads((tmp_path / "a.csv.json").read_text())
    assert meta["seed"] == 4 and meta["method"] == "drift" and meta["measure"] == "caseload"
    assert meta["methods_used"] == {"drift": 2}
    assert [d["path"] for d in meta["data"]] == [str(SEN2_2025), str(SEN2_2022)]
    assert all(len(d["sha256"]) == 64 for d in meta["data"])
    assert meta["warnings_file"] == "a.csv.warnings.csv"
    # the same seed reproduces the files byte for byte (no times in them)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    b = json.loads((tmp_path / "b.csv.json").read_text())
    assert {**meta, "warnings_file": None} == {**b, "warnings_file": None}
    assert list(pd.read_csv(tmp_path / "a.csv").columns) == CSV_COLUMNS

