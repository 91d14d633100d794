"""Charts for reports (matplotlib), drawn from result frames only.

Every function takes a tidy frame produced elsewhere in the library and
returns a matplotlib ``Figure``; nothing here computes a model.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sendforecast.data.taxonomy import PLACEMENT_GROUP_LABELS, PLACEMENT_GROUPS
from sendforecast.report import suppress as S

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
    wide = groups.dropna(subset=["value"]).pivot_table(  # missing (suppressed): no bar
        index="year", columns="placement_group", values="value", aggfunc="sum")
    wide = wide[[g for g in PLACEMENT_GROUPS if g in wide.columns]]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    bottom = None
    cmap = plt.get_cmap("tab10")
    for i, g in enumerate(wide.columns):
        ax.bar(wide.index, wide[g], bottom=bottom, label=PLACEMENT_GROUP_LABELS[g], color=cmap(i))
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


# ------------------------------------------------------------- money and places
_MILLIONS = FuncFormatter(lambda v, _: f"£{v / 1e6:,.0f}m")
_COUNT = FuncFormatter(lambda v, _: f"{v:,.0f}")


def cost_stacked(costs: pd.DataFrame, title: str | None = None):
    """Stacked bars of mean HNB cost by line per financial year (totals and transport out)."""
    c = costs[~costs["line"].str.startswith(("total_", "transport:"))]
    wide = c.pivot_table(index="financial_year", columns="line", values="mean", sort=False)
    wide = wide.loc[:, wide.sum() > 0]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    bottom = None
    cmap = plt.get_cmap("tab20")
    for i, line in enumerate(wide.columns):
        ax.bar(wide.index, wide[line], bottom=bottom, color=cmap(i % 20),
               label=PLACEMENT_GROUP_LABELS.get(line, line))
        bottom = wide[line] if bottom is None else bottom + wide[line]
    tot = costs[costs["line"] == "total_hnb"]
    if len(tot):
        ax.errorbar(tot["financial_year"], tot["mean"],
                    yerr=[(tot["mean"] - tot["p10"]).clip(lower=0),
                          (tot["p90"] - tot["mean"]).clip(lower=0)],
                    fmt="none", ecolor="black", capsize=3, label="Total HNB: 80% interval")
    ax.yaxis.set_major_formatter(_MILLIONS)
    ax.set_ylabel("High Needs Block cost (cash)")
    ax.set_title(title or "High Needs Block cost by placement, per financial year (mean)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
    ax.grid(axis="y", alpha=0.3)
    ax.tick_params(axis="x", rotation=45)
    fig.tight_layout()
    return fig


def dsg_fan(balance: pd.DataFrame, measure: str = "cumulative_balance",
            title: str | None = None):
    """Fan chart of the DSG balance (95% and 80% intervals, mean); below zero = deficit."""
    b = balance[(balance["measure"] == measure)].dropna(subset=["mean"])
    x = list(b["financial_year"])
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.fill_between(x, b["p2_5"], b["p97_5"], color="tab:red", alpha=0.15, label="95% interval")
    ax.fill_between(x, b["p10"], b["p90"], color="tab:red", alpha=0.3, label="80% interval")
    ax.plot(x, b["mean"], color="tab:red", marker="o", ms=3, label="mean")
    ax.axhline(0, color="black", lw=0.8)
    ax.yaxis.set_major_formatter(_MILLIONS)
    ax.set_ylabel("DSG balance at 31 March (negative = deficit)")
    ax.set_title(title or ("Cumulative DSG balance" if measure == "cumulative_balance"
                           else measure.replace("_", " ").capitalize()))
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax.tick_params(axis="x", rotation=45)
    fig.tight_layout()
    return fig


def demand_vs_capacity(sufficiency: pd.DataFrame, title: str | None = None):
    """Small multiples per provision x phase: demand (mean, 80% band) against places."""
    keys = list(sufficiency.groupby(["provision", "phase"], sort=False).groups)
    n = len(keys)
    cols = min(3, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.2 * rows), squeeze=False)
    for ax, (p, ph) in zip(axes.ravel(), keys, strict=False):
        g = sufficiency[(sufficiency["provision"] == p) & (sufficiency["phase"] == ph)]
        ax.fill_between(g["year"], g["demand_p10"], g["demand_p90"], alpha=0.25,
                        color="tab:blue", label="demand 80%")
        ax.plot(g["year"], g["demand_mean"], color="tab:blue", marker="o", ms=3,
                label="demand (mean)")
        ax.step(g["year"], g["capacity"], where="mid", color="black", label="places")
        ax.set_title(f"{PLACEMENT_GROUP_LABELS.get(p, p)}\n{ph}", fontsize=9)
        ax.yaxis.set_major_formatter(_COUNT)
        year_axis(ax)
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=7)
    fig.suptitle(title or "Specialist places: projected demand (January) vs commissioned places")
    fig.tight_layout()
    return fig


# ------------------------------------------------------------- result charts


def suppression_note(fig, threshold: int | None):
    """Under publication suppression, say on a chart of counts how its counts were drawn."""
    if threshold is not None:
        fig.text(0.995, 0.003, f"Counts rounded to the nearest {S.BASE}; counts of 1 to "
                               f"{threshold - 1} not drawn (publication suppression)",
                 ha="right", va="bottom", fontsize=6.5, color="#555555")
    return fig


def budget_charts(result, suppress: int | None = None) -> dict[str, object]:
    """The charts of a :class:`~sendforecast.finance.budget.BudgetResult`, by file stem;
    ``suppress`` (a threshold): the places chart draws demand and places as published
    (:func:`~sendforecast.report.suppress.for_chart`); money is never rounded."""
    figs = {"cost_by_placement": cost_stacked(result.costs),
            "dsg_balance_fan": dsg_fan(result.dsg_balance)}
    if result.sufficiency is not None and len(result.sufficiency):
        suff = S.for_chart("sufficiency", result.sufficiency, suppress)
        figs["places_demand_vs_capacity"] = suppression_note(demand_vs_capacity(suff), suppress)
    return figs


def main_charts(summary: pd.DataFrame, groups: pd.DataFrame, projection: pd.DataFrame,
                name: str, suppress: int | None = None) -> dict[str, object]:
    """The main job's charts of EHC plans, by file stem: ``history`` (``summary``, the
    "history" table), ``placements`` (``groups``: year, placement_group, value) and
    ``projection_by_placement`` (``projection``: ``CohortProjection.table(("year",
    "placement"))``).  ``suppress`` (a threshold): every count is drawn as the tables
    publish it, rounded, and a suppressed one is not drawn (it showed the exact model
    output, e.g. 2.35 children, beside a table cell 'c')."""
    hist = S.for_chart("history", summary, suppress)
    placed = S.for_chart("placements", groups, suppress)
    proj = S.for_chart("projection", projection, suppress)
    figs = {"history": history(hist, f"{name}: EHC plan history"),
            "placements": placement_mix(placed, f"{name}: EHC plans by placement"),
            "projection_by_placement": projection_fan(
                proj, placed, f"{name}: projected EHC plans by placement")}
    return {k: suppression_note(f, suppress) for k, f in figs.items()}


def comparison_dsg(comparison, measure: str = "cumulative_balance"):
    """Unmitigated vs mitigated DSG balance (mean and 80% interval) per financial year,
    from a :class:`~sendforecast.scenarios.compare.Comparison`."""
    from sendforecast.scenarios.compare import BASELINE

    t = comparison.table()
    t = t[t.measure == measure]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for i, (name, g) in enumerate(t.groupby("scenario", sort=False)):
        x = np.arange(len(g))
        ax.plot(x, g["mean"], marker="o", color=f"C{i}",
                label="unmitigated (baseline)" if name == BASELINE else name)
        ax.fill_between(x, g.p10, g.p90, color=f"C{i}", alpha=0.15)
        ax.set_xticks(x, g.financial_year, rotation=45)
    ax.axhline(0, color="k", lw=0.8)
    ax.yaxis.set_major_formatter(_MILLIONS)
    ax.set_title(("Cumulative" if measure.startswith("cum") else "In-year")
                 + " DSG balance: unmitigated vs mitigated (mean, 80% interval)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
