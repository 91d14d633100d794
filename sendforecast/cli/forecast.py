"""``sendforecast forecast``: forecast one measure for one, several or all LAs to a CSV.

Wired into :mod:`sendforecast.cli` by :func:`add_forecast_parser`.  The CSV has
exactly the columns ``la_code, la_name, measure, year, mean, p10, p90, p2_5,
p97_5, method`` and only forecast years.  Beside it:

* ``<FILE>.warnings.csv`` (``la_code, la_name, status, warning``): every LA not
  forecast (``status`` ``not forecast``: abolished, no full-year value, ...), forecast
  from an earlier year than the others (``forecast from YEAR``: its newest year is
  missing, so the missing years are forecast too) or forecast with another warning
  (``forecast``: fallbacks, breaks, reorganisations), with the reason; stderr gets a
  one-line count.
* ``<FILE>.json``: what made the numbers - the measure, the method asked for and the
  methods used, horizon, seed, LAs asked for and the data sources (paths and a SHA-256
  of their contents) - and nothing that changes between runs with the same seed (no
  times).

Methods per measure: naive, drift, ets, loglinear, pooled and hierarchical forecast every
measure; pipeline (requests x P(assess) x P(issue)) forecasts assessments, new plans
and caseload, not requests, which are its input (``--method pipeline --measure
requests`` is a usage error, exit 2, naming the methods that do); conversion (the newest
requests x the LA's recent conversion of requests into plans) forecasts new plans only.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

from sendforecast.defaults import write_csv

CSV_COLUMNS = ["la_code", "la_name", "measure", "year", "mean", "p10", "p90", "p2_5", "p97_5",
               "method"]
MEASURES = ("caseload", "requests", "assessments", "new_plans")
WARNING_COLUMNS = ["la_code", "la_name", "status", "warning"]


def _digest(path: Path) -> str | None:
    """SHA-256 of a file, or of a folder's files (relative names and contents, sorted)."""
    path = Path(path)
    if not path.exists():
        return None
    h = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        h.update(str(f.relative_to(path) if f != path else f.name).encode() + b"\0")
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def warnings_table(fc, names):
    """Per-LA status and reasons: one row per LA with a warning (see the module docstring)."""
    import pandas as pd

    from sendforecast.models.forecast import warnings_frame

    warn = warnings_frame(fc)
    if warn.empty:
        return pd.DataFrame(columns=WARNING_COLUMNS)
    text = warn.groupby("la_code", sort=True)["warning"].agg("; ".join)
    first = fc.groupby("la_code")["year"].min()
    origin = fc.attrs.get("settings", {}).get("origin")
    common = origin + 1 if origin is not None else (int(first.max()) if len(first) else None)
    rows = []
    for code, why in text.items():
        if code not in first.index:
            status = "not forecast"
        elif common is not None and first[code] < common:
            status = f"forecast from {int(first[code]) - 1}"
        else:
            status = "forecast"
        rows.append((code, names.get(code, code), status, why))
    return pd.DataFrame(rows, columns=WARNING_COLUMNS)


