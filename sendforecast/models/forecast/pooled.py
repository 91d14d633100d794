"""Pooled growth: each LA's recent growth shrunk toward the median LA's, damped.

One line of arithmetic that an analyst would write in a spreadsheet, and hard to beat on
SEN2 (issue 15: for the caseload it matched the Bayesian hierarchical model's 2.8% median
APE on January 2025): the yearly log growth of a series is

    g = weight * (its mean log growth over the last ``years`` years)
        + (1 - weight) * (the median over all LAs of their last yearly log growth),

and ``h`` years ahead the forecast is ``last * exp(g * (phi + ... + phi**h))``.  The
median is over every LA fitted together (the class pools), at the same last year.

Intervals: the rule's own one-step errors on each series' history (the forecast it would
have made for each earlier year), their root mean square shrunk toward the median over
series, grow as a random walk; the backtest's calibration factors then rescale them
(:mod:`.calibration_factors`).  Defaults per measure: :data:`POOLED_SETTINGS`, chosen by
``benchmarks/flows_backtest.py``.
"""

from __future__ import annotations

import numpy as np

from ..settings import FORECAST_SETTINGS
from .baselines import _mean_square, _pooled_var
from .interface import Forecaster

__all__ = ["POOLED_SETTINGS", "PooledGrowthForecaster"]

#: (weight, years, phi) per measure, from benchmarks/flows_backtest.py (tuning origins:
#: all but the last two; see benchmarks/results/flows_backtest.md); others use "default".
#: Kept in :data:`sendforecast.models.settings.FORECAST_SETTINGS`.
POOLED_SETTINGS: dict[str, tuple[float, int, float]] = FORECAST_SETTINGS["pooled"]


class PooledGrowthForecaster(Forecaster):
    """Recent growth shrunk toward the median LA growth and damped; see the module."""

    name = "pooled"
    min_years = 3
    pooled = True

    def __init__(self, measure: str | None = None, weight: float | None = None,
                 years: int | None = None, phi: float | None = None, shrink: float = 3.0):
        super().__init__(measure)
        w, k, p = POOLED_SETTINGS.get(measure or "", POOLED_SETTINGS["default"])
        self.weight = w if weight is None else float(weight)
        self.years = k if years is None else int(years)
        self.phi = p if phi is None else float(phi)
        self.shrink = shrink

    def _rule(self, L: np.ndarray, j: int) -> np.ndarray:
        """Yearly log growth the rule uses after column ``j`` of log counts ``L``.

        ``L`` is right-aligned on each series' last year (:func:`~.history.to_matrix`);
        the median is over the series whose last year is the newest (a series that
        stopped a year or two earlier is aligned on another calendar year)."""
        G = np.diff(L[:, : j + 1], axis=1)
        if G.shape[1] == 0:
            return np.zeros(len(L))
        last = G[:, -1]
        newest = np.asarray(self.last_years_) == np.max(self.last_years_)
        ref = last[newest & np.isfinite(last)]
        med = float(np.median(ref)) if ref.size else (
            np.nanmedian(last) if np.isfinite(last).any() else 0.0)
        own = G[:, -self.years:]
        n = np.isfinite(own).sum(1)
        own = np.where(n > 0, np.nansum(np.where(np.isfinite(own), own, 0), 1)
                       / np.maximum(n, 1), med)
        return self.weight * own + (1 - self.weight) * med

    def _fit(self, clean):
        with np.errstate(divide="ignore", invalid="ignore"):
            L = np.log(np.where(self.Y_ > 0, self.Y_, np.nan))
        self.growth_ = self._rule(L, L.shape[1] - 1)
        damp1 = self.phi  # one step ahead carries phi of the growth
        errs = np.full_like(L, np.nan)
        for j in range(1, L.shape[1] - 1):  # the forecast of column j + 1 made at column j
            errs[:, j + 1] = L[:, j + 1] - (L[:, j] + damp1 * self._rule(L, j))
        ms, n = _mean_square(errs[:, -8:])
        self.sigma_ = np.sqrt(_pooled_var(ms, n, self.shrink))
        self.last_ = self.Y_[:, -1]

    def _sample(self, horizon, draws, rng):
        damp = np.cumsum(self.phi ** np.arange(1, horizon + 1))
        mean = np.log(self.last_)[:, None] + self.growth_[:, None] * damp[None, :]
        return np.exp(mean[:, :, None] + random_walk(rng, self.sigma_, horizon, draws))


def random_walk(rng, sigma: np.ndarray, horizon: int, draws: int) -> np.ndarray:
    """Cumulative log errors ``[series, year, draw]`` of a random walk with yearly sd
    ``sigma`` per series, drawn year by year, so a longer horizon keeps the first years'
    numbers (the same seed gives horizon 2 as the first two years of horizon 5)."""
    eps = (rng.standard_normal((horizon, len(sigma), draws)).transpose(1, 0, 2)
           * np.asarray(sigma)[:, None, None])
    return np.cumsum(eps, axis=1)
