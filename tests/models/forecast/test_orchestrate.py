"""The ``forecast`` verb: fallbacks per series, stale series, the plausibility guard, LAs, seeds."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from sendforecast.defaults import DEFAULT_SEED
from sendforecast.errors import NotFoundError, UsageError
from sendforecast.models.forecast import Forecaster, forecast, warnings_frame
from sendforecast.models.forecast import registry as R
from sendforecast.models.forecast.baselines import DriftForecaster
from sendforecast.models.forecast.orchestrate import implausible
from tests.models.forecast.histories import GROW, hist


# ------------------------------------------------------------------------- fallback
class AlwaysFails(Forecaster):
    """A method whose fit always fails (statsforecast's tests/test_fit_predict_fallback.py)."""

    name = "always_fails"

    def _fit(self, clean):
        raise RuntimeError("no convergence")

    def _sample(self, horizon, draws, rng):  # pragma: no cover - never fitted
        raise AssertionError("a failed fit must not be sampled")


def test_a_failing_method_comes_back_through_the_fallback_chain(monkeypatch):
    monkeypatch.setitem(R.METHODS, "always_fails", AlwaysFails)
    monkeypatch.setitem(R.FALLBACK, "always_fails", "drift")
    h = hist({"A": GROW, "B": GROW[::-1]})
    fc = forecast(h, "requests", horizon=2, method="always_fails", seed=3)
    assert (fc.method == "drift").all() and set(fc.la_code) == {"A", "B"}
    assert (fc.warning == "always_fails failed (RuntimeError: no convergence); used drift").all()
    # the numbers are the fallback's own
    drift = forecast(h, "requests", horizon=2, method="drift", seed=3)
    pd.testing.assert_frame_equal(fc.drop(columns="warning"), drift.drop(columns="warning"))
    assert fc.attrs["settings"]["method"] == "always_fails"


def test_two_failures_in_a_row_are_both_said(monkeypatch):
    monkeypatch.setitem(R.METHODS, "always_fails", AlwaysFails)
    monkeypatch.setitem(R.METHODS, "drift", type("DriftFails", (AlwaysFails,), {"name": "drift"}))
    monkeypatch.setitem(R.FALLBACK, "always_fails", "drift")
    fc = forecast(hist({"A": GROW}), "requests", horizon=1, method="always_fails", seed=3)
    assert fc.method.tolist() == ["naive"]
    assert fc.warning.item() == ("always_fails failed (RuntimeError: no convergence); used drift; "
                                 "drift failed (RuntimeError: no convergence); used naive")


def test_orchestrator_falls_back_per_series_and_warns():
    h = hist({"A": [100 * 1.05 ** i for i in range(8)], "E": [np.nan] * 6 + [50, 55],
              "Z": [5, 0, 6, 7, 8, 9, 10, 11]})
    fc = forecast(h, "caseload", la="all", horizon=2, method="ets", seed=1)
    m = fc.drop_duplicates("la_code").set_index("la_code")
    assert m.loc["A", "method"] == "ets" and m.loc["A", "warning"] == ""
    assert m.loc["E", "method"] == "naive"  # 2 years: too short for ets and drift
    assert m.loc["E", "warning"] == "too short for ets: used drift; too short for drift: used naive"
    assert "zero" in m.loc["Z", "warning"]
    assert set(warnings_frame(fc).la_code) == {"E", "Z"}
    pd.concat([fc, fc])  # attrs must not break concatenation
    assert list(fc.columns) == ["la_code", "la_name", "measure", "year", "mean", "p10", "p90",
                                "p2_5", "p97_5", "method", "warning"]


def test_unknown_method_raises():
    with pytest.raises(UsageError, match="unknown method"):
        forecast(hist({"A": [1, 2, 3]}), "caseload", method="prophet")


# --------------------------------------------------------------------- stale series
def test_stale_series_forecast_from_last_year_over_the_gap():
    h = hist({"A": GROW, "S": GROW[:-1] + [np.nan],              # newest year missing
              "T": GROW[:-3] + [np.nan] * 3})                      # stopped 3 years ago
    fc = forecast(h, "requests", la="all", horizon=3, method="drift", seed=1)
    years = fc.groupby("la_code")["year"].agg(["min", "max", "size"])
    assert years.loc["A"].tolist() == [2024, 2026, 3]
    assert years.loc["S"].tolist() == [2023, 2026, 4]  # same target years + the missing one
    s = fc[fc.la_code == "S"]
    assert "forecast from 2022" in s.warning.iloc[0] and "2023" in s.warning.iloc[0]
    # more steps ahead: wider than A's interval in the same year
    a = fc[fc.la_code == "A"].set_index("year")
    s = s.set_index("year")
    assert (np.log(s.p90 / s.p10)[a.index] > np.log(a.p90 / a.p10)).all()
    assert "T" not in set(fc.la_code)
    w = warnings_frame(fc).groupby("la_code")["warning"].agg("; ".join)
    assert "not forecast" in w["T"] and "forecast from 2022" in w["S"]


def test_stale_la_asked_alone_still_targets_the_common_years():
    h = hist({"A": GROW, "S": GROW[:-1] + [np.nan]})
    fc = forecast(h, "requests", la=["S"], horizon=2, method="naive", seed=1)
    assert fc.year.tolist() == [2023, 2024, 2025]


# -------------------------------------------------------------------------- guard
class _Wild(DriftForecaster):
    """Drift, but series 'X' explodes (x100) - a stand-in for an ETS blow-up."""

    name = "ets"
    min_years = 3

    def _sample(self, horizon, draws, rng):
        d = super()._sample(horizon, draws, rng)
        d[list(self.codes_).index("X")] *= 100 if "X" in self.codes_ else 1
        return d


def test_implausible_forecast_falls_back_and_says_why(monkeypatch):
    monkeypatch.setitem(R.METHODS, "ets", _Wild)
    h = hist({"A": GROW, "X": GROW})
    fc = forecast(h, "assessments", la="all", horizon=3, method="ets", seed=1)
    m = fc.drop_duplicates("la_code").set_index("la_code")
    assert m.loc["A", "method"] == "ets" and m.loc["A", "warning"] == ""
    assert m.loc["X", "method"] == "drift"
    assert "implausible" in m.loc["X", "warning"] and "used drift" in m.loc["X", "warning"]
    assert fc.loc[fc.la_code == "X", "mean"].max() < 200
    # switched off: the wild numbers go through
    raw = forecast(h, "assessments", la="all", horizon=3, method="ets", seed=1, guard=False)
    assert raw.loc[raw.la_code == "X", "mean"].min() > 5000


def test_implausible_rule():
    clean = hist({"A": [100, 110, 100, 120]})  # largest recent |log growth| = log 1.2
    g = np.log(1.2)
    ok = np.exp(1.5 * g + np.log(2)) * 120
    fc = pd.DataFrame({"la_code": "A", "year": [2019, 2020],
                       "mean": [ok * 0.99, np.exp(3 * g + np.log(2)) * 120 * 1.01]})
    bad = implausible(fc, clean)
    assert list(bad) == ["A"] and "2020" in bad["A"]
    assert implausible(fc.iloc[:1], clean) == {}
    assert "A" in implausible(fc.assign(mean=np.nan), clean)


# --------------------------------------------------------------------------- seeds
def test_default_seed_is_one_and_the_same_seed_gives_the_same_numbers():
    from sendforecast.cli.options import DEFAULT_SEED as CLI_SEED

    assert DEFAULT_SEED == CLI_SEED == 1
    assert inspect.signature(forecast).parameters["seed"].default == DEFAULT_SEED
    h = hist({"A": GROW, "B": GROW[::-1]})
    a = forecast(h, "requests", method="drift")
    assert a.equals(forecast(h, "requests", method="drift", seed=1))
    assert not a["p10"].equals(forecast(h, "requests", method="drift", seed=2)["p10"])


# ----------------------------------------------------------- LAs, regions, England (real)
@pytest.mark.realdata
def test_england_region_and_all(sen2):
    fc = forecast(sen2, "requests", la=["E92000001", "E12000001"], horizon=2, method="ets", seed=1)
    assert set(fc.la_code) == {"E92000001", "E12000001"}
    eng = fc[fc.la_code == "E92000001"].iloc[0]
    assert eng["year"] == 2024 and 120_000 < eng["mean"] < 180_000  # 138,242 in 2023
    allfc = forecast(sen2, "caseload", la="all", horizon=1, method="drift", seed=1)
    assert allfc.la_code.nunique() >= 150
    assert not set(allfc.la_code) & {"928", "909", "835"}  # abolished LAs are not forecast
    assert {"928", "909"} <= set(warnings_frame(allfc).la_code)
    with pytest.raises(NotFoundError, match=r"unknown LA code\(s\) '123'"):
        forecast(sen2, "caseload", la="825,123", method="drift")


@pytest.mark.realdata
def test_ets_explosion_guarded_birmingham_assessments(sen2):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = forecast(sen2, "assessments", la="330", horizon=3, method="ets", seed=1)
        raw = forecast(sen2, "assessments", la="330", horizon=3, method="ets", seed=1,
                       guard=False)
    assert raw["mean"].iloc[0] > 5000  # ETS, thrown by a recorded 1 assessment in 2014
    assert (fc.method == "drift").all() and "implausible" in fc.warning.iloc[0]
    assert 800 < fc["mean"].iloc[0] < 2500  # 1,218 in 2023