def cmd_forecast(args) -> int:
    import warnings

    from sendforecast import __version__
    from sendforecast.data.sen2 import load_sen2
    from sendforecast.errors import SendForecastWarning, UsageError
    from sendforecast.models.forecast import forecast
    from sendforecast.models.forecast.registry import (
        AUTO_DEFAULT,
        AUTO_METHOD,
        METHODS,
        check_method,
    )

    if args.method not in (*METHODS, "auto"):
        raise UsageError(f"unknown method {args.method!r}; choose from {', '.join(METHODS)} or auto")
    method = AUTO_METHOD.get(args.measure, AUTO_DEFAULT) if args.method == "auto" else args.method
    check_method(method, args.measure)  # before loading anything: a wrong pair fails at once
    t0 = time.perf_counter()
    print(f"Loading {len(args.data)} source(s) ...", file=sys.stderr)
    data = load_sen2(*args.data)
    la = args.la
    print(f"Forecasting {args.measure} {args.horizon} year(s) ahead with method {method} "
          f"for {'all LAs' if la == 'all' else ', '.join(la)}"
          + (" (hierarchical: ~30-60 s)" if method == "hierarchical" else "") + " ...",
          file=sys.stderr)
    # PyMC's own progress bar shows progress on the long step
    kwargs = {"progress": True} if method == "hierarchical" else {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SendForecastWarning)
        fc = forecast(data, args.measure, la=la, horizon=args.horizon, method=method,
                      seed=args.seed, **kwargs)
    for w in caught:
        if issubclass(w.category, SendForecastWarning):
            print(f"warning: {w.message}", file=sys.stderr)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(fc[CSV_COLUMNS], out)
    names = data.las.set_index("la_code")["la_name"] if "la_name" in data.las else {}
    warn = warnings_table(fc, names)
    wpath = out.with_name(out.name + ".warnings.csv")
    if len(warn):
        write_csv(warn, wpath)
        n_not = int((warn["status"] == "not forecast").sum())
        n_early = int(warn["status"].str.startswith("forecast from").sum())
        print(f"{len(warn)} LA(s) with warnings: {n_not} not forecast, {n_early} forecast from an "
              f"earlier year, {len(warn) - n_not - n_early} with fallbacks/breaks/"
              f"reorganisations: see {wpath}", file=sys.stderr)
    elif wpath.exists():
        wpath.unlink()  # a stale file from an earlier run would be read as this run's
    settings = fc.attrs.get("settings", {})
    meta = {
        "command": "forecast",
        "sendforecast_version": __version__,
        "measure": args.measure,
        "method_requested": args.method,
        "method": method,
        "methods_used": {str(k): int(v) for k, v in
                         fc.drop_duplicates("la_code")["method"].value_counts().sort_index().items()},
        "horizon": args.horizon,
        "seed": args.seed,
        "la": la,
        "forecast_origin": settings.get("origin"),
        "levels": list(settings.get("levels", ())),
        "calibrate": settings.get("calibrate"),
        "guard": settings.get("guard"),
        "data": [{"path": str(p), "resolved": str(Path(p).resolve()), "sha256": _digest(Path(p))}
                 for p in args.data],
        "n_rows": len(fc),
        "n_areas": int(fc["la_code"].nunique()),
        "warnings_file": wpath.name if len(warn) else None,
    }
    mpath = out.with_name(out.name + ".json")
    mpath.write_text(json.dumps(meta, indent=2) + "\n")
    print(f"Wrote {len(fc):,} rows ({fc['la_code'].nunique()} areas) to {out} (settings and "
          f"sources in {mpath.name}) in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return 0


def add_forecast_parser(subparsers) -> None:
    """Register the ``forecast`` subcommand on an argparse subparsers object."""
    from sendforecast.cli.options import add_data, add_horizon, add_la, add_out, add_seed
    from sendforecast.models.forecast.registry import (
        AUTO_DEFAULT,
        AUTO_METHOD,
        METHODS,
        PIPELINE_MEASURES,
    )

    f = subparsers.add_parser(
        "forecast",
        help="forecast requests, assessments, new plans or caseload with intervals to a CSV")
    add_data(f)
    f.add_argument("--measure", required=True, choices=MEASURES,
                   help="caseload: EHC plans at the January census; requests, assessments, "
                        "new_plans: calendar-year flows")
    add_horizon(f, default=None)
    add_la(f, many=True, default="all", areas=True)
    auto = ", ".join(f"{m} {AUTO_METHOD.get(m, AUTO_DEFAULT)}" for m in MEASURES)
    f.add_argument("--method", default="auto", choices=(*METHODS, "auto"),
                   help=f"naive, drift, ets, loglinear, pooled, hierarchical: every measure; pipeline: "
                        f"{', '.join(PIPELINE_MEASURES)} (not requests, its input); "
                        f"conversion: new_plans (from requests); auto "
                        f"(default): the method chosen per measure by backtest ({auto})")
    add_seed(f)
    add_out(f, kind="file", help="output CSV; FILE.csv.warnings.csv (LAs not forecast or with "
                                 "warnings) and FILE.csv.json (settings, sources) go beside it, "
                                 "e.g. fc.csv -> fc.csv.warnings.csv, fc.csv.json")
    f.set_defaults(func=cmd_forecast)
