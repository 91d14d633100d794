"""Cohort projection benchmark: placement-group backtest and wall times.

Backtest: for every LA, project January T+1 from January T (T = 2018 ... 2023)
with ``CohortModel.from_sen2(data, la, base_year=T)`` and compare the projected
placement-group counts with the published ones.  Baseline: the latest (January T)
placement-group shares carried forward and applied to the *same total* as the
model's projected mean total, so the comparison is about the placement mix.
Errors: mean absolute error and weighted absolute percentage error (sum |err| /
sum actual) over LAs, by placement group, and the coverage of the 80% / 95% intervals;
for the target groups (state and independent
special) also pooled over origins, with a paired bootstrap interval of the difference.
LA-years whose published placement breakdown is missing (more than half of the total
not in any placement; among the targets Redcar and Cleveland 2023, Hackney and
Peterborough 2024) are not used as targets; as a base January the model and the baseline both take the mix
of the nearest January with a breakdown (``impute_missing_mix``).

Caveat (documented in cohort.py): the real data have single age x placement only for
January 2024, so the *within-group age shape* of every base January and the age shape
of leaving (ceased by age, calendar 2023) come from those years, including the target
year of the 2023-origin backtest; group totals, flows and trends use only years <= T.

Wall times: median of ``--repeats`` (default 3) runs of (a) one LA (825): fit + 1,000
draws x 10 years with flows kept, in this process; (b) all LAs x 1,000 draws x 10 years
in ``--workers`` processes (fit + project, no flows kept; largest LAs first so that the
workers finish together), data loaded once per worker (before the clock starts: the
pool is warmed up first).

Run: .venv/bin/python benchmarks/cohort_projection.py [--draws 200] [--origins 2023 2022]
     .venv/bin/python benchmarks/cohort_projection.py --speed-only   # wall times only:
     replaces the "## Wall times" section of the results file, keeps the backtest tables
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from _data import real_data as _data  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "cohort_projection.md"


def _one(args):
    la, T, draws, years, keep = args  # T None = latest January
    from sendforecast.models.cohort import CohortModel
    from sendforecast.models.cohort.inputs import (
        breakdown_missing,
        group_totals,
        impute_missing_mix,
    )

    data = _data()
    try:
        m = CohortModel.from_sen2(data, la, base_year=T, margins=None)
        p = m.project(horizon=years, draws=draws, seed=1, param_draws=None, keep_flows=keep)
    except (KeyError, ValueError) as e:
        return la, T, None, str(e)
    if not keep or T is None:
        return la, T, None, None
    raw = group_totals(data, "la", la)
    if T + 1 not in raw.index or T not in raw.index:
        return la, T, None, "no actual"
    if breakdown_missing(raw).loc[T + 1]:
        return la, T, None, f"placement breakdown missing in January {T + 1}"
    tot, _ = impute_missing_mix(raw, T)  # the base mix the model sees (T's own if present)
    gd = p.draws[:, 0].sum(axis=1)  # draws by state, year T+1
    g = gd.mean(0)
    base = tot.loc[T].to_numpy()
    shares = base / base.sum()
    lo80, hi80, lo95, hi95 = np.quantile(gd, [0.1, 0.9, 0.025, 0.975], axis=0)
    td = gd.sum(1)  # the total over placements
    return la, T, {"model": g, "carry_shares": shares * g.sum(),
                   "actual": tot.loc[T + 1].to_numpy(), "lo80": lo80, "hi80": hi80,
                   "lo95": lo95, "hi95": hi95,
                   "total": (td.mean(), *np.quantile(td, [0.1, 0.9, 0.025, 0.975]))}, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--origins", type=int, nargs="+",
                    default=[2023, 2022, 2021, 2020, 2019, 2018])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--speed-only", action="store_true",
                    help="skip the backtest; update only the wall-time section")
    a = ap.parse_args()
    if a.speed_only:
        return speed_only(a)
    from sendforecast.data.taxonomy import PLACEMENT_GROUPS

    data = _data()
    las = data.la_codes()
    rows, failed = [], []
    with ProcessPoolExecutor(a.workers) as ex:
        for T in a.origins:
            for la, t, res, err in ex.map(_one, [(la, T, a.draws, 1, True) for la in las],
                                          chunksize=8):
                if res is None:
                    failed.append((la, t, err))
                    continue
                tm, t10, t90, t2, t97 = res["total"]
                ta = np.nansum(res["actual"])
                rows.append({"origin": t, "la": la, "placement": "total", "method": "model",
                             "forecast": tm, "actual": ta, "in80": t10 <= ta <= t90,
                             "in95": t2 <= ta <= t97})
                for k, gname in enumerate(PLACEMENT_GROUPS):
                    if not np.isfinite(res["actual"][k]):
                        continue
                    act = res["actual"][k]
                    cover = {"in80": res["lo80"][k] <= act <= res["hi80"][k],
                             "in95": res["lo95"][k] <= act <= res["hi95"][k]}
                    for meth in ("model", "carry_shares"):
                        rows.append({"origin": t, "la": la, "placement": gname, "method": meth,
                                     "forecast": res[meth][k], "actual": act,
                                     **(cover if meth == "model" else {})})
        df = pd.DataFrame(rows)
        df["abs_err"] = (df.forecast - df.actual).abs()
        with np.errstate(divide="ignore", invalid="ignore"):  # groups with no children
            summ = (df.groupby(["origin", "placement", "method"])
                    .apply(lambda d: pd.Series({"MAE": d.abs_err.mean(),
                                                "WAPE_%": 100 * d.abs_err.sum() / d.actual.sum(),
                                                "n_LAs": d.la.nunique()}), include_groups=False)
                    .unstack("method"))
        # wall times (median of repeats); the pool's workers already hold the data
        one_runs, all_runs, cpu_runs = _wall_times(ex, las, a.repeats)
    lines = ["# Cohort projection: placement-group backtest (horizon 1) and wall times", "",
             f"Generated by `benchmarks/cohort_projection.py` ({a.draws} draws per LA, seed 1).",
             "Model = `CohortModel.from_sen2(data, la, base_year=T)` mean; baseline "
             "`carry_shares` = placement-group shares of January T applied to the model's "
             "projected total (same total, so only the mix differs). Target = January T+1.",
             "", "Caveat: within-group age shapes come from January 2024 and the age shape "
             "of leaving from calendar 2023 (the only single-age years in the data); group "
             "totals, flows and trends use years <= T only. LA-years whose placement "
             "breakdown is unpublished (more than half of the total in no placement; here "
             "Redcar and Cleveland 2023, Hackney and Peterborough 2024) are not scored as "
             "targets.",
             ""]
    lines += _target_table(df, a.origins)
    lines += _coverage_table(df, a.origins[0])
    for T in a.origins:
        s = summ.loc[T]
        lines += [f"## Origin January {T} -> January {T + 1}", "",
                  "| placement group | MAE model | MAE carry shares | WAPE % model | "
                  "WAPE % carry shares | LAs |", "|---|---|---|---|---|---|"]
        for g in PLACEMENT_GROUPS:
            if g not in s.index:
                continue
            r = s.loc[g]
            lines.append(f"| {g} | {r[('MAE', 'model')]:.1f} | {r[('MAE', 'carry_shares')]:.1f}"
                         f" | {r[('WAPE_%', 'model')]:.1f} | {r[('WAPE_%', 'carry_shares')]:.1f}"
                         f" | {int(r[('n_LAs', 'model')])} |")
        lines.append("")
    lines += _wall_lines(a, las, one_runs, all_runs, cpu_runs, failed)
    OUT.write_text("\n".join(lines))
    print("\n".join(lines))


def _target_table(df: pd.DataFrame, origins, groups=("state_special", "independent_special"),
                  reps: int = 2000) -> list[str]:
    """The target groups by origin and pooled: WAPE of both methods, the difference and
    its 95% interval from a bootstrap over LAs (paired: an LA's errors stay together)."""
    rng = np.random.default_rng(0)
    lines = ["## Target groups: model vs carry shares (WAPE %, horizon 1)", "",
             "Difference = model - carry shares (negative: the model is better), with a 95% "
             "interval from resampling LAs (2,000 paired bootstrap replicates; in the pooled "
             "row an LA's six origins are resampled together).", "",
             "| placement group | origin | WAPE model | WAPE carry shares | difference "
             "(95% interval) | LAs model better | LAs |", "|---|---|---|---|---|---|---|"]
    for g in groups:
        d = df[df.placement == g].pivot_table(index=["origin", "la"], columns="method",
                                              values="abs_err").join(
            df[(df.placement == g) & (df.method == "model")].set_index(["origin", "la"])
            ["actual"])
        for label, sub in [*((str(T), d.loc[[T]]) for T in origins if T in
                             d.index.get_level_values(0)), ("all", d)]:
            em, ec, act = (sub[c].to_numpy() for c in ("model", "carry_shares", "actual"))
            wm, wc = 100 * em.sum() / act.sum(), 100 * ec.sum() / act.sum()
            # resample whole LAs (an LA's origins stay together in the pooled row)
            per_la = sub.groupby(level="la")[["model", "carry_shares", "actual"]].sum()
            lm, lc, la_ = (per_la[c].to_numpy() for c in ("model", "carry_shares", "actual"))
            i = rng.integers(0, len(per_la), size=(reps, len(per_la)))
            diff = 100 * (lm[i].sum(1) - lc[i].sum(1)) / la_[i].sum(1)
            lo, hi = np.percentile(diff, [2.5, 97.5])
            lines.append(f"| {g} | {label} | {wm:.2f} | {wc:.2f} | {wm - wc:+.2f} "
                         f"({lo:+.2f} to {hi:+.2f}) | {(em < ec).sum()} | {len(sub)} |")
    return lines + [""]


def _coverage_table(df: pd.DataFrame, latest: int) -> list[str]:
    """Share of LAs whose January T+1 count lies inside the model's 80% / 95% interval."""
    from sendforecast.data.taxonomy import PLACEMENT_GROUPS

    m = df[df.method == "model"]
    lines = ["## Interval coverage (model, horizon 1)", "",
             "Share of LA x origin cases whose published count lies inside the projection's "
             "80% (p10-p90) and 95% (p2.5-p97.5) interval (nominal 80% and 95%). The "
             "year-effect sds were chosen on these same origins "
             "(benchmarks/cohort_calibration.py); for coverage out of sample see "
             "benchmarks/results/cohort_calibration_fit2018-2021.md.", "",
             f"| placement group | 80% all origins | 95% all origins | 80% {latest} | "
             f"95% {latest} | cases |", "|---|---|---|---|---|---|"]
    for g in [*PLACEMENT_GROUPS, "total"]:
        d = m[m.placement == g]
        if d.empty:
            continue
        d1 = d[d.origin == latest]
        lines.append(f"| {g} | {100 * d.in80.mean():.0f}% | {100 * d.in95.mean():.0f}% | "
                     f"{100 * d1.in80.mean():.0f}% | {100 * d1.in95.mean():.0f}% | {len(d)} |")
    return lines + [""]


def _largest_first(las):
    """LAs by latest caseload, largest first: the workers finish together (the costliest
    projections do not come last)."""
    cl = _data().series("caseload")
    size = cl.dropna(subset=["value"]).sort_values("year").groupby("la_code")["value"].last()
    return sorted(las, key=lambda la: -float(size.get(la, 0.0)))


def _cpu_one(args) -> float:
    """CPU seconds of one :func:`_one` call in its worker process."""
    t0 = time.process_time()
    _one(args)
    return time.process_time() - t0


def _wall_times(ex, las, repeats):
    """Median-of-``repeats`` wall times of one LA (in this process) and all LAs (pool),
    and the CPU seconds the all-LA runs used in the workers."""
    _one(("825", None, 50, 2, True))  # warm up this process (numba kernels loaded)
    list(ex.map(_one, [(la, None, 50, 2, False) for la in las[:4]], chunksize=1))
    one_runs, all_runs, cpu_runs = [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        _one(("825", None, 1000, 10, True))
        one_runs.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        cpu = list(ex.map(_cpu_one, [(la, None, 1000, 10, False) for la in _largest_first(las)],
                          chunksize=1))
        all_runs.append(time.perf_counter() - t0)
        cpu_runs.append(sum(cpu))
    return one_runs, all_runs, cpu_runs


def _wall_lines(a, las, one_runs, all_runs, cpu_runs, failed) -> list[str]:
    import platform

    from sendforecast.models.cohort.engine import DEFAULT_ENGINE

    engine = "numba kernel" if DEFAULT_ENGINE == "numba" else "numpy"
    load = os.getloadavg()
    one_la, all_las = float(np.median(one_runs)), float(np.median(all_runs))
    cpu = float(np.median(cpu_runs))
    return ["## Wall times", "",
            f"Median of {a.repeats} runs (runs: one LA "
            f"{', '.join(f'{x:.2f}' for x in one_runs)} s; all LAs "
            f"{', '.join(f'{x:.1f}' for x in all_runs)} s). Machine: {platform.machine()}, "
            f"{os.cpu_count()} CPUs, shared (load average at the end {load[0]:.1f} / "
            f"{load[1]:.1f} / {load[2]:.1f}); Python {platform.python_version()}; "
            f"sampling engine: {engine}. Before the numba kernels (numpy sampler): one LA "
            "0.91 s, all LAs 115.1 s (load average 3.9 / 4.1 / 3.7).", "",
            f"- one LA (825), fit + 1,000 draws x 10 years, with flows: {one_la:.2f} s",
            f"- all {len(las)} LAs x 1,000 draws x 10 years ({a.workers} worker processes, "
            f"fit + project, no flows kept; data already loaded and kernels compiled in each "
            f"worker): {all_las:.1f} s",
            f"- CPU time of the all-LA run in the workers: {cpu:.1f} s, i.e. "
            f"{1000 * cpu / len(las):.0f} ms per LA; on {a.workers} idle cores "
            f"{cpu / a.workers:.1f} s (less sensitive to other jobs than the wall time, but "
            "on a shared virtual machine not immune: the same code has measured +-10% "
            "between hours)", "",
            f"LAs skipped (no data at origin): {len(failed)}"
            + (f" e.g. {failed[:5]}" if failed else ""), ""]


def speed_only(a) -> None:
    """Wall times only; replace the wall-time section of the results file."""
    las = _data().la_codes()
    with ProcessPoolExecutor(a.workers) as ex:
        one_runs, all_runs, cpu_runs = _wall_times(ex, las, a.repeats)
    lines = _wall_lines(a, las, one_runs, all_runs, cpu_runs, [])
    lines = lines[:-2]  # no backtest here: keep the skipped-LA line of the backtest run
    old = OUT.read_text() if OUT.exists() else ""
    head, sep, tail = old.partition("## Wall times")
    skipped = tail[tail.find("LAs skipped"):] if "LAs skipped" in tail else ""
    OUT.write_text((head if sep else old + "\n") + "\n".join(lines) + "\n" + skipped)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
