"""Baseline forecasters: naive, drift, damped-trend ETS and log-linear trend.

Each is one :class:`~.interface.Forecaster` on the history of its target measure; this
module knows nothing about the other methods or how the orchestrator falls back between them.

All work on log counts (SEND series grow roughly geometrically and cannot go
negative), and produce sample paths so intervals are computed one way for every
method.  Growth volatility is estimated per series and shrunk toward the median
over the series being fitted (``shrink`` pseudo-observations), because a
variance from 4-8 yearly growth rates is very noisy and over-narrow intervals
for small LAs are worse than slightly pooled ones.

* ``naive``: last value carried forward; random-walk intervals from the root
  mean square of the yearly log growth (the naive method's own one-step error).
* ``drift``: last value grown by the mean log growth of the last ``window``
  years (last growth carried forward, smoothed); intervals include the
  uncertainty of the mean growth (random walk with drift).
* ``ets``: statsmodels ``ETSModel`` with additive error, additive damped
  trend, on log counts; analytic prediction variances (one fit per series,
  best of two optimiser starts).
* ``loglinear``: least-squares line through the last ``window`` log counts;
  intervals from the regression (parameter draws + residual noise).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .interface import Forecaster


def _growth(Y: np.ndarray, window: int | None) -> np.ndarray:
    G = np.diff(np.log(Y), axis=1)
    return G[:, -window:] if window else G


def _mean_square(e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the mean square of the finite errors (NaN where none) and how many there are
    - a series' one-step error variance for :func:`_pooled_var`."""
    n = np.isfinite(e).sum(1)
    ms = np.where(n > 0, np.nanmean(np.where(np.isfinite(e), e, 0) ** 2, axis=1)
                  * e.shape[1] / np.maximum(n, 1), np.nan)
    return ms, n


def _pooled_var(v: np.ndarray, n: np.ndarray, shrink: float) -> np.ndarray:
    ok = np.isfinite(v) & (n > 0)
    pool = np.nanmedian(v[ok]) if ok.any() else 0.01
    v = np.where(ok, v, pool)
    return (n * v + shrink * pool) / (n + shrink)


class NaiveForecaster(Forecaster):
    """Last value carried forward (random walk on log counts)."""

    name = "naive"
    min_years = 1

    def __init__(self, measure: str | None = None, window: int = 8, shrink: float = 3.0):
        super().__init__(measure)
        self.window, self.shrink = window, shrink

    def _fit(self, clean):
        ms, n = _mean_square(_growth(self.Y_, self.window))
        self.sigma_ = np.sqrt(_pooled_var(ms, n, self.shrink))
        self.last_ = self.Y_[:, -1]

    def _sample(self, horizon, draws, rng):
        eps = rng.standard_normal((len(self.last_), horizon, draws)) * self.sigma_[:, None, None]
        return self.last_[:, None, None] * np.exp(np.cumsum(eps, axis=1))


