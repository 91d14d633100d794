"""The hierarchical (PyMC) forecaster.

The default run drives it through the stand-in sampler (``mock_sample``, see conftest.py):
model building, sampler settings, seeds, posterior handling, diagnostics and the
orchestrator around it.  The real NUTS/ADVI fits are marked ``slow`` (``--run-slow``).
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

from sendforecast.defaults import DEFAULT_SEED
from sendforecast.errors import SendForecastWarning
from sendforecast.models.forecast import forecast
from sendforecast.models.forecast.hierarchical import HierarchicalForecaster
from sendforecast.models.forecast.history import history_from
from tests.models.forecast.histories import four_las


def _quiet_forecast(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SendForecastWarning)
        return forecast(*args, **kwargs)


# ------------------------------------------------------------ stand-in sampler (default run)
def test_sampler_config_reaches_nuts_and_the_pool_is_every_la(mock_sample):
    fc = _quiet_forecast(four_las(), "requests", la="A", horizon=2, method="hierarchical",
                         seed=5, sampler_config={"draws": 40, "chains": 3}, cores=1)
    (call,) = mock_sample.calls
    assert call["kind"] == "nuts" and (call["draws"], call["tune"], call["chains"]) == (40, 500, 3)
    assert call["target_accept"] == 0.9 and call["cores"] == 1 and call["progressbar"] is False
    assert list(call["model"].coords["la"]) == ["A", "B", "C", "D"]  # pooled, then subset
    assert list(call["model"].coords["region"]) == ["R1", "R2"]
    assert set(fc.la_code) == {"A"} and (fc.method == "hierarchical").all()
    assert fc.year.tolist() == [2024, 2025] and (fc.warning == "").all()
    last = four_las().query("la_code == 'A'").value.iloc[-1]
    # the stand-in posterior grows about 4% a year
    assert fc["mean"].iloc[0] == pytest.approx(last * 1.04, rel=0.03)
    assert (fc.p2_5 < fc.p10).all() and (fc.p90 < fc.p97_5).all()


def test_the_forecast_seed_is_the_pymc_seed(mock_sample):
    runs = {s: _quiet_forecast(four_las(), "requests", horizon=1, method="hierarchical", seed=s)
            for s in (5, 6)}
    again = _quiet_forecast(four_las(), "requests", horizon=1, method="hierarchical", seed=5)
    seeds = [c["random_seed"] for c in mock_sample.calls]
    assert seeds[0] == seeds[2] != seeds[1] and all(isinstance(s, int) for s in seeds)
    assert runs[5].equals(again) and not np.allclose(runs[5]["mean"], runs[6]["mean"])
    _quiet_forecast(four_las(), "requests", horizon=1, method="hierarchical", seed=None)
    assert mock_sample.calls[-1]["random_seed"] is None  # None: fresh randomness


def test_advi_draws_times_chains_from_the_approximation(mock_sample):
    f = HierarchicalForecaster("requests", fit_method="advi", advi_iterations=123, seed=2,
                               sampler_config={"draws": 20, "chains": 2}).fit(four_las())
    fit, draws = mock_sample.calls
    assert fit["kind"] == "advi" and fit["n"] == 123 and fit["method"] == "advi"
    assert draws["draws"] == 40 and draws["random_seed"] != fit["random_seed"]
    assert f.mu_draws_.shape == (4, 40) and f.diagnostics_ == {}
    assert f.sample(3, draws=11, seed=0).shape == (4, 3, 11)


def test_sampler_checks_warn_and_record_the_figures(mock_sample):
    mock_sample.divergences = 3
    with pytest.warns(SendForecastWarning, match="min bulk ESS .* < 200; 3 divergent") as w:
        f = HierarchicalForecaster("requests", sampler_config={"draws": 30}).fit(four_las())
    assert "hierarchical model (requests)" in str(w[0].message)
    assert set(f.diagnostics_) == {"max_rhat", "min_ess_bulk", "divergences"}
    assert f.diagnostics_["divergences"] == 3 and f.diagnostics_["min_ess_bulk"] < 200
    assert f.growth_.columns.tolist() == ["la_code", "region_code", "n_growth", "raw_mean_growth",
                                          "posterior_growth", "region_growth", "england_growth",
                                          "sigma"]
    assert f.growth_.n_growth.tolist() == [8, 8, 8, 8]


def test_sampler_config_is_merged_over_the_defaults_and_checked():
    f = HierarchicalForecaster(sampler_config={"tune": 50})
    assert f.sampler_config == {"draws": 500, "tune": 50, "chains": 2, "target_accept": 0.9}
    assert HierarchicalForecaster.default_sampler_config["draws"] == 500  # not mutated
    with pytest.raises(ValueError, match=r"unknown sampler_config key\(s\) \['n_draws'\]"):
        HierarchicalForecaster(sampler_config={"n_draws": 10})
    with pytest.raises(ValueError, match="fit_method must be"):
        HierarchicalForecaster(fit_method="mcmc")


def test_default_seed_is_the_package_default():
    params = inspect.signature(HierarchicalForecaster).parameters
    assert params["seed"].default == DEFAULT_SEED
    assert "progress" in params and "draws" not in params and "progressbar" not in params


def test_a_failing_sampler_falls_back_with_the_reason(monkeypatch):
    import pymc as pm

    def broken(*args, **kwargs):
        raise RuntimeError("sampler down")

    monkeypatch.setattr(pm, "sample", broken)
    fc = forecast(four_las(), "requests", horizon=1, method="hierarchical", seed=1)
    assert (fc.method == "ets").all()
    assert fc.warning.str.contains(
        r"hierarchical failed \(RuntimeError: sampler down\); used ets").all()


# ------------------------------------------------------------------ real fits (slow)
SOME = ["825", "330", "201", "940"]  # Buckinghamshire, Birmingham, City of London, N Northants


@pytest.fixture(scope="module")
def hier(sen2):
    """One small NUTS fit of caseload for every LA (2 chains x 100 draws: a test budget)."""
    h = history_from(sen2, ["caseload"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SendForecastWarning)
        f = HierarchicalForecaster(measure="caseload", sampler_config={"draws": 100, "tune": 100},
                                   seed=3, cores=1).fit(h)
    f.caught = [w for w in caught if issubclass(w.category, SendForecastWarning)]
    return f


@pytest.mark.slow
@pytest.mark.realdata
def test_hierarchical_fit_and_forecast(hier):
    assert hier.idata_.posterior.sizes["draw"] == 100
    assert set(hier.diagnostics_) == {"max_rhat", "min_ess_bulk", "divergences"}
    # 100 draws per chain is below the ESS threshold: the check must say so
    assert any("ESS" in str(w.message) or "r-hat" in str(w.message) for w in hier.caught)
    fc = hier.forecast(3, seed=1)
    assert (fc.year > 2024).all() and (fc.p2_5 <= fc.p10).all() and (fc.p90 <= fc.p97_5).all()
    assert len(fc) == 3 * len(hier.codes_) and {"940", "942"} <= set(fc.la_code)
    fc825 = fc[fc.la_code == "825"]
    assert 6500 < fc825["mean"].iloc[0] < 8000
    w = np.log(fc.p97_5 / fc.p2_5)[fc.la_code.isin(SOME)].to_numpy().reshape(len(SOME), 3)
    assert (np.diff(w, axis=1) > 0).all()
    assert fc.equals(hier.forecast(3, seed=1))


@pytest.mark.slow
@pytest.mark.realdata
def test_hierarchical_shrinks_small_noisy_la(hier):
    g = hier.growth_.set_index("la_code")
    # across LAs the posterior growths are less spread than the raw ones
    assert g["posterior_growth"].std() < g["raw_mean_growth"].std()
    # City of London (tens of plans): the noisiest series, pulled toward its region
    c = g.loc["201"]
    assert c["sigma"] > g["sigma"].median()
    assert abs(c["posterior_growth"] - c["region_growth"]) < abs(c["raw_mean_growth"]
                                                                 - c["region_growth"])


@pytest.mark.slow
@pytest.mark.realdata
def test_orchestrator_hierarchical_one_la_uses_pool(sen2):
    # (3,000 ADVI iterations left draws so wide that the forecast mean exploded - 7e228 -
    # which the plausibility guard now refuses; the default 10,000 converge)
    fc = _quiet_forecast(sen2, "requests", la="940", horizon=2, method="hierarchical", seed=1,
                         fit_method="advi", advi_iterations=10_000)
    assert set(fc.la_code) == {"940"} and (fc.method == "hierarchical").all()
    assert 800 < fc["mean"].iloc[0] < 2000  # 1,065 requests in 2023
    assert "part-year" in fc.warning.iloc[0]


@pytest.mark.slow  # three tiny NUTS fits: ~40 s with compilation on a shared machine
def test_hierarchical_same_seed_same_output():
    kw = dict(la="all", horizon=2, method="hierarchical", cores=1, calibrate=False,
              sampler_config={"draws": 30, "tune": 30, "chains": 1})
    a = _quiet_forecast(four_las(), "requests", seed=5, **kw)
    b = _quiet_forecast(four_las(), "requests", seed=5, **kw)
    c = _quiet_forecast(four_las(), "requests", seed=6, **kw)
    assert (a.method == "hierarchical").all()
    assert a.equals(b)
    assert not np.allclose(a["mean"], c["mean"])
