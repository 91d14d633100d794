"""The forecasting interface: quantiles, history cleaning, fallbacks, calibration, metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sendforecast.models import forecast, quantile_columns, warnings_frame
from sendforecast.models.forecast import backtest, calibration_factors, metrics
from sendforecast.models.forecast.calibration import apply_calibration
from sendforecast.models.forecast.history import clean_history
from sendforecast.models.forecast.interface import level_name


def _hist(values: dict[str, list], start: int = 2015) -> pd.DataFrame:
    rows = [(code, start + i, v) for code, vs in values.items() for i, v in enumerate(vs)]
    return pd.DataFrame(rows, columns=["la_code", "year", "value"]).assign(la_name=lambda d: "LA " + d.la_code)


def test_level_names():
    assert level_name(80) == ("p10", "p90")
    assert level_name(95) == ("p2_5", "p97_5")


def test_quantile_columns_known_values():
    draws = np.arange(1, 101, dtype=float)[None, None, :]  # 1..100
    q = quantile_columns(draws, (80, 95))
    assert q["mean"][0, 0] == pytest.approx(50.5)
    assert q["p10"][0, 0] == pytest.approx(np.quantile(np.arange(1, 101), 0.1))
    assert q["p97_5"][0, 0] == pytest.approx(np.quantile(np.arange(1, 101), 0.975))


def test_clean_history_gap_zero_short_and_abolished():
    h = _hist({
        "A": [100, 110, 120, 130, 140, 150, 160, 170],               # fine
        "B": [100, 110, np.nan, np.nan, 140, 150, 160, 170],         # 2-year gap -> cut
        "C": [100, 0, 120, 130, 140, 150, 160, 170],                 # zero -> cut
        "D": [100, 110, np.nan, 130, 140, 150, 160, 170],            # 1-year gap -> filled
        "E": [np.nan] * 7 + [50],                                     # one year only
        "F": [100, 110, 120, 130, 140, np.nan, np.nan, np.nan],      # stopped reporting
    })
    clean, warn = clean_history(h)
    years = clean.groupby("la_code")["year"].agg(["min", "max", "size"])
    assert years.loc["A", "size"] == 8
    assert years.loc["B", "min"] == 2019
    assert years.loc["C", "min"] == 2017
    assert years.loc["D", "size"] == 8
    assert clean.loc[(clean.la_code == "D") & (clean.year == 2017), "value"].item() == \
        pytest.approx(np.sqrt(110 * 130))
    assert "F" not in set(clean.la_code)
    w = warn.groupby("la_code")["warning"].agg(" ".join)
    assert "missing" in w["B"] and "zero" in w["C"] and "interpolation" in w["D"]
    assert "not forecast" in w["F"]
    assert "A" not in w and "E" not in w  # a series that starts late is not "broken"


def test_orchestrator_falls_back_per_series_and_warns():
    h = _hist({"A": [100 * 1.05 ** i for i in range(8)], "E": [np.nan] * 6 + [50, 55],
               "Z": [5, 0, 6, 7, 8, 9, 10, 11]})
    fc = forecast(h, "caseload", la="all", horizon=2, method="ets", seed=1)
    m = fc.drop_duplicates("la_code").set_index("la_code")
    assert m.loc["A", "method"] == "ets" and m.loc["A", "warning"] == ""
    assert m.loc["E", "method"] == "naive"  # 2 years: too short for ets and drift
    assert "too short for ets" in m.loc["E", "warning"]
    assert "zero" in m.loc["Z", "warning"]
    assert set(warnings_frame(fc).la_code) == {"E", "Z"}
    pd.concat([fc, fc])  # attrs must not break concatenation
    assert list(fc.columns[:10]) == ["la_code", "la_name", "measure", "year", "mean", "p10",
                                      "p90", "p2_5", "p97_5", "method"]


def test_unknown_method_raises():
    with pytest.raises(ValueError, match="unknown method"):
        forecast(_hist({"A": [1, 2, 3]}), "caseload", method="prophet")


def test_calibration_rescales_log_half_width():
    res = pd.DataFrame({"la_code": ["A"], "measure": ["caseload"], "method": ["naive"],
                        "year": [2025], "mean": [100.0], "p10": [50.0], "p90": [200.0],
                        "p2_5": [25.0], "p97_5": [400.0]})
    out = apply_calibration(res, factors={("naive", "caseload", 1, 80): 2.0})
    assert out["p10"].item() == pytest.approx(25.0) and out["p90"].item() == pytest.approx(400.0)
    assert out["p2_5"].item() == pytest.approx(25.0)  # no factor for 95: unchanged


def _bt_frame():
    # two forecasts with hand-checkable errors
    return pd.DataFrame({
        "method": ["m", "m"], "measure": ["caseload"] * 2, "horizon": [1, 1], "origin": [2020] * 2,
        "la_code": ["A", "B"], "year": [2021, 2021],
        "mean": [110.0, 180.0], "actual": [100.0, 200.0], "scale": [10.0, 20.0],
        "p10": [105.0, 150.0], "p90": [115.0, 210.0], "p2_5": [95.0, 140.0], "p97_5": [120.0, 220.0],
    })


def test_metrics_hand_computed():
    m = metrics(_bt_frame()).iloc[0]
    assert m.n_forecasts == 2 and m.n_las == 2
    assert m.median_ape == pytest.approx(0.1)  # 10/100 and 20/200
    assert m.mean_ape == pytest.approx(0.1)
    assert m.bias == pytest.approx((0.1 - 0.1) / 2)
    assert m.mase == pytest.approx((10 / 10 + 20 / 20) / 2)
    assert m.coverage80 == pytest.approx(0.5)  # A: 100 outside [105, 115]; B inside
    assert m.coverage95 == pytest.approx(1.0)
    # interval score 95: width only (both inside), scaled
    assert m.msis95 == pytest.approx(((120 - 95) / 10 + (220 - 140) / 20) / 2)


def test_calibration_factor_is_conformal_quantile():
    bt = pd.concat([_bt_frame()] * 15, ignore_index=True)  # 30 rows
    f = calibration_factors(bt, levels=(80,))
    # scores: A is |log100 - mid|/half outside (>1), B inside (<1); 80% quantile is A's score
    la, ha = np.log(105), np.log(115)
    score_a = abs(np.log(100) - (la + ha) / 2) / ((ha - la) / 2)
    assert f[("m", "caseload", 1, 80)] == pytest.approx(score_a)


def test_backtest_structure_on_synthetic_history():
    h = _hist({c: [100 * (1 + 0.02 * k) ** i for i in range(10)] for k, c in enumerate("ABC")},
              start=2010)
    bt = backtest(h, "caseload", ["naive", "drift"], horizons=(1, 2), origins=[2015, 2016],
                  progress=False)
    assert set(bt.origin) == {2015, 2016} and set(bt.horizon) == {1, 2}
    assert (bt.year == bt.origin + bt.horizon).all()
    truth = h.set_index(["la_code", "year"])["value"]
    assert np.allclose(bt.actual, truth.loc[list(zip(bt.la_code, bt.year, strict=True))])
    m = metrics(bt).set_index(["method", "horizon"])
    # exact geometric growth: drift is (almost) exact, naive is not
    assert m.loc[("drift", 1), "median_ape"] < 1e-3
    assert m.loc[("naive", 2), "median_ape"] > m.loc[("naive", 1), "median_ape"]
