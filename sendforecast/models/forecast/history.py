"""The history a forecaster reads: building it from SEN2 data, checking and cleaning it.

Knows tidy frames ``la_code, year, value`` (+ ``la_name``, ``region_code``, ``measure``)
and the reorganisations of :mod:`sendforecast.data.geography`; knows nothing about
forecasting methods.

* :func:`history_from`: the tidy frame from a :class:`~sendforecast.SEN2Data`.
* :func:`validate_history`: the columns and types every forecaster needs.
* :func:`clean_history`: each series cut to its newest run of consecutive, positive,
  observed years (log growth needs positive counts); gaps, zeros, suppressed years, the
  part-year flows a new (reorganised) LA reports in its first year, and LAs that stopped
  reporting (abolished) are recorded as per-LA warnings.  A series whose newest year(s) are
  missing (at most :data:`MAX_STALE_YEARS`) is kept, ending at its last observed year, with
  a warning that starts with :data:`STALE_PREFIX`.
* :func:`to_matrix`: clean history as a right-aligned ``(series, years)`` matrix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ...data.geography import ENGLAND_CODE, reorganisation_of

#: Measures that are calendar-year flows (the others are January-census stocks).
FLOW_MEASURES = frozenset({"requests", "new_plans", "assessments", "ceased", "issued",
                           "not_issued", "decided_to_assess", "decided_not_to_assess"})
#: A series whose newest value is at most this many years older than the newest year of the
#: data is forecast from its last observed year (over the missing years too); older ones
#: (stopped reporting) are not forecast.
MAX_STALE_YEARS = 2
#: Warning text prefix of a kept series whose newest year(s) are missing (the orchestrator
#: replaces it by one naming the years forecast over the gap).
STALE_PREFIX = "latest year(s) missing"


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


def validate_history(history: pd.DataFrame) -> pd.DataFrame:
    """A copy with ``la_code`` as text, ``year`` as int and ``value`` as float (``ValueError``
    if a column is missing)."""
    missing = [c for c in ("la_code", "year", "value") if c not in history]
    if missing:
        raise ValueError(f"history needs columns la_code, year, value; missing {missing}")
    h = history.copy()
    h["la_code"] = h["la_code"].astype(str)
    h["year"] = h["year"].astype(int)
    h["value"] = h["value"].astype(float)
    return h


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
            warn.append((code, f"{STALE_PREFIX}: no value for {years_label(missing)}; "
                               f"forecast from {end_year}"))
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


def years_label(years: Sequence[int]) -> str:
    """``[2023]`` -> ``"2023"``; ``[2022, 2023]`` -> ``"2022-2023"`` (first and last)."""
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
