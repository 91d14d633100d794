"""Robustness of the forecast orchestrator: stale series, implausible forecasts, method checks,
seeds (synthetic histories; the hierarchical fit is tiny)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sendforecast.defaults import DEFAULT_SEED
from sendforecast.errors import SendForecastWarning, UsageError
from sendforecast.models import forecast, warnings_frame
from sendforecast.models.forecast import baselines as B
from sendforecast.models.forecast import registry
from sendforecast.models.forecast.orchestrate import implausible
from sendforecast.models.forecast.registry import methods_for


def _hist(values: dict[str, list], start: int = 2015) -> pd.DataFrame:
    rows = [(code, start + i, v) for code, vs in values.items() for i, v in enumerate(vs)]
    return pd.DataFrame(rows, columns=["la_code", "year", "value"]).assign(
        la_name=lambda d: "LA " + d.la_code)


# 2015-2023, growing about 6% a year with some noise
GROW = list(100 * np.exp(np.cumsum([0.0, .08, .03, .07, .05, .09, .02, .06, .07])))


def test_stale_series_forecast_from_last_year_over_the_gap():
    h = _hist({"A": GROW, "S": GROW[:-1] + [np.nan],              # newest year missing
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
    h = _hist({"A": GROW, "S": GROW[:-1] + [np.nan]})
    fc = forecast(h, "requests", la=["S"], horizon=2, method="naive", seed=1)
    assert fc.year.tolist() == [2023, 2024, 2025]


class _Wild(B.DriftForecaster):
    """Drift, but series 'X' explodes (x100) - a stand-in for an ETS blow-up."""

    name = "ets"
    min_years = 3

    def _sample(self, horizon, draws, rng):
        d = super()._sample(horizon, draws, rng)
        d[list(self.codes_).index("X")] *= 100 if "X" in self.codes_ else 1
        return d


def test_implausible_forecast_falls_back_and_says_why(monkeypatch):
    monkeypatch.setitem(registry.METHODS, "ets", _Wild)
    h = _hist({"A": GROW, "X": GROW})
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
    clean = _hist({"A": [100, 110, 100, 120]})  # largest recent |log growth| = log 1.2
    g = np.log(1.2)
    ok = np.exp(1.5 * g + np.log(2)) * 120
    fc = pd.DataFrame({"la_code": "A", "year": [2019, 2020],
                       "mean": [ok * 0.99, np.exp(3 * g + np.log(2)) * 120 * 1.01]})
    bad = implausible(fc, clean)
    assert list(bad) == ["A"] and "2020" in bad["A"]
    assert implausible(fc.iloc[:1], clean) == {}
    assert "A" in implausible(fc.assign(mean=np.nan), clean)


def test_pipeline_refuses_requests_and_forecasts_assessments():
    assert "pipeline" not in methods_for("requests")
    assert "pipeline" in methods_for("assessments")
    h = pd.concat([_hist({"A": GROW, "B": GROW[::-1]}).assign(measure=ms, value=lambda d, k=k:
                                                               d.value * k)
                   for ms, k in (("requests", 1.0), ("assessments", 0.7), ("new_plans", 0.5))])
    with pytest.raises(UsageError, match="pipeline method forecasts"):
        forecast(h, "requests", method="pipeline")
    fc = forecast(h, "assessments", la="all", horizon=2, method="pipeline", seed=1)
    assert (fc.method == "pipeline").all() and set(fc.la_code) == {"A", "B"}
    a = fc[fc.la_code == "A"].iloc[0]
    assert 0.5 * 0.7 * GROW[-1] < a["mean"] < 1.2 * 0.7 * GROW[-1] * 1.06  # requests x P(assess)


def test_default_seed_is_one_everywhere():
    import inspect

    from sendforecast.cli_options import DEFAULT_SEED as CLI_SEED
    from sendforecast.models.forecast.hierarchical import HierarchicalForecaster

    assert DEFAULT_SEED == CLI_SEED == 1
    assert inspect.signature(forecast).parameters["seed"].default == DEFAULT_SEED
    assert inspect.signature(HierarchicalForecaster).parameters["seed"].default == DEFAULT_SEED
    h = _hist({"A": GROW, "B": GROW[::-1]})
    assert forecast(h, "requests", method="drift").equals(
        forecast(h, "requests", method="drift", seed=1))


def _four_las():
    rng = np.random.default_rng(0)
    h = _hist({c: list(100 * np.exp(np.cumsum(rng.normal(0.05, 0.05, 9)))) for c in "ABCD"})
    h["region_code"] = ["R1" if c in "AB" else "R2" for c in h.la_code]
    return h


@pytest.mark.parametrize("fit_method, fn", [("nuts", "sample"), ("advi", "fit")])
def test_hierarchical_seed_reaches_pymc(monkeypatch, fit_method, fn):
    """forecast(seed=...) is the seed PyMC samples with (spied; no model is sampled)."""
    import pymc as pm

    seen = []

    def spy(*args, **kwargs):
        seen.append(kwargs["random_seed"])
        raise RuntimeError("spy: not sampling")

    monkeypatch.setattr(pm, fn, spy)
    h = _four_las()
    for seed in (5, 5, 6, None):
        fc = forecast(h, "requests", horizon=1, method="hierarchical", seed=seed,
                      fit_method=fit_method)
        assert "hierarchical failed (RuntimeError: spy" in fc.warning.iloc[0]  # fell back
    assert seen[0] == seen[1] != seen[2] and seen[3] is None
    assert all(isinstance(s, int) for s in seen[:3])


@pytest.mark.slow  # three tiny NUTS fits: ~40 s with compilation on a shared machine
def test_hierarchical_same_seed_same_output():
    h = _four_las()
    kw = dict(la="all", horizon=2, method="hierarchical", cores=1, calibrate=False,
              sampler_config={"draws": 30, "tune": 30, "chains": 1})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SendForecastWarning)
        a = forecast(h, "requests", seed=5, **kw)
        b = forecast(h, "requests", seed=5, **kw)
        c = forecast(h, "requests", seed=6, **kw)
    assert (a.method == "hierarchical").all()
    assert a.equals(b)
    assert not np.allclose(a["mean"], c["mean"])
