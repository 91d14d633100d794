"""The forecasting interface shared by every method, and the ``forecast`` orchestrator.

Design (statsforecast style): long frames in and out.

* **History** is a tidy frame ``la_code, year, value`` with optional ``la_name``,
  ``region_code`` and ``measure`` (LA x year x measure).  Single-measure methods
  use the rows of their target measure; the pipeline method uses several.
* **Forecaster** (:class:`Forecaster`): ``fit(history) -> self`` then
  ``forecast(horizon, levels=(80, 95), seed=DEFAULT_SEED) -> DataFrame``.  Every method
  produces *sample paths* (``sample``), so intervals of every method are
  computed the same way (:func:`quantile_columns`) and methods can be chained
  (the pipeline method feeds request draws into new plans and caseload).
* **Bad input** is cleaned in one place (:func:`clean_history`): each series is
  cut to its newest run of consecutive, positive, observed years (log growth
  needs positive counts); gaps, zeros, suppressed years, the part-year flows a
  new (reorganised) LA reports in its first year, and LAs that stopped
  reporting (abolished) are recorded as per-LA warnings.  A series whose newest
  year(s) are missing (at most :data:`MAX_STALE_YEARS`) is kept and forecast
  from its last observed year: the orchestrator forecasts it over the missing
  years too, so every LA covers the same target years (its intervals are wider,
  being more steps ahead), and says so in the warning.  The orchestrator
  then falls back per series to a simpler method when the series is too short
  for the chosen one, the method fails, or its forecast is implausible
  (:func:`implausible`), and records that too.  The
  ``warning`` column of the result carries the text; ``result.attrs["warnings"]``
  has one record per (LA, warning) and :func:`warnings_frame` turns it into a frame.
"""

from __future__ import annotations

import inspect
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ..data.geography import ENGLAND_CODE, reorganisation_of
from ..defaults import DEFAULT_SEED  # one default for every random source (numpy, PyMC)
from ..errors import NotFoundError, SendForecastWarning, UsageError

#: Measures that are calendar-year flows (the others are January-census stocks).
FLOW_MEASURES = frozenset({"requests", "new_plans", "assessments", "ceased", "issued",
                           "not_issued", "decided_to_assess", "decided_not_to_assess"})
OUTPUT_COLUMNS = ["la_code", "la_name", "measure", "year", "mean", "p10", "p90", "p2_5", "p97_5",
                  "method", "warning"]
#: Simpler method to use, per method, when a series is too short or a fit fails.
FALLBACK = {"hierarchical": "ets", "pipeline": "ets", "ets": "drift", "loglinear": "drift",
            "drift": "naive", "naive": None}
N_DRAWS = 1000
#: A series whose newest value is at most this many years older than the newest year of the
#: data is forecast from its last observed year (over the missing years too); older ones
#: (stopped reporting) are not forecast.
MAX_STALE_YEARS = 2
#: Warning text prefix of a kept series whose newest year(s) are missing (the orchestrator
#: replaces it by one naming the years forecast over the gap).
STALE_PREFIX = "latest year(s) missing"


def level_name(level: float) -> tuple[str, str]:
    """Column names of the lower/upper bound of a central interval: 80 -> ('p10', 'p90')."""
    lo = (100 - level) / 2
    hi = 100 - lo

    def fmt(q: float) -> str:
        return "p" + (f"{q:g}".replace(".", "_"))

    return fmt(lo), fmt(hi)


def quantile_columns(draws: np.ndarray, levels: Sequence[float] = (80, 95)) -> dict[str, np.ndarray]:
    """Turn sample draws (last axis = draws) into ``mean`` and interval-bound columns.

    ``draws`` of shape ``(..., n_draws)`` -> ``{"mean": ..., "p10": ..., "p90": ...}``
    (the mean of the draws and the central-interval bounds for each level).
    """
    draws = np.asarray(draws, dtype=float)
    out = {"mean": draws.mean(axis=-1)}
    for lv in levels:
        lo, hi = level_name(lv)
        q = np.quantile(draws, [(100 - lv) / 200, 1 - (100 - lv) / 200], axis=-1)
        out[lo], out[hi] = q[0], q[1]
    return out


