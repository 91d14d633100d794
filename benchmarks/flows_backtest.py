"""Demand flows and the caseload total: rolling-origin backtest of simple methods and peers.

For requests, assessments, new plans (calendar years) and the caseload (January), every
LA, every origin with at least 4 years behind it, horizons 1-3: the package's naive,
drift, ETS and pooled-growth methods (``sendforecast.models.forecast.backtest``: each
origin sees only the years published by then), a grid of pooled-growth settings, and
statsforecast's AutoETS / AutoARIMA / AutoTheta fitted on the same truncated series in the
same run.  Scores: median APE, its ratio to naive, median signed error (bias), and the
coverage of the raw 80% / 95% intervals and of the intervals calibrated on earlier origins
only (``*_cal``), and each method's median APE minus naive's and the last value's on the
forecasts both made, with a 95% interval from a paired bootstrap over LAs.  The last two origins of each measure are the check; the settings in
``sendforecast.models.forecast.pooled.POOLED_SETTINGS`` are chosen on the others.

Run: .venv/bin/python benchmarks/flows_backtest.py [--no-peers]
Writes benchmarks/results/flows_backtest.md.  Needs the ``bench`` extra for the peers.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from _data import real_data, require_real_data  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "flows_backtest.md"
MEASURES = ("requests", "assessments", "new_plans", "caseload")
GRID = list(itertools.product((0.0, 0.25, 0.5), (1, 3), (0.5, 1.0)))
#: the conversion method's settings grid: (years the rate sums, lag)
CONVERSION_GRID = list(itertools.product((2, 3, 4), (0.3, 0.5, 0.7)))


def _ape(bt: pd.DataFrame) -> pd.Series:
    return 100 * ((bt["mean"] - bt.actual).abs() / bt.actual)


def conversion_section(data, bt: pd.DataFrame, origins: list[int], check: list[int]):
    """The conversion method (new plans from requests) on the origins where it runs: its
    settings grid at horizon 1 chosen on the tuning ones, the methods side by side at
    horizons 1-3, and the interval calibration factors from the tuning origins only."""
    from sendforecast.models.forecast.calibration import apply_calibration
    from sendforecast.models.forecast.evaluation import backtest, calibration_factors

    conv = bt[(bt.method == "conversion") & (bt.method_used == "conversion")]
    own = sorted(set(conv.origin))
    tune = [o for o in own if o not in check]
    keys = ["origin", "horizon", "la_code"]
    rows = conv[keys]
    grid = []
    for k, lag in CONVERSION_GRID:
        g = backtest(data, "new_plans", methods=("conversion",), horizons=(1,), origins=own,
                     progress=False, method_kwargs={"conversion": {"years": k, "lag": lag}})
        g = g[g.method_used == "conversion"].merge(rows[rows.horizon == 1], on=keys)
        a = _ape(g)
        grid.append({"years": k, "lag": lag, "tune": a[g.origin.isin(tune)].median(),
                     "check": a[g.origin.isin(check)].median()})
    grid = pd.DataFrame(grid)
    best = grid.loc[grid.tune.idxmin()]
    same = bt.merge(rows, on=keys)  # every method on the forecasts conversion made
    lines = [f"### conversion (new plans from requests): the origins with requests "
             f"({own[0]}-{own[-1]}; tuning {tune}, check {check})", "",
             "Every method on the same forecasts (the LAs and origins conversion forecast).", ""]
    for part, o in (("check", check), ("tuning", tune)):
        sub = same[same.origin.isin(o)]
        lines += [f"#### {part} origins", "", *table(summarise(sub), "naive", sub), ""]
    fac = calibration_factors(conv[conv.origin.isin(tune)])
    # the check's cover with the tuning origins' factors (the factors the package ships)
    cal = pd.concat([apply_calibration(g, factors=fac) for _, g in conv.groupby("origin")])
    cover = []
    for h, g in cal[cal.origin.isin(check)].groupby("horizon"):
        c = [100 * ((g[lo] <= g.actual) & (g.actual <= g[hi])).mean()
             for lo, hi in (("p10", "p90"), ("p2_5", "p97_5"))]
        cover.append(f"h{h} {c[0]:.0f}% / {c[1]:.0f}% ({len(g)} forecasts)")
    lines += ["#### settings grid (horizon 1, median APE %, the same forecasts)", "",
              f"Chosen on the tuning origins: years {int(best.years)}, lag {best.lag}.", "",
              "| years | lag | tuning | check |", "|---|---|---|---|"]
    lines += [f"| {int(r.years)} | {r.lag} | {r.tune:.2f} | {r.check:.2f} |"
              for r in grid.sort_values("tune").itertuples()]
    lines += ["", "#### interval calibration factors (tuning origins only)", "", "```python"]
    lines += [f"    {k!r}: {v:.3f}," for k, v in sorted(fac.items())]
    lines += ["```", "", "With these factors the check origins' 80% / 95% cover is "
              + "; ".join(cover) + ". (The tables' calibrated columns are the rolling "
              "calibration: each origin's factors from the forecasts scored by then.)", ""]
    return lines, (int(best.years), float(best.lag))


#: the baselines each method is set against, with a paired interval of the difference
BASELINES = ("naive", "last value")


def weighted_median(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The median of ``x`` with each value repeated ``w[r, i]`` times (integer counts), for
    each row ``r`` of ``w``: the mean of the two middle values, as :func:`numpy.median` of
    the repeated sample (so with every count 1 it is ``np.median(x)``)."""
    o = np.argsort(x, kind="stable")
    c = np.cumsum(w[:, o], axis=1)
    n = c[:, -1:]
    lo = (c >= (n - 1) // 2 + 1).argmax(axis=1)
    hi = (c >= n // 2 + 1).argmax(axis=1)
    return (x[o][lo] + x[o][hi]) / 2


def paired_median_difference(bt: pd.DataFrame, method: str, ref: str, horizon: int,
                             reps: int = 2000, seed: int = 0) -> tuple[float, float, float, int]:
    """Median APE of ``method`` minus that of ``ref`` (points) at ``horizon``, on the
    forecasts both made (the same LA and origin, both finite), with a 95% interval from a
    paired bootstrap over LAs: whole LAs are resampled (``numpy.random.default_rng(seed)
    .multinomial`` counts per LA), every origin of an LA kept together, and each resample's
    medians are those of the repeated sample (:func:`weighted_median`).  Returns
    ``(difference, low, high, forecasts)``; NaNs when they share no forecast."""
    keys = ["la_code", "origin"]
    d = bt[bt.horizon == horizon]
    a = d[d.method == method].set_index(keys)
    b = d[d.method == ref].set_index(keys)
    for name, x in ((method, a), (ref, b)):
        if not x.index.is_unique:
            raise ValueError(f"{name}: more than one forecast per LA and origin at h{horizon}")
    both = a.index.intersection(b.index)
    ea, eb = _ape(a.loc[both]).to_numpy(float), _ape(b.loc[both]).to_numpy(float)
    ok = np.isfinite(ea) & np.isfinite(eb)
    if not ok.any():
        return np.nan, np.nan, np.nan, 0
    ea, eb, both = ea[ok], eb[ok], both[ok]
    la = pd.factorize(both.get_level_values("la_code"))[0]
    diff = float(np.median(ea) - np.median(eb))
    n_la = la.max() + 1
    w = np.random.default_rng(seed).multinomial(n_la, np.full(n_la, 1.0 / n_la),
                                                size=reps)[:, la]
    lo, hi = np.quantile(weighted_median(ea, w) - weighted_median(eb, w), [0.025, 0.975])
    return diff, float(lo), float(hi), len(ea)


def table(s: pd.DataFrame, ref: str, bt: pd.DataFrame | None = None) -> list[str]:
    """The markdown rows of :func:`summarise`'s frame, each median APE also as a ratio to
    that of the method ``ref`` at the same horizon; with the scored rows ``bt``, also each
    method's median APE minus each of :data:`BASELINES`' on the same forecasts, with a
    paired 95% interval (:func:`paired_median_difference`)."""
    base = s.xs(ref)["median_ape"]

    def pct(v):
        return f"{v:.0f}%" if np.isfinite(v) else ""

    def vs(m, h, b):
        if bt is None or m == b or b not in s.index.get_level_values("method"):
            return ""
        d, lo, hi, _ = paired_median_difference(bt, m, b, h)
        return f"{d:+.1f} ({lo:+.1f} to {hi:+.1f})" if np.isfinite(d) else ""

    extra = ([f" - {b}, same forecasts (95% interval)" for b in BASELINES]
             if bt is not None else [])
    lines = [f"| method | h | median APE % | / {ref} | bias % | 80% cover (raw) | 95% cover (raw)"
             " | 80% cover (calibrated) | 95% cover (calibrated) | forecasts |"
             + "".join(f"{e} |" for e in extra),
             "|---|---|---|---|---|---|---|---|---|---|" + "---|" * len(extra)]
    for (m, h), r in s.iterrows():
        lines.append(f"| {m} | {h} | {r.median_ape:.1f} | {r.median_ape / base[h]:.3f} | "
                     f"{r.bias:+.1f} | {pct(r.cover80)} | {pct(r.cover95)} | "
                     f"{pct(r.cover80_cal)} | {pct(r.cover95_cal)} | {int(r.n)} |"
                     + "".join(f" {vs(m, h, b)} |" for b in BASELINES if bt is not None))
    return lines


def summarise(bt: pd.DataFrame) -> pd.DataFrame:
    """Median APE, bias and coverage (%) per (method, horizon)."""
    recs = []
    for (m, h), d in bt.groupby(["method", "horizon"]):
        pe = (d["mean"] - d.actual) / d.actual
        r = {"method": m, "horizon": h, "median_ape": 100 * pe.abs().median(),
             "bias": 100 * pe.median(),
             "cover80": 100 * ((d.p10 <= d.actual) & (d.actual <= d.p90)).mean()
             if d.p10.notna().any() else np.nan,
             "cover95": 100 * ((d.p2_5 <= d.actual) & (d.actual <= d.p97_5)).mean()
             if d.p2_5.notna().any() else np.nan,
             "cover80_cal": np.nan, "cover95_cal": np.nan, "n": len(d)}
        if "cal_p10" in d and d.cal_p10.notna().any():
            c = d[d.cal_p10.notna()]
            r["cover80_cal"] = 100 * ((c.cal_p10 <= c.actual) & (c.actual <= c.cal_p90)).mean()
            r["cover95_cal"] = 100 * ((c.cal_p2_5 <= c.actual) & (c.actual <= c.cal_p97_5)).mean()
        recs.append(r)
    return pd.DataFrame(recs).set_index(["method", "horizon"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-peers", action="store_true", help="skip statsforecast")
    ap.add_argument("--measures", nargs="+", default=list(MEASURES))
    ap.add_argument("--save", type=Path, help="a folder for the scored rows (csv.gz)")
    ap.add_argument("--out", type=Path, default=OUT, help=f"the results file (default {OUT})")
    a = ap.parse_args()
    from sendforecast.models.forecast.conversion import ConversionForecaster
    from sendforecast.models.forecast.evaluation import backtest, calibrate_rolling, default_origins
    from sendforecast.models.forecast.history import history_from
    from sendforecast.models.forecast.pooled import POOLED_SETTINGS

    require_real_data()
    data = real_data()
    t0 = time.perf_counter()
    lines = ["# Demand flows and caseload: rolling-origin backtest with statsforecast peers", ""]
    choices = {}
    for measure in a.measures:
        hist = history_from(data, [measure], "la")
        origins = default_origins(hist, measure)
        tune, check = origins[:-2], origins[-2:]
        methods = ("naive", "drift", "ets", "pooled") + (
            ("conversion",) if measure in ConversionForecaster.measures else ())
        bt = backtest(data, measure, methods=methods, origins=origins, progress=False)
        if "conversion" in methods:
            # before requests were published conversion falls back to pooled growth: score
            # only what it forecast itself, and calibrate on that alone
            bt = calibrate_rolling(bt[(bt.method != "conversion")
                                      | (bt.method_used == "conversion")].reset_index(drop=True))
        # the pooled settings grid, horizon 1, on the tuning origins
        grid = []
        for w, k, phi in GRID:
            g = backtest(data, measure, methods=("pooled",), horizons=(1,), origins=origins,
                         progress=False,
                         method_kwargs={"pooled": {"weight": w, "years": k, "phi": phi}})
            s = {part: _ape(g)[g.origin.isin(o)].median()
                 for part, o in (("tune", tune), ("check", check))}
            grid.append({"weight": w, "years": k, "phi": phi, **s})
        grid = pd.DataFrame(grid)
        # the analyst's naive: the last published value itself (the package's naive
        # reports the mean of its random-walk paths, above the last value)
        last = hist.set_index(["la_code", "year"])["value"]
        lv = bt[bt.method == "naive"].copy()
        lv["mean"] = last.reindex(pd.MultiIndex.from_arrays(
            [lv.la_code.astype(str), lv.origin])).to_numpy()
        lv["method"] = "last value"
        lv[["p10", "p90", "p2_5", "p97_5", "cal_p10", "cal_p90", "cal_p2_5", "cal_p97_5"]] = np.nan
        nv = lv[lv.horizon == 1]
        nape = {part: _ape(nv)[nv.origin.isin(o)].median()
                for part, o in (("tune", tune), ("check", check))}
        best = grid.loc[grid.tune.idxmin()]
        choices[measure] = (float(best.weight), int(best.years), float(best.phi))
        bt = pd.concat([bt, lv], ignore_index=True)
        if not a.no_peers:
            from _peers import peers

            bt = pd.concat([bt, peers(hist, measure, origins)], ignore_index=True)
        lines += [f"## {measure} (origins {origins[0]}-{origins[-1]}; check {check})", ""]
        for part, o in (("check", check), ("tuning", tune)):
            sub = bt[bt.origin.isin(o)]
            lines += [f"### {part} origins", "", *table(summarise(sub), "last value", sub), ""]
        lines += ["### pooled-growth settings (horizon 1, median APE %)", "",
                  f"last value: tuning {nape['tune']:.2f}, check {nape['check']:.2f}. Chosen on "
                  f"the tuning origins: weight {best.weight}, years {int(best.years)}, phi "
                  f"{best.phi} (in the package: {POOLED_SETTINGS.get(measure, POOLED_SETTINGS['default'])}).",
                  "", "| weight | years | phi | tuning | check |", "|---|---|---|---|---|"]
        lines += [f"| {r.weight} | {int(r.years)} | {r.phi} | {r.tune:.2f} | {r.check:.2f} |"
                  for r in grid.sort_values("tune").itertuples()]
        lines.append("")
        if "conversion" in methods:
            more, choices["conversion"] = conversion_section(data, bt, origins, check)
            lines += more
        print(f"{measure}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        if a.save:
            bt.to_csv(a.save / f"flows_{measure}.csv.gz", index=False)
    lines[1:1] = [f"Generated by `benchmarks/flows_backtest.py` in {time.perf_counter() - t0:.0f}"
                  f" s on {os.cpu_count()} cores ({platform.machine()}, Python "
                  f"{platform.python_version()}); every LA. Chosen pooled settings "
                  f"(weight, years, phi): {({k: v for k, v in choices.items() if k != 'conversion'})}; conversion (years, lag): "
                  f"{choices.get('conversion')}.", ""]
    a.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
