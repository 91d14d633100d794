"""``sendforecast project``: cohort stock-flow projection from SEN2 aggregates or witan files.

Wire into the main CLI with ``add_project_parser(subparsers)``; the handler is stored as
``func`` on the parsed namespace (``args.func(args)`` returns the exit code).

Files written (every summary: its grouping columns, then ``mean, p10, p90, p2_5,
p97_5`` - quantiles of per-draw sums, so a total has its own interval):

- both modes: ``projection.csv`` (year x age x placement), ``specialist_places.csv``,
  ``totals.csv`` (year), ``by_placement.csv`` (year, placement: SEN2 placement group or
  witan setting), ``by_year_group.csv`` (year, year_group, ncy: witan.send's report
  groups by national curriculum year);
- SEN2 mode: ``by_phase.csv`` (year, phase: SEN2 age phases); with ``--by-need``
  (the need layer, :func:`~sendforecast.models.cohort.split_by_need`) also ``by_need.csv``
  (year, need) and ``by_need_phase.csv`` (year, need, phase, placement_group);
- witan mode: ``by_need.csv`` (year, need), ``costs.csv`` (year; with ``--costs``) and
  ``workbook.xlsx`` (those tables and an About sheet of inputs and settings); with
  ``--by-need`` also ``by_need_phase.csv`` (placement_group: the setting's group).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sendforecast.defaults import write_csv

COLUMNS = ["year", "age", "placement", "mean", "p10", "p90", "p2_5", "p97_5"]


def add_project_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "project", help="cohort projection by age x placement with Monte Carlo uncertainty",
        description="Project EHC plans by age x placement. Either --data PATH... --la CODE "
                    "(SEN2 release folders/zips) or --transitions FILE --population FILE "
                    "(witan.send format). Writes DIR/projection.csv, "
                    "DIR/specialist_places.csv, DIR/totals.csv, DIR/by_placement.csv and "
                    "DIR/by_year_group.csv (NCY groups of witan.send's reports); SEN2 mode "
                    "also DIR/by_phase.csv; witan mode also DIR/by_need.csv, DIR/costs.csv "
                    "(with --costs) and DIR/workbook.xlsx; --by-need adds DIR/by_need.csv "
                    "and DIR/by_need_phase.csv (need x phase x placement group).  Summaries have mean, p10, p90, "
                    "p2_5, p97_5 of per-draw sums.  The first projection year is the January "
                    "after the last observed one.")
    from sendforecast.cli.options import add_data, add_draws, add_horizon, add_la, add_out, add_seed

    add_data(p, required=False)
    add_la(p, many=False, required=False)
    p.add_argument("--transitions", metavar="FILE", help="witan.send transitions.csv")
    p.add_argument("--population", metavar="FILE", help="witan.send population.csv")
    p.add_argument("--valid-states", metavar="FILE", help="witan.send valid-states.csv")
    p.add_argument("--by-need", action="store_true",
                   help="need x phase x placement group (by_need.csv, by_need_phase.csv). "
                        "SEN2 mode: every draw split by primary need, child by child, from "
                        "the LA's published need shares; witan mode: model setting x need "
                        "states (default: settings; their needs are split by each setting's "
                        "base-January mix for by_need.csv and costs)")
    add_horizon(p, default=10)
    add_draws(p)
    add_seed(p)
    add_out(p)
    from sendforecast.cli.budget import add_budget_arguments

    add_budget_arguments(p)  # --costs: unit costs (SEN2 mode) or witan.send costs.csv (witan mode)
    from sendforecast.cli.options import add_suppress

    add_suppress(p)
    p.set_defaults(func=run_project)
    return p


def run_project(args: argparse.Namespace) -> int:
    from sendforecast.cli.options import suppress_threshold
    from sendforecast.errors import UsageError
    from sendforecast.models.cohort import CohortModel, need_table
    from sendforecast.report.summary import count
    from sendforecast.report.suppress import describe, suppress_table

    if args.data and args.transitions:
        raise UsageError("project: give either --data/--la or --transitions/--population, not both")
    tr = costs = None
    if args.data:
        if not args.la:
            raise UsageError("project: --la CODE is required with --data")
        from sendforecast import load_sen2

        data = load_sen2(*args.data)
        model = CohortModel.from_sen2(data, args.la)
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
        costs = read_witan_costs(args.costs) if args.costs else None  # need x setting
        model = CohortModel.from_transitions(tr, read_witan_population(args.population), vs,
                                             by_need=bool(getattr(args, "by_need", False)))
    else:
        raise UsageError("project: give --data PATH... --la CODE, or --transitions FILE "
                         "--population FILE")
    proj = model.project(horizon=args.horizon, draws=args.draws, seed=args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    th = suppress_threshold(args)
    cells = proj.table(("year", "age", "placement"))[COLUMNS]
    write_csv(suppress_table("projection", cells, th), out / "projection.csv")
    write_csv(suppress_table("specialist_places", proj.specialist_places(), th),
              out / "specialist_places.csv")
    tables = summary_tables(proj)
    base_cost, need_split = None, None
    if args.data:
        tables["by_phase"] = proj.table(("year", "phase"))
        if getattr(args, "by_need", False):
            from sendforecast.models.cohort import sen2_need_inputs, split_by_need

            by_need = split_by_need(proj, sen2_need_inputs(data, args.la, model))
            tables["by_need"] = by_need.by_need()
            tables["by_need_phase"] = need_table(by_need)
    else:
        from sendforecast.models.cohort import witan_need_mix

        mix = None if proj.has_need() else witan_need_mix(tr)
        need_split = ("the draws' own needs (setting x need states, --by-need)" if mix is None
                      else "each setting's count split by its need mix of the base January "
                           "(witan_need_mix; held fixed over years and ages)")
        tables["by_need"] = proj.by_need(mix)
        if proj.has_need():
            tables["by_need_phase"] = need_table(proj)
        if costs is not None:
            tables["costs"] = proj.costs(costs, mix)
            base_cost = proj.base_cost(costs, mix)
    for name, frame in tables.items():
        write_csv(suppress_table(name, frame, th), out / f"{name}.csv")
    written = [f"{name}.csv" for name in tables]
    if not args.data:
        from sendforecast.report.workbook import write_workbook

        sheets = {**tables, "projection": cells, "specialist_places": proj.specialist_places()}
        about = _about(args, proj, need_split, base_cost) | {"publication suppression":
                                                              describe(th)}
        write_workbook({k: suppress_table(k, v, th) for k, v in sheets.items()},
                       out / "workbook.xlsx", about=about)
        written.append("workbook.xlsx")
    if args.data and args.hnb:
        from sendforecast.cli.budget import load_budget_inputs, write_budget_outputs
        from sendforecast.finance.budget import budget

        b_costs, allocation, capacity, routing = load_budget_inputs(args)
        paths = write_budget_outputs(budget(proj, b_costs, allocation, capacity, routing), out,
                                     suppress=th)
        print("wrote " + ", ".join(p.name for p in paths))
    elif args.data and (args.costs or args.capacity):
        print("note: --costs/--capacity need --hnb FILE (the HNB allocation) for the budget chain")
    (out / "project.json").write_text(json.dumps(_record(args, proj, th), indent=2,
                                                 default=str))
    written.append("project.json")
    tot = proj.totals()
    print(f"projected {tot.year.iloc[0]}-{tot.year.iloc[-1]} from January {proj.base_year}: "
          + ", ".join(f"{y}: {count(m, th)}" for y, m in zip(tot.year, tot["mean"], strict=True)))
    if base_cost is not None:
        c = tables["costs"]
        print(f"cost of the base January {proj.base_year} (observed): {base_cost:,.0f}; "
              "projected (95% interval): "
              + ", ".join(f"{y}: {m:,.0f} ({lo:,.0f}-{hi:,.0f})" for y, m, lo, hi in
                          zip(c.year, c["mean"], c.p2_5, c.p97_5, strict=True)))
    print(f"wrote {out / 'projection.csv'} and {out / 'specialist_places.csv'}")
    print(f"wrote {', '.join(written)} in {out}")
    return 0


def _record(args, proj, threshold) -> dict:
    """``project.json``: the inputs and settings that made the tables (rerun with the same
    data, seed and draws for the same numbers); under --suppress the settings quoting base
    counts are withheld, as in the main job's run.json."""
    import platform

    from sendforecast import __version__
    from sendforecast.report.suppress import describe
    from sendforecast.workflow import COUNT_SETTINGS, WITHHELD

    files = (list(map(str, args.data)) if args.data else
             [str(f) for f in (args.transitions, args.population, args.valid_states, args.costs)
              if f])
    return {"sendforecast version": __version__, "python": platform.python_version(),
            "data sources": files, "la": args.la, "horizon": args.horizon, "draws": args.draws,
            "seed": args.seed, "by_need": bool(getattr(args, "by_need", False)),
            "publication suppression": describe(threshold),
            "settings": {k: (WITHHELD if threshold is not None and k in COUNT_SETTINGS else v)
                         for k, v in proj.settings.items()}}


