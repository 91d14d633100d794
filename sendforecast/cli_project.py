"""``sendforecast project``: cohort stock-flow projection from SEN2 aggregates or witan files.

Wire into the main CLI with ``add_project_parser(subparsers)``; the handler is stored as
``func`` on the parsed namespace (``args.func(args)`` returns the exit code).
"""

from __future__ import annotations

import argparse
from pathlib import Path

COLUMNS = ["year", "age", "placement", "mean", "p10", "p90", "p2_5", "p97_5"]


def add_project_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "project", help="cohort projection by age x placement with Monte Carlo uncertainty",
        description="Project EHC plans by age x placement. Either --data PATH... --la CODE "
                    "(SEN2 release folders/zips) or --transitions FILE --population FILE "
                    "(witan.send format). Writes DIR/projection.csv and "
                    "DIR/specialist_places.csv; the first projection year is the January "
                    "after the last observed one.")
    from sendforecast.cli_options import add_data, add_draws, add_horizon, add_la, add_out, add_seed

    add_data(p, required=False)
    add_la(p, many=False, required=False)
    p.add_argument("--transitions", metavar="FILE", help="witan.send transitions.csv")
    p.add_argument("--population", metavar="FILE", help="witan.send population.csv")
    p.add_argument("--valid-states", metavar="FILE", help="witan.send valid-states.csv")
    add_horizon(p, default=10)
    add_draws(p)
    add_seed(p)
    add_out(p)
    from sendforecast.cli_budget import add_budget_arguments

    add_budget_arguments(p)  # --costs: unit costs (SEN2 mode) or witan.send costs.csv (witan mode)
    p.set_defaults(func=run_project)
    return p


def run_project(args: argparse.Namespace) -> int:
    from sendforecast.errors import UsageError
    from sendforecast.models.cohort import CohortModel

    if args.data and args.transitions:
        raise UsageError("project: give either --data/--la or --transitions/--population, not both")
    if args.data:
        if not args.la:
            raise UsageError("project: --la CODE is required with --data")
        from sendforecast import load_sen2

        model = CohortModel.from_sen2(load_sen2(*args.data), args.la)
    elif args.transitions:
        if not args.population:
            raise UsageError("project: --population FILE is required with --transitions")
        from sendforecast.data.local import (
            read_transitions,
            read_valid_states,
            read_witan_costs,
            read_witan_population,
        )

        vs = read_valid_states(args.valid_states) if args.valid_states else None
        tr = read_transitions(args.transitions, vs)
        if args.costs:
            read_witan_costs(args.costs)  # witan mode: validated need x setting costs
        model = CohortModel.from_transitions(tr, read_witan_population(args.population), vs)
    else:
        raise UsageError("project: give --data PATH... --la CODE, or --transitions FILE "
                         "--population FILE")
    proj = model.project(years=args.horizon, draws=args.draws, seed=args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    proj.table(("year", "age", "placement"))[COLUMNS].to_csv(out / "projection.csv", index=False)
    proj.specialist_places().to_csv(out / "specialist_places.csv", index=False)
    if args.data and args.hnb:
        from sendforecast.cli_budget import load_budget_inputs, write_budget_outputs
        from sendforecast.hnb import budget

        costs, allocation, capacity, routing = load_budget_inputs(args)
        written = write_budget_outputs(budget(proj, costs, allocation, capacity, routing), out)
        print("wrote " + ", ".join(p.name for p in written))
    elif args.data and (args.costs or args.capacity):
        print("note: --costs/--capacity need --hnb FILE (the HNB allocation) for the budget chain")
    tot = proj.totals()
    print(f"projected {tot.year.iloc[0]}-{tot.year.iloc[-1]} from January {proj.base_year}: "
          + ", ".join(f"{y}: {m:,.0f}" for y, m in zip(tot.year, tot["mean"], strict=True)))
    print(f"wrote {out / 'projection.csv'} and {out / 'specialist_places.csv'}")
    return 0
