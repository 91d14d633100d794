"""Charts for reports (matplotlib), drawn from result frames only.

Every function takes a tidy frame produced elsewhere in the library and
returns a matplotlib ``Figure``; nothing here computes a model.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import FuncFormatter

from .data.taxonomy import PLACEMENT_GROUP_LABELS, PLACEMENT_GROUPS

_THOUSANDS = FuncFormatter(lambda v, _: f"{v:,.0f}")
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
