"""The ``project`` command's contract (sendforecast.cli.project): witan and SEN2 inputs to CSVs."""

from __future__ import annotations

import argparse

import pandas as pd
import pytest

from tests.conftest import WITAN

COLS = ["year", "age", "placement", "mean", "p10", "p90", "p2_5", "p97_5"]


def _parser():
    from sendforecast.cli.project import add_project_parser

    ap = argparse.ArgumentParser()
    add_project_parser(ap.add_subparsers(dest="command"))
    return ap


def test_cli_witan(tmp_path):
    if not WITAN.is_dir():
        pytest.skip(f"witan demo not found under {WITAN}")
    args = _parser().parse_args([
        "project", "--transitions", str(WITAN / "transitions.csv"),
        "--population", str(WITAN / "population.csv"),
        "--valid-states", str(WITAN / "valid-states.csv"), "--costs", str(WITAN / "costs.csv"),
        "--years", "2", "--draws", "50", "--seed", "1", "--out", str(tmp_path)])
    assert args.func(args) == 0
    out = pd.read_csv(tmp_path / "projection.csv")
    assert list(out.columns) == COLS
    last = pd.read_csv(WITAN / "transitions.csv")["calendar-year"].max()
    assert out.year.min() == last + 2  # the January after the last transition year
    assert (tmp_path / "specialist_places.csv").exists()


def test_cli_sen2(tmp_path, sen2, monkeypatch):
    import sendforecast

    monkeypatch.setattr(sendforecast, "load_sen2", lambda *a: sen2)
    args = _parser().parse_args(["project", "--data", "x", "--la", "825", "--years", "2",
                                 "--draws", "50", "--seed", "1", "--out", str(tmp_path)])
    assert args.func(args) == 0
    out = pd.read_csv(tmp_path / "projection.csv")
    assert list(out.columns) == COLS and out.year.min() == 2025
    sp = pd.read_csv(tmp_path / "specialist_places.csv")
    assert {"year", "phase", "provision", "mean", "p97_5"} <= set(sp.columns)
