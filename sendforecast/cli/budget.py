"""CLI glue for the budget chain (costs, capacity, HNB/DSG).

``add_budget_arguments(parser)`` adds ``--costs --capacity --hnb --routing``;
``load_budget_inputs(args)`` reads them (defaults when a file is not given; the HNB
file is required for a DSG balance); ``write_budget_outputs(result, out_dir)``
writes ``costs.csv``, ``dsg_balance.csv``, ``sufficiency.csv`` (when capacity was
given), ``first_full_year.csv``, ``workbook.xlsx`` and the PNG charts.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sendforecast.defaults import write_csv

__all__ = ["add_budget_arguments", "batch_input_files", "load_budget_inputs",
           "load_batch_budget_inputs", "write_budget_outputs"]

COST_COLUMNS = ["financial_year", "line", "mean", "p10", "p90", "p2_5", "p97_5"]


def add_budget_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    g = parser.add_argument_group("costs, sufficiency and DSG balance")
    g.add_argument("--costs", metavar="FILE",
                   help="unit costs CSV/xlsx (placement, phase, need, line, annual_cost, "
                        "inflation, price_year, source) or YAML, or a workbook.xlsx written by "
                        "sendforecast with its Assumptions sheet edited; default: sourced "
                        "defaults")
    g.add_argument("--capacity", metavar="FILE",
                   help="commissioned places CSV/xlsx (provision, phase, need, name, year, "
                        "places); demand above places overflows per --routing; for run over several "
                        "LAs, a folder of <LA code>.csv files")
    g.add_argument("--hnb", metavar="FILE",
                   help="HNB allocation YAML (base_year, base_amount, growth or series, "
                        "schools_block_transfer, opening_dsg_balance, central_lines); for run over "
                        "several LAs, a folder of <LA code>.yaml files")
    g.add_argument("--routing", metavar="JSON",
                   help='overflow routing, e.g. \'{"state_special": {"resourced_provision": 0.3,'
                        ' "independent_special": 0.7}}\' (default: state special -> independent)')
    return parser


def load_budget_inputs(args: argparse.Namespace):
    """``(assumptions, allocation or None, capacity or None, routing or None)``."""
    from sendforecast.finance.costs import CostAssumptions
    from sendforecast.finance.hnb import HNBAllocation
    from sendforecast.sufficiency import Capacity

    costs = (_read("--costs", args.costs, CostAssumptions.from_file) if args.costs
             else CostAssumptions.defaults())
    hnb = _read("--hnb", args.hnb, HNBAllocation.from_file) if args.hnb else None
    cap = _read("--capacity", args.capacity, Capacity.from_file) if args.capacity else None
    return costs, hnb, cap, _routing(args)


def _read(option: str, path, reader):
    """``reader(path)``; a path that is not there names its option ('No such file:
    nofile.csv' did not say whether --costs or --capacity was wrong)."""
    if not Path(path).exists():
        raise FileNotFoundError(f"{option} {path}: no such file")
    return reader(path)


def load_batch_budget_inputs(args: argparse.Namespace, codes: list[str]):
    """For several LAs: ``(assumptions or None for the defaults, allocation by LA code,
    capacity by LA code, routing or None)``; ``--hnb``/``--capacity`` name folders of
    ``<code>.yaml`` / ``<code>.csv`` files (see :func:`sendforecast.batch.per_la_inputs`)."""
    from sendforecast.batch import per_la_inputs
    from sendforecast.finance.costs import CostAssumptions
    from sendforecast.finance.hnb import HNBAllocation
    from sendforecast.sufficiency import Capacity

    costs = _read("--costs", args.costs, CostAssumptions.from_file) if args.costs else None
    allocations = per_la_inputs(args.hnb, codes, HNBAllocation.from_file, "HNB allocation",
                                "--hnb", (".yaml", ".yml"))
    capacities = per_la_inputs(args.capacity, codes, Capacity.from_file, "commissioned places",
                               "--capacity", (".csv", ".xlsx"))
    return costs, allocations, capacities, _routing(args)


def batch_input_files(args: argparse.Namespace, codes: list[str]) -> dict[str, dict]:
    """The files a run over several LAs read: ``"all"`` -> what the options named, LA code
    -> that LA's files (its run.json names them; it said 'given in Python')."""
    from sendforecast.batch import per_la_files

    hnb = per_la_files(args.hnb, codes, "HNB allocation", "--hnb", (".yaml", ".yml"))
    cap = per_la_files(args.capacity, codes, "commissioned places", "--capacity",
                       (".csv", ".xlsx"))
    files = {c: {"costs": args.costs, "hnb": hnb.get(c), "capacity": cap.get(c)} for c in codes}
    return files | {"all": {"costs": args.costs, "hnb": args.hnb, "capacity": args.capacity}}


def _routing(args: argparse.Namespace):
    """``--routing`` as a mapping; text that is not JSON of that shape is a usage error
    (it was 'unexpected error (JSONDecodeError) ... looks like a bug')."""
    text = getattr(args, "routing", None)
    if not text:
        return None
    from sendforecast.errors import UsageError

    example = '{"state_special": {"independent_special": 1.0}}'
    try:
        routing = json.loads(text)
    except json.JSONDecodeError as e:
        raise UsageError(f"--routing: expected JSON such as '{example}', found {text!r} "
                         f"({e.msg} at character {e.pos + 1})") from None
    if not (isinstance(routing, dict) and all(
            isinstance(v, dict) and all(isinstance(x, int | float) for x in v.values())
            for v in routing.values())):
        raise UsageError(f"--routing: expected a mapping of each capped provision to its "
                         f"destinations' shares, such as '{example}', found {text!r}")
    return routing


def write_budget_outputs(result, out_dir: str | Path, charts: bool = True,
                         suppress: int | None = None) -> list[Path]:
    """Write the budget tables, workbook and charts; returns the paths written.
    ``suppress``: publication threshold for counts of children (None = off)."""
    from sendforecast.report.charts import budget_charts
    from sendforecast.report.suppress import suppress_table
    from sendforecast.report.workbook import budget_workbook

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    p = out / "costs.csv"
    write_csv(result.costs[COST_COLUMNS], p)
    paths.append(p)
    p = out / "dsg_balance.csv"
    write_csv(result.dsg_balance, p)
    paths.append(p)
    if result.sufficiency is not None:
        for name, frame in (("sufficiency.csv", result.sufficiency),
                            ("first_full_year.csv", result.first_full_year)):
            write_csv(suppress_table(name[:-4], frame, suppress), out / name)
            paths.append(out / name)
    paths.append(budget_workbook(result, out / "workbook.xlsx", suppress=suppress))
    if charts:
        import matplotlib.pyplot as plt

        for name, fig in budget_charts(result, suppress=suppress).items():
            p = out / f"{name}.png"
            fig.savefig(p, dpi=110)
            plt.close(fig)
            paths.append(p)
    return paths
