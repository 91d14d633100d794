"""Capacity scenarios of the statutory pipeline: sign and size of effects on paired draws,
goal seek minimality, YAML run files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sendforecast.errors import InputError
from sendforecast.scenarios.statutory import (
    PRODUCTIVITY,
    AddStaff,
    BacklogClearance,
    ChangeAgreedShare,
    ChangeRequests,
    compare_statutory,
    goal_seek_statutory,
    load_statutory_config,
    statutory_scenario_from_dict,
)

DRAWS = 300


@pytest.fixture(scope="module")
def comparison(example):
    return compare_statutory(example, "999", {
        "eps": [AddStaff(role="ep", number=3, start="2024-01")],
        "project": [BacklogClearance(per_month=20, months=6, start="2024-07")],
        "tighter": [ChangeAgreedShare(points=-5, start=2024)],
        "looser": [ChangeAgreedShare(points=5, start=2024)],
        "surge": [ChangeRequests(by=0.2, start="2024-01")],
    }, horizon=3, draws=DRAWS, seed=2)


def _effect(comp, strategy, measure, year):
    e = comp.effects()
    return e[(e.strategy == strategy) & (e.measure == measure) & (e.year == year)].iloc[0]


def test_paired_draws(comparison):
    """Scenarios leave the requests draws as they are (but the one that changes them): the
    same seed, the same draws."""
    base = comparison.baseline.yearly()["requests"]
    for name, run in comparison.runs.items():
        if name != "surge":
            np.testing.assert_array_equal(run.yearly()["requests"], base)


def test_more_eps_better_timeliness_smaller_backlog(comparison):
    t = _effect(comparison, "eps", "within_20_weeks_pct", 2024)
    b = _effect(comparison, "eps", "backlog", 2024)
    assert t["mean"] > 2 and t.p10 >= 0  # never worse in any draw's 10th percentile
    # 3 EPs x 4 a month x 12 months = 144 more assessments can be worked in 2024: the
    # backlog cannot fall by more than that, and the example LA's queue is smaller than that
    assert -3 * PRODUCTIVITY["ep"] * 12 - 1e-6 <= b["mean"] < -10


def test_backlog_project_acts_while_it_runs(comparison):
    b24 = _effect(comparison, "project", "backlog", 2024)
    assert -20 * 6 - 1e-6 <= b24["mean"] < -10  # at most 120 extra assessments, Jul-Dec 2024
    plans = _effect(comparison, "project", "plans_issued", 2024)
    assert plans["mean"] > 0  # the backlog is worked off: more plans issued that year


def test_agreed_share_changes_have_opposite_signs(comparison):
    tight = _effect(comparison, "tighter", "within_20_weeks_pct", 2024)
    loose = _effect(comparison, "looser", "within_20_weeks_pct", 2024)
    assert tight["mean"] > 0 > loose["mean"]
    # fewer agreed: fewer plans; more agreed with the same capacity: no more plans (the
    # capacity binds) but a growing backlog
    a_t = _effect(comparison, "tighter", "plans_issued", 2025)
    a_l = _effect(comparison, "looser", "plans_issued", 2025)
    assert a_t["mean"] < 0 <= a_l["mean"]
    assert _effect(comparison, "looser", "backlog", 2025)["mean"] > 10


def test_requests_surge_with_the_same_staff(comparison):
    """20% more requests with the baseline's capacity: the backlog grows and timeliness
    falls, more in the second year than the first."""
    t = [_effect(comparison, "surge", "within_20_weeks_pct", y)["mean"] for y in (2024, 2025)]
    assert t[1] < t[0] < -5
    assert _effect(comparison, "surge", "backlog", 2025)["mean"] > 50
    req = comparison.runs["surge"].yearly()["requests"] / comparison.baseline.yearly()["requests"]
    np.testing.assert_allclose(req, 1.2)


def test_goal_seek_is_the_smallest(example):
    """The answer meets the target and one fewer EP does not (on the same paired draws)."""
    def build(n):
        return [AddStaff(role="ep", number=n, start="2024-01")]

    kw = dict(year=2025, threshold=75.0, probability=0.8, horizon=2, draws=DRAWS, seed=3)
    res = goal_seek_statutory(example, "999", build, 0, 40, **kw)
    assert res.achievable and res.strength >= 1 and res.probability >= 0.8
    below = goal_seek_statutory(example, "999", build, res.strength - 1, res.strength - 0.5,
                                integer=False, tol=1, **kw)
    assert below.iterations.probability.iloc[0] < 0.8
    impossible = goal_seek_statutory(example, "999", build, 0, 1, **{**kw, "threshold": 99.0})
    assert not impossible.achievable


def test_yaml_run_file(tmp_path):
    p = tmp_path / "statutory.yaml"
    p.write_text("version: 1\nstatutory:\n  staff: {eps: 12, caseworkers: 20}\n  strategies:\n"
                 "    more_eps:\n      - {type: AddStaff, role: ep, number: 3, start: 2025-01}\n"
                 "    project:\n      - {type: BacklogClearance, per_month: 20, months: 6, "
                 "start: 2025}\n  goal_seek:\n    scenario: {type: AddStaff, role: ep, start: 2025-01}\n"
                 "    parameter: number\n    hi: 30\n    year: 2026\n")
    cfg, strategies = load_statutory_config(p)
    assert strategies["more_eps"][0] == AddStaff(role="ep", number=3, start="2025-01")
    assert cfg.goal_seek.threshold == 60 and cfg.staff.eps == 12
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nstatutory:\n  strategies:\n    x:\n"
                   "      - {type: AddStaff, role: ep, number: -3, start: 2025-13}\n")
    with pytest.raises(InputError) as e:
        load_statutory_config(bad)
    assert len(e.value.problems) == 2 and all(pr.row == 5 for pr in e.value.problems)
    with pytest.raises(ValueError, match="type must be one of"):
        statutory_scenario_from_dict({"type": "HireEveryone"})


GOAL_SEEK = ("version: 1\nstatutory:\n  goal_seek:\n    scenario: {type: AddStaff, role: ep, "
             "start: 2024-01}\n")


@pytest.mark.parametrize("tail, field, expected", [
    # an empty range reached the search and was reported as a bug
    ("    parameter: number\n    lo: 5\n    hi: 5\n    year: 2025\n",
     "statutory.goal_seek", "lo < hi"),
    # a share of plans above 100% can never be met: a mistyped target, not a search
    ("    parameter: number\n    hi: 20\n    year: 2025\n    threshold: 150\n",
     "statutory.goal_seek.threshold", "less than or equal to 100"),
    # a misspelt parameter: the fields by name, not pydantic's multi-line dump
    ("    parameter: nmber\n    hi: 20\n    year: 2025\n",
     "statutory.goal_seek.scenario.number", "required"),
    ("    parameter: number\n    hi: 2000\n    year: 2025\n",
     "statutory.goal_seek.scenario.number", "number = 2000"),
])
def test_goal_seek_file_errors_name_the_field(tmp_path, tail, field, expected):
    p = tmp_path / "gs.yaml"
    p.write_text(GOAL_SEEK + tail)
    with pytest.raises(InputError) as e:
        load_statutory_config(p)
    pr = [x for x in e.value.problems if x.column == field]
    assert pr and expected in pr[0].expected and pr[0].row is not None
    assert "pydantic" not in str(e.value) and "\n  " not in str(pr[0])


def test_a_strategy_after_the_horizon_is_named(example):
    """A start after the last projected month changes nothing (all effects 0): it is named,
    the ones starting inside the horizon (or before it: active from the first month) are not."""
    from sendforecast.scenarios.statutory import after_horizon

    late = AddStaff(role="ep", number=3, start="2040-01")
    s = {"late": [late], "early": [AddStaff(role="ep", number=3, start=2001)],
         "last_month": [BacklogClearance(per_month=5, start="2025-12")]}
    comp = compare_statutory(example, "999", s, horizon=2, draws=20, seed=1)
    e = comp.effects()
    assert (e[e.strategy == "late"][["mean", "p2_5", "p97_5"]] == 0).all().all()
    lines = after_horizon(s, comp.baseline.years)
    assert len(lines) == 1 and "'late'" in lines[0] and "2025-12" in lines[0]


def test_goal_seek_of_a_lever_that_works_downward(example):
    """A tighter panel (ChangeAgreedShare points < 0) raises timeliness as the points fall:
    the answer is the largest value that meets the target (the search returned lo, the
    strongest cut tried, as 'the smallest strength')."""
    kw = dict(year=2025, threshold=75.0, probability=0.8, horizon=2, draws=DRAWS, seed=3)
    res = goal_seek_statutory(example, "999",
                              lambda x: [ChangeAgreedShare(points=x, start="2024-01")],
                              -40, 0, integer=False, tol=0.5, **kw)
    it = res.iterations
    assert res.achievable and res.largest and -40 < res.strength < 0
    assert res.probability >= 0.8 and "Largest value" in str(res)
    # every strength tried above the answer misses the target, and none is tried twice
    assert not it[it.strength > res.strength].met.any() and it.strength.is_unique
    assert (it[it.strength > res.strength].strength - res.strength).min() <= 0.5


def test_yaml_goal_seek_of_a_fraction_is_searched(tmp_path, capsys):
    """ChangeRequests.by between -0.5 and 0.5 with integer: false: searched to (hi - lo)/100
    by default (the tolerance of 1 stopped at lo, 'by = -0.5', after two runs)."""
    from sendforecast.cli.main import main

    f = tmp_path / "gs.yaml"
    f.write_text("version: 1\nstatutory:\n  goal_seek:\n    scenario: {type: ChangeRequests, "
                 "start: 2024-01}\n    parameter: by\n    lo: -0.5\n    hi: 0.5\n"
                 "    integer: false\n    year: 2025\n    threshold: 75\n")
    assert main(["statutory", "--example", "--draws", "100", "--horizon", "2", "--seed", "3",
                 "--out", str(tmp_path / "o"), "--scenarios", str(f)]) == 0
    it = pd.read_csv(tmp_path / "o" / "statutory_goal_seek.csv")
    assert len(it) > 4 and "Largest value" in capsys.readouterr().out


def test_a_strategy_name_given_twice_is_an_error(tmp_path):
    """YAML keeps the last of two equal keys: a strategy copied and not renamed vanished."""
    p = tmp_path / "s.yaml"
    p.write_text("version: 1\nstatutory:\n  strategies:\n"
                 "    a: [{type: AddStaff, number: 3, start: 2024-01}]\n"
                 "    a: [{type: AddStaff, number: 4, start: 2024-01}]\n")
    with pytest.raises(InputError) as e:
        load_statutory_config(p)
    (pr,) = e.value.problems
    assert (pr.row, pr.column) == (5, "statutory.strategies.a") and "line 4" in pr.found


def test_a_year_with_some_draws_without_assessments_keeps_its_share(example):
    """Stopping assessments (points -100): a few draws of the first year work none (their
    20-week share is 0/0); the row was blank (NaN in every column) for all draws.  It is
    summarised over the draws with a value, and left NaN where most draws have none."""
    comp = compare_statutory(example, "999", {
        "stop": [ChangeAgreedShare(points=-100, start="2024-01")]}, horizon=3, draws=100, seed=1)
    undefined = np.isnan(comp.runs["stop"].yearly()["within_20_weeks_pct"][0]).mean(axis=0)
    assert 0 < undefined[0] < 0.5 and undefined[-1] > 0.5  # the case at hand
    t = comp.table()
    w = t[(t.strategy == "stop") & (t.measure == "within_20_weeks_pct")].set_index("year")
    assert w.loc[2024, ["mean", "p2_5", "p97_5"]].between(0, 100).all()
    assert w.loc[2026, ["mean", "p10", "p90"]].isna().all()
    e = comp.effects()
    assert e[(e.measure == "within_20_weeks_pct") & (e.year == 2024)]["mean"].notna().all()


def test_a_strategy_of_one_scenario_is_accepted(example):
    """``{"eps": AddStaff(...)}`` (one scenario, not a list) stopped compare_statutory with
    AttributeError ('tuple' object has no attribute 'apply'): it is the list of that one."""
    staff = AddStaff(role="ep", number=3, start="2024-01")
    kw = dict(horizon=1, draws=20, seed=2)
    one = compare_statutory(example, "999", {"eps": staff}, **kw)
    listed = compare_statutory(example, "999", {"eps": [staff]}, **kw)
    pd.testing.assert_frame_equal(one.effects(), listed.effects())
    assert one.effects().query("measure == 'backlog'")["mean"].iloc[0] < 0  # it did act
    # anything else is an error naming the strategy and what was expected
    for bad in ("AddStaff", {"type": "AddStaff"}, [staff, 3]):
        with pytest.raises(TypeError, match=r"strategy 'eps'.*statutory scenario"):
            compare_statutory(example, "999", {"eps": bad}, **kw)
