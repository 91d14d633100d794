"""Forecast-accuracy benchmark on the real SEN2 releases.

Runs the rolling-origin backtest (the newest 6 origins with >= 4 years of
history by default, all LAs, horizons 1-3) for caseload, requests and new plans with every method,
then writes ``benchmarks/results/forecast_accuracy.md``: the metrics table,
the target checks, the interval calibration factors (to paste into
``sendforecast/models/forecast/calibration_factors.py``, with its ``PROVENANCE``) and the wall time of an all-LA fit
and forecast of one measure with the default (hierarchical, NUTS) method.

    .venv/bin/python benchmarks/forecast_accuracy.py            # newest 6 origins (~25 min, 2 cores)
    .venv/bin/python benchmarks/forecast_accuracy.py --quick    # ADVI, last 4 origins
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sendforecast import load_sen2  # noqa: E402
from sendforecast.errors import SendForecastWarning  # noqa: E402
from sendforecast.models.forecast import (  # noqa: E402
    backtest,
    calibration_factors,
    forecast,
    metrics,
)
from sendforecast.models.forecast.evaluation import default_origins  # noqa: E402
from sendforecast.models.forecast.history import history_from  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "sen2"
BASELINES = ["naive", "drift", "ets", "loglinear"]
METHODS = {"caseload": [*BASELINES, "hierarchical", "pipeline"],
           "requests": [*BASELINES, "hierarchical"],
           "new_plans": [*BASELINES, "hierarchical", "pipeline"]}


def _machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
            f"Python {platform.python_version()}, load average at start {load:.1f} "
            "(machine shared with other jobs)")


def _fmt(df: pd.DataFrame) -> str:
    cols = ["method", "measure", "horizon", "n_las", "n_forecasts", "median_ape", "mean_ape",
            "mase", "bias", "coverage80", "coverage95", "msis95", "coverage80_cal",
            "coverage95_cal"]
    d = df[cols].copy()
    for c in ("median_ape", "mean_ape", "bias", "coverage80", "coverage95", "coverage80_cal",
              "coverage95_cal"):
        d[c] = (100 * d[c]).map(lambda v: "" if pd.isna(v) else f"{v:.1f}%")
    for c in ("mase", "msis95"):
        d[c] = d[c].map(lambda v: f"{v:.2f}")
    header = "| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n"
    return header + "\n".join("| " + " | ".join(str(v) for v in r) + " |"
                              for r in d.itertuples(index=False))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="ADVI and the last 4 origins only")
    p.add_argument("--measures", default="caseload,requests,new_plans")
    p.add_argument("--last-origins", type=int, default=6,
                   help="use only the newest N origins (default 6: the post-2014-reform regime, "
                        "and a run that fits in ~25 min on 2 cores); 0 = all")
    p.add_argument("--save-backtests", metavar="DIR",
                   help="also write one row per forecast to DIR/backtest_<measure>.csv.gz")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "forecast_accuracy.md"))
    args = p.parse_args(argv)
    warnings.simplefilter("ignore", SendForecastWarning)
    data = load_sen2(DATA / "release-2025", DATA / "release-2022")
    kw = {"hierarchical": {"fit_method": "advi"}} if args.quick else {}
    tables, cal, conv = [], {}, []  # conv: sampler diagnostics of the timing fits
    t_all = time.perf_counter()
    for measure in args.measures.split(","):
        t = time.perf_counter()
        last = 4 if args.quick else args.last_origins
        origins = default_origins(history_from(data, [measure]), measure)
        origins = origins[-last:] if last else origins
        bt = backtest(data, measure, METHODS[measure], origins=origins, method_kwargs=kw, seed=0)
        if args.save_backtests:
            bt.to_csv(Path(args.save_backtests) / f"backtest_{measure}.csv.gz", index=False)
        m = metrics(bt)
        tables.append(m)
        cal.update(calibration_factors(bt))
        print(f"{measure}: {time.perf_counter() - t:.0f}s", file=sys.stderr)
        print(m.round(3).to_string(), file=sys.stderr)
    res = pd.concat(tables, ignore_index=True)
    backtest_time = time.perf_counter() - t_all

    # wall time: all-LA fit + forecast of one measure, default method (NUTS), in this process
    timings = []
    for measure in ("caseload", "requests"):
        t = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SendForecastWarning)
            fc = forecast(data, measure, la="all", horizon=3, method="hierarchical", seed=1,
                          calibrate=False)
        conv += [f"{measure}: {w.message}" for w in caught
                 if issubclass(w.category, SendForecastWarning)] or [f"{measure}: no warnings"]
        timings.append((measure, time.perf_counter() - t, fc.la_code.nunique()))

    # targets
    lines = []
    h1 = res[res.horizon == 1].set_index(["measure", "method"])
    for measure in res.measure.unique():
        base = h1.loc[measure].loc[[b for b in BASELINES if b in h1.loc[measure].index]]
        best = base["median_ape"].idxmin()
        hier = h1.loc[(measure, "hierarchical")]
        ratio = hier["median_ape"] / base.loc[best, "median_ape"]
        lines.append(f"- **{measure}**: hierarchical median APE {100 * hier['median_ape']:.1f}% vs "
                     f"best baseline ({best}) {100 * base.loc[best, 'median_ape']:.1f}%: ratio "
                     f"**{ratio:.2f}** (target <= 0.80: {'met' if ratio <= 0.8 else 'not met'}); "
                     f"coverage 80% {100 * hier['coverage80']:.0f}% raw / "
                     f"{100 * hier['coverage80_cal']:.0f}% calibrated, 95% "
                     f"{100 * hier['coverage95']:.0f}% raw / {100 * hier['coverage95_cal']:.0f}% "
                     "calibrated.")
    best_h1 = (res[res.horizon == 1].sort_values("median_ape").groupby("measure").head(1)
               [["measure", "method"]])
    cal_text = "\n".join(f"    {k!r}: {v:.3f}," for k, v in sorted(cal.items()))
    text = f"""# Forecast accuracy (rolling-origin backtest, real SEN2 data)

