"""Charts for reports (matplotlib), drawn from result frames only.

Every function takes a tidy frame produced elsewhere in the library and
returns a matplotlib ``Figure``; nothing here computes a model.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .data.taxonomy import PLACEMENT_GROUP_LABELS, PLACEMENT_GROUPS

_THOUSANDS = FuncFormatter(lambda v, _: f"{v:,.0f}")


def year_axis(ax) -> None:
    """Whole years on the x axis (``2025``, not ``2025.0`` or ``2027.5``), at most six
    labels so that they do not run into each other in small multiples."""
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}"))

MEASURE_LABELS = {
    "caseload": "EHC plans (January)", "requests": "Requests for EHC needs assessment",
    "assessments": "Assessments completed", "new_plans": "New EHC plans", "ceased": "EHC plans ceased",
}


def history(summary: pd.DataFrame, title: str | None = None):
    """Small multiples of the headline measures over time for one area."""
    measures = [m for m in MEASURE_LABELS if m in set(summary.measure)]
    fig, axes = plt.subplots(1, len(measures), figsize=(3.6 * len(measures), 3.2), squeeze=False)
    for ax, m in zip(axes[0], measures, strict=True):
        s = summary[summary.measure == m].dropna(subset=["value"])
        for _code, g in s.groupby("la_code"):
            ax.plot(g.year, g.value, marker="o", ms=3, label=str(g.la_name.iloc[0]))
        ax.set_title(MEASURE_LABELS[m], fontsize=9)
        ax.yaxis.set_major_formatter(_THOUSANDS)
        year_axis(ax)
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def placement_mix(groups: pd.DataFrame, title: str | None = None):
    """Stacked bars of EHC plans by placement group and year (frame from ``placement_groups``)."""
    wide = groups.pivot_table(index="year", columns="placement_group", values="value", aggfunc="sum")
    wide = wide[[g for g in PLACEMENT_GROUPS if g in wide.columns]]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    bottom = None
    cmap = plt.get_cmap("tab10")
    for i, g in enumerate(wide.columns):
        ax.bar(wide.index, wide[g].fillna(0), bottom=bottom, label=PLACEMENT_GROUP_LABELS[g], color=cmap(i))
        bottom = wide[g].fillna(0) if bottom is None else bottom + wide[g].fillna(0)
    ax.yaxis.set_major_formatter(_THOUSANDS)
    ax.set_ylabel("EHC plans (January census)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
    ax.set_title(title or "EHC plans by placement")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def projection_fan(table: pd.DataFrame, history_groups: pd.DataFrame | None = None,
                   title: str | None = None, placements: list[str] | None = None):
    """Fan charts (80% and 95% bands) of projected EHC plans by placement group.

    ``table`` is ``CohortProjection.table(("year", "placement"))``; observed January
    counts by group (``SEN2Data.placement_groups`` rows for the LA) are drawn as a line.
    """
    if placements is None:
        order = table.groupby("placement")["mean"].max().sort_values(ascending=False)
        placements = [p for p in order.index if p != "not_recorded"][:6]
    n = len(placements)
    cols = 3
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(11, 3.1 * rows), squeeze=False)
    for ax, p in zip(axes.flat, placements, strict=False):
        t = table[table.placement == p].sort_values("year")
        ax.fill_between(t.year, t.p2_5, t.p97_5, alpha=0.18, color="C0", label="95% interval")
        ax.fill_between(t.year, t.p10, t.p90, alpha=0.35, color="C0", label="80% interval")
        ax.plot(t.year, t["mean"], color="C0", label="projection (mean)")
        if history_groups is not None:
            h = history_groups[history_groups.placement_group == p].sort_values("year")
            ax.plot(h.year, h.value, color="k", marker="o", ms=3, label="observed (January)")
        ax.set_title(PLACEMENT_GROUP_LABELS.get(p, p), fontsize=9)
        ax.yaxis.set_major_formatter(_THOUSANDS)
        year_axis(ax)
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7, loc="upper left")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
