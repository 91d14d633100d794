"""Pooled growth: own growth shrunk toward the median LA's, damped; hand-checkable series."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sendforecast.models.forecast import forecast
from sendforecast.models.forecast.pooled import PooledGrowthForecaster
from tests.models.forecast.histories import hist

# three LAs growing 10%, 4% and 1% a year with no noise (2015-2022)
SERIES = {"A": [100 * 1.10 ** i for i in range(8)], "B": [200 * 1.04 ** i for i in range(8)],
          "C": [50 * 1.01 ** i for i in range(8)]}


def test_growth_is_own_growth_shrunk_toward_the_median_and_damped():
    f = PooledGrowthForecaster(weight=0.5, years=1, phi=0.5).fit(hist(SERIES))
    g = 0.5 * np.log([1.10, 1.04, 1.01]) + 0.5 * np.log(1.04)  # median LA: B
    np.testing.assert_allclose(f.growth_, g, rtol=1e-12)
    paths = f.sample(2, draws=10, seed=0)
    last = np.array([SERIES[k][-1] for k in "ABC"])
    # exact series: the rule's own one-step errors are those of the damping alone (phi 0.5
    # carries half the growth a year), so the paths scatter about the damped line
    mean = np.log(last)[:, None] + g[:, None] * np.array([0.5, 0.75])[None]
    assert np.abs(np.log(paths).mean(-1) - mean).max() < 0.2
    # phi 1, weight 1 on an exact series: no error at all, the series' own growth goes on
    f1 = PooledGrowthForecaster(weight=1.0, years=1, phi=1.0).fit(hist(SERIES))
    p1 = f1.sample(3, draws=5, seed=0)
    np.testing.assert_allclose(p1[0, :, 0], SERIES["A"][-1] * 1.10 ** np.arange(1, 4),
                               rtol=1e-9)


def test_pooled_forecasts_the_real_data_with_intervals(sen2):
    fc = forecast(sen2, "new_plans", la=["825", "330"], horizon=3, method="pooled")
    assert set(fc.method) == {"pooled"} and len(fc) == 6
    assert (fc.p10 < fc["mean"]).all() and (fc["mean"] < fc.p90).all()
    assert (fc.p2_5 < fc.p10).all() and (fc.p90 < fc.p97_5).all()
    # the 80% interval one year ahead is a few tens of percent wide, not zero nor 10x
    w = (fc.p90 / fc.p10)[fc.year == fc.year.min()]
    assert ((w > 1.05) & (w < 3)).all()


def test_pooled_is_reproducible_and_short_series_fall_back(sen2):
    a = forecast(sen2, "requests", la="825", method="pooled", seed=3)
    b = forecast(sen2, "requests", la="825", method="pooled", seed=3)
    assert a.equals(b)
    short = pd.concat([hist(SERIES), hist({"D": [10.0, 11.0]}, start=2021)])  # 2 years
    fc = forecast(short, "requests", la="all", horizon=1, method="pooled")
    d = fc[fc.la_code == "D"]
    assert d["method"].iloc[0] == "naive" and "pooled" in d["warning"].iloc[0]


def test_the_median_growth_is_of_the_newest_year_not_of_stale_series():
    """Series that stopped a year early are aligned on another calendar year: their last
    growth (here a fall of 30%) must not set the median of those that run to the newest."""
    grow = {"A": [100 * 1.10 ** i for i in range(8)], "B": [80 * 1.10 ** i for i in range(8)]}
    fall = {c: [100.0] * 6 + [70.0] for c in "CDE"}  # 2015-2021, ending a year earlier
    h = pd.concat([hist(grow), hist(fall)])
    f = PooledGrowthForecaster(weight=0.0, years=1, phi=1.0).fit(h)
    k = list(f.codes_).index("A")
    assert abs(f.growth_[k] - np.log(1.10)) < 1e-12


def test_a_longer_horizon_keeps_the_first_years_paths():
    """Same seed, longer horizon: the first years' sample paths are the same numbers."""
    noisy = {k: [v * (1 + 0.05 * (-1) ** i) for i, v in enumerate(s)]
             for k, s in SERIES.items()}
    f = PooledGrowthForecaster(weight=0.5, years=1, phi=0.8).fit(hist(noisy))
    short, long = f.sample(2, draws=50, seed=3), f.sample(5, draws=50, seed=3)
    assert f.sigma_.min() > 0  # the paths do scatter
    np.testing.assert_array_equal(short, long[:, :2])