def summary_tables(proj) -> dict:
    """The summaries both modes write: ``totals``, ``by_placement``, ``by_year_group``."""
    return {"totals": proj.totals(), "by_placement": proj.by_placement(),
            "by_year_group": proj.by_year_group()}


def _about(args, proj, need_split: str | None, base_cost: float | None) -> dict:
    """The workbook's About sheet: inputs and settings that produced the numbers."""
    from sendforecast.models.cohort import YEAR_GROUPS

    st = proj.settings
    about = {
        "mode": "witan.send files (cohort model from transitions)",
        "transitions": args.transitions, "population": args.population,
        "valid_states": args.valid_states or "(none)", "costs": args.costs or "(none)",
        "seed": st.get("seed"), "draws": st.get("draws"), "horizon (years)": st.get("horizon"),
        "parameter sets": st.get("param_draws"),
        "by_need states": bool(getattr(args, "by_need", False)),
        "base January": proj.base_year,
        "projection years": f"{proj.years[0]}-{proj.years[-1]}",
        "transition years": ", ".join(str(y) for y in st.get("transition_years", [])),
        "year effects": st.get("year_effects"), "joiners": st.get("joiners"),
        "age axis": "witan academic year = national curriculum year (NCY)",
        "year groups": "; ".join(f"{g[0]}: NCY {g[1]}" for g in YEAR_GROUPS),
        "need split": need_split,
        "intervals": "mean and 10/90/2.5/97.5% quantiles of per-draw sums over the cells of "
                     "each row (not sums of cell quantiles)",
    }
    if base_cost is not None:
        about["base January cost (observed)"] = f"{base_cost:,.0f}"
        about["cost method"] = ("per draw: sum of count x annual need x setting cost; a pair "
                                "without a cost takes its setting's mean; prices of the file")
    return about
