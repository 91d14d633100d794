"""Interval calibration: the log-scale rescaling, and the factor table as data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sendforecast.models.forecast import METHODS, forecast
from sendforecast.models.forecast.calibration import CALIBRATION, PROVENANCE, apply_calibration
from sendforecast.models.forecast.calibration_factors import CONVERSION_PROVENANCE
from tests.models.forecast.histories import GROW, hist


def _row(**kw):
    base = dict(la_code="A", measure="caseload", method="naive", year=2025, mean=100.0,
                p10=50.0, p90=200.0, p2_5=25.0, p97_5=400.0)
    return pd.DataFrame([{**base, **kw}])


def test_calibration_rescales_log_half_width():
    out = apply_calibration(_row(), factors={("naive", "caseload", 1, 80): 2.0})
    assert out["p10"].item() == pytest.approx(25.0) and out["p90"].item() == pytest.approx(400.0)
    assert out["p2_5"].item() == pytest.approx(25.0)  # no factor for 95: unchanged


def test_nested_intervals_stay_nested():
    out = apply_calibration(_row(), factors={("naive", "caseload", 1, 80): 3.0})
    assert out["p2_5"].item() == pytest.approx(out["p10"].item())  # widened with the 80%
    assert out["p97_5"].item() == pytest.approx(out["p90"].item())


def test_the_longest_horizon_factor_carries_on_and_horizons_count_per_la():
    res = pd.concat([_row(year=y) for y in (2025, 2026, 2027)], ignore_index=True)
    out = apply_calibration(res, levels=(80,), factors={("naive", "caseload", 1, 80): 2.0,
                                                        ("naive", "caseload", 2, 80): 4.0})
    half = np.log(out.p90 / out.p10) / np.log(4)
    assert half.tolist() == pytest.approx([2.0, 4.0, 4.0])


def test_forecast_applies_the_table_by_method_measure_horizon_and_level():
    h = hist({"A": GROW, "B": GROW[::-1]})
    raw = forecast(h, "caseload", horizon=1, method="drift", seed=1, calibrate=False)
    cal = forecast(h, "caseload", horizon=1, method="drift", seed=1)
    ratio = np.log(cal.p90 / cal.p10) / np.log(raw.p90 / raw.p10)
    assert ratio.to_numpy() == pytest.approx(CALIBRATION[("drift", "caseload", 1, 80)])
    assert cal.attrs["settings"]["calibrate"] and not raw.attrs["settings"]["calibrate"]


def test_factor_table_is_well_formed_data_with_provenance():
    # 102 from forecast_accuracy.py, 12 pooled and 6 conversion (flows_backtest)
    assert len(CALIBRATION) == 120
    for (method, measure, horizon, level), k in CALIBRATION.items():
        assert method in METHODS and measure in ("caseload", "requests", "new_plans") or (
            method == "pooled" and measure == "assessments")
        assert horizon in (1, 2, 3) and level in PROVENANCE["levels"]
        assert 0.3 < k < 5
    assert {"produced_by", "results_file", "commit", "date", "data", "backtest"} <= set(PROVENANCE)
    assert {"produced_by", "results_file", "date", "backtest"} <= set(CONVERSION_PROVENANCE)
    assert {k for k in CALIBRATION if k[0] == "conversion"} == {
        ("conversion", "new_plans", h, lv) for h in (1, 2, 3) for lv in (80, 95)}
