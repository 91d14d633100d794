"""statsforecast's AutoETS / AutoARIMA / AutoTheta as peer baselines for the backtests.

Shared by ``flows_backtest.py`` and ``cohort_backtest.py``: at each origin, every LA's
series up to the origin (at least 4 positive years, ending at the origin), fitted as
users would fit them (the counts as they are, ``season_length=1``; statsforecast's
naive fallback where a series is too short for a model), forecast with 80% and
95% intervals; rows shaped like ``sendforecast.models.forecast.backtest``'s.  Needs the
``bench`` extra (statsforecast).
"""

from __future__ import annotations

import warnings

import pandas as pd


def peers(history: pd.DataFrame, measure: str, origins, H: int = 3) -> pd.DataFrame:
    """statsforecast AutoETS / AutoARIMA / AutoTheta at each origin (rows like backtest's)."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, Naive

    t = history[history.measure == measure].dropna(subset=["value"])
    rows = []
    for o in origins:
        d = t[t.year <= o].rename(columns={"la_code": "unique_id", "year": "ds", "value": "y"})
        d = d[d.y > 0]
        n = d.groupby("unique_id").ds.transform("size")
        last = d.groupby("unique_id").ds.transform("max")
        d = d[(n >= 4) & (last == o)][["unique_id", "ds", "y"]]
        # a series too short for a model's fit gets statsforecast's naive fallback
        sf = StatsForecast(models=[AutoETS(season_length=1), AutoARIMA(season_length=1),
                                   AutoTheta(season_length=1)], freq=1, n_jobs=1,
                           fallback_model=Naive())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = sf.forecast(df=d, h=H, level=[80, 95])
        for name in ("AutoETS", "AutoARIMA", "AutoTheta"):
            x = f[["unique_id", "ds", name, f"{name}-lo-80", f"{name}-hi-80",
                   f"{name}-lo-95", f"{name}-hi-95"]].copy()
            x.columns = ["la_code", "year", "mean", "p10", "p90", "p2_5", "p97_5"]
            rows.append(x.assign(method=name, origin=o, horizon=x.year - o))
    out = pd.concat(rows, ignore_index=True)
    actual = t.set_index(["la_code", "year"])["value"]
    out["actual"] = actual.reindex(pd.MultiIndex.from_frame(out[["la_code", "year"]])).to_numpy()
    return out[out.actual.notna() & (out.actual > 0)]
