"""witan-mode parity: totals, group totals, need and costs with intervals (quantiles of sums)."""

from __future__ import annotations

import argparse
import hashlib

import numpy as np
import pandas as pd
import pytest

from sendforecast.models.cohort import YEAR_GROUPS, CohortModel, witan_need_mix
from tests.conftest import WITAN

Q = ["mean", "p10", "p90", "p2_5", "p97_5"]


def require_witan() -> None:
    if not (WITAN / "transitions.csv").is_file():
        pytest.skip(f"witan.send demo inputs not found under {WITAN} "
                    "(they live outside the repo in ../shared/data and are never committed)")


@pytest.fixture(scope="module")
def witan():
    require_witan()
    from sendforecast.data.local import (
        read_transitions,
        read_valid_states,
        read_witan_costs,
        read_witan_population,
    )

    vs = read_valid_states(WITAN / "valid-states.csv")
    tr = read_transitions(WITAN / "transitions.csv", vs)
    model = CohortModel.from_transitions(tr, read_witan_population(WITAN / "population.csv"), vs)
    proj = model.project(horizon=5, draws=200, seed=1)
    return {"tr": tr, "proj": proj, "costs": read_witan_costs(WITAN / "costs.csv"),
            "mix": witan_need_mix(tr), "vs": vs}


def test_totals_interval_and_quantile_of_sums(witan):
    p = witan["proj"]
    tot = p.totals()
    assert list(tot.columns) == ["year", *Q] and list(tot.year) == p.years
    assert (tot.p2_5 <= tot["mean"]).all() and (tot["mean"] <= tot.p97_5).all()
    # the total is summed per draw before the quantiles: same as summing the raw draws
    direct = p.draws.sum(axis=(2, 3))
    assert np.allclose(tot.p97_5, np.quantile(direct, 0.975, axis=0))
    bp = p.by_placement()
    assert list(bp.columns) == ["year", "placement", *Q]
    assert set(bp.placement) == set(p.states)
    g = bp.groupby("year")
    # means add up; intervals do not: the total's is narrower than the sum of the settings'
    assert np.allclose(g["mean"].sum().to_numpy(), tot["mean"].to_numpy())
    width_sum = (g["p97_5"].sum() - g["p2_5"].sum()).to_numpy()
    assert ((tot.p97_5 - tot.p2_5).to_numpy() < width_sum).all()


def test_year_groups(witan):
    p = witan["proj"]
    assert p.age_offset == 4 and p.ncy(0) == 0  # witan ages are NCY already
    yg = p.by_year_group()
    assert list(yg.columns) == ["year", "year_group", "ncy", *Q]
    assert list(dict.fromkeys(yg.year_group)) == [g[0] for g in YEAR_GROUPS]
    tot = p.totals().set_index("year")["mean"]
    assert np.allclose(yg.groupby("year")["mean"].sum(), tot)
    # NCY boundaries: Reception (0) is early years, Year 1 primary, Year 15 post-19
    assert [p._year_group(a) for a in (0, 1, 6, 7, 11, 12, 14, 15)] == [
        "early_years", "primary", "primary", "secondary", "secondary", "post16", "post16",
        "post19"]


def test_need_mix_and_by_need(witan):
    mix, p = witan["mix"], witan["proj"]
    assert np.allclose(mix.groupby("setting")["share"].sum(), 1.0)
    bn = p.by_need(mix)
    assert list(bn.columns) == ["year", "need", *Q]
    assert np.allclose(bn.groupby("year")["mean"].sum(), p.totals()["mean"])
    assert (bn.p2_5 <= bn["mean"]).all() and (bn["mean"] <= bn.p97_5).all()
    with pytest.raises(ValueError, match="need_mix"):
        p.by_need()


def test_need_states(witan):
    m = CohortModel.from_transitions(witan["tr"], None, witan["vs"], by_need=True)
    p = m.project(horizon=2, draws=50, seed=1)
    assert p.has_need()
    bn = p.by_need()  # the draws' own needs
    assert np.allclose(bn.groupby("year")["mean"].sum(), p.totals()["mean"])
    assert p.base_cost(witan["costs"]) == pytest.approx(p.initial.sum() * 1000.0)


def test_costs(witan):
    p, c, mix = witan["proj"], witan["costs"], witan["mix"]
    cost = p.costs(c, mix)
    assert list(cost.columns) == ["year", *Q]
    assert (cost.p2_5 <= cost["mean"]).all() and (cost["mean"] <= cost.p97_5).all()
    doubled = p.costs(c.assign(cost=2 * c["cost"]), mix)
    assert np.allclose(doubled[Q], 2 * cost[Q])
    # witan.send's published demo cost for 2017 is about 2.15m: the base January here
    base = p.base_cost(c, mix)
    assert p.base_year == 2017 and 2.0e6 < base < 2.3e6
    assert 2.0e6 < cost["mean"].iloc[0] < 2.6e6
    # every demo cost is 1,000 a child: costs are the totals x 1,000
    assert np.allclose(cost["mean"], 1000 * p.totals()["mean"])
    with pytest.raises(ValueError, match="no cost for setting"):
        p.costs(c[c.setting != "A"], mix)


