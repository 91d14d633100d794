"""The registry: every method named once, fallbacks that end, seeds and sub-models."""

from __future__ import annotations

import pytest

from sendforecast.defaults import DEFAULT_SEED
from sendforecast.errors import UsageError
from sendforecast.models.forecast import METHODS, Forecaster, make_forecaster
from sendforecast.models.forecast.baselines import DriftForecaster, NaiveForecaster
from sendforecast.models.forecast.flows import PipelineForecaster
from sendforecast.models.forecast.hierarchical import HierarchicalForecaster
from sendforecast.models.forecast.registry import (
    AUTO_DEFAULT,
    AUTO_METHOD,
    FALLBACK,
    check_method,
    methods_for,
)


def test_methods_by_name_in_help_order():
    assert list(METHODS) == ["naive", "drift", "ets", "loglinear", "pooled", "hierarchical",
                            "pipeline", "conversion"]
    for name, cls in METHODS.items():
        assert issubclass(cls, Forecaster) and cls.name == name


def test_every_fallback_chain_ends_at_a_method_for_every_measure():
    assert set(FALLBACK) == set(METHODS)
    for start in METHODS:
        seen, m = [], start
        while m is not None:
            assert m in METHODS and m not in seen  # a known method, no loop
            seen.append(m)
            m = FALLBACK[m]
        assert seen[-1] == "naive"
        # after the first step every method forecasts any measure the first one does
        assert all(METHODS[x].measures is None for x in seen[1:])


def test_auto_choices_are_methods():
    assert set(AUTO_METHOD.values()) | {AUTO_DEFAULT} <= set(METHODS)


def test_methods_for_and_check_method():
    assert methods_for("requests") == ("naive", "drift", "ets", "loglinear", "pooled",
                                       "hierarchical")
    assert methods_for("assessments") == tuple(METHODS)[:-1]  # all but conversion
    assert methods_for("new_plans") == tuple(METHODS)
    check_method("pipeline", "caseload")
    check_method("conversion", "new_plans")
    with pytest.raises(UsageError, match="conversion method forecasts new_plans from requests"):
        check_method("conversion", "caseload")
    with pytest.raises(UsageError, match="unknown method 'prophet'; choose from naive, drift"):
        check_method("prophet", "caseload")
    with pytest.raises(UsageError) as e:
        check_method("pipeline", "requests")
    assert str(e.value) == (
        "the pipeline method forecasts assessments, new_plans, caseload from requests "
        "(requests x P(assess) x P(issue)), not requests; for requests use one of naive, drift, "
        "ets, loglinear, pooled, hierarchical or auto")


def test_make_forecaster_gives_the_seed_to_methods_that_sample_while_fitting():
    h = make_forecaster("hierarchical", "caseload", seed=4, fit_method="advi")
    assert isinstance(h, HierarchicalForecaster) and h.seed == 4 and h.fit_method == "advi"
    assert make_forecaster("hierarchical", "caseload").seed == DEFAULT_SEED
    d = make_forecaster("drift", "caseload", seed=4, window=3)
    assert isinstance(d, DriftForecaster) and d.window == 3 and d.measure == "caseload"


def test_make_forecaster_builds_the_pipeline_requests_model():
    p = make_forecaster("pipeline", "new_plans", seed=9)
    assert isinstance(p, PipelineForecaster) and type(p.requests_model) is DriftForecaster
    assert p.requests_model.measure == "requests"
    p = make_forecaster("pipeline", "caseload", seed=9, rate_years=3,
                        requests_method="hierarchical", fit_method="advi")
    req = p.requests_model
    assert p.rate_years == 3 and isinstance(req, HierarchicalForecaster)
    assert req.seed == 9 and req.fit_method == "advi"
    given = NaiveForecaster("requests")
    assert make_forecaster("pipeline", "caseload", requests_model=given).requests_model is given
    with pytest.raises(UsageError, match="pipeline method forecasts"):
        make_forecaster("pipeline", "requests")
