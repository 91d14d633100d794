"""Run a baseline and strategies on paired draws and compare them.

Every run uses the same seed, so the parameter draws (leaving and moving rates,
placement mix, joiner totals) are identical across the baseline and every
strategy: draw ``d`` of a strategy is draw ``d`` of the baseline with the
intervention applied (common random numbers).  Differences are taken draw by
draw, so their quantiles and P(saving > 0) carry the right uncertainty.
Process noise is paired too: the simulator gives every (draw, cell) its own
random stream each year, so an intervention that changes some cells leaves the
other cells' random draws unchanged (with the numpy fallback engine pairing is
only partial, which widens difference intervals: conservative, not optimistic).
A strategy whose adjustments are all zero reproduces the baseline draw for draw.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sendforecast.finance.budget import BudgetResult, budget
from sendforecast.finance.costs import CostAssumptions, CostDraws
from sendforecast.finance.hnb import HNBAllocation, dsg_balance
from sendforecast.intervals import quantile_frame
from sendforecast.sufficiency import Capacity
from sendforecast.years import fy_start

from .base import FlowAdjustments, Scenario, ramp

QCOLS = ["mean", "p10", "p90", "p2_5", "p97_5"]
BASELINE = "baseline"


def adjustments(model, scenarios: Sequence[Scenario], horizon: int) -> FlowAdjustments:
    """The combined flow adjustments of a list of scenarios on ``model``'s axes."""
    adj = FlowAdjustments(int(model.base_year), int(horizon), list(model.ages), list(model.states))
    for s in scenarios:
        s.adjust(adj)
    return adj


@dataclass
class Run:
    name: str
    scenarios: list[Scenario]
    adjustments: FlowAdjustments
    projection: object
    budget: BudgetResult
    cost: CostDraws
    balance: object


def _scaled_costs(cd: CostDraws, adj: FlowAdjustments, assumptions: CostAssumptions) -> CostDraws:
    if not adj.cost_scale:
        return cd
    fys = np.array([fy_start(f) for f in cd.financial_years])
    values = cd.values.copy()
    for target, (how, start, ramp_years, x) in adj.cost_scale:
        cols = [j for j, ln in enumerate(cd.lines)
                if ln == target or (target == "transport" and ln.startswith("transport:"))]
        if not cols:
            raise ValueError(f"cost lever line {target!r} is not a cost line; lines are {cd.lines}")
        if how == "level":
            m = 1 + x * ramp(start, ramp_years, fys)
        else:  # cap the annual uplift of the line's fees
            comps = [u for u in assumptions.unit_costs if u.placement_group == target]
            w = sum(u.annual_cost for u in comps)
            infl = sum(u.inflation * u.annual_cost for u in comps) / w if w else 0.0
            if infl <= x:
                continue
            m = ((1 + x) / (1 + infl)) ** np.maximum(0, fys - start + 1)
        values[:, :, cols] *= m[None, :, None]
    return CostDraws(values, cd.financial_years, cd.lines, cd.kinds)


def _capacity_with(capacity: Capacity | None, adj: FlowAdjustments) -> Capacity | None:
    if capacity is None or not adj.capacity:
        return capacity
    extra = pd.DataFrame(adj.capacity)
    frame = pd.concat([capacity.frame, extra.astype({"year": int, "places": int})],
                      ignore_index=True)
    return Capacity(frame, file=capacity.file + " + scenario places")


def run_strategy(model, name: str, scenarios: Sequence[Scenario], *, horizon: int, draws: int,
                 seed: int, costs: CostAssumptions, allocation: HNBAllocation,
                 capacity: Capacity | None = None, routing=None) -> Run:
    """Project one strategy and cost it (the building block of :func:`compare`)."""
    adj = adjustments(model, scenarios, horizon)
    proj = model.project(horizon=horizon, draws=draws, seed=seed, adjust=adj, keep_flows=False)
    b = budget(proj, costs, allocation, capacity=_capacity_with(capacity, adj), routing=routing)
    cd = _scaled_costs(b.cost_draws, adj, b.assumptions)
    bal = dsg_balance(cd, allocation) if cd is not b.cost_draws else b.balance
    return Run(name, list(scenarios), adj, proj, b, cd, bal)


