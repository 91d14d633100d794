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


def test_weighted_median_is_the_median_of_the_repeated_sample():
    rng = np.random.default_rng(3)
    x = rng.normal(size=9)
    w = rng.integers(0, 4, size=(50, 9))
    w[:, 0] += 1  # no empty resample
    want = [np.median(np.repeat(x, row)) for row in w]
    assert np.allclose(flows_backtest.weighted_median(x, w), want)
    assert flows_backtest.weighted_median(x, np.ones((1, 9), int))[0] == np.median(x)


def test_paired_median_difference_resamples_whole_las():
    """The interval is the 2.5-97.5% range of the medians' difference over resamples of
    whole LAs (every origin of a drawn LA comes with it), drawn as the docstring says."""
    rng = np.random.default_rng(1)
    noise = rng.gamma(2.0, 5.0, size=400)
    bt = _flows(lambda i: noise[i], lambda i: noise[i + 200], las=40, origins=(2019, 2020, 2021))
    d, lo, hi, n = flows_backtest.paired_median_difference(bt, "a", "b", 1, reps=300, seed=7)
    d1 = bt[bt.horizon == 1]
    ea = flows_backtest._ape(d1[d1.method == "a"]).to_numpy()
    eb = flows_backtest._ape(d1[d1.method == "b"]).to_numpy()
    la = pd.factorize(d1[d1.method == "a"].la_code)[0]
    counts = np.random.default_rng(7).multinomial(40, np.full(40, 1 / 40), size=300)
    diffs = [np.median(np.repeat(ea, c[la])) - np.median(np.repeat(eb, c[la])) for c in counts]
    assert n == 120 and d == pytest.approx(np.median(ea) - np.median(eb))
    assert (lo, hi) == pytest.approx(tuple(np.quantile(diffs, [0.025, 0.975])))


def test_paired_median_difference_drops_unusable_pairs_and_refuses_duplicates():
    bt = _flows(lambda i: 5.0 + i % 7, lambda i: 7.0 + i % 7)
    bt.loc[0, "mean"] = np.nan  # a forecast that failed: its pair is left out
    d, lo, hi, n = flows_backtest.paired_median_difference(bt, "a", "b", 1)
    assert n == 59 and np.isfinite([d, lo, hi]).all()
    with pytest.raises(ValueError, match="more than one forecast"):
        flows_backtest.paired_median_difference(pd.concat([bt, bt.iloc[[1]]]), "a", "b", 1)


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


def _groups(error, h2=None):
    """Scored rows per shrink value: one LA, groups x and y, origins 2018-2021, horizon 1
    (and 2 when ``h2`` gives its errors); ``error(value, cat, origin)`` is the forecast's
    distance from an actual of 100."""
    rows = {}
    for v in cohort_groups.VALUES:
        rows[v] = pd.DataFrame([
            {"dim": "group", "cat": c, "h": h, "method": "anchored", "la": "E000",
             "origin": T, "actual": 100.0, "forecast": 100.0 + f(v, c, T),
             "lo80": np.nan, "hi80": np.nan, "lo95": np.nan, "hi95": np.nan}
            for h, f in ((1, error), (2, h2)) if f is not None
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


def test_walk_forward_reads_horizon_1_only():
    # horizon 2 says the opposite, loudly: it must not move the choice
    rows = _groups(lambda v, c, T: {0.0: 1.0, 0.5: 2.0, 1.0: 3.0}[v],
                   h2=lambda v, c, T: {0.0: 90.0, 0.5: 50.0, 1.0: 0.0}[v])
    choices, wf = cohort_groups.walk_forward(rows, None, [2018, 2019, 2020, 2021])
    assert all(ch["x"] == 0.0 for ch in choices.values())
    assert (wf.h == 1).all()


def test_walk_forward_without_incumbent_takes_the_simplest_within_the_tie():
    # 0 and 0.5 within the tie of the best (1): no incumbent, so the simplest, 0
    rows = _groups(lambda v, c, T: {0.0: 2.05, 0.5: 2.02, 1.0: 2.0}[v])
    choices, _ = cohort_groups.walk_forward(rows, None, [2018, 2019, 2020, 2021])
    assert all(ch["x"] == 0.0 for ch in choices.values())


def test_walk_forward_keeps_the_previous_choice_not_the_first():
    # 2018: 1 is far better (chosen at 2019, from incumbent 0); from 2019 on 0 and 1 are
    # within the tie overall, so the previous choice (1) stays, not the first (0)
    def error(v, c, T):
        if T == 2018:
            return {0.0: 5.0, 0.5: 5.0, 1.0: 0.0}[v]
        return {0.0: 0.0, 0.5: 9.0, 1.0: 5.0}[v]

    rows = _groups(error)
    choices, _ = cohort_groups.walk_forward(rows, {"default": 0.0}, [2018, 2019, 2020])
    assert [choices[T]["x"] for T in choices] == [1.0, 1.0, 0.0]
