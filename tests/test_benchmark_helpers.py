"""The benchmarks' scoring helpers on synthetic rows with known answers: the evidence the
settings cite comes from them, so a wrong pairing or a look-ahead would mislead quietly.
(The benchmarks themselves run on the real data; these rows are made up.)"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import cohort_groups  # noqa: E402
import flows_backtest  # noqa: E402


def _flows(ape_a, ape_b, las=30, origins=(2020, 2021), horizon=1):
    """Forecast rows of methods "a" and "b": actual 100, each forecast above it by its APE."""
    rows = []
    i = 0
    for la in range(las):
        for T in origins:
            for m, ape in (("a", ape_a), ("b", ape_b)):
                rows.append({"la_code": f"E{la:03d}", "origin": T, "horizon": horizon,
                             "method": m, "actual": 100.0, "mean": 100.0 + ape(i)})
            i += 1
    return pd.DataFrame(rows)


def test_paired_median_difference_of_a_shift_is_the_shift_in_every_resample():
    bt = _flows(lambda i: 5.0 + i % 7, lambda i: 7.0 + i % 7)
    d, lo, hi, n = flows_backtest.paired_median_difference(bt, "a", "b", 1)
    assert n == 60
    assert d == pytest.approx(-2.0) and lo == pytest.approx(-2.0) and hi == pytest.approx(-2.0)


def test_paired_median_difference_pairs_forecasts_and_keeps_to_its_horizon():
    rng = np.random.default_rng(0)
    noise = rng.gamma(2.0, 5.0, size=200)
    bt = _flows(lambda i: noise[i], lambda i: noise[i + 100])
    d0, lo, hi, n = flows_backtest.paired_median_difference(bt, "a", "b", 1)
    assert n == 60 and lo < d0 < hi and hi - lo > 0.5
    # forecasts only one method made, and other horizons, change nothing
    extra = pd.DataFrame([{"la_code": "E999", "origin": 2020, "horizon": 1, "method": "a",
                           "actual": 100.0, "mean": 900.0},
                          {"la_code": "E000", "origin": 2020, "horizon": 2, "method": "a",
                           "actual": 100.0, "mean": 900.0}])
    again = flows_backtest.paired_median_difference(pd.concat([bt, extra]), "a", "b", 1)
    assert again == (d0, lo, hi, n)
    assert np.isnan(flows_backtest.paired_median_difference(bt, "a", "b", 2)[0])


def _groups(error):
    """Scored rows per shrink value: one LA, groups x and y, origins 2018-2021, horizon 1;
    ``error(value, cat, origin)`` is the forecast's distance from an actual of 100."""
    rows = {}
    for v in cohort_groups.VALUES:
        rows[v] = pd.DataFrame([
            {"dim": "group", "cat": c, "h": 1, "method": "anchored", "la": "E000",
             "origin": T, "actual": 100.0, "forecast": 100.0 + error(v, c, T),
             "lo80": np.nan, "hi80": np.nan, "lo95": np.nan, "hi95": np.nan}
            for c in ("x", "y") for T in (2018, 2019, 2020, 2021)])
    return rows


def test_walk_forward_chooses_from_earlier_origins_only():
    # x: shrink 0 is better in 2018-2019, shrink 1 far better from 2020; y: 0.5 always
    def error(v, c, T):
        if c == "y":
            return {0.0: 3.0, 0.5: 1.0, 1.0: 3.0}[v]
        if T < 2020:
            return {0.0: 1.0, 0.5: 1.5, 1.0: 2.0}[v]
        return {0.0: 10.0, 0.5: 5.0, 1.0: 0.0}[v]

    rows = _groups(error)
    choices, wf = cohort_groups.walk_forward(rows, {"default": 0.0}, [2018, 2019, 2020, 2021])
    assert list(choices) == [2019, 2020, 2021, 2022]
    # 2020 is chosen on 2018-2019 (it has not yet seen 2020's swing); 2021 on 2018-2020
    assert [choices[T]["x"] for T in choices] == [0.0, 0.0, 1.0, 1.0]
    assert all(choices[T]["y"] == 0.5 for T in choices)
    x = wf[wf.cat == "x"].set_index("origin")
    assert x.loc[2020, "forecast"] == 110.0  # scored at its own choice (0), not the later one
    assert x.loc[2021, "forecast"] == 100.0
    assert sorted(wf.origin.unique()) == [2019, 2020, 2021]


def test_walk_forward_keeps_the_previous_choice_within_the_tie():
    # shrink 1 is better by 0.05 points only: the starting value stays
    rows = _groups(lambda v, c, T: {0.0: 2.0, 0.5: 2.0, 1.0: 1.95}[v])
    choices, _ = cohort_groups.walk_forward(rows, {"default": 0.5}, [2018, 2019, 2020, 2021])
    assert all(ch["x"] == 0.5 for ch in choices.values())
