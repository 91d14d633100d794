"""HNB allocation, DSG balance per draw and the budget chain on a small fake projection."""

from __future__ import annotations

import argparse
import types

import numpy as np
import pandas as pd
import pytest

from sendforecast.cli.budget import (
    add_budget_arguments,
    load_budget_inputs,
    write_budget_outputs,
)
from sendforecast.data.example import EXAMPLE_CAPACITY, EXAMPLE_COSTS, EXAMPLE_HNB
from sendforecast.data.taxonomy import PLACEMENT_GROUPS
from sendforecast.errors import InputError, SendForecastWarning
from sendforecast.finance.budget import budget
from sendforecast.finance.costs import CostAssumptions, UnitCost
from sendforecast.finance.hnb import HNBAllocation, dsg_balance, prob_deficit_exceeds
from sendforecast.intervals import summarise
from sendforecast.sufficiency import Capacity

STATES = ["mainstream", "state_special", "independent_special"]
pytestmark = pytest.mark.filterwarnings("ignore:SEN transport costs are")


def test_allocation_path_and_transfer():
    a = HNBAllocation(base_year="2024-25", base_amount=100, growth=0.1,
                      schools_block_transfer=0.005, schools_block=1000)
    assert a.amounts(["2024-25", "2025-26", "2026-27"]) == pytest.approx([100, 110, 121])
    assert a.transfer(["2025-26"]) == pytest.approx([5])
    s = HNBAllocation(base_year="2024-25", series={"2025-26": 7, "2026-27": 8})
    assert s.amounts(["2026-27"]).tolist() == [8]
    with pytest.raises(ValueError, match="no amount for 2027-28"):
        s.amounts(["2027-28"])


def test_dsg_balance_hand_computed():
    a = HNBAllocation(base_year="2025-26", base_amount=15, opening_dsg_balance=-5)
    b = dsg_balance(np.array([[10.0, 20.0], [30.0, 40.0]]), a, ["2025-26", "2026-27"])
    assert b.in_year.tolist() == [[5, -5], [-15, -25]]
    assert b.cumulative.tolist() == [[0, -5], [-20, -45]]
    assert prob_deficit_exceeds(b, 10, "2026-27") == 0.5
    assert prob_deficit_exceeds(b, 50, "2026-27") == 0.0
    late = HNBAllocation(base_year="2025-26", base_amount=15, opening_dsg_balance=-5,
                         opening_year="2026-27")
    b = dsg_balance(np.array([[10.0, 20.0]]), late, ["2025-26", "2026-27"])
    assert np.isnan(b.cumulative[0, 0]) and b.cumulative[0, 1] == -10
    f = b.frame()
    assert list(f.columns) == ["financial_year", "measure", "mean", "p10", "p90", "p2_5", "p97_5"]


def test_summarise():
    s = summarise(np.arange(101.0)[:, None])
    assert s["mean"][0] == 50 and s["p10"][0] == 10 and s["p97_5"][0] == 97.5


def test_bad_hnb_files_name_line_and_field(tmp_path):
    p = tmp_path / "hnb.yaml"
    p.write_text('base_year: "2024-25"\nbase_amount: 1000\nschools_block_transfer: 0.01\n'
                 "schools_block: 5\nopening_balance: -3\n")
    with pytest.raises(InputError) as e:
        HNBAllocation.from_file(p)
    text = str(e.value)
    assert "hnb.yaml, line 3, column 'schools_block_transfer'" in text and "0.005" in text
    assert "line 5, column 'opening_balance'" in text  # unknown field (typo)
    p.write_text('base_year: "2024-25"\nbase_amount: 10\nseries:\n  2025-26: 5\n')
    with pytest.raises(InputError, match="exactly one of base_amount"):
        HNBAllocation.from_file(p)
    p.write_text("base_year: 2024\nbase_amount: 10\n")
    with pytest.raises(InputError, match="line 1, column 'base_year'"):
        HNBAllocation.from_file(p)


def fake_projection(draws=40, years=4, excess=0, seed=0):
    """Constant demand by draw; ages 5 and 12; ``excess`` in state special beyond 100."""
    rng = np.random.default_rng(seed)
    init = np.zeros((2, 3))
    init[:, 0], init[:, 1], init[:, 2] = 50, 50, 10
    d = np.broadcast_to(init, (draws, years, 2, 3)).astype(np.int32).copy()
    d[:, :, :, 0] += rng.integers(0, 5, size=(draws, years, 2))
    d[:, :, 1, 1] += excess
    return types.SimpleNamespace(draws=d, years=list(range(2025, 2025 + years)), ages=[5, 12],
                                 states=STATES, initial=init, base_year=2024, age_offset=0,
                                 settings={"seed": seed})


def _costs():
    return CostAssumptions(unit_costs=[
        UnitCost(placement_group="mainstream", annual_cost=8000, source="t"),
        UnitCost(placement_group="state_special", annual_cost=17000, source="t"),
        UnitCost(placement_group="independent_special", annual_cost=60000, source="t")])


