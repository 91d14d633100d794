"""The Forecaster contract: prepare then fit, sample paths, the tidy frame, intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sendforecast.errors import UsageError
from sendforecast.models.forecast import Forecaster, quantile_columns
from sendforecast.models.forecast.interface import OUTPUT_COLUMNS, level_name
from tests.models.forecast.histories import hist


class Doubling(Forecaster):
    """Each path doubles the last value every year, times a standard-normal factor."""

    name = "doubling"
    min_years = 3

    def __init__(self, measure=None):
        super().__init__(measure)
        self.fitted_on = None

    def _fit(self, clean):
        self.fitted_on = sorted(set(clean.la_code))

    def _sample(self, horizon, draws, rng):
        growth = 2.0 ** np.arange(1, horizon + 1)
        noise = 1 + 0.01 * rng.standard_normal((len(self.codes_), horizon, draws))
        return self.Y_[:, -1][:, None, None] * growth[None, :, None] * noise


def test_level_names():
    assert level_name(80) == ("p10", "p90")
    assert level_name(95) == ("p2_5", "p97_5")
    assert level_name(50) == ("p25", "p75")


def test_quantile_columns_known_values():
    draws = np.arange(1, 101, dtype=float)[None, None, :]  # 1..100
    q = quantile_columns(draws, (80, 95))
    assert q["mean"][0, 0] == pytest.approx(50.5)
    assert q["p10"][0, 0] == pytest.approx(np.quantile(np.arange(1, 101), 0.1))
    assert q["p97_5"][0, 0] == pytest.approx(np.quantile(np.arange(1, 101), 0.975))


def test_fit_prepares_then_fits_only_long_enough_series():
    f = Doubling().fit(hist({"A": [1, 2, 4, 8], "B": [np.nan, np.nan, 10, 20], "C": [np.nan] * 4}))
    assert f.measure == "value" and f.fitted_on == ["A"] and f.excluded_ == ["B"]
    assert f.codes_.tolist() == ["A"] and f.last_years_.tolist() == [2018]
    w = f.warnings_.set_index("la_code")["warning"]
    assert w["B"] == "too short for doubling (fewer than 3 usable years)"
    assert "no positive observed value" in w["C"]


def test_fit_skips_the_estimate_when_no_series_is_left():
    f = Doubling().fit(hist({"B": [10, 20]}))
    assert f.fitted_on is None and len(f.codes_) == 0
    assert f.forecast(2).empty


def test_sample_shape_and_seed():
    f = Doubling().fit(hist({"A": [1, 2, 4, 8], "D": [3, 6, 12]}))
    s = f.sample(3, draws=7, seed=2)
    assert s.shape == (2, 3, 7)
    np.testing.assert_array_equal(s, f.sample(3, draws=7, seed=2))
    assert not np.array_equal(s, f.sample(3, draws=7, seed=3))


def test_forecast_frame_columns_years_and_values():
    f = Doubling().fit(hist({"A": [1, 2, 4, 8]}))
    fc = f.forecast(2, levels=(80,), seed=1)
    assert list(fc.columns) == ["la_code", "la_name", "measure", "year", "mean", "p10", "p90",
                                "method"]
    assert fc.year.tolist() == [2019, 2020] and fc.la_name.tolist() == ["LA A"] * 2
    assert fc["mean"].to_numpy() == pytest.approx([16, 32], rel=1e-3)
    assert (fc.method == "doubling").all() and (fc.p10 < fc["mean"]).all()
    assert OUTPUT_COLUMNS == [*fc.columns[:-1], "p2_5", "p97_5", "method", "warning"]


def test_a_method_for_some_measures_refuses_the_others():
    class OnlyRequests(Doubling):
        measures = ("requests",)

    assert OnlyRequests("requests").measure == "requests"
    with pytest.raises(UsageError, match="the doubling method forecasts requests, not caseload"):
        OnlyRequests("caseload")


def test_fit_does_not_change_the_history_it_is_given():
    h = hist({"A": [1, 2, 4, 8]})
    before = h.copy()
    Doubling().fit(h)
    pd.testing.assert_frame_equal(h, before)
