"""The pipeline method (requests -> assessments -> plans; caseload by continuation)."""

from __future__ import annotations

import numpy as np
import pytest

from sendforecast.errors import UsageError
from sendforecast.models.forecast import Forecaster, forecast
from sendforecast.models.forecast.baselines import DriftForecaster
from sendforecast.models.forecast.flows import PIPELINE_MEASURES, PipelineForecaster
from sendforecast.models.forecast.registry import methods_for
from tests.models.forecast.histories import GROW, pipeline_history


class FlatRequests(Forecaster):
    """Requests stay at ``level`` exactly (no uncertainty): a hand-checkable requests model."""

    name = "flat"

    def __init__(self, measure=None, level=1000.0):
        super().__init__(measure)
        self.level = level

    def _fit(self, clean):
        pass

    def _sample(self, horizon, draws, rng):
        return np.full((len(self.codes_), horizon, draws), self.level)


def test_pipeline_refuses_requests_and_forecasts_assessments():
    assert "pipeline" not in methods_for("requests")
    assert set(PIPELINE_MEASURES) == {"assessments", "new_plans", "caseload"}
    h = pipeline_history({"A": GROW, "B": GROW[::-1]})
    with pytest.raises(UsageError, match="pipeline method forecasts"):
        forecast(h, "requests", method="pipeline")
    fc = forecast(h, "assessments", la="all", horizon=2, method="pipeline", seed=1)
    assert (fc.method == "pipeline").all() and set(fc.la_code) == {"A", "B"}
    a = fc[fc.la_code == "A"].iloc[0]
    assert 0.5 * 0.7 * GROW[-1] < a["mean"] < 1.2 * 0.7 * GROW[-1] * 1.06  # requests x P(assess)


def test_the_requests_model_instance_is_used_and_left_unfitted():
    # constant rates (0.7 assessed, half of those issued): no rate uncertainty, so the
    # forecast is exactly the requests model's paths times the rates
    h = pipeline_history({"A": [900.0] * 6, "B": [950.0] * 6})
    req = FlatRequests("requests", level=1000.0)
    fc = forecast(h, "new_plans", horizon=2, method="pipeline", requests_model=req, seed=1)
    np.testing.assert_allclose(fc[["mean", "p10", "p97_5"]].to_numpy(), 1000 * 0.7 * 0.5)
    assert fc.year.tolist() == [2021, 2022] * 2 and (fc.method == "pipeline").all()
    assert not hasattr(req, "codes_")  # the pipeline fitted a copy
    asm = PipelineForecaster("assessments", requests_model=req).fit(h).forecast(1)
    np.testing.assert_allclose(asm["mean"], 700.0)


def test_observed_requests_are_used_for_a_la_whose_target_is_a_year_behind():
    # B's new plans stop a year early: its first forecast year still has observed requests
    h = pipeline_history({"A": [900.0] * 6, "B": [950.0] * 6})
    h = h[~((h.la_code == "B") & (h.measure == "new_plans") & (h.year == 2020))]
    fc = forecast(h, "new_plans", horizon=1, method="pipeline",
                  requests_model=FlatRequests(level=1000.0), seed=1)
    b = fc[fc.la_code == "B"].set_index("year")["mean"]
    assert b.to_dict() == pytest.approx({2020: 950 * 0.35, 2021: 1000 * 0.35})


def test_a_la_without_requests_falls_back_and_says_why():
    h = pipeline_history({"A": GROW, "B": GROW})
    h = h[~((h.la_code == "B") & (h.measure == "requests"))]
    fc = forecast(h, "assessments", horizon=1, method="pipeline", seed=1)
    m = fc.set_index("la_code")
    assert m.loc["A", "method"] == "pipeline" and m.loc["B", "method"] == "ets"
    assert m.loc["B", "warning"] == "too short for pipeline: used ets"


def test_requests_model_must_be_a_forecaster():
    with pytest.raises(TypeError, match="requests_model must be a Forecaster"):
        PipelineForecaster("caseload", requests_model="drift")
    with pytest.raises(UsageError, match="not requests"):
        PipelineForecaster("requests", requests_model=DriftForecaster())


@pytest.mark.realdata
def test_pipeline_caseload_real_data(sen2):
    # (assessments and new plans on the real data: tests/test_forecast_cli.py, every pair)
    cl = forecast(sen2, "caseload", la=["825", "330"], horizon=3, method="pipeline", seed=1)
    assert (cl.year > 2024).all() and (cl.method == "pipeline").all()
    assert ((cl.p2_5 <= cl.p10) & (cl.p10 <= cl["mean"]) & (cl.p90 <= cl.p97_5)).all()
    width = np.log(cl.p97_5 / cl.p2_5).to_numpy().reshape(2, 3)
    assert (np.diff(width, axis=1) > 0).all()  # intervals widen with the horizon
    b = cl[(cl.la_code == "825") & (cl.year == 2025)].iloc[0]
    assert 6500 < b["mean"] < 8000  # 6,697 plans in January 2024
