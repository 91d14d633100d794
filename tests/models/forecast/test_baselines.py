"""Baselines (naive, drift, ets, loglinear): hand-checkable series, then the real data."""

from __future__ import annotations

import numpy as np
import pytest

from sendforecast.models.forecast import forecast
from sendforecast.models.forecast.baselines import (
    DriftForecaster,
    LogLinearForecaster,
    NaiveForecaster,
)
from tests.models.forecast.histories import hist

EXACT = {"A": [100 * 1.05 ** i for i in range(8)]}  # 5% a year, no noise (2015-2022)


@pytest.mark.parametrize("cls", [DriftForecaster, LogLinearForecaster])
def test_trend_methods_continue_exact_geometric_growth(cls):
    f = cls().fit(hist(EXACT))
    paths = f.sample(3, draws=50, seed=0)
    # no noise in the history: no volatility, every path on the line
    line = EXACT["A"][-1] * 1.05 ** np.arange(1, 4)
    np.testing.assert_allclose(paths[0], np.broadcast_to(line[:, None], (3, 50)), rtol=1e-9)


def test_naive_carries_the_last_value_with_random_walk_intervals():
    f = NaiveForecaster().fit(hist(EXACT))
    assert f.sigma_ == pytest.approx([np.log(1.05)])  # root mean square yearly log growth
    logs = np.log(f.sample(2, draws=40_000, seed=0)[0] / EXACT["A"][-1])
    z80 = 1.2815515655446004
    for h in (1, 2):  # central 80% interval of a random walk: +-z * sigma * sqrt(h)
        half = z80 * np.log(1.05) * np.sqrt(h)
        assert np.quantile(logs[h - 1], [0.1, 0.5, 0.9]) == pytest.approx(
            [-half, 0.0, half], abs=0.03 * half)


def test_volatility_is_shrunk_toward_the_median_of_the_series():
    rng = np.random.default_rng(1)
    calm = {c: list(100 * np.exp(np.cumsum(rng.normal(0.05, 0.01, 8)))) for c in "ABCD"}
    wild = list(100 * np.exp(np.cumsum(rng.normal(0.05, 0.2, 8))))
    raw = DriftForecaster(shrink=0.0).fit(hist({**calm, "W": wild}))
    shrunk = DriftForecaster(shrink=3.0).fit(hist({**calm, "W": wild}))
    w = list(raw.codes_).index("W")
    assert raw.sigma_[w] > shrunk.sigma_[w] > np.median(raw.sigma_)


BASELINES = ["naive", "drift", "ets", "loglinear"]
SOME = ["825", "330", "201", "940"]  # Buckinghamshire, Birmingham, City of London, N Northants


def _check_frame(fc, last_year):
    assert (fc["year"] > last_year).all()
    assert (fc["p2_5"] <= fc["p10"]).all() and (fc["p10"] <= fc["p90"]).all()
    assert (fc["p90"] <= fc["p97_5"]).all()
    assert ((fc["mean"] > fc["p2_5"]) & (fc["mean"] < fc["p97_5"])).all()


def _widen(fc):
    w = fc.assign(w=np.log(fc.p97_5 / fc.p2_5)).pivot(index="la_code", columns="year", values="w")
    return (w.diff(axis=1).iloc[:, 1:] > 0).all().all()


@pytest.mark.realdata
@pytest.mark.parametrize("method", BASELINES)
def test_baselines_real_data(sen2, method):
    fc = forecast(sen2, "caseload", la=SOME, horizon=3, method=method, seed=1)
    _check_frame(fc, 2024)
    assert set(fc.la_code) == set(SOME) and len(fc) == 12
    assert _widen(fc)
    # plausible vs last value: Buckinghamshire 6,697 plans in January 2024
    b = fc[(fc.la_code == "825") & (fc.year == 2025)].iloc[0]
    assert 6000 < b["mean"] < 8000 and b["p10"] < 6697 * 1.15
    # the reorganised LA with 3 years of history falls back (except for naive) and says why
    w = fc.loc[fc.la_code == "940", "warning"].iloc[0]
    assert "reorganised" in w
    if method in ("ets", "loglinear"):
        assert fc.loc[fc.la_code == "940", "method"].iloc[0] != method and "too short" in w
