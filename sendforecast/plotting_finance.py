"""Finance and sufficiency charts (matplotlib), drawn from the tidy frames of
:func:`sendforecast.hnb.budget` only; each function returns a ``Figure``."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import FuncFormatter

from sendforecast.data.taxonomy import PLACEMENT_GROUP_LABELS
from sendforecast.plotting import year_axis

__all__ = ["cost_stacked", "dsg_fan", "demand_vs_capacity"]

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