Generated by `benchmarks/forecast_accuracy.py{' --quick' if args.quick else ''}`.
Machine: {_machine()}.

The newest {args.last_origins or 'all'} origin years with at least 4 years of history (listed per
row as n_origins at horizon 1); each method refitted at each
origin on the data available then (caseload origin t uses flows up to t-1); all LAs; horizons
1-3. Percentages: APE of the forecast `mean`; `bias` = mean signed % error (negative =
under-forecast); MASE and MSIS (95% interval score) scaled by the LA's in-sample mean absolute
yearly change. `*_cal` = coverage after conformal rescaling fitted on *earlier* origins only
(rows with no earlier evidence are not scored, so they cover fewer origins).
Hierarchical = NUTS 2 chains x 500 draws{' (ADVI in --quick)' if args.quick else ''}.

## Targets (horizon 1)
{chr(10).join(lines)}

Best method at horizon 1 by median APE: {', '.join(f'{r.measure}: {r.method}' for r in best_h1.itertuples())}.

## Wall time
- Whole backtest: {backtest_time / 60:.1f} min.
{chr(10).join(f'- All-LA fit + 3-year forecast of {m} with the hierarchical model (NUTS, compile included): {s:.1f} s ({n} areas).' for m, s, n in timings)}

Sampler checks of these fits (r-hat > 1.01, bulk ESS < 200, divergences):
{chr(10).join('- ' + c for c in conv)}

## Metrics
{_fmt(res)}

## Calibration factors (all origins) for `sendforecast/models/forecast/calibration_factors.py`

Paste as `CALIBRATION` and record this run (commit, date, settings) in its `PROVENANCE`.
```python
{cal_text}
```
"""
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
