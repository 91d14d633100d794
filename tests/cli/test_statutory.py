"""The ``sendforecast statutory`` command contract."""

from __future__ import annotations

import pandas as pd
import pytest

from sendforecast.cli.main import main
from tests.conftest import SEN2_2022, SEN2_2025

COLUMNS = ["la_code", "year", "measure", "mean", "p10", "p90", "p2_5", "p97_5"]
MEASURES = {"requests", "decisions", "assessments", "plans_issued", "backlog",
            "within_6_weeks_pct", "within_20_weeks_pct"}


def test_example_with_scenarios(tmp_path, capsys):
    yaml = tmp_path / "s.yaml"
    yaml.write_text("version: 1\nstatutory:\n  strategies:\n    eps:\n"
                    "      - {type: AddStaff, role: ep, number: 3, start: 2024-01}\n"
                    "  goal_seek:\n    scenario: {type: AddStaff, role: ep, start: 2024-01}\n"
                    "    parameter: number\n    hi: 40\n    year: 2025\n")
    rc = main(["statutory", "--example", "--draws", "100", "--horizon", "2", "--out",
               str(tmp_path / "o"), "--scenarios", str(yaml)])
    assert rc == 0
    df = pd.read_csv(tmp_path / "o" / "statutory.csv", dtype={"la_code": str})
    assert list(df.columns) == COLUMNS and set(df.measure) == MEASURES
    assert sorted(df.year.unique()) == [2024, 2025]
    assert (tmp_path / "o" / "statutory.png").stat().st_size > 10_000
    eff = pd.read_csv(tmp_path / "o" / "statutory_effects.csv")
    t = eff[(eff.measure == "within_20_weeks_pct") & (eff.year == 2025)]
    assert (t["mean"] > 0).all()
    out = capsys.readouterr().out  # the parameter is named, as in scenarios run
    assert "goal seek (number): Smallest strength" in out
    import json

    from sendforecast.models.settings import STATUTORY_SETTINGS

    rec = json.loads((tmp_path / "o" / "statutory.json").read_text())
    assert (rec["seed"], rec["draws"], rec["horizon"]) == (1, 100, 2)
    assert rec["scenarios file"] == str(yaml)
    assert rec["settings"]["version"] == STATUTORY_SETTINGS["version"]
    assert rec["settings"]["blend"] == STATUTORY_SETTINGS["blend"]


@pytest.mark.realdata
def test_real_data_two_las(sen2, tmp_path):
    rc = main(["statutory", "--data", str(SEN2_2025), str(SEN2_2022), "--la", "825,826",
               "--horizon", "1", "--draws", "200", "--seed", "4", "--out", str(tmp_path)])
    assert rc == 0
    df = pd.read_csv(tmp_path / "statutory.csv", dtype={"la_code": str})
    assert set(df.la_code) == {"825", "826"} and set(df.year) == {2024}


def test_errors_are_messages_not_tracebacks(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nstatutory:\n  strategies:\n    x:\n"
                   "      - {type: AddStaff, number: 3, start: 2025-13}\n")
    rc = main(["statutory", "--example", "--out", str(tmp_path), "--scenarios", str(bad)])
    err = capsys.readouterr().err
    assert rc == 2 and "bad.yaml, line 5" in err and "Traceback" not in err
    rc = main(["statutory", "--data", str(tmp_path), "--example", "--out", str(tmp_path)])
    assert rc == 2 and "not both" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # argparse: a bad horizon is an argument error
        main(["statutory", "--example", "--horizon", "0", "--out", str(tmp_path)])


@pytest.mark.realdata
def test_all_las_lists_those_not_forecast(sen2, tmp_path, capsys):
    """--la all: every LA of the data is either in statutory.csv or listed, with a reason,
    in statutory.warnings.csv (LAs that no longer exist, e.g. Poole 836, are listed)."""
    rc = main(["statutory", "--data", str(SEN2_2025), str(SEN2_2022), "--la", "all",
               "--horizon", "1", "--draws", "50", "--out", str(tmp_path)])
    assert rc == 0
    done = set(pd.read_csv(tmp_path / "statutory.csv", dtype={"la_code": str}).la_code)
    warn = pd.read_csv(tmp_path / "statutory.warnings.csv", dtype={"la_code": str})
    assert done.isdisjoint(warn.la_code) and "836" in set(warn.la_code)
    assert done | set(warn.la_code) == set(sen2.la_codes())
    assert warn.reason.str.len().gt(20).all()
    assert "not forecast" in capsys.readouterr().out


@pytest.mark.realdata
def test_list_with_an_la_without_data_forecasts_the_others(sen2, tmp_path, capsys):
    """--la 836,825: Poole (836, gone in 2019) has no statutory series; 825 is forecast and
    836 is listed in statutory.warnings.csv (the run does not fail for it)."""
    rc = main(["statutory", "--data", str(SEN2_2025), str(SEN2_2022), "--la", "836,825",
               "--horizon", "1", "--draws", "50", "--out", str(tmp_path)])
    assert rc == 0
    assert set(pd.read_csv(tmp_path / "statutory.csv", dtype={"la_code": str}).la_code) == {"825"}
    warn = pd.read_csv(tmp_path / "statutory.warnings.csv", dtype={"la_code": str})
    assert list(warn.la_code) == ["836"]