class DriftForecaster(Forecaster):
    """Mean log growth of the last ``window`` years carried forward (random walk with drift)."""

    name = "drift"
    min_years = 3

    def __init__(self, measure: str | None = None, window: int = 5, shrink: float = 3.0):
        super().__init__(measure)
        self.window, self.shrink = window, shrink

    def _fit(self, clean):
        G = _growth(self.Y_, self.window)
        n = np.isfinite(G).sum(1)
        self.mu_ = np.nanmean(G, axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            v = np.nanvar(G, axis=1, ddof=1)
        self.n_ = n
        self.sigma_ = np.sqrt(_pooled_var(np.where(n > 1, v, np.nan), np.maximum(n - 1, 0),
                                          self.shrink))
        self.last_ = self.Y_[:, -1]

    def _sample(self, horizon, draws, rng):
        s = self.sigma_[:, None, None]
        mu = self.mu_[:, None, None] + rng.standard_normal((len(s), 1, draws)) * s / np.sqrt(
            self.n_[:, None, None])
        eps = rng.standard_normal((len(s), horizon, draws)) * s
        return self.last_[:, None, None] * np.exp(np.cumsum(mu + eps, axis=1))


class LogLinearForecaster(Forecaster):
    """Least-squares trend line through the last ``window`` log counts."""

    name = "loglinear"
    min_years = 4

    def __init__(self, measure: str | None = None, window: int = 6, shrink: float = 3.0):
        super().__init__(measure)
        self.window, self.shrink = window, shrink

    def _fit(self, clean):
        L = np.log(self.Y_[:, -self.window:])
        k = L.shape[1]
        x = np.arange(k, dtype=float)[None, :] - (k - 1)  # 0 at the last year
        ok = np.isfinite(L)
        n = ok.sum(1)
        xm = np.where(ok, x, 0).sum(1) / n
        ym = np.where(ok, L, 0).sum(1) / n
        dx = np.where(ok, x - xm[:, None], 0)
        dy = np.where(ok, L - ym[:, None], 0)
        sxx = (dx ** 2).sum(1)
        b = (dx * dy).sum(1) / sxx
        a = ym - b * xm  # value of the line at x = 0
        resid = np.where(ok, L - (a[:, None] + b[:, None] * x), 0)
        v = (resid ** 2).sum(1) / np.maximum(n - 2, 1)
        self.a_, self.b_, self.xm_, self.sxx_, self.n_ = a, b, xm, sxx, n
        self.sigma_ = np.sqrt(_pooled_var(np.where(n > 2, v, np.nan), np.maximum(n - 2, 0),
                                          self.shrink))

    def _sample(self, horizon, draws, rng):
        ns = len(self.a_)
        s = self.sigma_[:, None]
        # parameter draws: intercept at the mean x and slope are independent
        z1, z2 = rng.standard_normal((2, ns, draws))
        b = self.b_[:, None] + z2 * s / np.sqrt(self.sxx_[:, None])
        level_mean = self.a_ + self.b_ * self.xm_
        am = level_mean[:, None] + z1 * s / np.sqrt(self.n_[:, None])
        hs = np.arange(1, horizon + 1, dtype=float)
        mean = am[:, None, :] + b[:, None, :] * (hs[None, :, None] - self.xm_[:, None, None])
        eps = rng.standard_normal((ns, horizon, draws)) * s[:, :, None]
        return np.exp(mean + eps)


class ETSForecaster(Forecaster):
    """Damped additive-trend exponential smoothing on log counts (statsmodels ``ETSModel``).

    One fit per series (about 0.03 s each).  Sample paths are drawn from the
    analytic log-scale prediction distribution (normal), with the same
    standard-normal score across horizons within a path, which gives exact
    marginal intervals; use the path structure only for quantities that are
    monotone in the path (e.g. a later year's value).
    """

    name = "ets"
    min_years = 6

    def __init__(self, measure: str | None = None, shrink: float = 0.0):
        super().__init__(measure)
        self.shrink = shrink

    def _fit(self, clean):
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        self.results_ = []
        for row in self.Y_:
            y = pd.Series(np.log(row[np.isfinite(row)]))
            model = ETSModel(y, error="add", trend="add", damped_trend=True)
            best = None
            # the default start often sticks at alpha ~ 0 (a rigid trend line through the
            # whole history); a second start from alpha = 0.5 usually finds the better optimum
            starts = [None] + ([np.array([0.5, 0.1, 0.9, y.iloc[0], y.iloc[1] - y.iloc[0]])]
                               if len(y) > 1 else [])
            for sp in starts:
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        res = model.fit(disp=False, start_params=sp)
                except (ValueError, np.linalg.LinAlgError):
                    continue
                if best is None or res.llf > best.llf:
                    best = res
            if best is None:
                raise ValueError("ETS fit failed")
            self.results_.append(best)

    def _sample(self, horizon, draws, rng):
        means, sds = [], []
        for res in self.results_:
            n = int(res.nobs)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                p = res.get_prediction(start=n, end=n + horizon - 1)
            means.append(np.asarray(p.predicted_mean, float))
            sds.append(np.sqrt(np.asarray(p.var_pred_mean, float)))
        m, s = np.array(means), np.array(sds)
        z = rng.standard_normal((len(m), 1, draws))
        return np.exp(m[:, :, None] + s[:, :, None] * z)

