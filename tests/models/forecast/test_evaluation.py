"""Backtests and metrics: hand-computed errors, conformal factors, rolling calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sendforecast.models.forecast import backtest, calibration_factors, choose_method, metrics
from sendforecast.models.forecast.evaluation import calibrate_rolling, default_origins
from tests.models.forecast.histories import hist


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
    assert m.n_calibrated == 0 and np.isnan(m.coverage80_cal)


def test_calibration_factor_is_conformal_quantile():
    bt = pd.concat([_bt_frame()] * 15, ignore_index=True)  # 30 rows
    f = calibration_factors(bt, levels=(80,))
    # scores: A is |log100 - mid|/half outside (>1), B inside (<1); 80% quantile is A's score
    la, ha = np.log(105), np.log(115)
    score_a = abs(np.log(100) - (la + ha) / 2) / ((ha - la) / 2)
    assert f[("m", "caseload", 1, 80)] == pytest.approx(score_a)
    assert calibration_factors(bt.iloc[:19], levels=(80,)) == {}  # fewer than min_n = 20


def test_rolling_calibration_uses_only_outcomes_known_at_the_origin():
    early = pd.concat([_bt_frame()] * 15, ignore_index=True)
    late = early.assign(origin=2021, year=2022)
    bt = calibrate_rolling(pd.concat([early, late], ignore_index=True), levels=(80,))
    assert bt.loc[bt.origin == 2020, "cal_p10"].isna().all()  # nothing known before 2021
    cal = bt[bt.origin == 2021]
    assert cal["cal_p10"].notna().all()
    assert (cal.cal_p90 / cal.cal_p10 > cal.p90 / cal.p10).all()  # widened to cover A


def test_default_origins():
    h = hist({"A": list(range(1, 11))}, start=2010).assign(measure="caseload")
    assert default_origins(h, "caseload") == [2013, 2014, 2015, 2016, 2017, 2018]
    assert default_origins(h, "caseload", min_train=8) == [2017, 2018]


def test_backtest_structure_on_synthetic_history():
    h = hist({c: [100 * (1 + 0.02 * k) ** i for i in range(10)] for k, c in enumerate("ABC")},
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
    assert choose_method(h, "caseload", ["naive", "drift"], origins=[2015, 2016],
                         progress=False) == "drift"
