"""Conversion: new plans = the newest requests x the LA's recent conversion of lagged requests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sendforecast.errors import UsageError
from sendforecast.models.forecast import backtest, forecast
from sendforecast.models.forecast.conversion import ConversionForecaster
from sendforecast.models.forecast.history import history_from
from sendforecast.models.forecast.pooled import POOLED_SETTINGS, PooledGrowthForecaster
from sendforecast.models.forecast.registry import AUTO_METHOD
from tests.models.forecast.histories import hist

REQ = {"A": [100, 120, 150, 160, 200, 230], "B": [50, 52, 55, 60, 61, 70]}  # 2015-2020
PLANS = {"A": [40, 55, 60, 70, 75, 90], "B": [30, 30, 33, 35, 37, 40]}


def flows(req=REQ, plans=PLANS, start=2015):
    return pd.concat([hist(req, start).assign(measure="requests"),
                      hist(plans, start).assign(measure="new_plans")], ignore_index=True)


def test_rate_is_plans_over_lagged_requests_and_the_level_carries_the_newest_requests():
    for k, lag in ((3, 0.5), (2, 0.3), (1, 0.0)):
        f = ConversionForecaster(years=k, lag=lag).fit(flows())
        for i, c in enumerate(f.codes_):
            r, p = np.array(REQ[c], float), np.array(PLANS[c], float)
            # the last k years (to 2020), each with the year before
            lagged = lag * r[5 - k:5] + (1 - lag) * r[6 - k:6]
            rate = p[6 - k:6].sum() / lagged.sum()
            assert f.rate_[i] == pytest.approx(rate, rel=1e-12)
            assert f.level_[i] == pytest.approx(rate * r[-1], rel=1e-12)
    # lag 0, one year: the newest plans themselves
    assert ConversionForecaster(years=1, lag=0.0).fit(flows()).level_[0] == PLANS["A"][-1]


def test_the_spread_is_the_rules_own_one_step_error():
    """Two LAs, years 1, lag 0.3: each error is log(plans(t+1)) - log(rate(t) x requests(t));
    sigma^2 = (n x own mean square + 3 x median) / (n + 3), the median over the two LAs."""
    f = ConversionForecaster(years=1, lag=0.3).fit(flows())
    ms = []
    for c in f.codes_:
        r, p = np.array(REQ[c], float), np.array(PLANS[c], float)
        rate = p[1:5] / (0.3 * r[0:4] + 0.7 * r[1:5])  # 2016-2019 (2015 has no year before)
        e = np.log(p[2:6]) - np.log(rate * r[1:5])  # forecasts of 2017-2020
        ms.append(np.mean(e ** 2))
    pool = np.median(ms)
    want = np.sqrt([(4 * m + 3 * pool) / 7 for m in ms])
    np.testing.assert_allclose(f.sigma_, want, rtol=1e-12)


def test_after_the_first_year_it_grows_as_pooled_growth_does(monkeypatch):
    # each LA's own growth (weight 1), so a misaligned code would show; C has two years of
    # plans, too short for pooled growth: it takes the others' median
    monkeypatch.setitem(POOLED_SETTINGS, "new_plans", (1.0, 1, 0.5))
    req = {**REQ, "C": [np.nan] * 3 + [20, 22, 30]}
    plans = {**PLANS, "C": [np.nan] * 4 + [10, 12]}
    f = ConversionForecaster().fit(flows(req, plans))
    g = PooledGrowthForecaster("new_plans").fit(hist(PLANS)).growth_
    assert list(f.codes_) == ["A", "B", "C"] and abs(g[0] - g[1]) > 0.05
    np.testing.assert_allclose(f.growth_, [g[0], g[1], np.median(g)], rtol=1e-12)
    f.sigma_[:] = 0.0  # the path itself
    d = f.sample(3, draws=2, seed=2)[:, :, 0]
    phi = f.phi_
    want = f.level_[:, None] * np.exp(f.growth_[:, None] * np.array([0, phi ** 2,
                                                                     phi ** 2 + phi ** 3]))
    np.testing.assert_allclose(d, want, rtol=1e-12)


def test_draws_are_centred_on_the_rule_and_reproducible():
    f = ConversionForecaster().fit(flows())
    assert f.sigma_.min() > 0
    f.sigma_[:] = 0.5  # wide enough that an uncentred log-normal would be 13% high
    d = f.sample(1, draws=200000, seed=1)[:, 0]
    np.testing.assert_allclose(d.mean(-1), f.level_, rtol=0.01)
    np.testing.assert_allclose(np.median(d, -1), f.level_ * np.exp(-0.125), rtol=0.01)
    np.testing.assert_array_equal(f.sample(2, draws=50, seed=4), f.sample(4, draws=50, seed=4)[:, :2])
    a = forecast(flows(), "new_plans", la="all", horizon=2, method="conversion", seed=7)
    b = forecast(flows(), "new_plans", la="all", horizon=2, method="conversion", seed=7)
    assert a.equals(b) and set(a.method) == {"conversion"}


def test_an_la_without_requests_falls_back_with_the_reason():
    req = {**REQ, "B": REQ["B"][:-1] + [np.nan]}  # B's newest requests suppressed
    fc = forecast(flows(req=req), "new_plans", la="all", horizon=1, method="conversion")
    b = fc[fc.la_code == "B"].iloc[0]
    assert b["method"] == "pooled"
    assert b["warning"] == "no requests in its newest year: used pooled"
    assert fc[fc.la_code == "A"]["method"].iloc[0] == "conversion"
    # requests that start in the newest year: no year to convert
    late = {"A": [np.nan] * 5 + [230], "B": REQ["B"]}
    f = ConversionForecaster().fit(flows(req=late))
    assert list(f.codes_) == ["B"] and f.excluded_ == ["A"]
    assert f.excluded_why_ == {"A": "no year of plans with that year's and the year before's "
                                    "requests"}


def test_a_reorganised_las_part_year_requests_are_not_converted():
    """North Northamptonshire (940) began in April 2021: its 2021 flows are part-year. The
    rate must come from 2023 alone (2022's year before is the part year), not count the
    2021 requests as a full year's."""
    req = {"940": [400, 900, 1000]}
    plans = {"940": [200, 450, 500]}
    f = ConversionForecaster(years=3, lag=0.5).fit(flows(req, plans, start=2021))
    assert f.rate_[0] == pytest.approx(500 / (0.5 * 900 + 0.5 * 1000), rel=1e-12)


def test_bad_settings_and_other_measures_are_refused():
    with pytest.raises(ValueError, match="lag"):
        ConversionForecaster(lag=1.5)
    with pytest.raises(UsageError, match="conversion method forecasts new_plans"):
        forecast(flows(), "requests", la="all", method="conversion")


def test_on_the_real_data_it_is_the_auto_method_and_uses_the_published_requests(sen2):
    assert AUTO_METHOD["new_plans"] == "conversion"
    h = history_from(sen2, ["requests", "new_plans"], "la")
    w = h[h.la_code.astype(str) == "825"].pivot_table(index="year", columns="measure",
                                                       values="value")
    last = int(w["new_plans"].dropna().index.max())
    yrs = [last - 2, last - 1, last]
    rate = w.loc[yrs, "new_plans"].sum() / (0.5 * w.loc[[y - 1 for y in yrs], "requests"].to_numpy()
                                           + 0.5 * w.loc[yrs, "requests"].to_numpy()).sum()
    fc = forecast(sen2, "new_plans", la="825", horizon=2, method="auto")
    assert set(fc.method) == {"conversion"} and list(fc.year) == [last + 1, last + 2]
    assert fc["mean"].iloc[0] == pytest.approx(rate * w.loc[last, "requests"], rel=0.03)
    assert (fc.p10 < fc["mean"]).all() and (fc["mean"] < fc.p90).all()


def test_it_beats_naive_one_year_ahead_on_real_tuning_origins(sen2):
    """Out of sample (each origin sees only what was published by then), 2019-2020: median
    APE at most 0.95 x naive (flows_backtest.py: 14.3% against 16.4% over 2017-2020)."""
    bt = backtest(sen2, "new_plans", methods=("naive", "conversion"), horizons=(1,),
                  origins=[2019, 2020], progress=False)
    conv = bt[(bt.method == "conversion") & (bt.method_used == "conversion")]
    keys = ["origin", "la_code"]
    same = bt.merge(conv[keys], on=keys)
    ape = ((same["mean"] - same.actual).abs() / same.actual).groupby(same.method).median()
    assert len(conv) > 250
    assert ape["conversion"] <= 0.95 * ape["naive"]
