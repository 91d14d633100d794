"""The statutory assessment process in SEN2: measures and rates per LA and year, and an LA's
own monthly pipeline file.

SEN2 publishes, per calendar year (see :data:`~.sen2_schema.REQUESTS_2025`,
:data:`~.sen2_schema.ASSESSMENTS_2025`, :data:`~.sen2_schema.TIMELINESS_2025`,
:data:`~.sen2_schema.MI_2022`):

* requests for an EHC needs assessment and what was decided on them: agreed to assess,
  not to assess, withdrawn, no decision yet (outstanding); decisions within / over
  6 weeks; requests with mediation or a tribunal appeal;
* assessments completed: plan issued, not issued (and, 2023 on, decisions within /
  over 20 weeks);
* plans issued (first plans) within 20 weeks, over 20 weeks but within a year, over a year.

Coverage (checked on the 2025 and 2022 releases): requests, refusals (not to assess),
plans issued / not issued and plans issued within 20 weeks are published for 2014-2023
(the 2022 release's ``sen2_mi.csv``: ``InreqEHC``, ``AssRefusedEHC``, ``NewallEHC``,
``AssnoneEHC``, ``TotIncExcEHC``, ``IncExc20weekEHC``; 2014 is a part year, plans began
in September 2014).  Agreed / withdrawn / outstanding, 6-week timeliness, the 20-52 weeks
and over-a-year split, mediation and tribunal counts are published for calendar 2023
only (the 2025 release; its 2019-2022 rows hold ``x``).  ``sen2_mi.csv`` has
``NewEHCMediation`` / ``NewEHCTribunal`` (mediation/tribunal cases of the year, not per
request) which the reader does not take.  Before 2023 the share agreed is therefore
``1 - not to assess / requests`` (an upper bound: withdrawn and outstanding requests count
as agreed).

:func:`statutory_measures` gives the counts (tidy, long), :func:`statutory_rates` the
rates in percent, :func:`statutory_wide` one row per LA and year (what the pipeline
model reads).  :func:`read_monthly_pipeline` reads and validates an LA's monthly file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from .local import _la_code, _month
from .tables import Col, Table

__all__ = ["COUNT_MEASURES", "RATE_MEASURES", "statutory_measures", "statutory_rates",
           "statutory_wide", "read_monthly_pipeline", "monthly_pipeline_annual"]

#: frame of :class:`~sendforecast.data.sen2.SEN2Data` -> its statutory measures (all ages)
COUNT_MEASURES: dict[str, tuple[str, ...]] = {
    "requests": ("requests", "decided_to_assess", "decided_not_to_assess", "withdrawn",
                 "decision_not_made", "decision_within_6_weeks", "decision_over_6_weeks",
                 "mediation", "tribunal", "tribunal_after_mediation"),
    "assessments": ("issued", "not_issued"),
    "timeliness": ("plans_issued", "within_20_weeks", "20_to_52_weeks", "over_52_weeks"),
}

#: rate -> (numerator, denominator) columns of :func:`statutory_wide`, in percent
RATE_MEASURES: dict[str, tuple[str, str]] = {
    "assess_pct": ("agreed", "requests"),
    "not_assess_pct": ("decided_not_to_assess", "requests"),
    "withdrawn_pct": ("withdrawn", "requests"),
    "outstanding_pct": ("decision_not_made", "requests"),
    "within_6_weeks_pct": ("decision_within_6_weeks", "decisions"),
    "issue_pct": ("issued", "completed"),
    "within_20_weeks_pct": ("within_20_weeks", "plans_issued"),
    "20_to_52_weeks_pct": ("20_to_52_weeks", "plans_issued"),
    "over_52_weeks_pct": ("over_52_weeks", "plans_issued"),
}


def statutory_measures(data, level: str = "la") -> pd.DataFrame:
    """Counts of the statutory process: ``la_code, year, measure, value`` (all ages).

    ``level`` is ``la``, ``region`` or ``national``.  Missing (suppressed, not published)
    values are left out, never 0."""
    parts = []
    for frame, measures in COUNT_MEASURES.items():
        f = getattr(data, frame)
        f = f[(f.age == "all") & (f.level == level) & f.measure.isin(measures)]
        parts.append(f[["la_code", "year", "measure", "value"]])
    out = pd.concat(parts, ignore_index=True).dropna(subset=["value"])
    return out.sort_values(["la_code", "measure", "year"], ignore_index=True)


def statutory_wide(data, level: str = "la") -> pd.DataFrame:
    """One row per area and year with every count of :data:`COUNT_MEASURES` and derived
    columns (NaN where not published):

    * ``agreed``: requests agreed for assessment (``decided_to_assess`` where published,
      else ``requests - decided_not_to_assess``: an upper bound, see the module);
    * ``decisions``: decisions within + over 6 weeks;
    * ``completed``: assessments completed with a decision (issued + not issued).
    """
    m = statutory_measures(data, level)
    w = m.pivot_table(index=["la_code", "year"], columns="measure", values="value",
                      aggfunc="first").reset_index()
    w.columns.name = None
    for cols in COUNT_MEASURES.values():
        for c in cols:
            if c not in w:
                w[c] = np.nan
    w["agreed"] = w["decided_to_assess"].fillna(w["requests"] - w["decided_not_to_assess"])
    w["decisions"] = w["decision_within_6_weeks"] + w["decision_over_6_weeks"]
    w["completed"] = w["issued"] + w["not_issued"]
    return w.sort_values(["la_code", "year"], ignore_index=True)


def statutory_rates(data, level: str = "la") -> pd.DataFrame:
    """Rates in percent: ``la_code, year, measure, value`` for each of :data:`RATE_MEASURES`
    (a rate whose denominator is missing or 0 is left out)."""
    w = statutory_wide(data, level)
    parts = []
    for name, (num, den) in RATE_MEASURES.items():
        with np.errstate(divide="ignore", invalid="ignore"):
            v = 100 * w[num] / w[den].where(w[den] > 0)
        parts.append(pd.DataFrame({"la_code": w.la_code, "year": w.year, "measure": name,
                                   "value": v}))
    out = pd.concat(parts, ignore_index=True).dropna(subset=["value"])
    return out.sort_values(["la_code", "measure", "year"], ignore_index=True)


#: optional count columns of the monthly file
MONTHLY_OPTIONAL = ("decisions", "decided_to_assess", "plans_issued", "within_20_weeks")


def read_monthly_pipeline(path: str | Path) -> pd.DataFrame:
    """Read an LA's monthly statutory pipeline file (CSV or ``.xlsx``).

    Columns: ``month`` (required; ``2024-01``, ``Jan 2024``, a date ``2024-01-31`` ...),
    ``requests`` (required, whole number >= 0) and, optional, ``decisions`` (decisions on
    requests made in the month), ``decided_to_assess``, ``plans_issued``,
    ``within_20_weeks`` (plans issued within 20 weeks) and ``la_code`` (3 digits).  A blank
    optional cell is missing (never 0).  ``decided_to_assess`` may not exceed
    ``decisions`` and ``within_20_weeks`` may not exceed ``plans_issued``.

    Returns ``[la_code,] month (period[M]), calendar_year, requests, ...`` sorted by month;
    every problem raises one :class:`~sendforecast.errors.InputError` naming file, line and
    column.
    """
    cols = [Col("la_code", required=False), Col("month"), Col("requests"),
            *[Col(c, required=False) for c in MONTHLY_OPTIONAL]]
    t = Table(path, cols)
    key = ["month"]
    if "la_code" in t.present:
        t.require("la_code")
        t.text("la_code", _la_code, "a 3-digit LA code, e.g. 825")
        key = ["la_code", "month"]
    t.text("month", _month, "a month such as 2024-01 (or a date such as 2024-01-31)")
    t.number("requests", integer=True, lo=0)
    present = [c for c in MONTHLY_OPTIONAL if c in t.present]
    blanks = {c: t.df[c] == "" for c in present}
    for c in present:
        t.number(c, integer=True, lo=0)
    t.unique(key)
    for num, den in (("decided_to_assess", "decisions"), ("within_20_weeks", "plans_issued")):
        if num in present and den in present:
            ok = t.ok(num, den) & ~blanks[num] & ~blanks[den]
            t.flag(ok & (t.df[num] > t.df[den]), num, f"at most {t.headers[den]} of the same row",
                   t.df[num])
    out = t.result([*key, "requests", *present], text=key[:-1])
    for c in present:
        out[c] = out[c].astype(float).where(~blanks[c].to_numpy())
    out["month"] = out["month"].astype("period[M]")
    out.insert(len(key), "calendar_year", out["month"].dt.year.astype("int64"))
    return out.sort_values(key, ignore_index=True)


def monthly_pipeline_annual(frame: pd.DataFrame, file: str = "<frame>") -> pd.DataFrame:
    """Calendar-year totals of :func:`read_monthly_pipeline` output (complete years only:
    a year with fewer than 12 months is an :class:`InputError` if asked for as a total)."""
    key = ["la_code", "calendar_year"] if "la_code" in frame else ["calendar_year"]
    num = [c for c in ("requests", *MONTHLY_OPTIONAL) if c in frame]
    g = frame.groupby(key)
    out = g[num].sum(min_count=1)
    out["months"] = g["month"].nunique()
    out = out.reset_index()
    short = out[out["months"] < 12]
    if len(short) and len(short) == len(out):
        raise InputError(Problem(file, None, "month", "at least one complete calendar year "
                                 "(12 months)", f"{int(short['months'].max())} months"))
    return out[out["months"] == 12].drop(columns="months").reset_index(drop=True)
