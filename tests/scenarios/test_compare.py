"""Scenario comparison on paired draws, goal seek and the `scenarios run` CLI contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sendforecast.cli import main
from sendforecast.data.example import EXAMPLE_CAPACITY, EXAMPLE_COSTS, EXAMPLE_HNB
from sendforecast.finance.costs import CostAssumptions
from sendforecast.finance.hnb import HNBAllocation
from sendforecast.scenarios import library as L
from sendforecast.scenarios.compare import compare
from sendforecast.scenarios.goal_seek import goal_seek, target_probability
from sendforecast.sufficiency import Capacity

pytestmark = pytest.mark.filterwarnings("ignore:SEN transport costs")


@pytest.fixture(scope="module")
def inputs(example):
    from sendforecast.models.cohort import CohortModel

    return dict(model=CohortModel.from_sen2(example, "999"),
                costs=CostAssumptions.from_file(EXAMPLE_COSTS),
                capacity=Capacity.from_file(EXAMPLE_CAPACITY),
                allocation=HNBAllocation.from_file(EXAMPLE_HNB))


@pytest.fixture(scope="module")
def comparison(inputs):
    i = inputs
    strategies = {
        "fewer_requests": [L.ReduceRequests(by=0.2, start=2025)],
        "fewer_independent": [L.ReduceIndependent(share=0.5, start=2025)],
        "zero": [L.ReduceRequests(by=0.0, start=2025)],
        "dearer_fees": [L.CostLever(line="independent_special", change=0.1, start=2026)],
    }
    return compare(i["model"], strategies, horizon=6, draws=150, seed=3, costs=i["costs"],
                   allocation=i["allocation"], capacity=i["capacity"])


def test_comparison_table_contract_and_signs(comparison):
    t = comparison.table()
    assert list(t.columns) == ["scenario", "financial_year", "measure", "mean", "p10", "p90",
                               "p2_5", "p97_5"]
    s = t[t.measure == "cumulative_saving"].groupby("scenario")["mean"].last()
    assert s["fewer_requests"] > 0 and s["dearer_fees"] < 0
    assert s["zero"] == 0  # zero strength: identical draws, saving exactly 0
    q = t[t.measure == "hnb_cost"]
    assert (q.p10 <= q["mean"]).all() and (q["mean"] <= q.p90).all()
    p = t[(t.measure == "p_saving_gt_0") & (t.scenario == "fewer_requests")]["mean"]
    assert p.iloc[-1] > 0.9


def test_fewer_independent_saves_only_where_state_places_exist(inputs):
    """Diverting from independent to state special saves money without capacity limits;
    with the example's full special schools the diverted pupils overflow back, so the
    saving shrinks (the routing puts them in independent places again)."""
    i = inputs
    strat = {"fewer_independent": [L.ReduceIndependent(share=0.5, start=2025)]}
    kw = dict(horizon=6, draws=100, seed=4, costs=i["costs"], allocation=i["allocation"])
    free = compare(i["model"], strat, **kw).savings(5).set_index("scenario")
    capped = compare(i["model"], strat, capacity=i["capacity"], **kw).savings(5).set_index("scenario")
    assert free.loc["fewer_independent", "mean"] > 0
    assert free.loc["fewer_independent", "p_saving_gt_0"] > 0.9
    assert capped.loc["fewer_independent", "mean"] < 0.5 * free.loc["fewer_independent", "mean"]


def test_cost_lever_changes_only_its_line_from_its_year(comparison):
    base, dear = comparison.runs["baseline"].cost, comparison.runs["dearer_fees"].cost
    j = base.lines.index("independent_special")
    fys = base.financial_years
    k = fys.index("2026-27")
    np.testing.assert_allclose(dear.values[:, :k], base.values[:, :k])
    np.testing.assert_allclose(dear.values[:, k:, j], 1.1 * base.values[:, k:, j])
    others = [i for i in range(len(base.lines)) if i != j]
    np.testing.assert_allclose(dear.values[:, :, others], base.values[:, :, others])


def test_savings_and_dbv_tables(comparison):
    sav = comparison.savings(5)
    assert set(sav.scenario) == {"fewer_requests", "fewer_independent", "zero", "dearer_fees"}
    assert (sav.p10 <= sav["mean"]).all() and (sav["mean"] <= sav.p90).all()
    dbv = comparison.dbv_table()
    assert {"unmitigated_in_year", "fewer_requests_in_year", "fewer_requests_saving"} <= set(dbv)
    np.testing.assert_allclose(dbv.zero_in_year, dbv.unmitigated_in_year)


def test_goal_seek_finds_smallest_strength_meeting_target(inputs):
    i = inputs
    kw = dict(costs=i["costs"], allocation=i["allocation"], capacity=i["capacity"])
    base = compare(i["model"], {}, horizon=6, draws=100, seed=5, **kw).baseline
    fys = base.balance.financial_years
    target_fy = fys[-1]
    # a target between the baseline and a 50% cut in requests
    cut = compare(i["model"], {"c": [L.ReduceRequests(by=0.5, start=2025)]}, horizon=6, draws=100,
                  seed=5, **kw).runs["c"]
    j = fys.index(target_fy)
    thr = float(np.mean([base.balance.in_year[:, j].mean(), cut.balance.in_year[:, j].mean()]))
    res = goal_seek(i["model"], lambda x: [L.ReduceRequests(by=x, start=2025)], 0.0, 0.5,
                    financial_year=target_fy, threshold=thr, probability=0.8, tol=0.02, horizon=6,
                    draws=100, seed=5, **kw)
    assert res.achievable and 0 < res.strength <= 0.5
    it = res.iterations
    assert it[it.met].strength.min() == pytest.approx(res.strength)
    below = it[~it.met].strength
    assert below.max() < res.strength and res.strength - below.max() <= 0.02 + 1e-9
    assert res.probability >= 0.8
    assert target_probability(cut, "in_year_balance", target_fy, thr) >= 0.8


def test_goal_seek_reports_unreachable_target(inputs):
    i = inputs
    res = goal_seek(i["model"], lambda x: [L.ReduceRequests(by=x, start=2025)], 0.0, 0.1,
                    financial_year="2026-27", threshold=1e12, horizon=3, draws=20, seed=1,
                    costs=i["costs"], allocation=i["allocation"])
    assert not res.achievable and res.strength is None and "not met" in str(res)


def test_scenarios_run_example_cli(tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "scen"
    assert main(["scenarios", "run", "--example", "--draws", "60", "--out", str(out)]) == 0
    comp = pd.read_csv(out / "comparison.csv")
    assert list(comp.columns) == ["scenario", "financial_year", "measure", "mean", "p10", "p90",
                                  "p2_5", "p97_5"]
    assert comp.scenario.nunique() >= 4  # baseline + at least three strategies
    assert comp.financial_year.str.fullmatch(r"\d{4}-\d{2}").all()
    for f in ("plans.csv", "savings.csv", "dbv_table.csv", "goal_seek.csv", "workbook.xlsx",
              "dsg_cumulative_balance.png"):
        assert (out / f).exists(), f
    wb = load_workbook(out / "workbook.xlsx")
    assert {"About", "Savings (5 years)", "DBV table", "Comparison"} <= set(wb.sheetnames)


def test_scenarios_run_bad_yaml_is_a_clear_error(tmp_path, capsys):
    p = tmp_path / "s.yaml"
    p.write_text("version: 1\nbase: {example: true}\nassumptions: {hnb: example}\n"
                 "strategies:\n  a:\n    - {type: ReduceRequests, by: 3, start: 2026}\n")
    rc = main(["scenarios", "run", str(p), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and "s.yaml" in err and "strategies.a.0.by" in err


def test_savings_over_more_years_than_projected_is_a_clear_error(inputs):
    comp = compare(inputs["model"], {}, horizon=3, draws=20, seed=1, costs=inputs["costs"],
                   allocation=inputs["allocation"])
    n = len(comp.baseline.cost.financial_years)
    assert len(comp.savings(n)) == 0  # no strategies: no rows, but n years is allowed
    with pytest.raises(ValueError, match=f"only {n} financial years"):
        comp.savings(n + 1)
    with pytest.raises(ValueError, match="at least 1"):
        comp.savings(0)


@pytest.mark.parametrize("change, text", [
    ({"hi": 0.0}, "lo < hi"),  # an empty range reached the search: a 'bug' message
    ({"hi": 7}, "goal_seek.scenario.by"),  # hi outside the parameter's range was unchecked
])
def test_scenarios_goal_seek_range_is_checked_before_running(tmp_path, capsys, change, text):
    import yaml

    from sendforecast.scenarios.config import EXAMPLE_YAML

    cfg = yaml.safe_load(EXAMPLE_YAML.read_text())
    cfg.update(base={"example": True}, draws=20, horizon=3)
    cfg["goal_seek"].update(change)
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(cfg))
    rc = main(["scenarios", "run", str(p), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and "s.yaml" in err and text in err and "bug" not in err
    assert not (tmp_path / "o").exists()  # nothing ran


def test_scenarios_goal_seek_year_outside_the_horizon_is_an_input_error(tmp_path, capsys):
    """The example's goal seek year (2029-30) with horizon 3: exit 2 naming the file, line
    and the projected years (was 'unexpected error (ValueError) ... looks like a bug')."""
    import yaml

    from sendforecast.scenarios.config import EXAMPLE_YAML

    cfg = yaml.safe_load(EXAMPLE_YAML.read_text())
    cfg.update(draws=20, horizon=3, strategies={"a": cfg["strategies"]["stronger_sen_support"]})
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(cfg))
    rc = main(["scenarios", "run", str(p), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and "bug" not in err
    assert "goal_seek.financial_year" in err and "a projected financial year" in err


@pytest.mark.parametrize("content, text", [
    (b"version: 1\nbase: {example: true\n", "line 3: expected valid YAML"),  # was a 'bug'
    (b"\xff\xfe version: 1\n", "expected a UTF-8 text (YAML) file"),  # was a 'bug'
    (b"version: 1\nbase: {example: true}\nassumptions: {hnb: example}\nstrategies:\n"
     b"  a: [{type: ReduceRequests, by: 0.1, start: 2026}]\n"
     b"  a: [{type: ReduceRequests, by: 0.2, start: 2026}]\n",
     "line 6, column 'strategies.a': expected each key once"),  # the first 'a' vanished
])
def test_scenarios_run_unreadable_yaml_is_a_clear_error(tmp_path, capsys, content, text):
    p = tmp_path / "s.yaml"
    p.write_bytes(content)
    rc = main(["scenarios", "run", str(p), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and text in err and "bug" not in err and "Traceback" not in err


def test_scenarios_run_with_a_horizon_under_five_years(tmp_path):
    """horizon: 3 in the run file stopped with 'unexpected error (ValueError): savings over 5
    financial years ... looks like a bug' after every strategy had run; the savings are
    then over the projected years."""
    import yaml

    from sendforecast.scenarios.config import EXAMPLE_YAML

    cfg = yaml.safe_load(EXAMPLE_YAML.read_text())
    cfg.update(draws=20, horizon=3)
    cfg.pop("goal_seek")
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(cfg))
    assert main(["scenarios", "run", str(p), "--out", str(tmp_path / "o")]) == 0
    s = pd.read_csv(tmp_path / "o" / "savings.csv")
    assert len(s) == len(cfg["strategies"]) and s.financial_years.str.endswith("2026-27").all()


def test_an_unquoted_la_code_is_read_as_the_code(tmp_path):
    """la: 825 (a YAML number) was 'expected Input should be a valid string'."""
    from sendforecast.scenarios.config import load_run_config

    p = tmp_path / "s.yaml"
    (tmp_path / "release-2025").mkdir()  # the paths must exist (they are checked on reading)
    (tmp_path / "h.yaml").write_text("base_year: '2024-25'\n")
    p.write_text("version: 1\nbase: {data: [release-2025/], la: 825}\nassumptions: {hnb: h.yaml}\n"
                 "strategies:\n  a: [{type: ReduceRequests, by: 0.1, start: 2026}]\n")
    cfg, _ = load_run_config(p)
    assert cfg.base.la == "825"


def test_workbook_savings_sheet_states_the_years_it_covers(inputs, tmp_path):
    """horizon 3: the savings are over the projected years (fewer than 5), but the sheet
    was called "Savings (5 years)". Its name now gives the real number; its money is still
    formatted in £ and suppression still knows the sheet; the Assumptions sheet reads back
    with --costs as before."""
    from openpyxl import load_workbook

    from sendforecast.report.suppress import count_columns
    from sendforecast.report.workbook import GBP, comparison_workbook

    i = inputs
    comp = compare(i["model"], {"fewer_requests": [L.ReduceRequests(by=0.2, start=2025)]},
                   horizon=3, draws=20, seed=1, costs=i["costs"], allocation=i["allocation"])
    fys = comp.baseline.cost.financial_years
    n = len(fys)
    assert n < 5
    for th in (None, 5):
        path = comparison_workbook(comp, tmp_path / f"w{th}.xlsx", suppress=th)
        wb = load_workbook(path)
        name = f"Savings ({n} years)"
        assert name in wb.sheetnames and "Savings (5 years)" not in wb.sheetnames
        ws = wb[name]
        head = [c.value for c in ws[1]]
        assert ws.cell(2, head.index("financial_years") + 1).value == f"{fys[0]} to {fys[-1]}"
        assert ws.cell(2, head.index("mean") + 1).number_format == GBP  # money, in £
        assert ws.cell(2, head.index("mean") + 1).value == pytest.approx(
            comp.savings()["mean"].iloc[0])  # money is never rounded as a count
        assert count_columns(name, pd.DataFrame()) == []
    # --costs workbook.xlsx: the Assumptions sheet gives the run's own lines back
    back = CostAssumptions.from_file(path).to_frame()
    from sendforecast.report.workbook import assumptions_sheet

    pd.testing.assert_frame_equal(back, assumptions_sheet(comp.baseline.budget),
                                  check_dtype=False)
    # the default of 5 years when the run projects them
    assert "Savings (5 years)" in load_workbook(comparison_workbook(
        _five_years(i), tmp_path / "w5.xlsx")).sheetnames


def _five_years(i):
    return compare(i["model"], {"fewer_requests": [L.ReduceRequests(by=0.2, start=2025)]},
                   horizon=6, draws=10, seed=1, costs=i["costs"], allocation=i["allocation"])
