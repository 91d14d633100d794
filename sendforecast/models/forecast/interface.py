"""The interface every forecasting method implements, and the one way intervals are made.

Knows the :class:`Forecaster` contract and sample paths; knows nothing about which methods
exist (:mod:`.registry`), falling back between them or choosing LAs (:mod:`.orchestrate`).

Design (statsforecast style): long frames in and out.

* **History** is a tidy frame ``la_code, year, value`` with optional ``la_name``,
  ``region_code`` and ``measure`` (LA x year x measure).  Single-measure methods
  use the rows of their target measure; the pipeline method uses several.
* **Forecaster**: ``fit(history) -> self`` then
  ``forecast(horizon, levels=(80, 95), seed=DEFAULT_SEED) -> DataFrame``.  ``fit`` runs
  :meth:`Forecaster._prepare` (clean the history; a method that reads several measures
  overrides it) and then :meth:`Forecaster._fit` (estimate).  Every method produces *sample
  paths* (:meth:`Forecaster.sample`), so intervals of every method are computed the same way
  (:func:`quantile_columns`) and methods can be chained (the pipeline method feeds request
  draws into new plans and caseload).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...defaults import DEFAULT_SEED  # one default for every random source (numpy, PyMC)
from ...errors import UsageError
from .history import clean_history, to_matrix, validate_history

#: Columns of a forecast frame (:func:`sendforecast.models.forecast.forecast`), in order.
OUTPUT_COLUMNS = ["la_code", "la_name", "measure", "year", "mean", "p10", "p90", "p2_5", "p97_5",
                  "method", "warning"]
#: Monte Carlo draws per series behind a forecast's mean and intervals.
DEFAULT_DRAWS = 1000


def level_name(level: float) -> tuple[str, str]:
    """Column names of the lower/upper bound of a central interval: 80 -> ('p10', 'p90')."""
    lo = (100 - level) / 2
    hi = 100 - lo

    def fmt(q: float) -> str:
        return "p" + (f"{q:g}".replace(".", "_"))

    return fmt(lo), fmt(hi)


def quantile_columns(draws: np.ndarray, levels: Sequence[float] = (80, 95)) -> dict[str, np.ndarray]:
    """Turn sample draws (last axis = draws) into ``mean`` and interval-bound columns.

    ``draws`` of shape ``(..., n)`` -> ``{"mean": ..., "p10": ..., "p90": ...}``
    (the mean of the draws and the central-interval bounds for each level).
    """
    draws = np.asarray(draws, dtype=float)
    out = {"mean": draws.mean(axis=-1)}
    for lv in levels:
        lo, hi = level_name(lv)
        q = np.quantile(draws, [(100 - lv) / 200, 1 - (100 - lv) / 200], axis=-1)
        out[lo], out[hi] = q[0], q[1]
    return out


class Forecaster(ABC):
    """A forecasting method: ``fit(history)`` then ``forecast(horizon)``.

    Subclasses implement :meth:`_fit` (on the cleaned history of the target measure) and
    :meth:`_sample` (sample paths on the count scale); a method that reads more than its
    target measure also overrides :meth:`_prepare`.

    After ``fit``: ``codes_``, ``last_years_`` and ``Y_`` (:func:`~.history.to_matrix` of the
    clean history ``clean_``), ``warnings_`` (``la_code, warning``), ``excluded_`` (codes too
    short for the method) and ``names_`` (LA names by code).
    """

    name: str = "base"
    #: fewest years a series needs for this method (shorter series fall back)
    min_years: int = 1
    #: fit on every LA at the level of the requested ones, then select (partial pooling)
    pooled: bool = False
    #: measures (besides the target) the method reads; ``None`` = the target only
    inputs: tuple[str, ...] | None = None
    #: measures the method forecasts; ``None`` = any
    measures: tuple[str, ...] | None = None

    def __init__(self, measure: str | None = None):
        if self.measures is not None and measure not in self.measures:
            raise UsageError(self.refusal(measure))
        self.measure = measure
        self.warnings_ = pd.DataFrame(columns=["la_code", "warning"])

    @classmethod
    def refusal(cls, measure: str | None) -> str:
        """Why the method does not forecast ``measure`` (one of :attr:`measures` it is not)."""
        return f"the {cls.name} method forecasts {', '.join(cls.measures or ())}, not {measure}"

    def fit(self, history: pd.DataFrame) -> Forecaster:
        """Prepare the history (:meth:`_prepare`) and estimate the model on it (:meth:`_fit`)."""
        clean = self._prepare(history)
        if len(self.codes_):
            self._fit(clean)
        return self

    def _prepare(self, history: pd.DataFrame) -> pd.DataFrame:
        """Check and clean ``history``, set the fitted history attributes and return the clean
        history of the target measure (the series long enough for the method)."""
        history = validate_history(history)
        if self.measure is None:
            ms = history["measure"].unique() if "measure" in history else ["value"]
            self.measure = str(ms[0]) if len(ms) == 1 else None
        clean, warn = clean_history(history, self.measure)
        self.history_ = history
        self.names_ = (history.drop_duplicates("la_code").set_index("la_code")["la_name"]
                       if "la_name" in history else pd.Series(dtype=object))
        short = clean.groupby("la_code")["year"].size() < self.min_years
        if short.any():
            for code in short[short].index:
                warn.loc[len(warn)] = (code, f"too short for {self.name} (fewer than "
                                             f"{self.min_years} usable years)")
        self.excluded_ = list(short[short].index)
        clean = clean[~clean["la_code"].isin(self.excluded_)]
        self.warnings_ = warn
        self.codes_, self.last_years_, self.Y_ = to_matrix(clean)
        self.clean_ = clean
        return clean

    def sample(self, horizon: int, draws: int = DEFAULT_DRAWS, seed: int | None = None) -> np.ndarray:
        """Sample paths, shape ``(n_series, horizon, draws)`` on the count scale."""
        rng = np.random.default_rng(seed)
        return self._sample(int(horizon), int(draws), rng)

    def forecast(self, horizon: int, levels: Sequence[float] = (80, 95),
                 seed: int | None = DEFAULT_SEED) -> pd.DataFrame:
        """Tidy forecast: ``la_code, la_name, measure, year, mean, p10, p90, ... , method``."""
        if not len(self.codes_):
            return empty_forecast(levels)
        draws = self.sample(horizon, seed=seed)
        return frame_from_draws(self.codes_, self.last_years_, draws, levels, self.name,
                                self.measure, self.names_)

    @abstractmethod
    def _fit(self, clean: pd.DataFrame) -> None: ...

    @abstractmethod
    def _sample(self, horizon: int, draws: int, rng: np.random.Generator) -> np.ndarray: ...


def frame_from_draws(codes, last_years, draws, levels, method, measure, names=None) -> pd.DataFrame:
    """Sample paths ``(series, horizon, draws)`` -> the tidy forecast frame (no ``warning``)."""
    n, h, _ = draws.shape
    cols = quantile_columns(draws, levels)
    names = names if names is not None else pd.Series(dtype=object)
    out = pd.DataFrame({
        "la_code": np.repeat(codes, h),
        "la_name": [names.get(c, c) for c in np.repeat(codes, h)],
        "measure": measure,
        "year": (np.asarray(last_years)[:, None] + np.arange(1, h + 1)[None, :]).ravel(),
        **{k: v.ravel() for k, v in cols.items()},
        "method": method,
    })
    return out


def empty_forecast(levels) -> pd.DataFrame:
    """A forecast frame with no rows (and no ``warning`` column)."""
    cols = ["la_code", "la_name", "measure", "year", "mean"]
    for lv in levels:
        cols += list(level_name(lv))
    return pd.DataFrame({c: [] for c in cols + ["method"]})
