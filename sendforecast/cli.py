"""Command-line interface: ``sendforecast <command>``.

A thin layer over the Python API: every command parses arguments, calls the
library and writes files.  Run ``sendforecast --help`` for the list.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

DEFAULT_OUT = "sendforecast-output"


def _codes(text: str) -> list[str] | str:
    text = text.strip()
    return "all" if text.lower() == "all" else [c.strip() for c in text.split(",") if c.strip()]


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
    table = data.summary(_codes(args.la))
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
    res = _main_job(_load(args.data), args.la, args)
    print(f"Outputs are in: {res.out_dir.resolve()}")
    return 0


def _main_job(data, la: str, args):
    from .cli_budget import load_budget_inputs
    from .pipeline import run_main_job

    costs, allocation, capacity, routing = load_budget_inputs(args)
    return run_main_job(data, la, args.out, years=args.years, draws=args.draws, seed=args.seed,
                        costs=costs, allocation=allocation, capacity=capacity, routing=routing)


# ------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sendforecast",
                                description="Forecast SEND demand, places and High Needs Block costs.")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("data", help="read, summarise and check SEN2 release files")
    dsub = d.add_subparsers(dest="data_command", required=True)
    s = dsub.add_parser("summary", help="headline measures per LA as a long CSV")
    s.add_argument("--data", action="append", required=True, metavar="PATH",
                   help="release folder, zip or CSV (repeat for several releases)")
    s.add_argument("--la", default="all", help="'all' or comma-separated codes (3-digit LA, E12… region, "
                                               "E92000001 England)")
    s.add_argument("--out", required=True, metavar="FILE.csv")
    s.set_defaults(func=cmd_data_summary)
    q = dsub.add_parser("quality", help="print the data-quality report")
    q.add_argument("--data", action="append", required=True, metavar="PATH")
    q.add_argument("--out", metavar="DIR", help="also write the report's tables as CSVs here")
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
    run.add_argument("--data", action="append", required=True, metavar="PATH")
    run.add_argument("--la", required=True, help="3-digit LA code")
    for sp, func in ((demo, cmd_demo), (run, cmd_run)):
        sp.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                        help=f"output folder (default {DEFAULT_OUT})")
        sp.add_argument("--years", type=int, default=10, help="projection years (default 10)")
        sp.add_argument("--draws", type=int, default=1000, help="Monte Carlo draws (default 1000)")
        sp.add_argument("--seed", type=int, default=1)
        add_budget_arguments(sp)
        sp.set_defaults(func=func)

    add_project_parser(sub)
    from .cli_scenarios import add_scenarios_parser

    add_scenarios_parser(sub)
    try:
        from .cli_forecast import add_forecast_parser
    except ImportError:  # pragma: no cover - forecasting module not installed
        pass
    else:
        add_forecast_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    from .errors import InputError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (InputError, FileNotFoundError, KeyError) as exc:
        print(f"sendforecast: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
