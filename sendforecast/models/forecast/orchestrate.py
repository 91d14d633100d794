"""The ``forecast`` verb: choose the LAs, run a method, fall back per series, guard, calibrate.

Knows the registry of methods (:mod:`.registry`), the history helpers and the calibration;
knows nothing about how any one method works.

Bad input is cleaned in one place (:func:`~.history.clean_history`) and recorded as per-LA
warnings.  A series whose newest year(s) are missing (at most
:data:`~.history.MAX_STALE_YEARS`) is forecast from its last observed year, over the missing
years too, so every LA covers the same target years (its intervals are wider, being more
steps ahead), and the warning says so.  The orchestrator then falls back per series to a
simpler method (:data:`~.registry.FALLBACK`) when the series is too short for the chosen
one, the method fails, or its forecast is implausible (:func:`implausible`), and records
that too.  The ``warning`` column of the result carries the text;
``result.attrs["warnings"]`` has one record per (LA, warning) and :func:`warnings_frame`
turns it into a frame.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...data.geography import ENGLAND_CODE
from ...defaults import DEFAULT_SEED
from ...errors import SendForecastWarning
from .calibration import apply_calibration
from .history import STALE_PREFIX, history_from, years_label
from .interface import Forecaster, empty_forecast
from .registry import AUTO_DEFAULT, AUTO_METHOD, FALLBACK, check_method, make_forecaster

__all__ = ["forecast", "implausible", "warnings_frame"]


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
        data.check_la_codes(codes, areas=True)
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
        ``naive``, ``drift``, ``ets``, ``loglinear``, ``pooled``, ``hierarchical``,
        ``pipeline`` (assessments, new plans and caseload only:
        :data:`~.flows.PIPELINE_MEASURES`), ``conversion`` (new plans only, from requests)
        or ``auto`` (the method chosen per measure by backtest,
        :data:`~.registry.AUTO_METHOD`).
        Pooled methods (pooled, hierarchical, pipeline, conversion) are fitted on every
        area at the requested level and then subset, so one LA borrows strength from the
        rest.
    seed
        The one seed of every random source (the forecast draws and, for the
        hierarchical model, PyMC's sampler); default
        :data:`~sendforecast.defaults.DEFAULT_SEED`, as on the command line.  ``None`` gives
        fresh randomness.
    levels
        Central interval levels in percent; each gives two columns (80 -> ``p10, p90``).
    calibrate
        Rescale the intervals by the factors estimated on rolling-origin backtests
        (:data:`~.calibration_factors.CALIBRATION`, written by
        ``benchmarks/forecast_accuracy.py``) where one exists for (method, measure,
        horizon, level); ``attrs["settings"]`` records it.  ``False`` gives the model's own
        (raw) intervals.
    guard
        Replace a forecast that :func:`implausible` flags by the next method of
        :data:`~.registry.FALLBACK` for that series (and say so in its warning).
    **method_kwargs
        Keyword arguments of the method asked for (not of its fallbacks), e.g.
        ``fit_method="advi"`` or ``sampler_config={"draws": 200}`` for hierarchical, and
        ``requests_method="hierarchical"`` or ``requests_model=<Forecaster>`` for pipeline.

    Returns
    -------
    DataFrame ``la_code, la_name, measure, year, mean, p10, p90, p2_5, p97_5, method,
    warning`` for forecast years only; ``attrs["warnings"]`` lists per-LA warnings
    (records; :func:`warnings_frame` gives them as a frame).
    Every LA forecast covers the same target years, the ``horizon`` years after the
    newest year of the data: an LA whose newest value is older (at most
    :data:`~.history.MAX_STALE_YEARS` years) is forecast from its last observed year over
    the missing years too, and its warning says so.
    Series that are too short for the method, where it fails, or whose forecast is
    implausible are forecast with the next simpler method (:data:`~.registry.FALLBACK`) and
    the ``warning`` column says so.  LAs not forecast at all (abolished, no usable
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
        why_not = getattr(f, "excluded_why_", {})  # a method's own reason, where it gives one
        for c in retry:
            _note(reason, c, f"{why_not[c]}: used {nxt}" if c in why_not
                  else f"too short for {m}: used {nxt}")
        todo = retry | (set(bad) & todo)
        m = nxt
    for c in sorted(todo):
        warn_rows.append((c, "not forecast: no usable history"))
    for c, y in sorted(origin.items()):
        if common_last is not None and y < common_last:
            warn_rows.append((c, f"{STALE_PREFIX}: no value for {years_label(range(y + 1, common_last + 1))}"
                                 f"; forecast from {y}, so {years_label(range(y + 1, common_last + 1))} "
                                 f"is forecast too (wider intervals: more steps ahead)"))
    res = pd.concat(results, ignore_index=True) if results else empty_forecast(levels).assign(warning="")
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
