"""``sendforecast forecast``: forecast one measure for one, several or all LAs to a CSV.

Wired into :mod:`sendforecast.cli` by :func:`add_forecast_parser`.  The CSV has
exactly the columns ``la_code, la_name, measure, year, mean, p10, p90, p2_5,
p97_5, method`` and only forecast years; per-LA warnings (fallbacks, breaks,
reorganisations) are printed to stderr and written next to it as
``<FILE>.warnings.csv`` when there are any.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

CSV_COLUMNS = ["la_code", "la_name", "measure", "year", "mean", "p10", "p90", "p2_5", "p97_5",
               "method"]
MEASURES = ("caseload", "requests", "new_plans")


def cmd_forecast(args) -> int:
    import warnings

    from .data.sen2 import load_sen2
    from .errors import SendForecastWarning, UsageError
    from .models.base import AUTO_METHOD, METHODS, forecast, warnings_frame

    if args.method not in (*METHODS, "auto"):
        raise UsageError(f"unknown method {args.method!r}; choose from {', '.join(METHODS)} or auto")
    t0 = time.perf_counter()
    print(f"Loading {len(args.data)} source(s) ...", file=sys.stderr)
    data = load_sen2(*args.data)
    la = args.la
    print(f"Forecasting {args.measure} {args.horizon} year(s) ahead with method {args.method} "
          f"for {'all LAs' if la == 'all' else ', '.join(la)} (hierarchical: ~30-60 s) ...",
          file=sys.stderr)
    method = AUTO_METHOD.get(args.measure, "ets") if args.method == "auto" else args.method
    # PyMC's own progress bar shows progress on the long step
    kwargs = {"progressbar": True} if method == "hierarchical" else {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SendForecastWarning)
        fc = forecast(data, args.measure, la=la, horizon=args.horizon, method=method,
                      seed=args.seed, **kwargs)
    for w in caught:
        if issubclass(w.category, SendForecastWarning):
            print(f"warning: {w.message}", file=sys.stderr)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fc[CSV_COLUMNS].to_csv(out, index=False)
    warn = warnings_frame(fc)
    if len(warn):
        wpath = out.with_name(out.name + ".warnings.csv")
        warn.to_csv(wpath, index=False)
        print(f"{warn['la_code'].nunique()} LA(s) have warnings (fallbacks, breaks, "
              f"reorganisations): see {wpath}", file=sys.stderr)
    print(f"Wrote {len(fc):,} rows ({fc['la_code'].nunique()} areas) to {out} in "
          f"{time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return 0


def add_forecast_parser(subparsers) -> None:
    """Register the ``forecast`` subcommand on an argparse subparsers object."""
    f = subparsers.add_parser(
        "forecast", help="forecast requests, new plans or caseload with intervals to a CSV")
    from .cli_options import add_data, add_horizon, add_la, add_out, add_seed

    add_data(f)
    f.add_argument("--measure", required=True, choices=MEASURES)
    add_horizon(f, default=None)
    add_la(f, many=True, default="all")
    f.add_argument("--method", default="auto",
                   help="naive, drift, ets, loglinear, hierarchical, pipeline or auto (default: "
                        "the method chosen per measure by backtest)")
    add_seed(f)
    add_out(f, kind="file")
    f.set_defaults(func=cmd_forecast)
