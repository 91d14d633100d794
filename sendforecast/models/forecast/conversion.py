"""Conversion: new plans from the LA's newest requests and its recent conversion of requests.

A plan is issued up to 20 weeks after the request, and later when the service is behind,
so the plans of a calendar year come from the requests of about the year before it: part
from the same year's, part from the previous year's.  Per LA (method key
``"conversion"``):

    rate = sum of new plans over its last ``years`` years
           / sum over the same years of (lag x requests(t - 1) + (1 - lag) x requests(t))
    forecast(T + 1) = rate x requests(T)

that is, the newest requests carried through the LA's own recent conversion.  The
requests' growth is not passed on to the first year: plans follow the service's capacity,
and on the tuning origins a first year grown with the requests over-forecast
(``benchmarks/flows_backtest.py``).  After the first year the forecast grows as pooled
growth's does from its first year (:mod:`.pooled`, its new-plans settings: the median
LA's newest growth, damped): the requests of those years are not known yet, and carried
flat the forecast fell 12-21% short at horizons 2-3 on the tuning origins.
``years`` and ``lag`` per measure: :data:`sendforecast.models.settings.FORECAST_SETTINGS`
``["conversion"]``, chosen by that benchmark on its tuning origins.

Requests are cleaned as the target is (:func:`~.history.clean_history`: the newest run of
usable years, without the part-year flows of a reorganised LA's first year; a zero breaks
the run, as for the target, so an LA whose requests dropped to 0 in one year converts only
the years after it).  A series
whose newest plans year is missing (stale) is forecast from the requests of its own last
plans year, even where newer requests exist.

Intervals: the rule's own one-step log errors on each series' history (the forecast it
would have made for each earlier year), their root mean square shrunk toward the median
over series, growing as a random walk (as :mod:`.pooled`) and centred so that the draws' mean is the
rule's forecast (log-normal errors without the centring would lift it by
``exp(sigma^2 / 2)``, about 3% for a typical LA, which the tuning origins did not support); the
backtest's calibration factors then rescale them (:mod:`.calibration_factors`).

An LA without requests in its newest year, or without a year of plans with that year's and
the year before's requests, is excluded, with the reason (the orchestrator falls back to
pooled growth).  Before any year could be forecast by the rule (the first year with two
years of requests), the intervals use the plans' own yearly log growth (naive's error).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..settings import FORECAST_SETTINGS
from .baselines import _mean_square, _pooled_var
from .history import clean_history
from .interface import Forecaster
from .pooled import PooledGrowthForecaster, random_walk

__all__ = ["CONVERSION_SETTINGS", "ConversionForecaster"]

#: (years, lag) per measure, from benchmarks/flows_backtest.py (tuning origins); kept in
#: :data:`sendforecast.models.settings.FORECAST_SETTINGS`.
CONVERSION_SETTINGS: dict[str, tuple[int, float]] = FORECAST_SETTINGS["conversion"]


class ConversionForecaster(Forecaster):
    """Newest requests x the LA's recent conversion of (lagged) requests; see the module."""

    name = "conversion"
    min_years = 2
    pooled = True
    inputs = ("requests",)
    measures = ("new_plans",)

    def __init__(self, measure: str | None = "new_plans", years: int | None = None,
                 lag: float | None = None, shrink: float = 3.0):
        super().__init__(measure)
        k, lg = CONVERSION_SETTINGS.get(measure or "", CONVERSION_SETTINGS["default"])
        self.years = k if years is None else int(years)
        self.lag = lg if lag is None else float(lag)
        if self.years < 1 or not 0 <= self.lag <= 1:
            raise ValueError(f"conversion needs years >= 1 and 0 <= lag <= 1, not years="
                             f"{self.years}, lag={self.lag}")
        self.shrink = shrink

    @classmethod
    def refusal(cls, measure: str | None) -> str:
        return (f"the conversion method forecasts new_plans from requests (requests x the "
                f"LA's recent conversion of requests into plans), not {measure}")

    def _prepare(self, history: pd.DataFrame) -> pd.DataFrame:
        """The target's clean history (:meth:`Forecaster._prepare`) without the LAs that have
        no requests in their newest year, and the requests aligned on its years."""
        ms = history["measure"] if "measure" in history else pd.Series("", index=history.index)
        clean = super()._prepare(history[ms != "requests"])
        req, _ = clean_history(history[ms == "requests"], "requests")
        req = req.assign(la_code=req["la_code"].astype(str)).pivot_table(
            index="la_code", columns="year", values="value", aggfunc="first")
        n = self.Y_.shape[1]
        years = self.last_years_[:, None] - np.arange(n, -1, -1)[None, :]  # from a year earlier
        R = np.full(years.shape, np.nan)
        for i, code in enumerate(self.codes_):
            if code in req.index:
                row = req.loc[code]
                R[i] = row.reindex(years[i]).to_numpy(float)
        R = np.where(R > 0, R, np.nan)
        self.R_ = R  # column j + 1 is the year of Y_'s column j; column 0 the year before
        no_req = ~np.isfinite(R[:, -1])
        no_rate = ~np.isfinite(self._rates(self.Y_.shape[1] - 1))
        drop = no_req | no_rate
        self.excluded_why_ = {
            c: "no requests in its newest year" if why else
               "no year of plans with that year's and the year before's requests"
            for c, why in zip(self.codes_[drop], no_req[drop], strict=True)}
        if drop.any():
            self.excluded_ = [*self.excluded_, *self.codes_[drop]]
            keep = ~drop
            clean = clean[~clean["la_code"].isin(self.codes_[drop])]
            self.codes_, self.last_years_, self.Y_ = (self.codes_[keep], self.last_years_[keep],
                                                      self.Y_[keep])
            self.R_ = R[keep]
            self.clean_ = clean
        return clean

    def _rates(self, j: int) -> np.ndarray:
        """Each series' conversion rate from its years up to column ``j`` of ``Y_``."""
        cols = np.arange(max(j - self.years + 1, 0), j + 1)
        plans = self.Y_[:, cols]
        lagged = self.lag * self.R_[:, cols] + (1 - self.lag) * self.R_[:, cols + 1]
        ok = np.isfinite(plans) & np.isfinite(lagged) & (plans > 0)
        num = np.where(ok, plans, 0).sum(1)
        den = np.where(ok, lagged, 0).sum(1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den > 0, num / den, np.nan)

    def _fit(self, clean):
        n = self.Y_.shape[1]
        self.rate_ = self._rates(n - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            errs = np.full(self.Y_.shape, np.nan)
            for j in range(n - 1):  # the forecast of column j + 1 made at column j
                errs[:, j + 1] = np.log(self.Y_[:, j + 1]) - np.log(self._rates(j) * self.R_[:, j + 1])
            growth = np.diff(np.log(self.Y_), axis=1)[:, -8:]
        ms, cnt = _mean_square(errs[:, -8:])
        if not (cnt > 0).any():  # no year the rule could have forecast yet: the naive error
            g = growth[np.isfinite(growth)]
            ms[:] = np.mean(g ** 2) if g.size else 0.01
            cnt = np.ones_like(cnt)
        self.sigma_ = np.sqrt(_pooled_var(ms, cnt, self.shrink))
        self.level_ = self.rate_ * self.R_[:, -1]
        # after the first year: pooled growth's path from its first year (a series too
        # short for pooled growth, e.g. an LA reorganised two years ago, takes the median
        # of the others' growth - with the new-plans settings, everyone's growth)
        pooled = PooledGrowthForecaster(self.measure).fit(clean)
        grown = np.asarray(getattr(pooled, "growth_", []), float)
        g = dict(zip(pooled.codes_, grown, strict=False))
        default = float(np.median(grown)) if grown.size else 0.0
        self.growth_ = np.array([g.get(c, default) for c in self.codes_])
        self.phi_ = pooled.phi

    def _sample(self, horizon, draws, rng):
        # (each series' rate is finite: _prepare excluded the others)
        steps = np.arange(1, horizon + 1)
        damp = np.cumsum(np.where(steps > 1, self.phi_ ** steps, 0.0))  # 0, phi^2, + phi^3 ...
        mean = np.log(self.level_)[:, None] + self.growth_[:, None] * damp[None, :]
        # centred: the mean of the draws is the rule's forecast (the median is below it)
        return np.exp(mean[:, :, None] + random_walk(rng, self.sigma_, horizon, draws)
                      - 0.5 * self.sigma_[:, None, None] ** 2 * steps[None, :, None])
