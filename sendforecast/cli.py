"""Command-line interface: ``sendforecast <command>``.

A thin layer over the Python API: every command parses arguments, calls the
library and writes files.  Run ``sendforecast --help`` for the list.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .cli_options import (
    DEFAULT_OUT,
    add_data,
    add_draws,
    add_horizon,
    add_la,
    add_out,
    add_seed,
    positive_int,
)


def _load(paths: list[str]):
    from .data.sen2 import load_sen2

    t = time.perf_counter()
    data = load_sen2(*paths)
    print(f"Loaded {len(data.la_codes())} LAs from {len(paths)} source(s) in {time.perf_counter() - t:.1f}s",
          file=sys.stderr)
    return data


# ----------------------------------------------------------------------- commands
def cmd_data_summary(args) -> int:
    data = _load(args.data)
    table = data.summary(args.la)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    print(f"Wrote {len(table):,} rows to {out}")
    return 0


def cmd_data_quality(args) -> int:
    data = _load(args.data)
    print(data.quality)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        q = data.quality
        for name in ("suppressed", "inconsistent", "duplicates", "unknown"):
            getattr(q, name).to_csv(out / f"quality_{name}.csv", index=False)
        print(f"Wrote quality tables to {out}")
    return 0


def cmd_data_download(args) -> int:
    from .data.download import fetch_release

    path = fetch_release(args.release, url=args.url, refresh=args.refresh,
                         directory=Path(args.dir) if args.dir else None)
    print(path)
    return 0


def cmd_demo(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from . import load_example
    from .cli_budget import EXAMPLE_CAPACITY, EXAMPLE_COSTS, EXAMPLE_HNB
    from .data.example import EXAMPLE_LA_CODE

    args.costs = args.costs or str(EXAMPLE_COSTS)
    args.capacity = args.capacity or str(EXAMPLE_CAPACITY)
    args.hnb = args.hnb or str(EXAMPLE_HNB)
    res = _main_job(load_example(), EXAMPLE_LA_CODE, args)
    print(f"Outputs for Exampleshire (synthetic example data) are in: {res.out_dir.resolve()}")
    return 0


def cmd_run(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    data = _load(args.data)
    if args.la != "all" and len(args.la) == 1 and not args.scheduler:
        res = _main_job(data, args.la[0], args)
        print(f"Outputs are in: {res.out_dir.resolve()}")
        return 0
    return _batch(data, args)


def _batch(data, args) -> int:
    from .batch import per_la_inputs, resolve_las, run_batch
    from .costs import CostAssumptions
    from .hnb import HNBAllocation
    from .sufficiency import Capacity

    codes = resolve_las(data, args.la)
    costs = CostAssumptions.from_file(args.costs) if args.costs else None
    allocations = per_la_inputs(args.hnb, codes, HNBAllocation.from_file, "HNB allocation",
                                "--hnb", (".yaml", ".yml"))
    capacities = per_la_inputs(args.capacity, codes, Capacity.from_file, "commissioned places",
                               "--capacity", (".csv", ".xlsx"))
    routing = json.loads(args.routing) if args.routing else None
    print(f"Running the main job for {len(codes)} LA(s) "
          f"({args.jobs or 'all'} worker(s){', Dask at ' + args.scheduler if args.scheduler else ''})",
          file=sys.stderr)
    res = run_batch(data, codes, args.out, years=args.horizon, draws=args.draws, seed=args.seed,
                    costs=costs, allocations=allocations, capacities=capacities, routing=routing,
                    jobs=args.jobs, scheduler=args.scheduler)
    wall = res.timings.attrs["wall_seconds"]
    print(f"{len(res.done)} LA(s) done, {len(res.failures)} failed in {wall:.0f}s "
          f"({wall / max(len(codes), 1):.1f}s per LA; {res.timings.attrs['backend']})")
    for _, f in res.failures.iterrows():
        print(f"  failed: {f.la_code} {f.la_name}: {f.error_type}: {f.message}")
    print(f"Outputs are in: {res.out_dir.resolve()} (one folder per LA, national tables, "
          f"failures.csv)")
    return 0


def _main_job(data, la: str, args):
    from .cli_budget import load_budget_inputs
    from .pipeline import run_main_job

    costs, allocation, capacity, routing = load_budget_inputs(args)
    return run_main_job(data, la, args.out, years=args.horizon, draws=args.draws, seed=args.seed,
                        costs=costs, allocation=allocation, capacity=capacity, routing=routing)


# ------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sendforecast",
                                description="Forecast SEND demand, places and High Needs Block costs.")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("data", help="read, summarise and check SEN2 release files")
    dsub = d.add_subparsers(dest="data_command", required=True)
    s = dsub.add_parser("summary", help="headline measures per LA as a long CSV")
    add_data(s)
    add_la(s, many=True, default="all")
    add_out(s, kind="file")
    s.set_defaults(func=cmd_data_summary)
    q = dsub.add_parser("quality", help="print the data-quality report")
    add_data(q)
    add_out(q, required=False, help="also write the report's tables as CSVs in this folder")
    q.set_defaults(func=cmd_data_quality)
    dl = dsub.add_parser("download", help="download a release zip from explore-education-statistics")
    dl.add_argument("release", help="release slug, e.g. 2025")
    dl.add_argument("--url", help="direct address of the zip (skips the lookup)")
    dl.add_argument("--dir", help="cache folder (default ~/.cache/sendforecast)")
    dl.add_argument("--refresh", action="store_true")
    dl.set_defaults(func=cmd_data_download)

    from .cli_budget import add_budget_arguments
    from .cli_project import add_project_parser

    demo = sub.add_parser("demo", help="run the main job on the shipped example LA (Exampleshire)")
    run = sub.add_parser("run", help="run the main job for one LA on real SEN2 data: history, "
                                     "projection, places, costs and DSG balance")
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
        sp.set_defaults(func=func)

    add_project_parser(sub)
    from .cli_scenarios import add_scenarios_parser

    add_scenarios_parser(sub)
    from .cli_forecast import add_forecast_parser

    add_forecast_parser(sub)
    p.add_argument("--debug", action="store_true",
                   help="on an unexpected error, show the full Python traceback")
    return p


REPORT_HINT = ("This looks like a bug in sendforecast. Please report it with the command you ran "
               "and this message; rerun with --debug for the full traceback.")


def user_message(exc: BaseException) -> str:
    """One clear message for an error the user can act on (never a bare ``KeyError``)."""
    if isinstance(exc, KeyError) and len(exc.args) == 1:
        return f"not found: {exc.args[0]}"
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"file or folder not found: {exc.filename}"
    if isinstance(exc, PermissionError) and exc.filename:
        return f"permission denied: {exc.filename}"
    return str(exc) or type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    from .errors import InputError, NotFoundError, UsageError

    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv  # accepted anywhere on the line
    args = build_parser().parse_args([a for a in argv if a != "--debug"])
    try:
        return int(args.func(args) or 0)
    except (InputError, UsageError, NotFoundError, OSError) as exc:  # OSError: files, network
        if debug:
            raise
        print(f"sendforecast: error: {user_message(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sendforecast: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns bugs into a message
        if debug:
            raise
        print(f"sendforecast: unexpected error ({type(exc).__name__}): {user_message(exc)}\n"
              f"{REPORT_HINT}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
