"""High Needs Block allocation, DSG balance per Monte Carlo draw, and the budget chain.

:func:`budget` runs demand -> places -> cost -> DSG balance on a cohort projection::

    January stock draws ─► allocate (capacity, routing) ─► group x phase stock
      ─► financial years ─► cost draws [draw, fy, line] ─► DSG balance per draw

Each draw of the projection gives one cost path and one balance path, so the balance
quantiles and probabilities (``P(cumulative deficit > £X by 2028-29)``) are paired
with the demand draws.  Sign convention: a balance is income minus spend, so a
deficit is negative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sendforecast.costs import (
    CostAssumptions,
    CostDraws,
    FinancialYear,
    FixedLine,
    apply_costs,
    financial_year_stock,
    fy_start,
    load_yaml_model,
    stock_by_group_phase,
    warn_placeholders,
)
from sendforecast.sufficiency import Allocation, Capacity, allocate

if TYPE_CHECKING:
    from sendforecast.models.cohort import CohortProjection

__all__ = ["HNBAllocation", "Balance", "dsg_balance", "summarise", "quantile_frame",
           "prob_deficit_exceeds", "budget", "BudgetResult", "QUANTILES", "MAX_TRANSFER"]

QUANTILES = {"p10": 0.10, "p90": 0.90, "p2_5": 0.025, "p97_5": 0.975}
INTERVAL_COLUMNS = ["mean", *QUANTILES]
#: A Schools Block transfer above 0.5% needs the Secretary of State's approval (primer).
MAX_TRANSFER = 0.005


class HNBAllocation(BaseModel):
    """The HNB allocation path and the DSG position it is measured against.

    Either ``base_amount`` (GBP in ``base_year``) growing by ``growth`` a year, or an
    explicit ``series`` ``{"2026-27": amount, ...}`` covering every projected year.
    ``schools_block_transfer`` is a fraction (at most 0.005) of the Schools Block
    (``schools_block`` in ``base_year``, growing by ``schools_block_growth``) added to
    high-needs income every year.  ``opening_dsg_balance`` is the DSG reserve at the
    start of ``opening_year`` (default: the first projected year); negative = deficit.
    ``central_lines`` are HNB lines not driven by placements (fixed amounts with
    growth), added to the cost assumptions' fixed lines.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_year: FinancialYear
    base_amount: float | None = Field(default=None, ge=0)
    growth: float = Field(default=0.0, ge=-0.5, le=0.5)
    series: dict[str, float] | None = None
    schools_block_transfer: float = Field(default=0.0, ge=0)
    schools_block: float = Field(default=0.0, ge=0)
    schools_block_growth: float = Field(default=0.0, ge=-0.5, le=0.5)
    opening_dsg_balance: float = 0.0
    opening_year: FinancialYear | None = None
    central_lines: list[FixedLine] = []
    source: str = ""

    @field_validator("schools_block_transfer")
    @classmethod
    def _transfer(cls, v: float) -> float:
        if v > MAX_TRANSFER:
            raise ValueError(f"a fraction of at most {MAX_TRANSFER} (0.5% of the Schools Block; "
                             "more needs the Secretary of State's approval)")
        return v

    @field_validator("series")
    @classmethod
    def _series(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return v
        bad = []
        for k, amount in v.items():
            try:
                fy_start(k)
            except ValueError:
                bad.append(f"key {k!r} is not a financial year such as 2026-27")
            if not isinstance(amount, int | float) or amount < 0:
                bad.append(f"{k}: amount {amount!r} is not a number >= 0")
        if bad:
            raise ValueError("; ".join(bad))
        return {str(k): float(a) for k, a in v.items()}

    @model_validator(mode="after")
    def _one_path(self) -> HNBAllocation:
        if (self.base_amount is None) == (self.series is None):
            raise ValueError("exactly one of base_amount (with growth) or series")
        if self.schools_block_transfer > 0 and self.schools_block <= 0:
            raise ValueError("schools_block (GBP in base_year) to apply a schools_block_transfer")
        return self

    @classmethod
    def from_file(cls, path: str | Path) -> HNBAllocation:
        """Read a YAML file; every problem names the file, line and field."""
        return load_yaml_model(path, cls)

    def amounts(self, fy_labels: Sequence[str]) -> np.ndarray:
        """HNB allocation per financial year (GBP)."""
        if self.series is not None:
            missing = [f for f in fy_labels if f not in self.series]
            if missing:
                raise ValueError(f"HNB series has no amount for {', '.join(missing)}")
            return np.array([self.series[f] for f in fy_labels])
        b = fy_start(self.base_year)
        return np.array([self.base_amount * (1 + self.growth) ** (fy_start(f) - b)
                         for f in fy_labels])

    def transfer(self, fy_labels: Sequence[str]) -> np.ndarray:
        """Schools Block transfer per financial year (GBP)."""
        b = fy_start(self.base_year)
        return np.array([self.schools_block_transfer * self.schools_block
                         * (1 + self.schools_block_growth) ** (fy_start(f) - b)
                         for f in fy_labels])

    def to_frame(self) -> pd.DataFrame:
        rows = [(k, v) for k, v in self.model_dump(exclude={"central_lines", "series"}).items()]
        if self.series:
            rows += [(f"series {k}", v) for k, v in self.series.items()]
        rows += [(f"central line {f.name}", f"£{f.amount:,.0f} from {f.price_year}, growth "
                  f"{f.growth:.1%}; {f.source}") for f in self.central_lines]
        return pd.DataFrame(rows, columns=["item", "value"]).astype({"value": str})


# --------------------------------------------------------------------- balance


@dataclass
class Balance:
    """DSG balance per draw ``[draw, fy]`` (GBP; negative = deficit)."""

    financial_years: list[str]
    allocation: np.ndarray  # [fy] HNB allocation
    transfer: np.ndarray  # [fy] Schools Block transfer
    cost: np.ndarray  # [draw, fy] HNB cost
    in_year: np.ndarray  # [draw, fy] income - cost
    cumulative: np.ndarray  # [draw, fy] balance at the end of each year (NaN before opening)
    opening: float
    opening_year: str

    def frame(self) -> pd.DataFrame:
        """Tidy ``financial_year, measure, mean, p10, p90, p2_5, p97_5``."""
        d = self.cost.shape[0]
        stack = np.stack([np.broadcast_to(self.allocation, (d, len(self.allocation))),
                          np.broadcast_to(self.transfer, (d, len(self.transfer))),
                          self.cost, self.in_year, self.cumulative], axis=2)
        return quantile_frame(stack, self.financial_years,
                              ["hnb_allocation", "schools_block_transfer", "hnb_cost",
                               "in_year_balance", "cumulative_balance"], name="measure")


def dsg_balance(cost: CostDraws | np.ndarray, allocation: HNBAllocation,
                fy_labels: Sequence[str] | None = None) -> Balance:
    """In-year and cumulative DSG balance per draw.

    ``cost`` is a :class:`CostDraws` (its HNB lines are used; transport is general
    fund and excluded) or an HNB cost array ``[draw, fy]`` with ``fy_labels``.
    ``in_year = allocation + transfer - cost``; ``cumulative`` = opening balance plus
    the running sum of ``in_year`` from ``opening_year`` (``NaN`` for earlier years).
    """
    if isinstance(cost, CostDraws):
        fy_labels, hnb = cost.financial_years, cost.hnb_total()
    else:
        if fy_labels is None:
            raise ValueError("fy_labels are needed with a cost array")
        hnb = np.asarray(cost, dtype=float)
    fys = list(fy_labels)
    if hnb.ndim != 2 or hnb.shape[1] != len(fys):
        raise ValueError(f"cost shape {hnb.shape} does not match [draw, {len(fys)} years]")
    alloc, tr = allocation.amounts(fys), allocation.transfer(fys)
    in_year = alloc + tr - hnb
    opening_year = allocation.opening_year or fys[0]
    if opening_year not in fys:
        raise ValueError(f"opening_year {opening_year} is not a projected financial year "
                         f"({fys[0]} to {fys[-1]})")
    k = fys.index(opening_year)
    cum = np.full_like(in_year, np.nan)
    cum[:, k:] = allocation.opening_dsg_balance + np.cumsum(in_year[:, k:], axis=1)
    return Balance(fys, alloc, tr, hnb, in_year, cum, allocation.opening_dsg_balance, opening_year)


def summarise(values: np.ndarray) -> dict[str, np.ndarray]:
    """``mean, p10, p90, p2_5, p97_5`` over the first (draw) axis."""
    v = np.asarray(values, dtype=float)
    q = np.quantile(v, list(QUANTILES.values()), axis=0)
    return {"mean": v.mean(axis=0), **{k: q[i] for i, k in enumerate(QUANTILES)}}


def quantile_frame(values: np.ndarray, fy_labels: Sequence[str], lines: Sequence[str],
                   name: str = "line") -> pd.DataFrame:
    """Tidy ``financial_year, <name>, mean, p10, p90, p2_5, p97_5`` from ``[draw, fy, line]``."""
    s = summarise(values)
    f, l_ = np.meshgrid(np.arange(len(fy_labels)), np.arange(len(lines)), indexing="ij")
    out = pd.DataFrame({"financial_year": np.asarray(fy_labels, dtype=object)[f.ravel()],
                        name: np.asarray(lines, dtype=object)[l_.ravel()]})
    for k in INTERVAL_COLUMNS:
        out[k] = s[k].ravel()
    return out


def prob_deficit_exceeds(balance: Balance, amount: float, by_fy: str) -> float:
    """P(cumulative deficit at the end of ``by_fy`` is larger than ``amount`` GBP),
    i.e. the share of draws with ``cumulative < -amount`` in that year."""
    if by_fy not in balance.financial_years:
        raise ValueError(f"{by_fy} is not a projected financial year "
                         f"({balance.financial_years[0]} to {balance.financial_years[-1]})")
    c = balance.cumulative[:, balance.financial_years.index(by_fy)]
    if np.isnan(c).any():
        raise ValueError(f"{by_fy} is before the opening year {balance.opening_year}")
    return float(np.mean(c < -amount))


# --------------------------------------------------------------------- the chain


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

    def sheets(self) -> dict[str, pd.DataFrame]:
        a = self.assumptions.to_frame()
        sheets = {"Assumptions": a, "HNB allocation": self.allocation.to_frame(),
                  "Demand": self.demand}
        if self.sufficiency is not None:
            sheets["Sufficiency gap"] = self.sufficiency
            ffy = self.first_full_year.astype(object)
            sheets["First full year"] = ffy.where(ffy.notna(), None)
        sheets["Costs"] = self.costs
        sheets["DSG balance"] = self.dsg_balance
        return sheets

    def to_workbook(self, path: str | Path) -> Path:
        from sendforecast.reporting import write_workbook

        about = {"contents": "High Needs Block costs, DSG balance and sufficiency "
                             "(sendforecast.hnb.budget)",
                 "money": "GBP, cash terms of each April-March financial year",
                 "sign": "balance = income - spend; negative = deficit",
                 "financial years": "January stocks interpolated monthly, averaged Apr-Mar "
                                    "(weights 15/48, 32/48, 1/48; see costs.financial_year_stock)",
                 "transport": "general fund, not HNB: lines transport:* and total_transport"}
        about |= {k: str(v) for k, v in self.settings.items()}
        return write_workbook(self.sheets(), path, about)

    def plots(self) -> dict[str, Any]:
        from sendforecast import plotting_finance as pf

        figs = {"cost_by_placement": pf.cost_stacked(self.costs),
                "dsg_balance_fan": pf.dsg_fan(self.dsg_balance)}
        if self.sufficiency is not None and len(self.sufficiency):
            figs["places_demand_vs_capacity"] = pf.demand_vs_capacity(self.sufficiency)
        return figs


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
                               if k in ("years", "draws", "seed", "la", "source")},
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