# ---------------------------------------------------------------------------- history
def clean_history(history: pd.DataFrame, measure: str | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cut each series to its newest usable run and list what was dropped.

    A usable run is a set of consecutive years with positive, observed values
    (log-growth models need positive counts).  Returns ``(clean, warnings)``
    where ``warnings`` has columns ``la_code, warning``.  Series that end
    before the newest year of the frame are dropped when the LA was abolished in
    a reorganisation (forecasting it would forecast an area that no longer
    exists) or stopped reporting more than :data:`MAX_STALE_YEARS` years before;
    otherwise (e.g. one missing newest year) they are kept, ending at their last
    observed year, with a warning that starts with :data:`STALE_PREFIX`.
    """
    h = history.copy()
    if measure is not None and "measure" in h:
        h = h[h["measure"] == measure]
    h = h.sort_values(["la_code", "year"])
    last_year = h.loc[h["value"].notna(), "year"].max() if len(h) else None
    rows, warn = [], []
    is_flow = measure in FLOW_MEASURES
    for code, g in h.groupby("la_code", sort=False):
        g = g[g["value"].notna() | (g["year"] <= g.loc[g["value"].notna(), "year"].max())]
        reorg = reorganisation_of(str(code))
        part_year = False
        if reorg is not None and str(code) in reorg.successors and is_flow:
            part = g["year"] <= reorg.first_flow_year
            if part.any():
                part_year = True
                g = g[~part]
        g = _fill_single_gaps(g, code, warn)
        ok = g["value"].notna() & (g["value"] > 0)
        if part_year:
            warn.append((code, f"reorganised LA (new in {reorg.first_flow_year}): the part-year "
                               f"flow for {reorg.first_flow_year} is not used"
                        + ("" if ok.any() else "; no full-year value yet: not forecast")))
            if not ok.any():
                continue
        if not ok.any():
            warn.append((code, "no positive observed value: not forecast"))
            continue
        end_year = int(g["year"][ok].max())
        if end_year < last_year:
            abolished = reorg is not None and str(code) in reorg.predecessors
            if abolished or last_year - end_year > MAX_STALE_YEARS:
                what = "abolished in a reorganisation" if abolished else "no value since"
                warn.append((code, f"series ends in {end_year} ({what}; newest year "
                                   f"{int(last_year)}): not forecast"))
                continue
            missing = list(range(end_year + 1, int(last_year) + 1))
            warn.append((code, f"{STALE_PREFIX}: no value for {_years(missing)}; forecast from "
                               f"{end_year}"))
        years = g["year"].to_numpy()
        okv = ok.to_numpy()
        # newest run of consecutive usable years
        end = len(g) - 1
        while not okv[end]:
            end -= 1
        start = end
        while start > 0 and okv[start - 1] and years[start - 1] == years[start] - 1:
            start -= 1
        if len(g.iloc[:start].dropna(subset=["value"])) or (
                years[end] - years[start] + 1) != (end - start + 1):
            dropped = g.iloc[:start]
            # missing values before the first observation are not a break (series starts later)
            dropped = dropped[dropped["value"].notna().cummax().to_numpy()]
            n_zero = int((dropped["value"] == 0).sum())
            n_nan = int(dropped["value"].isna().sum())
            why = []
            if n_zero:
                why.append(f"{n_zero} zero value(s)")
            if n_nan:
                why.append(f"{n_nan} missing/suppressed value(s)")
            if not why:
                why.append("a gap in the years")
            warn.append((code, f"series broken by {' and '.join(why)}: only {int(years[start])}-"
                               f"{int(years[end])} used"))
        elif reorg is not None and str(code) in reorg.successors:
            warn.append((code, f"reorganised LA: history starts in {int(years[start])}"))
        rows.append(g.iloc[start:end + 1])
    clean = pd.concat(rows, ignore_index=True) if rows else h.iloc[:0]
    return clean, pd.DataFrame(warn, columns=["la_code", "warning"])


def _years(years: Sequence[int]) -> str:
    years = [int(y) for y in years]
    return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"


def _fill_single_gaps(g: pd.DataFrame, code, warn: list) -> pd.DataFrame:
    """Fill a single missing year between two positive years by geometric interpolation.

    Suppression or a publishing error in one year (e.g. the 2022 new-plans totals
    of Yorkshire and the Humber LAs) would otherwise cut the series to the years
    after it.  Longer gaps and zeros are not filled: the series is cut instead.
    """
    if g["value"].notna().sum() < 2:
        return g
    g = g.set_index("year", drop=False)
    years = list(range(int(g["year"].min()), int(g["year"].max()) + 1))
    g = g.reindex(years)
    g["year"] = years
    v = np.array(g["value"], dtype=float)
    filled = []
    for j in range(1, len(v) - 1):
        if np.isnan(v[j]) and v[j - 1] > 0 and v[j + 1] > 0:
            v[j] = np.sqrt(v[j - 1] * v[j + 1])
            filled.append(years[j])
    if filled:
        g["value"] = v
        warn.append((code, f"missing year(s) {filled} filled by interpolation"))
    g["la_code"] = code
    return g.ffill().assign(value=g["value"]).reset_index(drop=True)


def to_matrix(history: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clean history -> (codes, last_years, Y) with Y a right-aligned (n_series, n_years) matrix.

    Series are aligned on their *last* observation (column -1) and padded with NaN
    on the left, so vectorised methods can work on ``Y[:, -k:]``.
    """
    codes, lasts, series = [], [], []
    for code, g in history.groupby("la_code", sort=True):
        codes.append(code)
        lasts.append(int(g["year"].max()))
        series.append(g.sort_values("year")["value"].to_numpy(float))
    n = max((len(s) for s in series), default=0)
    Y = np.full((len(series), n), np.nan)
    for i, s in enumerate(series):
        Y[i, n - len(s):] = s
    return np.array(codes, dtype=object), np.array(lasts, dtype=int), Y


# ------------------------------------------------------------------------- Forecaster
class Forecaster(ABC):
    """A forecasting method: ``fit(history)`` then ``forecast(horizon)``.

    Subclasses implement :meth:`_fit` (on the cleaned history of the target
    measure) and :meth:`_sample` (sample paths on the count scale).
    """

    name: str = "base"
    #: fewest years a series needs for this method (shorter series fall back)
    min_years: int = 1
    #: fit on every LA at the level of the requested ones, then select (partial pooling)
    pooled: bool = False
    #: measures (besides the target) the method reads; ``None`` = the target only
    inputs: tuple[str, ...] | None = None

    def __init__(self, measure: str | None = None):
        self.measure = measure
        self.warnings_ = pd.DataFrame(columns=["la_code", "warning"])

    def fit(self, history: pd.DataFrame) -> Forecaster:
        history = _check_history(history)
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
        if len(self.codes_):
            self._fit(clean)
        return self

    def sample(self, horizon: int, n_draws: int = N_DRAWS, seed: int | None = None) -> np.ndarray:
        """Sample paths, shape ``(n_series, horizon, n_draws)`` on the count scale."""
        rng = np.random.default_rng(seed)
        return self._sample(int(horizon), int(n_draws), rng)

    def forecast(self, horizon: int, levels: Sequence[float] = (80, 95),
                 seed: int | None = DEFAULT_SEED) -> pd.DataFrame:
        """Tidy forecast: ``la_code, la_name, measure, year, mean, p10, p90, ... , method``."""
        if not len(self.codes_):
            return _empty(levels)
        draws = self.sample(horizon, seed=seed)
        return frame_from_draws(self.codes_, self.last_years_, draws, levels, self.name,
                                self.measure, self.names_)

    @abstractmethod
    def _fit(self, clean: pd.DataFrame) -> None: ...

    @abstractmethod
    def _sample(self, horizon: int, n_draws: int, rng: np.random.Generator) -> np.ndarray: ...


def frame_from_draws(codes, last_years, draws, levels, method, measure, names=None) -> pd.DataFrame:
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


def _empty(levels) -> pd.DataFrame:
    cols = ["la_code", "la_name", "measure", "year", "mean"]
    for lv in levels:
        cols += list(level_name(lv))
    return pd.DataFrame({c: [] for c in cols + ["method"]})


def _check_history(history: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("la_code", "year", "value") if c not in history]
    if missing:
        raise ValueError(f"history needs columns la_code, year, value; missing {missing}")
    h = history.copy()
    h["la_code"] = h["la_code"].astype(str)
    h["year"] = h["year"].astype(int)
    h["value"] = h["value"].astype(float)
    return h


# ------------------------------------------------------------------------ registry
def make_forecaster(method: str, measure: str | None = None, seed: int | None = DEFAULT_SEED,
                    **kwargs) -> Forecaster:
    """A fresh forecaster by name: naive, drift, ets, loglinear, hierarchical, pipeline.

    ``seed`` goes to methods that draw random numbers while fitting (the hierarchical
    model's MCMC/ADVI, the pipeline's requests sub-model); the others ignore it.
    """
    from . import baselines

    check_method(method, measure)
    if method in baselines.BASELINES:
        cls = baselines.BASELINES[method]
    elif method == "hierarchical":
        from .hierarchical import HierarchicalForecaster as cls
    else:
        from .pipeline import PipelineForecaster as cls
    if "seed" in inspect.signature(cls.__init__).parameters:
        kwargs = {"seed": seed, **kwargs}
    return cls(measure=measure, **kwargs)


METHODS = ("naive", "drift", "ets", "loglinear", "hierarchical", "pipeline")
#: Measures the pipeline method forecasts: requests x P(assess) -> assessments,
#: x P(issue) -> new plans, + continuation -> caseload.  Requests are its *input*
#: (forecast by a sub-model, drift by default): asking the pipeline for requests would
#: only relabel that sub-model, so it is refused with a pointer to the methods that do.
PIPELINE_MEASURES = ("assessments", "new_plans", "caseload")


def methods_for(measure: str | None) -> tuple[str, ...]:
    """The methods that forecast ``measure`` (every single-series method; pipeline only for
    :data:`PIPELINE_MEASURES`)."""
    return tuple(m for m in METHODS if m != "pipeline" or measure in PIPELINE_MEASURES)


def check_method(method: str, measure: str | None) -> None:
    """Raise :class:`~sendforecast.errors.UsageError` (a ``ValueError``) for an unknown method
    or one that does not forecast ``measure``."""
    if method not in METHODS:
        raise UsageError(f"unknown method {method!r}; choose from {', '.join(METHODS)} or auto")
    if method == "pipeline" and measure is not None and measure not in PIPELINE_MEASURES:
        raise UsageError(
            f"the pipeline method forecasts {', '.join(PIPELINE_MEASURES)} from requests "
            f"(requests x P(assess) x P(issue)), not {measure}; for {measure} use one of "
            f"{', '.join(methods_for(measure))} or auto")


#: Default method per measure chosen by the rolling-origin backtest in
#: ``benchmarks/forecast_accuracy.py`` (see benchmarks/results/forecast_accuracy.md);
#: ``method="auto"`` uses it.  :func:`sendforecast.evaluation.choose_method` re-runs the choice.
#: (Horizon 1, lowest median APE: new plans are noisy year to year and nothing beat the last value.)
#: Measures not listed (e.g. assessments) use :data:`AUTO_DEFAULT`.
AUTO_METHOD = {"caseload": "hierarchical", "requests": "hierarchical", "new_plans": "naive"}
AUTO_DEFAULT = "ets"


# ---------------------------------------------------------------------- orchestrator
def history_from(data, measures: Iterable[str], level: str = "la") -> pd.DataFrame:
    """Tidy ``la_code, la_name, region_code, measure, year, value`` from a SEN2Data object."""
    parts = []
    for m in measures:
        s = data.series(m, level=level)
        parts.append(s.assign(measure=m))
    h = pd.concat(parts, ignore_index=True)
    region = data.las.set_index("la_code")["region_code"]
    h["region_code"] = h["la_code"].map(region).fillna(ENGLAND_CODE)
    return h


def _select(data_or_history, measure: str, la, inputs: Sequence[str]
            ) -> tuple[pd.DataFrame, list[str] | None]:
    """History at the right level + the codes asked for (``None`` = every LA)."""
    if isinstance(la, str):
        la = "all" if la.lower() == "all" else ([ENGLAND_CODE] if la.lower() == "england" else
                                                [c.strip() for c in la.split(",") if c.strip()])
    codes = None if la == "all" else [str(c) for c in la]
    measures = list(dict.fromkeys([measure, *inputs]))
    if isinstance(data_or_history, pd.DataFrame):
        h = data_or_history
        if "measure" not in h:
            h = h.assign(measure=measure)
        h = h[h["measure"].isin(measures)]
        return h, codes
    data = data_or_history
    levels = {"la"}
    if codes is not None:
        lv = data.las.set_index("la_code")["level"]
        unknown = [c for c in codes if c not in lv.index]
        if unknown:
            raise NotFoundError(f"unknown area code(s) {unknown}: use 3-digit LA codes, E12... region "
                           f"codes or {ENGLAND_CODE}")
        levels = {lv[c] for c in codes}
    h = pd.concat([history_from(data, measures, level) for level in sorted(levels)],
                  ignore_index=True)
    return h, codes


def warnings_frame(result: pd.DataFrame) -> pd.DataFrame:
    """Per-LA warnings of a :func:`forecast` result as a frame ``la_code, warning``."""
    return pd.DataFrame(result.attrs.get("warnings", []), columns=["la_code", "warning"])


def _note(reason: dict, code: str, text: str) -> None:
    reason[code] = f"{reason[code]}; {text}" if code in reason else text


#: Plausibility bound of a forecast mean (see :func:`implausible`): at h steps ahead,
#: ``|log(mean / last)| <= GUARD_FACTOR * h * g_ref + log(2)``.
GUARD_FACTOR = 1.5
#: ``g_ref`` = the largest absolute yearly log growth among the series' last ``GUARD_WINDOW``
#: growths, at least ``GUARD_MIN_GROWTH`` (short or very smooth series).
GUARD_WINDOW = 8
GUARD_MIN_GROWTH = 0.1


def implausible(fc: pd.DataFrame, clean: pd.DataFrame) -> dict[str, str]:
    """LAs whose forecast mean leaves the range the series' own history makes plausible.

    Rule: with ``last`` the series' last observed value (in year ``T``) and ``g_ref`` the
    largest absolute yearly log growth among its last :data:`GUARD_WINDOW` growths (at least
    :data:`GUARD_MIN_GROWTH`), a forecast mean in year ``T + h`` is implausible when
    ``|log(mean / last)| > GUARD_FACTOR * h * g_ref + log 2`` (or not finite): i.e. it grows
    (or falls) faster than 1.5x the series' fastest recent year, every year, *and* by more than
    a factor 2 on top.  Returns ``{la_code: reason}``.  (Birmingham's assessments by ETS,
    driven by a recorded value of 1 in 2014: 9,067 in 2024 against 1,218 in 2023; bound 4.6x.)
    """
    if fc.empty or clean.empty:
        return {}
    out: dict[str, str] = {}
    series = {c: g.sort_values("year") for c, g in clean.groupby("la_code", sort=False)}
    for code, g in fc.groupby("la_code", sort=False):
        h = series.get(code)
        if h is None or h.empty:
            continue
        v = h["value"].to_numpy(float)
        last, last_year = v[-1], int(h["year"].iloc[-1])
        grow = np.abs(np.diff(np.log(v)))[-GUARD_WINDOW:]
        g_ref = max(float(grow.max()) if grow.size else 0.0, GUARD_MIN_GROWTH)
        steps = g["year"].to_numpy(int) - last_year
        mean = g["mean"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            dev = np.abs(np.log(mean / last))
        bound = GUARD_FACTOR * steps * g_ref + np.log(2)
        bad = ~np.isfinite(dev) | (dev > bound)
        if bad.any():
            j = int(np.argmax(bad))
            out[code] = (f"forecast mean {mean[j]:,.0f} in {int(g['year'].iloc[j])} is implausible "
                         f"against {last:,.0f} in {last_year} (more than "
                         f"{np.exp(bound[j]):.1f}x up or down)")
    return out


def forecast(data_or_history, measure: str = "caseload", la="all", horizon: int = 3,
             method: str = "auto", seed: int | None = DEFAULT_SEED,
             levels: Sequence[float] = (80, 95), calibrate: bool = True,
             guard: bool = True, **method_kwargs) -> pd.DataFrame:
    """Forecast one measure for one LA, a list, regions, England or all LAs.

    Parameters
    ----------
    data_or_history
        A :class:`~sendforecast.SEN2Data` (``load_sen2``/``load_example``) or a tidy
        history frame ``la_code, year, value`` (+ ``la_name``, ``region_code``, ``measure``).
    measure
        ``caseload``, ``requests``, ``assessments``, ``new_plans`` (or another SEN2 series).
    la
        ``"all"`` (every LA), a code or list of codes: 3-digit LA codes, region
        codes (E12..., forecasts the region total) or ``E92000001`` (England total).
    method
        ``naive``, ``drift``, ``ets``, ``loglinear``, ``hierarchical``, ``pipeline``
        (assessments, new plans and caseload only: :data:`PIPELINE_MEASURES`)
        or ``auto`` (the method chosen per measure by backtest, :data:`AUTO_METHOD`).
        Pooled methods (hierarchical, pipeline) are fitted on every area at the
        requested level and then subset, so one LA borrows strength from the rest.
    seed
        The one seed of every random source (the forecast draws and, for the
        hierarchical model, PyMC's sampler); default :data:`DEFAULT_SEED`, as on the
        command line.  ``None`` gives fresh randomness.
    calibrate
        Rescale the intervals by the factors estimated on rolling-origin backtests
        (:data:`CALIBRATION`, written by ``benchmarks/forecast_accuracy.py``) where one
        exists for (method, measure, horizon, level); ``attrs["settings"]`` records it.
        ``False`` gives the model's own (raw) intervals.
    guard
        Replace a forecast that :func:`implausible` flags by the next method of
        :data:`FALLBACK` for that series (and say so in its warning).

    Returns
    -------
    DataFrame ``la_code, la_name, measure, year, mean, p10, p90, p2_5, p97_5, method,
    warning`` for forecast years only; ``attrs["warnings"]`` lists per-LA warnings
    (records; :func:`warnings_frame` gives them as a frame).
    Every LA forecast covers the same target years, the ``horizon`` years after the
    newest year of the data: an LA whose newest value is older (at most
    :data:`MAX_STALE_YEARS` years) is forecast from its last observed year over the
    missing years too, and its warning says so.
    Series that are too short for the method, where it fails, or whose forecast is
    implausible are forecast with the next simpler method (:data:`FALLBACK`) and the
    ``warning`` column says so.  LAs not forecast at all (abolished, no usable
    history) appear only in ``attrs["warnings"]``, with the reason.
    """
    if method == "auto":
        method = AUTO_METHOD.get(measure, AUTO_DEFAULT)
    check_method(method, measure)
    first = make_forecaster(method, measure=measure, seed=seed, **method_kwargs)
    inputs = first.inputs or ()
    history, codes = _select(data_or_history, measure, la, inputs)
    target = history[history["measure"] == measure]
    # the common forecast origin: the newest year of the measure at this level (before subsetting)
    observed = target.loc[target["value"].notna(), "year"]
    common_last = int(observed.max()) if len(observed) else None
    if codes is not None and not first.pooled:
        history = history[history["la_code"].isin(codes)]
        target = target[target["la_code"].isin(codes)]
    wanted = set(codes) if codes is not None else set(target["la_code"].unique())

    results, warn_rows = [], []
    todo = set(wanted)
    m: str | None = method
    fc_obj: Forecaster | None = first
    reason: dict[str, str] = {}
    origin: dict[str, int] = {}
    while todo and m is not None:
        f = fc_obj if fc_obj is not None else make_forecaster(m, measure=measure, seed=seed)
        fc_obj = None
        hist = history if f.pooled else history[history["la_code"].isin(todo)]
        nxt = FALLBACK.get(m)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", SendForecastWarning)
                f.fit(hist)
                # series that end early are forecast over their missing years too
                lasts = [int(y) for c, y in zip(f.codes_, f.last_years_, strict=True) if c in todo]
                lead = max(0, common_last - min(lasts)) if lasts and common_last else 0
                out = f.forecast(horizon + lead, levels=levels, seed=seed)
                if common_last is not None:
                    out = out[out["year"] <= common_last + horizon]
            for w in caught:
                if issubclass(w.category, SendForecastWarning):
                    warnings.warn(str(w.message), SendForecastWarning, stacklevel=2)
        except Exception as exc:  # noqa: BLE001 - one failing method must not abort the run
            for c in todo:
                _note(reason, c, f"{m} failed ({type(exc).__name__}: {exc}); used {nxt}")
            m = nxt
            continue
        for _, r in f.warnings_.iterrows():
            if r.la_code in todo and not r.warning.startswith(("too short", STALE_PREFIX)):
                warn_rows.append((r.la_code, r.warning))
        out = out[out["la_code"].isin(todo)]
        bad = implausible(out, f.clean_) if guard and nxt is not None else {}
        for c, why in bad.items():
            _note(reason, c, f"{m} {why}: used {nxt}")
        out = out[~out["la_code"].isin(set(bad))]
        if len(out):
            out = out.assign(warning="")
            results.append(out)
            for c, y in out.groupby("la_code")["year"].min().items():
                origin[c] = int(y) - 1
        done = set(out["la_code"])
        todo -= done
        # fall back only for series that were too short for this method or implausible
        # (others cannot be saved)
        retry = {c for c in todo if c in set(f.excluded_)}
        for c in retry:
            _note(reason, c, f"too short for {m}: used {nxt}")
        todo = retry | (set(bad) & todo)
        m = nxt
    for c in sorted(todo):
        warn_rows.append((c, "not forecast: no usable history"))
    for c, y in sorted(origin.items()):
        if common_last is not None and y < common_last:
            warn_rows.append((c, f"{STALE_PREFIX}: no value for {_years(range(y + 1, common_last + 1))}"
                                 f"; forecast from {y}, so {_years(range(y + 1, common_last + 1))} "
                                 f"is forecast too (wider intervals: more steps ahead)"))
    res = pd.concat(results, ignore_index=True) if results else _empty(levels).assign(warning="")
    if calibrate:
        res = apply_calibration(res, levels)
    # (one frame built at once: appending by ``loc[len(df)]`` after drop_duplicates overwrote rows)
    warn_df = pd.DataFrame(list(dict.fromkeys(warn_rows)) + list(reason.items()),
                           columns=["la_code", "warning"])
    # merge warnings into the column
    joined = warn_df.groupby("la_code")["warning"].agg("; ".join)
    res["warning"] = [str(joined.get(c, "")) for c in res["la_code"]]
    res = res.sort_values(["la_code", "year"]).reset_index(drop=True)
    # records, not a frame: pandas compares attrs on concat, and frames cannot be compared
    res.attrs["warnings"] = warn_df.sort_values("la_code", kind="stable").to_dict("records")
    res.attrs["settings"] = dict(measure=measure, horizon=horizon, method=method, seed=seed,
                                 levels=tuple(levels), calibrate=calibrate, guard=guard,
                                 origin=common_last, **method_kwargs)
    return res


# ------------------------------------------------------------------------ calibration
#: Interval scale factors per (method, measure, horizon, level), estimated by
#: ``benchmarks/forecast_accuracy.py`` from rolling-origin backtests on the real
#: SEN2 files (every origin up to the newest one; see
#: :func:`sendforecast.evaluation.calibration_factors`).  A factor multiplies the
#: half-width of the interval on the log scale around its log-midpoint
#: (a conformal-style scaling): >1 widens, <1 narrows.  Missing keys = no change.
CALIBRATION: dict[tuple[str, str, int, int], float] = {
    ('drift', 'caseload', 1, 80): 1.024,
    ('drift', 'caseload', 1, 95): 1.177,
    ('drift', 'caseload', 2, 80): 1.080,
    ('drift', 'caseload', 2, 95): 1.192,
    ('drift', 'caseload', 3, 80): 1.087,
    ('drift', 'caseload', 3, 95): 1.233,
    ('drift', 'new_plans', 1, 80): 0.976,
    ('drift', 'new_plans', 1, 95): 1.168,
    ('drift', 'new_plans', 2, 80): 0.862,
    ('drift', 'new_plans', 2, 95): 0.974,
    ('drift', 'new_plans', 3, 80): 0.808,
    ('drift', 'new_plans', 3, 95): 0.873,
    ('drift', 'requests', 1, 80): 1.231,
    ('drift', 'requests', 1, 95): 1.370,
    ('drift', 'requests', 2, 80): 1.127,
    ('drift', 'requests', 2, 95): 1.124,
    ('drift', 'requests', 3, 80): 1.251,
    ('drift', 'requests', 3, 95): 1.268,
    ('ets', 'caseload', 1, 80): 1.362,
    ('ets', 'caseload', 1, 95): 1.707,
    ('ets', 'caseload', 2, 80): 1.403,
    ('ets', 'caseload', 2, 95): 2.018,
    ('ets', 'caseload', 3, 80): 1.480,
    ('ets', 'caseload', 3, 95): 2.938,
    ('ets', 'new_plans', 1, 80): 1.682,
    ('ets', 'new_plans', 1, 95): 1.930,
    ('ets', 'new_plans', 2, 80): 2.050,
    ('ets', 'new_plans', 2, 95): 2.478,
    ('ets', 'new_plans', 3, 80): 2.377,
    ('ets', 'new_plans', 3, 95): 2.973,
    ('ets', 'requests', 1, 80): 1.960,
    ('ets', 'requests', 1, 95): 2.303,
    ('ets', 'requests', 2, 80): 2.324,
    ('ets', 'requests', 2, 95): 3.061,
    ('ets', 'requests', 3, 80): 1.251,
    ('ets', 'requests', 3, 95): 1.268,
    ('hierarchical', 'caseload', 1, 80): 0.778,
    ('hierarchical', 'caseload', 1, 95): 0.904,
    ('hierarchical', 'caseload', 2, 80): 0.771,
    ('hierarchical', 'caseload', 2, 95): 0.823,
    ('hierarchical', 'caseload', 3, 80): 0.819,
    ('hierarchical', 'caseload', 3, 95): 0.847,
    ('hierarchical', 'new_plans', 1, 80): 0.805,
    ('hierarchical', 'new_plans', 1, 95): 0.922,
    ('hierarchical', 'new_plans', 2, 80): 0.688,
    ('hierarchical', 'new_plans', 2, 95): 0.840,
    ('hierarchical', 'new_plans', 3, 80): 0.648,
    ('hierarchical', 'new_plans', 3, 95): 0.723,
    ('hierarchical', 'requests', 1, 80): 0.948,
    ('hierarchical', 'requests', 1, 95): 0.993,
    ('hierarchical', 'requests', 2, 80): 0.879,
    ('hierarchical', 'requests', 2, 95): 0.816,
    ('hierarchical', 'requests', 3, 80): 0.990,
    ('hierarchical', 'requests', 3, 95): 0.882,
    ('loglinear', 'caseload', 1, 80): 1.362,
    ('loglinear', 'caseload', 1, 95): 1.430,
    ('loglinear', 'caseload', 2, 80): 1.794,
    ('loglinear', 'caseload', 2, 95): 1.889,
    ('loglinear', 'caseload', 3, 80): 2.028,
    ('loglinear', 'caseload', 3, 95): 2.164,
    ('loglinear', 'new_plans', 1, 80): 1.241,
    ('loglinear', 'new_plans', 1, 95): 1.354,
    ('loglinear', 'new_plans', 2, 80): 1.407,
    ('loglinear', 'new_plans', 2, 95): 1.548,
    ('loglinear', 'new_plans', 3, 80): 1.566,
    ('loglinear', 'new_plans', 3, 95): 1.610,
    ('loglinear', 'requests', 1, 80): 1.494,
    ('loglinear', 'requests', 1, 95): 1.484,
    ('loglinear', 'requests', 2, 80): 1.784,
    ('loglinear', 'requests', 2, 95): 1.759,
    ('loglinear', 'requests', 3, 80): 2.032,
    ('loglinear', 'requests', 3, 95): 2.226,
    ('naive', 'caseload', 1, 80): 1.149,
    ('naive', 'caseload', 1, 95): 1.089,
    ('naive', 'caseload', 2, 80): 1.569,
    ('naive', 'caseload', 2, 95): 1.454,
    ('naive', 'caseload', 3, 80): 1.938,
    ('naive', 'caseload', 3, 95): 1.763,
    ('naive', 'new_plans', 1, 80): 0.980,
    ('naive', 'new_plans', 1, 95): 1.187,
    ('naive', 'new_plans', 2, 80): 0.917,
    ('naive', 'new_plans', 2, 95): 1.157,
    ('naive', 'new_plans', 3, 80): 0.945,
    ('naive', 'new_plans', 3, 95): 1.087,
    ('naive', 'requests', 1, 80): 1.195,
    ('naive', 'requests', 1, 95): 1.181,
    ('naive', 'requests', 2, 80): 1.496,
    ('naive', 'requests', 2, 95): 1.299,
    ('naive', 'requests', 3, 80): 1.671,
    ('naive', 'requests', 3, 95): 1.501,
    ('pipeline', 'caseload', 1, 80): 0.956,
    ('pipeline', 'caseload', 1, 95): 1.217,
    ('pipeline', 'caseload', 2, 80): 1.085,
    ('pipeline', 'caseload', 2, 95): 1.360,
    ('pipeline', 'caseload', 3, 80): 1.206,
    ('pipeline', 'caseload', 3, 95): 1.646,
    ('pipeline', 'new_plans', 1, 80): 1.013,
    ('pipeline', 'new_plans', 1, 95): 1.406,
    ('pipeline', 'new_plans', 2, 80): 1.134,
    ('pipeline', 'new_plans', 2, 95): 1.737,
    ('pipeline', 'new_plans', 3, 80): 1.489,
    ('pipeline', 'new_plans', 3, 95): 2.068,
}


def apply_calibration(res: pd.DataFrame, levels: Sequence[float] = (80, 95),
                      factors: dict | None = None) -> pd.DataFrame:
    """Rescale interval bounds on the log scale by per (method, measure, horizon, level) factors.

    The horizon of a row is its step from the LA's forecast origin (an LA forecast from
    an earlier year has more steps); past the longest horizon with a factor, that
    horizon's factor is used."""
    factors = CALIBRATION if factors is None else factors
    if not factors or res.empty:
        return res
    res = res.copy()
    horizon = res["year"] - res.groupby("la_code")["year"].transform("min") + 1
    # beyond the longest backtested horizon, the factor of that horizon carries on (a step
    # further ahead must not get the raw, uncalibrated and usually narrower interval)
    h_max: dict[tuple, int] = {}
    for key in factors:
        if isinstance(key, tuple) and len(key) == 4:
            m, ms, h, lv = key
            h_max[(m, ms, lv)] = max(h_max.get((m, ms, lv), h), h)
    for lv in levels:
        lo, hi = level_name(lv)
        k = np.array([factors.get((m, ms, min(int(h), h_max.get((m, ms, int(lv)), int(h))),
                                   int(lv)), 1.0)
                      for m, ms, h in zip(res["method"], res["measure"], horizon, strict=True)])
        if np.all(k == 1.0):
            continue
        llo, lhi = np.log(res[lo].to_numpy()), np.log(res[hi].to_numpy())
        mid, half = (llo + lhi) / 2, (lhi - llo) / 2
        res[lo], res[hi] = np.exp(mid - k * half), np.exp(mid + k * half)
    # keep nested intervals nested (a wider level never inside a narrower one)
    lv_sorted = sorted(levels)
    for a, b in zip(lv_sorted, lv_sorted[1:], strict=False):
        (lo_a, hi_a), (lo_b, hi_b) = level_name(a), level_name(b)
        res[lo_b] = np.minimum(res[lo_b], res[lo_a])
        res[hi_b] = np.maximum(res[hi_b], res[hi_a])
    return res
