"""Conversion: new plans = the newest requests x the LA's recent conversion of lagged requests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sendforecast.errors import UsageError
from sendforecast.models.forecast import backtest, forecast
from sendforecast.models.forecast.conversion import ConversionForecaster
from sendforecast.models.forecast.history import history_from
from sendforecast.models.forecast.registry import AUTO_METHOD
from tests.models.forecast.histories import hist

REQ = {"A": [100, 120, 150, 160, 200, 230], "B": [50, 52, 55, 60, 61, 70]}  # 2015-2020
PLANS = {"A": [40, 55, 60, 70, 75, 90], "B": [30, 30, 33, 35, 37, 40]}


def flows(req=REQ, plans=PLANS, start=2015):
    return pd.concat([hist(req, start).assign(measure="requests"),
                      hist(plans, start).assign(measure="new_plans")], ignore_index=True)


def test_rate_is_plans_over_lagged_requests_and_the_level_carries_the_newest_requests():
    f = ConversionForecaster(years=3, lag=0.5).fit(flows())
    for i, c in enumerate(f.codes_):
        r, p = np.array(REQ[c], float), np.array(PLANS[c], float)
        lagged = 0.5 * r[2:5] + 0.5 * r[3:6]  # 2018-2020 with the year before each
        rate = p[3:6].sum() / lagged.sum()
        assert f.rate_[i] == pytest.approx(rate, rel=1e-12)
        assert f.level_[i] == pytest.approx(rate * r[-1], rel=1e-12)
    # lag 0: the same-year ratio; years 1: the newest year alone
    g = ConversionForecaster(years=1, lag=0.0).fit(flows())
    assert g.level_[0] == pytest.approx(PLANS["A"][-1], rel=1e-12)


def test_draws_are_centred_on_the_rule_and_reproducible():
    f = ConversionForecaster().fit(flows())
    d = f.sample(3, draws=20000, seed=1)
    assert f.sigma_.min() > 0
    np.testing.assert_allclose(d.mean(-1), np.repeat(f.level_[:, None], 3, 1), rtol=0.02)
    assert (np.median(d, -1) < d.mean(-1)).all()  # log-normal: the median is below the mean
    np.testing.assert_array_equal(f.sample(2, draws=50, seed=4), f.sample(4, draws=50, seed=4)[:, :2])
    a = forecast(flows(), "new_plans", la="all", horizon=2, method="conversion", seed=7)
    b = forecast(flows(), "new_plans", la="all", horizon=2, method="conversion", seed=7)
    assert a.equals(b) and set(a.method) == {"conversion"}


def test_an_la_without_requests_falls_back_with_a_warning():
    req = {**REQ, "B": REQ["B"][:-1] + [np.nan]}  # B's newest requests suppressed
    fc = forecast(flows(req=req), "new_plans", la="all", horizon=1, method="conversion")
    b = fc[fc.la_code == "B"].iloc[0]
    assert b["method"] == "pooled" and "no requests in its newest year" in b["warning"]
    assert fc[fc.la_code == "A"]["method"].iloc[0] == "conversion"
    # requests that start in the newest year: no year to convert
    late = {"A": [np.nan] * 5 + [230], "B": REQ["B"]}
    f = ConversionForecaster().fit(flows(req=late))
    assert list(f.codes_) == ["B"] and f.excluded_ == ["A"]
    assert "no year of plans" in f.warnings_.set_index("la_code").loc["A", "warning"]


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
