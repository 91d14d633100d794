"""The budget chain: demand -> places -> cost -> DSG balance, on a cohort projection.

:func:`budget` runs::

    January stock draws ─► allocate (capacity, routing) ─► group x phase stock
      ─► financial years ─► cost draws [draw, fy, line] ─► DSG balance per draw

Each draw of the projection gives one cost path and one balance path, so the balance
quantiles and probabilities (``P(cumulative deficit > £X by 2028-29)``) are paired
with the demand draws.  Returns data only: the charts and workbook of a
:class:`BudgetResult` live in :mod:`sendforecast.report`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sendforecast.finance.costs import (
    CostAssumptions,
    CostDraws,
    apply_costs,
    stock_by_group_phase,
    warn_placeholders,
)
from sendforecast.finance.hnb import Balance, HNBAllocation, dsg_balance, prob_deficit_exceeds
from sendforecast.intervals import quantile_frame, summarise
from sendforecast.sufficiency import Allocation, Capacity, allocate
from sendforecast.years import financial_year_stock

if TYPE_CHECKING:
    from sendforecast.models.cohort import CohortProjection

__all__ = ["budget", "BudgetResult"]


@dataclass
class BudgetResult:
    """Demand -> places -> cost -> DSG balance, with every draw kept."""

    cost_draws: CostDraws
    balance: Balance
    costs: pd.DataFrame  # financial_year, line, mean, p10, p90, p2_5, p97_5
    dsg_balance: pd.DataFrame  # financial_year, measure, mean, ...
    demand: pd.DataFrame  # January stock by year x placement (unconstrained, placed)
    sufficiency: pd.DataFrame | None
    first_full_year: pd.DataFrame | None
    assumptions: CostAssumptions
    allocation: HNBAllocation
    allocation_result: Allocation | None = None
    settings: dict = field(default_factory=dict)

    @property
    def balance_draws(self) -> np.ndarray:
        """Cumulative DSG balance ``[draw, fy]``."""
        return self.balance.cumulative

    def prob_deficit_exceeds(self, amount: float, by_fy: str) -> float:
        return prob_deficit_exceeds(self.balance, amount, by_fy)


def budget(projection: CohortProjection, assumptions: CostAssumptions,
           allocation: HNBAllocation, capacity: Capacity | None = None,
           routing: Mapping[str, Mapping[str, float]] | None = None) -> BudgetResult:
    """Run the whole chain on a cohort projection (SEN2 mode: states are placement groups).

    The base January (``projection.initial``, observed) is not constrained; the
    projected Januaries are, when ``capacity`` is given.  Financial years run from
    April of the base January to March of the last projected January.
    """
    draws = np.asarray(projection.draws)
    states, ages, years = list(projection.states), list(projection.ages), list(projection.years)
    offset = getattr(projection, "age_offset", 0)
    alloc = None
    if capacity is not None:
        alloc = allocate(draws, states, ages, years, capacity, routing, age_offset=offset)
        placed = alloc.draws
    else:
        placed = draws
    initial = np.broadcast_to(np.asarray(projection.initial), (draws.shape[0], *draws.shape[2:]))
    jan = np.concatenate([initial[:, None], placed], axis=1)  # [draw, year, age, state]
    jan_years = [int(projection.base_year), *years]
    by_gp, phases = stock_by_group_phase(jan, states, ages, offset)  # [draw, year, state, phase]
    fy, fy_labels = financial_year_stock(np.moveaxis(by_gp, 1, -1), jan_years)
    fy = np.moveaxis(fy, -1, 1)  # [draw, fy, state, phase]
    extra = list(allocation.central_lines)
    names = [f.name for f in assumptions.fixed_lines]
    clash = [f.name for f in extra if f.name in names]
    if clash:
        raise ValueError(f"fixed line(s) {clash} are in both the cost assumptions and the HNB "
                         "file's central_lines")
    full = assumptions.model_copy(update={"fixed_lines": [*assumptions.fixed_lines, *extra]})
    warn_placeholders(full)
    cd = apply_costs(fy, full, fy_labels, states, phases)
    bal = dsg_balance(cd, allocation)

    hnb, tr = cd.hnb_total(), cd.transport_total()
    values = np.concatenate([cd.values, hnb[..., None], tr[..., None]], axis=2)
    costs = quantile_frame(values, fy_labels, [*cd.lines, "total_hnb", "total_transport"])

    demand = _demand_frame(draws, placed, states, years)
    settings = {"projection": {k: v for k, v in getattr(projection, "settings", {}).items()
                               if k in ("horizon", "draws", "seed", "la", "source")},
                "base_year": projection.base_year, "routing": alloc.routing if alloc else None,
                "capacity": capacity is not None}
    return BudgetResult(
        cost_draws=cd, balance=bal, costs=costs, dsg_balance=bal.frame(), demand=demand,
        sufficiency=alloc.sufficiency if alloc else None,
        first_full_year=alloc.first_full_year if alloc else None,
        assumptions=full, allocation=allocation, allocation_result=alloc, settings=settings)


def _demand_frame(demand, placed, states, years) -> pd.DataFrame:
    """January stock by year x placement: demand (unconstrained) and placed (constrained)."""
    d = np.asarray(demand).sum(axis=2)  # [draw, year, state]
    p = np.asarray(placed).sum(axis=2)
    sd, sp = summarise(d), summarise(p)
    rows = []
    for i, y in enumerate(years):
        for j, s in enumerate(states):
            rows.append({"year": y, "placement": s, "demand_mean": sd["mean"][i, j],
                         "demand_p10": sd["p10"][i, j], "demand_p90": sd["p90"][i, j],
                         "placed_mean": sp["mean"][i, j], "placed_p10": sp["p10"][i, j],
                         "placed_p90": sp["p90"][i, j]})
    return pd.DataFrame(rows)