@dataclass
class Comparison:
    """Baseline and strategies on paired draws; tidy tables, charts and a workbook."""

    runs: dict[str, Run]
    settings: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)  # wall-clock; never written with the settings

    @property
    def baseline(self) -> Run:
        return self.runs[BASELINE]

    # ------------------------------------------------------------------ tables
    def table(self) -> pd.DataFrame:
        """``scenario, financial_year, measure, mean, p10, p90, p2_5, p97_5``.

        Measures: ``hnb_cost``, ``transport_cost``, ``in_year_balance``,
        ``cumulative_balance`` for every run; for strategies also ``hnb_saving``
        (baseline cost minus strategy cost, draw by draw), ``cumulative_saving``
        and ``p_saving_gt_0`` (probability in ``mean``; quantiles not applicable).
        """
        base = self.baseline
        fys = base.cost.financial_years
        out = []
        for name, r in self.runs.items():
            stack = np.stack([r.balance.cost, r.cost.transport_total(), r.balance.in_year,
                              r.balance.cumulative], axis=2)
            measures = ["hnb_cost", "transport_cost", "in_year_balance", "cumulative_balance"]
            if name != BASELINE:
                saving = base.balance.cost - r.balance.cost
                stack = np.concatenate([stack, saving[..., None], np.cumsum(saving, 1)[..., None]], 2)
                measures += ["hnb_saving", "cumulative_saving"]
            q = quantile_frame(stack, fys, measures, name="measure")
            out.append(q.assign(scenario=name))
            if name != BASELINE:
                p = (base.balance.cost - r.balance.cost > 0).mean(axis=0)
                out.append(pd.DataFrame({"scenario": name, "financial_year": fys,
                                         "measure": "p_saving_gt_0", "mean": p}))
        t = pd.concat(out, ignore_index=True)
        return t[["scenario", "financial_year", "measure", *QCOLS]]

    def plans(self) -> pd.DataFrame:
        """EHC plans by January year and placement group (demand, before capacity), per
        scenario, with the change from the baseline draw by draw."""
        base = self.baseline.projection
        out = []
        b = base.draws.sum(axis=2)  # [draw, year, state]
        for name, r in self.runs.items():
            x = r.projection.draws.sum(axis=2)
            for label, arr in (("plans", x), ("change_vs_baseline", x - b)):
                if label == "change_vs_baseline" and name == BASELINE:
                    continue
                q = quantile_frame(arr, [str(y) for y in base.years], list(base.states),
                                   name="placement")
                out.append(q.rename(columns={"financial_year": "year"}).assign(
                    scenario=name, measure=label))
        t = pd.concat(out, ignore_index=True)
        t["year"] = t["year"].astype(int)
        return t[["scenario", "year", "placement", "measure", *QCOLS]]

    def dbv_table(self) -> pd.DataFrame:
        """Delivering-Better-Value style: unmitigated vs mitigated DSG balances (means, GBP)."""
        base = self.baseline.balance
        d = {"financial_year": base.financial_years,
             "unmitigated_in_year": base.in_year.mean(0),
             "unmitigated_cumulative": base.cumulative.mean(0)}
        for name, r in self.runs.items():
            if name == BASELINE:
                continue
            d[f"{name}_in_year"] = r.balance.in_year.mean(0)
            d[f"{name}_cumulative"] = r.balance.cumulative.mean(0)
            d[f"{name}_saving"] = base.cost.mean(0) - r.balance.cost.mean(0)
        return pd.DataFrame(d)

    def savings_years(self, years: int | None = None) -> int:
        """The financial years :meth:`savings` adds up: ``years``, by default 5, or every
        projected year when fewer (a run file with ``horizon: 3`` stopped ``scenarios run``
        with 'unexpected error ... looks like a bug')."""
        n = len(self.baseline.cost.financial_years)
        years = min(5, n) if years is None else years
        if years < 1 or years > n:
            raise ValueError(f"savings over {years} financial years: give at least 1 and at most "
                             f"the {n} projected; only {n} financial years are projected "
                             f"({self.baseline.cost.financial_years[0]} to "
                             f"{self.baseline.cost.financial_years[-1]})")
        return years

    def savings(self, years: int | None = None) -> pd.DataFrame:
        """Each strategy's total HNB saving over the first ``years`` financial years
        (:meth:`savings_years`)."""
        years = self.savings_years(years)
        base = self.baseline.balance.cost[:, :years].sum(1)
        rows = []
        for name, r in self.runs.items():
            if name == BASELINE:
                continue
            s = base - r.balance.cost[:, :years].sum(1)
            rows.append({"scenario": name, "financial_years": f"{self.baseline.cost.financial_years[0]}"
                         f" to {self.baseline.cost.financial_years[years - 1]}",
                         "mean": s.mean(), "p10": np.quantile(s, 0.1), "p90": np.quantile(s, 0.9),
                         "p2_5": np.quantile(s, 0.025), "p97_5": np.quantile(s, 0.975),
                         "p_saving_gt_0": (s > 0).mean(),
                         "description": " ".join(x.describe() for x in r.scenarios)})
        return pd.DataFrame(rows)

    def describe(self) -> str:
        lines = []
        for name, r in self.runs.items():
            lines.append(f"{name}:")
            lines += [f"  - {s.describe()}" for s in r.scenarios] or ["  - no intervention"]
            lines += [f"  ! {n}" for n in r.adjustments.notes]
        return "\n".join(lines)


def compare(model, strategies: Mapping[str, Sequence[Scenario]], *, horizon: int = 10,
            draws: int = 1000, seed: int = 1, costs: CostAssumptions | None = None,
            allocation: HNBAllocation, capacity: Capacity | None = None, routing=None,
            progress: bool = False) -> Comparison:
    """Run the baseline and each strategy (a list of scenarios) on paired draws."""
    if BASELINE in strategies:
        raise ValueError(f"'{BASELINE}' is reserved for the run without interventions")
    costs = costs or CostAssumptions.defaults()
    t0 = time.perf_counter()
    runs = {}
    for name, scen in {BASELINE: [], **strategies}.items():
        runs[name] = run_strategy(model, name, list(scen), horizon=horizon, draws=draws, seed=seed,
                                  costs=costs, allocation=allocation, capacity=capacity,
                                  routing=routing)
        if progress:
            print(f"[{time.perf_counter() - t0:5.1f}s] {name}", flush=True)
    settings = {"horizon": horizon, "draws": draws, "seed": seed, "base_year": model.base_year,
                "capacity": capacity is not None}
    return Comparison(runs, settings, timings={"seconds": round(time.perf_counter() - t0, 2)})
