"""Rolling-origin backtests, forecast-accuracy metrics and the calibration factors they give.

Knows the ``forecast`` verb and its output frame; it is the top of the forecasting package
(nothing in it imports this module).

``backtest`` refits every method at each origin year on the data that would
have been available then, forecasts ``max(horizons)`` years ahead for every LA,
and joins the forecasts to what happened.  An *origin* is the newest year of
the target measure used.  When the target is ``caseload`` (a January census),
flows (requests, new plans ...) are cut one year earlier, as in a real
release, which publishes the January census of year t with the flows of
calendar year t-1.

Metrics (:func:`metrics`), per method x measure x horizon:

* ``median_ape`` / ``mean_ape``: absolute percentage error of ``mean``;
* ``mase``: mean absolute error scaled by the LA's in-sample mean absolute
  one-year change up to the origin (MASE against the naive method);
* ``bias``: mean signed percentage error ``(mean - actual) / actual``
  (positive = over-forecast);
* ``coverage80`` / ``coverage95``: share of actuals inside the intervals;
* ``msis95``: the 95% interval score (width + 2/alpha x miss) scaled like MASE;
* ``*_cal``: the same after conformal-style calibration on *earlier* origins only
  (:func:`calibrate_rolling`); computed on the rows where earlier evidence exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from .calibration import apply_calibration
from .history import FLOW_MEASURES, history_from
from .interface import level_name
from .orchestrate import forecast
from .registry import make_forecaster

DEFAULT_METHODS = ("naive", "drift", "ets", "loglinear", "hierarchical")


def _truncate(history: pd.DataFrame, target: str, origin: int) -> pd.DataFrame:
    cut = np.where((target == "caseload") & history["measure"].isin(FLOW_MEASURES),
                   origin - 1, origin)
    return history[history["year"].to_numpy() <= cut]


def default_origins(history: pd.DataFrame, measure: str, min_train: int = 4) -> list[int]:
    """Every year with at least ``min_train`` observed years up to it and one year after it."""
    t = history[(history["measure"] == measure) & history["value"].notna()]
    per_year = t.groupby("year")["la_code"].nunique()
    years = sorted(per_year[per_year >= 0.5 * per_year.max()].index)
    if not years:
        return []
    return [y for y in years if y - years[0] + 1 >= min_train and y < years[-1]]


def backtest(data, measure: str = "caseload", methods: Sequence[str] = DEFAULT_METHODS,
             horizons: Sequence[int] = (1, 2, 3), origins: Iterable[int] | None = None,
             seed: int = 0, progress: bool = True, levels: Sequence[float] = (80, 95),
             la="all", method_kwargs: dict | None = None, min_train: int = 4) -> pd.DataFrame:
    """Rolling-origin backtest over all LAs (or ``la``) -> one row per forecast.

    ``data`` is a SEN2Data or a tidy history ``la_code, year, value`` (+ ``measure``,
    ``region_code``).  ``method_kwargs`` maps a method name to keyword arguments
    (e.g. ``{"hierarchical": {"fit_method": "advi"}}``).  Columns: ``origin,
    horizon, la_code, measure, year, method, mean, p10 ... , actual, scale`` (``method``
    is the method asked for, ``method_used`` the one a series fell back to) plus
    the calibrated bounds ``cal_p10 ...`` (see :func:`calibrate_rolling`).
    """
    from tqdm.auto import tqdm

    method_kwargs = method_kwargs or {}
    inputs = {m for meth in methods for m in (make_forecaster(
        meth, measure=measure, **method_kwargs.get(meth, {})).inputs or ())}
    measures = list(dict.fromkeys([measure, *sorted(inputs)]))
    if isinstance(data, pd.DataFrame):
        history = data if "measure" in data else data.assign(measure=measure)
    else:
        history = history_from(data, measures, "la")
    history = history.assign(la_code=history["la_code"].astype(str))
    if la != "all":
        codes = [la] if isinstance(la, str) else list(la)
        history = history[history["la_code"].isin(codes)]
    origins = list(origins) if origins is not None else default_origins(history, measure, min_train)
    target = history[history["measure"] == measure]
    actual = target.set_index(["la_code", "year"])["value"]
    H = max(horizons)
    rows = []
    jobs = [(o, m) for o in origins for m in methods]
    for o, m in tqdm(jobs, desc=f"backtest {measure}", disable=not progress):
        trunc = _truncate(history, measure, o)
        fc = forecast(trunc, measure, la="all", horizon=H, method=m, seed=seed, levels=levels,
                      calibrate=False, **method_kwargs.get(m, {}))
        fc.attrs = {}
        # an LA whose newest year before the origin is missing is forecast from an earlier
        # year (more steps ahead than ``year - o``): keep only forecasts made at the origin
        fc = fc[fc.groupby("la_code")["year"].transform("min") == o + 1]
        fc = fc.assign(origin=o, horizon=fc["year"] - o, method_used=fc["method"], method=m)
        rows.append(fc[fc["horizon"].isin(horizons)])
    if not rows:
        raise ValueError(f"no origins to backtest {measure} (history too short?)")
    bt = pd.concat(rows, ignore_index=True)
    bt["actual"] = actual.reindex(pd.MultiIndex.from_frame(bt[["la_code", "year"]])).to_numpy()
    # in-sample scale: mean absolute one-year change up to the origin (MASE denominator)
    t = target.sort_values(["la_code", "year"])
    diffs = t.assign(d=t.groupby("la_code")["value"].diff().abs())
    scale = {o: diffs[diffs["year"] <= o].groupby("la_code")["d"].mean() for o in origins}
    bt["scale"] = [scale[o].get(c, np.nan) for o, c in zip(bt["origin"], bt["la_code"], strict=True)]
    bt = bt[bt["actual"].notna() & (bt["actual"] > 0)].reset_index(drop=True)
    return calibrate_rolling(bt, levels)


def _scores(bt: pd.DataFrame, lv: float, prefix: str = "") -> np.ndarray:
    lo, hi = level_name(lv)
    llo, lhi = np.log(bt[prefix + lo].to_numpy()), np.log(bt[prefix + hi].to_numpy())
    mid, half = (llo + lhi) / 2, np.maximum((lhi - llo) / 2, 1e-9)
    return np.abs(np.log(bt["actual"].to_numpy()) - mid) / half


def calibration_factors(bt: pd.DataFrame, levels: Sequence[float] = (80, 95),
                        min_n: int = 20) -> dict[tuple[str, str, int, int], float]:
    """Conformal scale factors per (method, measure, horizon, level) from backtest rows.

    The score is the distance of log(actual) from the log-midpoint of the
    interval in units of its log half-width; the factor is the finite-sample
    conformal quantile of the scores at the level, so that rescaling the
    half-width by it covers ``level`` percent of past outcomes.
    """
    out = {}
    for (m, ms, h), g in bt.groupby(["method", "measure", "horizon"]):
        for lv in levels:
            s = _scores(g, lv)
            s = s[np.isfinite(s)]
            n = len(s)
            if n < min_n:
                continue
            q = min(1.0, np.ceil((n + 1) * lv / 100) / n)
            out[(m, ms, int(h), int(lv))] = float(np.quantile(s, q))
    return out


def calibrate_rolling(bt: pd.DataFrame, levels: Sequence[float] = (80, 95)) -> pd.DataFrame:
    """Add ``cal_*`` bounds, each calibrated on forecasts whose outcome was known at its origin.

    For origin o, the factors come only from earlier forecasts with target year
    <= o; rows with no such evidence get NaN (not scored as calibrated).
    """
    bt = bt.copy()
    cols = [c for lv in levels for c in level_name(lv)]
    for c in cols:
        bt["cal_" + c] = np.nan
    for o in sorted(bt["origin"].unique()):
        past = bt[bt["year"] <= o]
        if past.empty:
            continue
        f = calibration_factors(past, levels)
        cur = bt["origin"] == o
        sub = bt.loc[cur]
        cal = apply_calibration(sub, levels, factors={k: v for k, v in f.items()} or {"_": 1})
        have = np.array([all((m, ms, int(h), int(lv)) in f for lv in levels) for m, ms, h in
                         zip(sub["method"], sub["measure"], sub["horizon"], strict=True)], bool)
        for c in cols:
            bt.loc[sub.index[have], "cal_" + c] = cal.loc[have, c].to_numpy()
    return bt


def _interval_score(lo, hi, y, alpha):
    return (hi - lo) + 2 / alpha * (lo - y) * (y < lo) + 2 / alpha * (y - hi) * (y > hi)


def metrics(bt: pd.DataFrame, by: Sequence[str] = ("method", "measure", "horizon")) -> pd.DataFrame:
    """Accuracy summary of a backtest frame; see the module docstring for definitions."""
    bt = bt.copy()
    for c in ("cal_p10", "cal_p90", "cal_p2_5", "cal_p97_5"):
        if c not in bt:
            bt[c] = np.nan
    y = bt["actual"]
    bt["_ape"] = (bt["mean"] - y).abs() / y
    bt["_pe"] = (bt["mean"] - y) / y
    bt["_ase"] = (bt["mean"] - y).abs() / bt["scale"]
    bt["_in80"] = (bt["p10"] <= y) & (y <= bt["p90"])
    bt["_in95"] = (bt["p2_5"] <= y) & (y <= bt["p97_5"])
    bt["_sis95"] = _interval_score(bt["p2_5"], bt["p97_5"], y, 0.05) / bt["scale"]
    has_cal = bt["cal_p10"].notna()
    bt["_in80c"] = ((bt["cal_p10"] <= y) & (y <= bt["cal_p90"])).where(has_cal)
    bt["_in95c"] = ((bt["cal_p2_5"] <= y) & (y <= bt["cal_p97_5"])).where(has_cal)
    bt["_sis95c"] = (_interval_score(bt["cal_p2_5"], bt["cal_p97_5"], y, 0.05)
                     / bt["scale"]).where(has_cal)
    bt["_ncal"] = has_cal.astype(int)
    finite = np.isfinite(bt["_ase"]) & (bt["scale"] > 0)
    bt.loc[~finite, ["_ase", "_sis95", "_sis95c"]] = np.nan
    g = bt.groupby(list(by))
    out = pd.DataFrame({
        "n_forecasts": g.size(),
        "n_las": g["la_code"].nunique(),
        "n_origins": g["origin"].nunique(),
        "median_ape": g["_ape"].median(),
        "mean_ape": g["_ape"].mean(),
        "mase": g["_ase"].mean(),
        "bias": g["_pe"].mean(),
        "coverage80": g["_in80"].mean(),
        "coverage95": g["_in95"].mean(),
        "msis95": g["_sis95"].mean(),
        "n_calibrated": g["_ncal"].sum(),
        "coverage80_cal": g["_in80c"].mean(),
        "coverage95_cal": g["_in95c"].mean(),
        "msis95_cal": g["_sis95c"].mean(),
    })
    return out.reset_index()


def choose_method(data, measure: str, methods: Sequence[str] = DEFAULT_METHODS,
                  horizon: int = 1, **backtest_kwargs) -> str:
    """The method with the lowest median APE at ``horizon`` in a rolling-origin backtest."""
    bt = backtest(data, measure, methods, horizons=(horizon,), **backtest_kwargs)
    m = metrics(bt)
    return str(m.sort_values(["median_ape", "mase"]).iloc[0]["method"])