def _alloc():
    return HNBAllocation(base_year="2024-25", base_amount=3_000_000, growth=0.03,
                         opening_dsg_balance=-1_000_000)


def _cap(places):
    return Capacity(pd.DataFrame([("state_special", "all", "all", "", 2025, places)],
                                 columns=["provision", "phase", "need", "name", "year", "places"]))


def test_budget_unlimited_capacity_equals_unconstrained():
    proj = fake_projection(excess=20)
    free = budget(proj, _costs(), _alloc())
    big = budget(proj, _costs(), _alloc(), capacity=_cap(10**6))
    assert np.array_equal(free.cost_draws.values, big.cost_draws.values)
    pd.testing.assert_frame_equal(free.costs, big.costs)


def test_binding_cap_cost_rises_by_excess_times_difference():
    proj = fake_projection(excess=20)  # state special demand 120 every projected January
    free = budget(proj, _costs(), _alloc())
    capped = budget(proj, _costs(), _alloc(), capacity=_cap(100))
    assert (capped.allocation_result.overflow["state_special"] == 20).all()
    assert np.array_equal(capped.allocation_result.draws.sum(axis=3), proj.draws.sum(axis=3))
    diff = capped.cost_draws.hnb_total() - free.cost_draws.hnb_total()
    # excess by January: 0 (base, observed) then 20: FY 2024-25 = 20 * (32 + 1)/48, then 20
    per_child = 60000 - 17000
    expected = np.array([20 * 33 / 48, 20, 20, 20]) * per_child
    assert diff == pytest.approx(np.broadcast_to(expected, diff.shape))
    assert capped.first_full_year["first_full_year"].tolist() == [2025]
    # total children in every financial year unchanged
    assert capped.cost_draws.financial_years == ["2024-25", "2025-26", "2026-27", "2027-28"]


@pytest.mark.filterwarnings("error")
def test_budget_hand_computed_costs_and_balance():
    proj = fake_projection(draws=3)
    proj.draws[:, :, :, 0] = 50  # no noise: stock constant at the initial
    with pytest.warns(SendForecastWarning, match="transport costs are £0"):
        r = budget(proj, _costs(), _alloc())
    cost = 100 * 8000 + 100 * 17000 + 20 * 60000  # 3.7m a year
    assert r.cost_draws.hnb_total() == pytest.approx(np.full((3, 4), cost))
    alloc = 3_000_000 * 1.03 ** np.arange(4)
    expected = -1_000_000 + np.cumsum(alloc - cost)
    assert r.balance_draws[0] == pytest.approx(expected)
    tot = r.costs[r.costs.line == "total_hnb"]
    assert tot["mean"].tolist() == pytest.approx([cost] * 4)
    assert r.prob_deficit_exceeds(1_000_000, "2025-26") == 1.0


def test_example_chain_writes_outputs(tmp_path):
    parser = add_budget_arguments(argparse.ArgumentParser())
    args = parser.parse_args(["--costs", str(EXAMPLE_COSTS), "--capacity",
                              str(EXAMPLE_CAPACITY), "--hnb", str(EXAMPLE_HNB)])
    costs, hnb, cap, routing = load_budget_inputs(args)
    assert hnb.schools_block_transfer <= 0.005 and hnb.opening_dsg_balance < 0
    init = np.zeros((26, len(PLACEMENT_GROUPS)))
    init[4:19, :] = 20
    d = np.broadcast_to(init, (10, 4, 26, len(PLACEMENT_GROUPS)))
    d = (d * np.linspace(1.05, 1.4, 4)[None, :, None, None]).astype(np.int32)
    proj = types.SimpleNamespace(draws=d, years=[2025, 2026, 2027, 2028], ages=list(range(26)),
                                 states=list(PLACEMENT_GROUPS), initial=init, base_year=2024,
                                 age_offset=0, settings={})
    r = budget(proj, costs, hnb, cap, routing)
    assert {"central_sen_services", "transport:state_special"} <= set(r.costs.line)
    paths = write_budget_outputs(r, tmp_path, charts=True)
    names = {p.name for p in paths}
    assert {"costs.csv", "dsg_balance.csv", "sufficiency.csv", "workbook.xlsx",
            "cost_by_placement.png", "dsg_balance_fan.png",
            "places_demand_vs_capacity.png"} <= names
    c = pd.read_csv(tmp_path / "costs.csv")
    assert list(c.columns) == ["financial_year", "line", "mean", "p10", "p90", "p2_5", "p97_5"]
    assert c.financial_year.iloc[0] == "2024-25"
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "workbook.xlsx", read_only=True)
    assert {"Assumptions", "Demand", "Sufficiency gap", "Costs", "DSG balance"} <= set(
        wb.sheetnames)
    wb.close()
    r2 = budget(proj, costs, hnb, cap, routing)  # same inputs -> identical outputs
    pd.testing.assert_frame_equal(r.costs, r2.costs)
    pd.testing.assert_frame_equal(r.sufficiency, r2.sufficiency)
