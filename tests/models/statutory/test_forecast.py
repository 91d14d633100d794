"""project_statutory: the tidy table, seeds, levers and real-data plausibility."""

from __future__ import annotations

import time

import numpy as np
import pytest

from sendforecast.intervals import INTERVAL_COLUMNS
from sendforecast.models.statutory import MEASURES, Levers, project_statutory


@pytest.fixture(scope="module")
def example_projection(example):
    return project_statutory(example, "999", horizon=3, draws=200, seed=5)


def test_table_shape_and_intervals(example_projection):
    t = example_projection.table()
    assert list(t.columns) == ["la_code", "year", "measure", *INTERVAL_COLUMNS]
    assert set(t.measure) == set(MEASURES) and sorted(set(t.year)) == [2024, 2025, 2026]
    assert (t.p2_5 <= t.p10).all() and (t.p10 <= t.p90).all() and (t.p90 <= t.p97_5).all()
    pct = t[t.measure.str.endswith("pct")]
    assert pct["mean"].between(0, 100).all()


def test_same_seed_same_numbers(example):
    a = project_statutory(example, "999", horizon=2, draws=100, seed=7).table()
    b = project_statutory(example, "999", horizon=2, draws=100, seed=7).table()
    c = project_statutory(example, "999", horizon=2, draws=100, seed=8).table()
    assert a.equals(b) and not a.equals(c)


def test_added_capacity_raises_timeliness_on_paired_draws(example):
    base = project_statutory(example, "999", horizon=2, draws=200, seed=1)
    lv = Levers(24, capacity_add=np.full(24, 15.0))
    more = project_statutory(example, "999", horizon=2, draws=200, seed=1, levers=lv)
    b, m = base.yearly(), more.yearly()
    np.testing.assert_array_equal(b["requests"], m["requests"])  # same draws
    assert (m["within_20_weeks_pct"] >= b["within_20_weeks_pct"] - 1e-9).all()
    assert m["within_20_weeks_pct"].mean() > b["within_20_weeks_pct"].mean() + 5
    assert (m["backlog"] <= b["backlog"] + 1e-9).all()


def test_example_la_values_are_plausible(example_projection, example):
    """Next year's plans issued near the example's last year (994), timeliness near 47%."""
    t = example_projection.table().set_index(["year", "measure"])
    assert 800 < t.loc[(2024, "plans_issued"), "mean"] < 1300
    assert 25 < t.loc[(2024, "within_20_weeks_pct"), "mean"] < 70


def test_every_la_fast_and_buckinghamshire_plausible(sen2):
    t0 = time.perf_counter()
    p = project_statutory(sen2, "all", horizon=3, draws=1000, seed=1)
    assert time.perf_counter() - t0 < 30  # target: all LAs in under 30 s on 2 cores
    assert len(p.codes) > 140
    t = p.table()
    b = t[(t.la_code == "825") & (t.year == 2024)].set_index("measure")
    assert 700 < b.loc["plans_issued", "mean"] < 1300  # 929 issued in 2023
    assert 25 < b.loc["within_20_weeks_pct", "mean"] < 70  # 46.7% in 2023
    assert b.loc["within_20_weeks_pct", "p10"] < 46.7 < b.loc["within_20_weeks_pct", "p90"]


def test_capacity_from_staff(example):
    """Staff x productivity replaces the throughput-based capacity: the binding role counts;
    fewer staff than the throughput needs -> a growing backlog and lower timeliness."""
    from sendforecast.models.statutory import capacity_from_staff

    assert capacity_from_staff(10, 20, ep_productivity=4, caseworker_productivity=6) == 40
    assert capacity_from_staff(0, 20, ep_productivity=4, caseworker_productivity=6) == 120
    base = project_statutory(example, "999", horizon=2, draws=100, seed=1)
    need = float(base.origin.completed[0]) / 12  # about 90 a month
    short = project_statutory(example, "999", horizon=2, draws=100, seed=1,
                              capacity={"999": 0.9 * need})
    b, s = base.yearly(), short.yearly()
    assert s["within_20_weeks_pct"].mean() < b["within_20_weeks_pct"].mean() - 5
    assert s["backlog"][..., -1].mean() > b["backlog"][..., -1].mean()


def test_a_code_given_twice_is_forecast_once(example):
    """["999", "999"] gave two sets of rows for 999 with other numbers than ["999"]."""
    one = project_statutory(example, "999", horizon=1, draws=50, seed=1).table()
    two = project_statutory(example, ["999", "999"], horizon=1, draws=50, seed=1).table()
    assert two.equals(one)


@pytest.mark.parametrize("kw, match", [
    ({"horizon": 0}, "at least 1"),  # was an empty table
    ({"draws": 0}, "at least 1"),  # was an IndexError
    ({"la": []}, "no LA code"),  # was an empty table
    ({"capacity": {"999": -5}}, ">= 0"),  # was taken as no capacity at all
])
def test_impossible_arguments_are_clear_errors(example, kw, match):
    args = {"la": "999", "horizon": 1, "draws": 10, **kw}
    with pytest.raises(ValueError, match=match):
        project_statutory(example, **args)
