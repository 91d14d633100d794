"""``sendforecast scenarios run FILE.yaml --out DIR`` (or ``--example``): budget scenarios."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from sendforecast.defaults import write_csv

COMPARISON_COLUMNS = ["scenario", "financial_year", "measure", "mean", "p10", "p90", "p2_5", "p97_5"]


def add_scenarios_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("scenarios", help="compare intervention strategies with the baseline")
    sub = p.add_subparsers(dest="scenarios_command", required=True)
    r = sub.add_parser("run", help="run a scenario YAML file (schema: sendforecast.scenarios.config)")
    r.add_argument("file", nargs="?", help="scenario run YAML")
    r.add_argument("--example", action="store_true", help="run the shipped Exampleshire example")
    from sendforecast.cli.options import add_draws, add_out, add_suppress, seed_int

    add_out(r)
    add_draws(r, default=None, help="Monte Carlo draws (default: the run file's draws)")
    r.add_argument("--seed", type=seed_int, default=None, metavar="N",
                   help="random seed; the same seed gives the same numbers (default: the run "
                        "file's seed)")
    add_suppress(r)
    r.set_defaults(func=run_scenarios)
    return p


def run_scenarios(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import platform

    import matplotlib.pyplot as plt

    from sendforecast import __version__, load_example, load_sen2
    from sendforecast.cli.options import suppress_threshold
    from sendforecast.data.example import (
        EXAMPLE_CAPACITY,
        EXAMPLE_COSTS,
        EXAMPLE_HNB,
        EXAMPLE_LA_CODE,
    )
    from sendforecast.errors import UsageError
    from sendforecast.finance.costs import CostAssumptions
    from sendforecast.finance.hnb import HNBAllocation
    from sendforecast.models.cohort import CohortModel
    from sendforecast.report.charts import comparison_dsg
    from sendforecast.report.suppress import describe, suppress_table
    from sendforecast.report.workbook import comparison_workbook
    from sendforecast.scenarios.compare import compare
    from sendforecast.scenarios.config import EXAMPLE_YAML, load_run_config, resolve
    from sendforecast.scenarios.goal_seek import goal_seek
    from sendforecast.scenarios.library import scenario_from_dict
    from sendforecast.sufficiency import Capacity
    from sendforecast.workflow import input_record

    if bool(args.file) == bool(args.example):
        raise UsageError("scenarios run: give a FILE.yaml or --example (not both)")
    path = EXAMPLE_YAML if args.example else Path(args.file)
    cfg, strategies = load_run_config(path)
    draws = args.draws or cfg.draws
    if args.seed is not None:  # the command line wins over the file, as --draws does
        cfg = cfg.model_copy(update={"seed": args.seed})
    t0 = time.perf_counter()
    if cfg.base.example:
        data, la = load_example(), EXAMPLE_LA_CODE
    else:
        data, la = load_sen2(*[resolve(p, path, path) for p in cfg.base.data]), cfg.base.la
    a = cfg.assumptions
    costs_path = resolve(a.costs, path, EXAMPLE_COSTS)
    cap_path = resolve(a.capacity, path, EXAMPLE_CAPACITY)
    costs = CostAssumptions.from_file(costs_path) if costs_path else CostAssumptions.defaults()
    capacity = Capacity.from_file(cap_path) if cap_path else None
    hnb_path = resolve(a.hnb, path, EXAMPLE_HNB)
    allocation = HNBAllocation.from_file(hnb_path)
    model = CohortModel.from_sen2(data, la)
    print(f"{data.la_name(la)} ({la}): baseline + {len(strategies)} strategies, "
          f"{cfg.horizon} years x {draws:,} draws, seed {cfg.seed}", flush=True)
    kw = dict(costs=costs, allocation=allocation, capacity=capacity, routing=a.routing)
    comp = compare(model, strategies, horizon=cfg.horizon, draws=draws, seed=cfg.seed,
                   progress=True, **kw)
    _check_goal_seek_year(cfg, comp.baseline.balance.financial_years, path)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(comp.table()[COMPARISON_COLUMNS], out / "comparison.csv")
    th = suppress_threshold(args)
    write_csv(suppress_table("plans", comp.plans(), th), out / "plans.csv")
    write_csv(comp.savings(), out / "savings.csv")
    write_csv(comp.dbv_table(), out / "dbv_table.csv")
    for measure in ("cumulative_balance", "in_year_balance"):
        fig = comparison_dsg(comp, measure)
        fig.savefig(out / f"dsg_{measure}.png", dpi=120)
        plt.close(fig)
    comp.settings |= {"file": str(path), "la": la, "publication suppression": describe(th),
                      "sendforecast version": __version__, "python": platform.python_version(),
                      "data sources": list(data.sources)}
    comp.settings |= input_record({"costs": costs_path, "hnb": hnb_path, "capacity": cap_path},
                                  costs, allocation, capacity, a.routing)
    if cfg.goal_seek is not None:
        gs = cfg.goal_seek
        res = goal_seek(model, lambda x: [scenario_from_dict({**gs.scenario, gs.parameter: x})],
                        gs.lo, gs.hi, financial_year=gs.financial_year, measure=gs.measure,
                        threshold=gs.threshold, probability=gs.probability, tol=gs.tol,
                        integer=gs.integer, horizon=cfg.horizon, draws=draws, seed=cfg.seed, **kw)
        write_csv(res.iterations, out / "goal_seek.csv")
        (out / "goal_seek.txt").write_text(f"{gs.parameter}: {res}\n")
        comp.settings["goal seek"] = f"{gs.parameter}: {res}"
        print(f"goal seek ({gs.parameter}): {res}")
    comparison_workbook(comp, out / "workbook.xlsx", suppress=th)
    (out / "run.json").write_text(json.dumps(comp.settings, indent=2, default=str))
    _write_report(comp, data.la_name(la), out, th)
    print(comp.savings()[["scenario", "mean", "p10", "p90", "p_saving_gt_0"]].to_string(
        index=False, float_format=lambda v: f"{v:,.2f}"))
    print(f"[{time.perf_counter() - t0:5.1f}s] wrote comparison.csv, plans.csv, savings.csv, "
          f"dbv_table.csv, charts, workbook.xlsx and report.html to {out}")
    return 0


def _check_goal_seek_year(cfg, financial_years: list[str], path: Path) -> None:
    """The goal seek's ``financial_year`` must be one the run projects (it depends on the
    data's last year and ``horizon``): an input error naming the file, not a 'bug'."""
    gs = cfg.goal_seek
    if gs is None or gs.financial_year in financial_years:
        return
    import yaml

    from sendforecast.config import yaml_line
    from sendforecast.errors import InputError, Problem

    node = yaml.compose(path.read_text(encoding="utf-8-sig"))
    raise InputError(Problem(str(path), yaml_line(node, ["goal_seek", "financial_year"]),
                             "goal_seek.financial_year",
                             f"a projected financial year ({financial_years[0]} to "
                             f"{financial_years[-1]} with horizon {cfg.horizon})",
                             gs.financial_year))


def _write_report(comp, la_name: str, out: Path, threshold: int | None) -> None:
    """``report.html``: the comparison with its plain-English summary (one offline page)."""
    from sendforecast.report.html import scenarios_report
    from sendforecast.report.workbook import assumptions_sheet

    p_deficit = {name: float((r.balance.cumulative[:, -1] < 0).mean())
                 for name, r in comp.runs.items()}
    charts = {p.stem: p.read_bytes() for p in sorted(out.glob("dsg_*.png"))}
    page = scenarios_report(la_name=la_name, savings=comp.savings(), table=comp.table(),
                            dbv=comp.dbv_table(), plans=comp.plans(), p_deficit=p_deficit,
                            charts=charts, strategies=comp.describe(), about=comp.settings,
                            assumptions=assumptions_sheet(comp.baseline.budget),
                            threshold=threshold)
    (out / "report.html").write_text(page, encoding="utf-8")
