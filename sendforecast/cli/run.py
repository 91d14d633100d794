"""``sendforecast demo`` and ``sendforecast run``: the main job for one LA or many."""

from __future__ import annotations

import sys
from pathlib import Path

from sendforecast.cli.budget import add_budget_arguments
from sendforecast.cli.data import load_data
from sendforecast.cli.options import (
    DEFAULT_OUT,
    add_data,
    add_draws,
    add_horizon,
    add_la,
    add_out,
    add_seed,
    add_suppress,
    positive_int,
    suppress_threshold,
)


def cmd_demo(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from sendforecast import load_example
    from sendforecast.data.example import (
        EXAMPLE_CAPACITY,
        EXAMPLE_COSTS,
        EXAMPLE_HNB,
        EXAMPLE_LA_CODE,
    )

    rerun = _rerun_command(args, "demo")
    args.costs = args.costs or str(EXAMPLE_COSTS)
    args.capacity = args.capacity or str(EXAMPLE_CAPACITY)
    args.hnb = args.hnb or str(EXAMPLE_HNB)
    res = _main_job(load_example(), EXAMPLE_LA_CODE, args, rerun)
    print(f"Outputs for Exampleshire (synthetic example data) are in: {res.out_dir.resolve()}")
    return 0


def cmd_run(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    data = load_data(args.data)
    if args.la != "all":  # before any work (it printed 'History for <name> (<name>)' first)
        data.check_la_codes(args.la)
    if args.la != "all" and len(args.la) == 1 and not args.scheduler:
        res = _main_job(data, args.la[0], args, _rerun_command(args, "run"))
        print(f"Outputs are in: {res.out_dir.resolve()}")
        return 0
    return _batch(data, args)


def _batch(data, args) -> int:
    from sendforecast.batch import resolve_las, run_batch
    from sendforecast.cli.budget import batch_input_files, load_batch_budget_inputs

    codes = resolve_las(data, args.la)
    costs, allocations, capacities, routing = load_batch_budget_inputs(args, codes)
    print(f"Running the main job for {len(codes)} LA(s) "
          f"({args.jobs or 'all'} worker(s){', Dask at ' + args.scheduler if args.scheduler else ''})",
          file=sys.stderr)
    res = run_batch(data, codes, args.out, horizon=args.horizon, draws=args.draws, seed=args.seed,
                    costs=costs, allocations=allocations, capacities=capacities, routing=routing,
                    jobs=args.jobs, scheduler=args.scheduler, suppress=suppress_threshold(args),
                    inputs=batch_input_files(args, codes))
    wall = res.wall_seconds
    print(f"{len(res.done)} LA(s) done, {len(res.failures)} failed in {wall:.0f}s "
          f"({wall / max(len(codes), 1):.1f}s per LA; {res.backend})")
    for _, f in res.failures.iterrows():
        print(f"  failed: {f.la_code} {f.la_name}: {f.error_type}: {f.message}")
    print(f"Outputs are in: {res.out_dir.resolve()} (one folder per LA, national tables, "
          f"failures.csv)")
    _note_abolished(data, codes)
    return 0


def _note_abolished(data, codes: list[str]) -> None:
    """LAs that no longer exist are projected from their last January on the old footprint,
    in years their successors also cover: adding both double counts (about GBP 0.39bn of
    2025-26 HNB cost with --la all).  Said after the run, where the tables are named."""
    from sendforecast.data.geography import reorganisation_of

    gone = [c for c in codes if (r := reorganisation_of(c)) is not None and c in r.predecessors]
    if gone:
        succ = sorted({s for c in gone for s in reorganisation_of(c).successors} & set(codes))
        print(f"note: {len(gone)} LA(s) no longer exist ({', '.join(gone)}): each is projected "
              f"from its last January on its old footprint, in years its successors "
              f"({', '.join(succ) or 'not run'}) also cover; do not add both into a national "
              "total of hnb_cost_by_la.csv or caseload_by_la.csv")


def _main_job(data, la: str, args, rerun: str | None = None):
    from sendforecast.cli.budget import load_budget_inputs
    from sendforecast.workflow import run_main_job

    costs, allocation, capacity, routing = load_budget_inputs(args)
    return run_main_job(data, la, args.out, horizon=args.horizon, draws=args.draws, seed=args.seed,
                        costs=costs, allocation=allocation, capacity=capacity, routing=routing,
                        suppress=suppress_threshold(args), rerun=rerun,
                        inputs={k: getattr(args, k, None) for k in ("costs", "hnb", "capacity")})


def _rerun_command(args, command: str) -> str:
    """This command line again, with ``--costs workbook.xlsx`` (the edited Assumptions sheet)
    and a new output folder: the workbook's "How to rerun" sheet shows it."""
    import shlex

    words = ["sendforecast", command]
    if command == "run":
        words += ["--data", *map(str, args.data), "--la", ",".join(args.la)]
    words += ["--horizon", str(args.horizon), "--draws", str(args.draws), "--seed", str(args.seed)]
    for opt in ("hnb", "capacity", "routing"):
        if getattr(args, opt, None):
            words += [f"--{opt}", str(getattr(args, opt))]
    if suppress_threshold(args) is not None:
        words += ["--suppress", "--suppress-threshold", str(suppress_threshold(args))]
    words += ["--costs", str(Path(args.out) / "workbook.xlsx"), "--out", f"{args.out}-edited"]
    return shlex.join(words)


def add_run_parsers(sub) -> None:
    demo = sub.add_parser("demo", help="run the main job on the shipped example LA (Exampleshire)")
    run = sub.add_parser("run", help="run the main job for one LA, several or all on real SEN2 "
                                     "data: history, projection, places, costs and DSG balance")
    add_data(run)
    add_la(run, many=True)
    b = run.add_argument_group("several LAs (--la CODE,CODE... or all)")
    b.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                   help="worker processes (default: every core)")
    b.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the LAs on a Dask cluster, e.g. tcp://10.0.0.5:8786 "
                        "(needs pip install 'sendforecast[batch]')")
    for sp, func in ((demo, cmd_demo), (run, cmd_run)):
        add_out(sp, default=DEFAULT_OUT)
        add_horizon(sp, default=10)
        add_draws(sp)
        add_seed(sp)
        add_budget_arguments(sp)
        add_suppress(sp)
        sp.set_defaults(func=func)