def test_goal_seek_and_staff_inputs_are_checked(tmp_path, capsys):
    """A goal seek whose upper end is not a valid scenario, or whose year is not projected,
    and staff numbers given for several LAs are clear errors (exit 2), not 'bugs'."""
    base = ("version: 1\nstatutory:\n  goal_seek:\n    scenario: {type: AddStaff, role: ep, "
            "start: 2024-01}\n    parameter: number\n")
    hi = tmp_path / "hi.yaml"
    hi.write_text(base + "    hi: 2000\n    year: 2025\n")
    assert main(["statutory", "--example", "--draws", "20", "--horizon", "2", "--out",
                 str(tmp_path / "a"), "--scenarios", str(hi)]) == 2
    err = capsys.readouterr().err
    assert "hi.yaml" in err and "goal_seek" in err and "bug" not in err
    yr = tmp_path / "yr.yaml"
    yr.write_text(base + "    hi: 40\n    year: 2035\n")
    assert main(["statutory", "--example", "--draws", "20", "--horizon", "2", "--out",
                 str(tmp_path / "b"), "--scenarios", str(yr)]) == 2
    err = capsys.readouterr().err
    assert "2035 is not a projected year" in err and "bug" not in err
    assert not (tmp_path / "b").exists()  # said before anything is written


@pytest.mark.realdata
def test_staff_numbers_are_for_one_la(sen2, tmp_path, capsys):
    """One LA's staff numbers must not become the capacity of every LA of a list."""
    f = tmp_path / "staff.yaml"
    f.write_text("version: 1\nstatutory:\n  staff: {eps: 12, caseworkers: 20}\n")
    rc = main(["statutory", "--data", str(SEN2_2025), str(SEN2_2022), "--la", "825,826",
               "--draws", "20", "--out", str(tmp_path / "o"), "--scenarios", str(f)])
    assert rc == 2 and "one LA" in capsys.readouterr().err


def test_suppress_rounds_statutory_counts(tmp_path):
    """--suppress: the counts of statutory.csv (requests, plans, backlog...) are multiples of
    5 or 'c'; the percentages are kept."""
    rc = main(["statutory", "--example", "--draws", "50", "--horizon", "2", "--suppress",
               "--out", str(tmp_path)])
    assert rc == 0
    df = pd.read_csv(tmp_path / "statutory.csv", dtype=object)
    counts = df[~df.measure.str.endswith("_pct")]
    for c in ["mean", "p10", "p90", "p2_5", "p97_5"]:
        v = counts[c][counts[c] != "c"].astype(float)
        assert (v % 5 == 0).all() and ((v == 0) | (v >= 5)).all()
    pct = df[df.measure.str.endswith("_pct")]["mean"].astype(float)
    assert (pct % 5 != 0).any()  # percentages are not rounded


def test_goal_seek_with_an_empty_range_is_an_input_error(tmp_path, capsys):
    """lo >= hi: exit 2 naming the file and field before anything runs (was 'unexpected
    error (ValueError) ... looks like a bug' after the baseline)."""
    f = tmp_path / "gs.yaml"
    f.write_text("version: 1\nstatutory:\n  goal_seek:\n    scenario: {type: AddStaff, role: ep, "
                 "start: 2024-01}\n    parameter: number\n    lo: 5\n    hi: 5\n    year: 2025\n")
    rc = main(["statutory", "--example", "--draws", "20", "--horizon", "2", "--out",
               str(tmp_path / "o"), "--scenarios", str(f)])
    err = capsys.readouterr().err
    assert rc == 2 and "gs.yaml, line 3" in err and "lo < hi" in err and "bug" not in err
    assert not (tmp_path / "o").exists()


def test_a_strategy_after_the_horizon_is_a_warning(tmp_path, capsys):
    f = tmp_path / "s.yaml"
    f.write_text("version: 1\nstatutory:\n  strategies:\n"
                 "    later: [{type: AddStaff, role: ep, number: 3, start: 2030-01}]\n")
    assert main(["statutory", "--example", "--draws", "20", "--horizon", "2", "--out",
                 str(tmp_path / "o"), "--scenarios", str(f)]) == 0
    out = capsys.readouterr().out
    assert "warning: strategy 'later'" in out and "no effect" in out


@pytest.mark.realdata
def test_goal_seek_for_several_las_fails_before_running(sen2, tmp_path, capsys):
    """A goal seek needs one LA: said before the baseline and strategies run and write their
    files (it was raised after them)."""
    f = tmp_path / "gs.yaml"
    f.write_text("version: 1\nstatutory:\n  goal_seek:\n    scenario: {type: AddStaff, role: ep, "
                 "start: 2024-01}\n    parameter: number\n    hi: 20\n    year: 2025\n")
    rc = main(["statutory", "--data", str(SEN2_2025), str(SEN2_2022), "--la", "825,826",
               "--draws", "20", "--out", str(tmp_path / "o"), "--scenarios", str(f)])
    assert rc == 2 and "needs one LA" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_an_unknown_la_is_named_as_such(tmp_path, capsys):
    """--la 825 with the example (whose only LA is 999): the message says the code is not in
    the data (it printed a Python list, "for ['825']")."""
    rc = main(["statutory", "--example", "--la", "825", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and "825 (not an LA code of these data)" in err and "['" not in err
