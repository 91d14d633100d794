"""``scenarios run --seed N`` (README: "Every stochastic command takes --seed"; it had only
--draws, so the seed of a run file could not be changed from the command line; found by an
end-user review).  Without --seed the run file's seed is used, as with --draws."""

from __future__ import annotations

import json

import pandas as pd

from sendforecast.cli import main


def _run(out, *extra) -> tuple[dict, pd.DataFrame]:
    assert main(["scenarios", "run", "--example", "--draws", "20", *extra, "--out", str(out)]) == 0
    return (json.loads((out / "run.json").read_text()),
            pd.read_csv(out / "savings.csv").set_index("scenario")["mean"])


def test_seed_overrides_the_run_file(tmp_path, capsys):
    rec_file, file_seed = _run(tmp_path / "a")
    rec7, seed7 = _run(tmp_path / "b", "--seed", "7")
    rec7b, seed7b = _run(tmp_path / "c", "--seed", "7")
    assert rec_file["seed"] == 1 and rec7["seed"] == 7
    assert "seed 7" in capsys.readouterr().out
    pd.testing.assert_series_equal(seed7, seed7b)  # same seed, same numbers
    assert not seed7.equals(file_seed)


def test_every_option_of_every_command_has_help():
    """``data download --refresh`` was listed in --help with no word of what it does."""
    import argparse

    from sendforecast.cli.main import build_parser

    def walk(p, name):
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                for sub_name, sub in a.choices.items():
                    yield from walk(sub, f"{name} {sub_name}")
            elif not isinstance(a, argparse._HelpAction):
                yield name, a

    missing = [f"{name} {a.option_strings or a.dest}" for name, a in walk(build_parser(),
                                                                           "sendforecast")
               if not a.help]
    assert not missing, missing


def test_a_horizon_beyond_30_years_is_an_argument_error(capsys):
    """--horizon 100 projected a century (and the statutory pipeline 50 years) without a
    word; 30 is the limit a scenario run file already has (scenarios/config.py)."""
    import pytest

    from sendforecast.cli.main import build_parser

    for argv in (["run", "--data", "d", "--la", "825", "--horizon", "100"],
                 ["project", "--data", "d", "--la", "825", "--years", "31"],
                 ["statutory", "--example", "--horizon", "50", "--out", "x"],
                 ["forecast", "--data", "d", "--measure", "requests", "--horizon", "40",
                  "--out", "f.csv"]):
        with pytest.raises(SystemExit) as e:
            build_parser().parse_args(argv)
        assert e.value.code == 2
        assert "expected a whole number from 1 to 30" in capsys.readouterr().err
    assert build_parser().parse_args(["run", "--data", "d", "--la", "825",
                                      "--horizon", "30"]).horizon == 30


def test_la_help_mentions_regions_only_where_they_are_accepted():
    """run and statutory --help said region and England codes were accepted 'where the
    command reports areas'; they are not accepted there (unknown LA code)."""
    from sendforecast.cli.main import build_parser

    def la_help(*words):
        p = build_parser()
        for w in words:
            p = next(a for a in p._actions if hasattr(a, "choices") and a.choices
                     and w in a.choices).choices[w]
        return next(a.help for a in p._actions if a.dest == "la")

    assert "E92000001" not in la_help("run") and "E92000001" not in la_help("statutory")
    assert "E92000001" in la_help("data", "summary") and "E92000001" in la_help("forecast")


def test_a_missing_input_file_names_its_option(tmp_path, capsys):
    """'No such file: nofile.csv' did not say whether --costs or --capacity was wrong."""
    from sendforecast.cli import main

    for opt in ("--costs", "--capacity", "--hnb"):
        rc = main(["demo", "--draws", "10", "--years", "1", "--out", str(tmp_path / "x"), opt,
                   "nofile.csv"])
        err = capsys.readouterr().err
        assert rc == 2 and f"{opt} nofile.csv: no such file" in err, err
    assert not (tmp_path / "x").exists()


def test_a_suppression_threshold_alone_turns_suppression_on():
    """--suppress-threshold 10 without --suppress wrote unrounded counts (run.json: 'off')
    although the user asked for a publication threshold."""
    from sendforecast.cli.main import build_parser
    from sendforecast.cli.options import suppress_threshold

    def th(*extra):
        return suppress_threshold(build_parser().parse_args(["demo", *extra]))

    assert th() is None and th("--suppress") == 5
    assert th("--suppress-threshold", "10") == 10
    assert th("--suppress", "--suppress-threshold", "3") == 3


def test_scenarios_run_json_records_version_data_and_input_files(tmp_path):
    """scenarios run's run.json named the run file and the LA but not the data read, the
    assumption files or the sendforecast version (run's run.json does)."""
    rec, _ = _run(tmp_path / "s")
    assert rec["sendforecast version"] and rec["python"]
    assert rec["data sources"] and all(isinstance(s, str) for s in rec["data sources"])
    assert rec["HNB allocation"].endswith("exampleshire_hnb.yaml")
    assert rec["capacity (commissioned places)"].endswith("exampleshire_capacity.csv")
    assert rec["cost assumptions"].endswith("exampleshire_costs.csv")


def test_a_longer_horizon_keeps_the_earlier_years_of_every_table(tmp_path):
    """README: the same seed with a longer --horizon keeps the earlier years (projection,
    phases, places, statutory) exactly; `run` on the example LA at horizons 2 and 4."""
    from sendforecast.data.example import EXAMPLE_DIR

    outs = {}
    for h in (2, 4):
        outs[h] = tmp_path / f"h{h}"
        assert main(["run", "--data", str(EXAMPLE_DIR), "--la", "999", "--horizon", str(h),
                     "--draws", "60", "--seed", "3", "--out", str(outs[h])]) == 0
    for name in ("projection.csv", "projection_totals.csv", "projection_by_phase.csv",
                 "specialist_places.csv", "statutory.csv"):
        a, b = (pd.read_csv(outs[h] / name) for h in (2, 4))
        b = b[b.year.isin(set(a.year))].reset_index(drop=True)
        assert len(a) and len(b) == len(a), name
        # the values exactly; read_csv infers int64 for a column whose every quantile
        # happens to be whole in the shorter file and float64 in the longer one
        pd.testing.assert_frame_equal(a, b, obj=name, check_dtype=False)
