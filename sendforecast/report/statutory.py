"""The statutory pipeline in a report: its history beside the forecast, one chart, one call.

:func:`statutory_history` gives the published series of an LA (or England) in the shape of
the forecast table, :func:`statutory_chart` draws both, :func:`statutory_section` is what
the main job and the ``statutory`` command call.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import pandas as pd

from sendforecast.data.statutory import statutory_wide
from sendforecast.report.charts import _THOUSANDS, suppression_note, year_axis
from sendforecast.report.suppress import for_chart

__all__ = ["StatutorySection", "statutory_chart", "statutory_history", "statutory_section"]

_PANELS = {"requests": "Requests for assessment", "plans_issued": "EHC plans issued",
           "within_20_weeks_pct": "% of plans issued within 20 weeks",
           "backlog": "Backlog at year end (forecast)"}


def statutory_history(data, la: str | list[str]) -> pd.DataFrame:
    """``year, measure, value`` published for ``la`` (``"all"``: England; a list of codes:
    their sum, in the years all of them published; percentages from the summed counts)."""
    if la == "all":
        w = statutory_wide(data, "national")
    elif isinstance(la, str):
        w = statutory_wide(data, "la")
        w = w[w.la_code == la]
    else:  # a list was drawn against England's history (a total 50x the forecast's)
        w = statutory_wide(data, "la")
        w = w[w.la_code.isin(list(la))].drop(columns="la_code").groupby(
            "year", as_index=False).agg(lambda v: v.sum() if v.notna().sum() == len(la)
                                        else float("nan"))
    w = w.assign(within_20_weeks_pct=100 * w.within_20_weeks / w.plans_issued,
                 within_6_weeks_pct=100 * w.decision_within_6_weeks / w.decisions,
                 assessments=w.completed)
    cols = ["requests", "assessments", "plans_issued", "within_20_weeks_pct", "within_6_weeks_pct"]
    h = w.melt(id_vars="year", value_vars=cols, var_name="measure", value_name="value")
    return h.dropna(subset=["value"]).sort_values(["measure", "year"], ignore_index=True)


def statutory_chart(table: pd.DataFrame, history: pd.DataFrame | None = None,
                    title: str | None = None):
    """Four panels: requests, plans issued, 20-week % and backlog, with 80%/95% bands."""
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.3))
    for ax, (m, label) in zip(axes, _PANELS.items(), strict=True):
        t = table[table.measure == m].sort_values("year")
        ax.fill_between(t.year, t.p2_5, t.p97_5, alpha=0.18, color="C1", label="95% interval")
        ax.fill_between(t.year, t.p10, t.p90, alpha=0.35, color="C1", label="80% interval")
        ax.plot(t.year, t["mean"], color="C1", label="forecast (mean)")
        if history is not None:
            h = history[history.measure == m]
            if len(h):
                ax.plot(h.year, h.value, color="k", marker="o", ms=3, label="published")
        ax.set_title(label, fontsize=9)
        if m.endswith("pct"):
            ax.set_ylim(0, 100)
        else:
            ax.yaxis.set_major_formatter(_THOUSANDS)
            ax.set_ylim(bottom=0)
        year_axis(ax)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, loc="upper left")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


@dataclass
class StatutorySection:
    table: pd.DataFrame  # la_code, year, measure, mean, p10, p90, p2_5, p97_5
    history: pd.DataFrame
    figure: object
    projection: object


def statutory_section(data, la: str | list[str], *, horizon: int = 3, draws: int = 1000,
                      seed: int | None = 1, capacity: dict[str, float] | None = None,
                      title: str | None = None, suppress: int | None = None
                      ) -> StatutorySection | None:
    """Forecast table, history and chart of the statutory pipeline for ``la`` (a code, a
    list or ``"all"``; the chart shows one LA, or England's total over the LAs); ``None``
    when the data hold no statutory series for it (e.g. an LA created after 2023).
    ``suppress`` (a threshold): the chart draws the counts as the tables publish them
    (:func:`~sendforecast.report.suppress.for_chart`; percentages unchanged); the
    section's ``table`` and ``history`` stay unrounded (suppressed when written)."""
    from sendforecast.errors import NotFoundError
    from sendforecast.models.statutory import project_statutory

    try:
        proj = project_statutory(data, la, horizon=horizon, draws=draws, seed=seed,
                                 capacity=capacity)
    except NotFoundError:
        if isinstance(la, str) or len(la) < 2:
            return None
        # a list: forecast the LAs that have the series (the caller lists the others)
        ok = [c for c in la if statutory_section(data, [c], horizon=1, draws=2, seed=seed,
                                                 capacity=capacity) is not None]
        return (statutory_section(data, ok, horizon=horizon, draws=draws, seed=seed,
                                  capacity=capacity, title=title, suppress=suppress)
                if ok else None)
    table = proj.table()
    if len(proj.codes) == 1:
        one = proj.codes[0]
        chart_table, name = table, f"{data.la_name(one)} ({one})"
    else:  # the chart shows the total of the LAs forecast beside the same LAs' history
        one = "all" if (isinstance(la, str) and la == "all") else list(proj.codes)
        chart_table = proj.table(total="all")
        name = ("England (sum of the LAs forecast)" if one == "all" else
                f"Sum of {len(one)} LAs ({', '.join(one[:5])}{', ...' if len(one) > 5 else ''})")
    history = statutory_history(data, one)
    fig = suppression_note(statutory_chart(
        for_chart("statutory", chart_table, suppress), for_chart("history", history, suppress),
        title or f"{name}: statutory assessments"), suppress)
    return StatutorySection(table, history, fig, proj)