# ------------------------------------------------------------------ CLI
def _run(args_list):
    from sendforecast.cli.project import add_project_parser

    ap = argparse.ArgumentParser()
    add_project_parser(ap.add_subparsers(dest="command"))
    args = ap.parse_args(args_list)
    return args.func(args)


def _witan_args(out, seed="1"):
    return ["project", "--transitions", str(WITAN / "transitions.csv"),
            "--population", str(WITAN / "population.csv"),
            "--valid-states", str(WITAN / "valid-states.csv"), "--costs", str(WITAN / "costs.csv"),
            "--horizon", "3", "--draws", "200", "--seed", seed, "--out", str(out)]


WITAN_FILES = {"totals.csv": ["year"], "by_placement.csv": ["year", "placement"],
               "by_year_group.csv": ["year", "year_group", "ncy"],
               "by_need.csv": ["year", "need"], "costs.csv": ["year"]}


def test_cli_witan_outputs(tmp_path):
    require_witan()
    a, b = tmp_path / "a", tmp_path / "b"
    assert _run(_witan_args(a)) == 0 and _run(_witan_args(b)) == 0
    for name, keys in WITAN_FILES.items():
        assert list(pd.read_csv(a / name).columns) == [*keys, *Q], name
    assert list(pd.read_csv(a / "projection.csv").columns) == [
        "year", "age", "placement", *Q]
    for name in [*WITAN_FILES, "projection.csv", "specialist_places.csv"]:
        assert (hashlib.md5((a / name).read_bytes()).hexdigest()
                == hashlib.md5((b / name).read_bytes()).hexdigest()), name
    from openpyxl import load_workbook

    wb = load_workbook(a / "workbook.xlsx", read_only=True)
    assert wb.sheetnames[0] == "About"
    assert {"totals", "by_placement", "by_year_group", "by_need", "costs"} <= set(wb.sheetnames)
    about = {r[0]: r[1] for r in wb["About"].iter_rows(min_row=2, values_only=True)}
    assert about["seed"] == "1" and about["draws"] == "200" and about["horizon (years)"] == "3"
    assert about["transitions"].endswith("transitions.csv")


def test_cli_witan_no_costs_file(tmp_path):
    require_witan()
    args = _witan_args(tmp_path)
    i = args.index("--costs")
    del args[i:i + 2]
    assert _run(args) == 0
    assert not (tmp_path / "costs.csv").exists() and (tmp_path / "by_need.csv").exists()


def test_cli_sen2_totals(tmp_path, sen2, monkeypatch):
    import sendforecast

    monkeypatch.setattr(sendforecast, "load_sen2", lambda *a: sen2)
    assert _run(["project", "--data", "x", "--la", "825", "--horizon", "3", "--draws", "50",
                 "--seed", "1", "--out", str(tmp_path)]) == 0
    tot = pd.read_csv(tmp_path / "totals.csv")
    assert list(tot.columns) == ["year", *Q] and list(tot.year) == [2025, 2026, 2027]
    for name, keys in {"by_placement.csv": ["year", "placement"],
                       "by_phase.csv": ["year", "phase"],
                       "by_year_group.csv": ["year", "year_group", "ncy"]}.items():
        t = pd.read_csv(tmp_path / name)
        assert list(t.columns) == [*keys, *Q], name
        assert np.allclose(t.groupby("year")["mean"].sum(), tot["mean"]), name
    assert not (tmp_path / "by_need.csv").exists()


def test_cli_sen2_by_need(tmp_path, sen2, monkeypatch):
    """``--by-need`` in SEN2 mode: by_need.csv (year, need) and by_need_phase.csv (year,
    need, phase, placement_group), both adding up to the projection's totals; the other
    files are those of a run without it."""
    import sendforecast

    monkeypatch.setattr(sendforecast, "load_sen2", lambda *a: sen2)
    args = ["project", "--data", "x", "--la", "825", "--horizon", "2", "--draws", "50",
            "--out"]
    assert _run([*args, str(tmp_path / "a"), "--by-need"]) == 0
    assert _run([*args, str(tmp_path / "b")]) == 0
    a = tmp_path / "a"
    tot = pd.read_csv(a / "totals.csv")
    need = pd.read_csv(a / "by_need.csv")
    phase = pd.read_csv(a / "by_need_phase.csv")
    assert list(need.columns) == ["year", "need", *Q]
    assert list(phase.columns) == ["year", "need", "phase", "placement_group", *Q]
    for t in (need, phase):
        assert np.allclose(t.groupby("year")["mean"].sum(), tot["mean"])
    assert {"SEMH", "ASD", "SLCN"} <= set(need.need)
    for name in ("totals.csv", "by_placement.csv", "projection.csv"):
        assert (a / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_cli_witan_by_need_phase(tmp_path):
    require_witan()
    assert _run([*_witan_args(tmp_path), "--by-need"]) == 0
    t = pd.read_csv(tmp_path / "by_need_phase.csv")
    assert list(t.columns) == ["year", "need", "phase", "placement_group", *Q]
    tot = pd.read_csv(tmp_path / "totals.csv")
    assert np.allclose(t.groupby("year")["mean"].sum(), tot["mean"])
