"""Statutory pipeline: rolling-origin backtest of next year's plans issued and 20-week
timeliness for every LA, against naive (last year's value / rate).

Each origin January ``T`` sees only what was published by then
(:func:`sendforecast.data.vintage.published_by`: flows of calendar years <= T - 1) and
forecasts calendar year ``T``.  The settings are chosen by small grids (the timeliness
blend; the conversion rates' pooling and the capacity rule; the interval scales; a tie
within Monte Carlo noise goes to the simpler setting).

Walk-forward selection: origin 2022 is forecast with the settings the grids choose on
2018-2021, origin 2023 with those chosen on 2018-2022, so each of them scores the whole
procedure (model and choice of settings) on a year it never saw; the shipped settings are
the grids' choice on all six origins.  The newest year (2024) is withheld from the data
and never reconstructed.

Scores per (method, set of origins): timeliness median absolute error in percentage points
(and its bias, the median signed error), plans issued median APE (and bias), and the
coverage of the 80% / 95% intervals.  The chosen settings go into
``sendforecast.models.settings.STATUTORY_SETTINGS``.

Run: .venv/bin/python benchmarks/statutory_backtest.py [--draws N] [--no-grid | --reuse-walk] [--seeds N]
Writes benchmarks/results/statutory_backtest.md (hand-run experiments beside it, not made by
this script: benchmarks/results/statutory_experiments.md).
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
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

from sendforecast.data.statutory import statutory_wide  # noqa: E402
from sendforecast.data.vintage import published_by  # noqa: E402
from sendforecast.models.settings import STATUTORY_SETTINGS  # noqa: E402
from sendforecast.models.statutory import project_statutory  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "statutory_backtest.md"
#: the walk-forward choices of the last full run (the grids take about 1.5 h on 2 cores):
#: ``--reuse-walk`` scores them again without re-running the grids
WALK_CHOICES = ROOT / "benchmarks" / "results" / "statutory_walk_settings.json"
GRID_LOG = ROOT / "benchmarks" / "results" / "statutory_grid_log.txt"
ORIGINS = (2018, 2019, 2020, 2021, 2022, 2023)
#: origins scored out of sample by walk-forward selection: settings chosen on the origins
#: before each one only (the grid re-run for each)
WALK = (2022, 2023)
TUNE = tuple(o for o in ORIGINS if o < WALK[0])


def actuals(data) -> pd.DataFrame:
    w = statutory_wide(data)
    w = w.assign(within_20_weeks_pct=100 * w.within_20_weeks / w.plans_issued)
    return w.set_index(["la_code", "year"])[["plans_issued", "within_20_weeks_pct"]]


#: years ahead scored (the CLI and the report show 3): origin T forecasts calendar years
#: T .. T + 2; the last origins have fewer scored years (flows are published to 2023)
HORIZON = 3


def run_origin(view, T: int, settings: dict, draws: int, seed: int = 1) -> pd.DataFrame:
    """Forecasts of years T .. T + HORIZON - 1 (and naive: the last published value or rate
    carried forward) for every LA with data, one row per LA, year and measure (``h``: 1 for
    year T)."""
    p = project_statutory(view, "all", horizon=HORIZON, draws=draws, seed=seed,
                          settings=settings)
    tab = p.table()
    tab = tab[tab.measure.isin(["plans_issued", "within_20_weeks_pct"])]
    o = p.origin
    naive = pd.DataFrame({"la_code": o.codes * 2,
                          "measure": ["plans_issued"] * len(o.codes)
                          + ["within_20_weeks_pct"] * len(o.codes),
                          "naive": np.r_[o.plans, 100 * o.within_20]})
    return tab.merge(naive, on=["la_code", "measure"]).assign(origin=T, h=lambda d: d.year - T + 1)


def score(bt: pd.DataFrame, act: pd.DataFrame) -> pd.DataFrame:
    """Join the actual values (LAs without one are left out; 0% within 20 weeks is a value,
    0 plans issued has no APE)."""
    a = act.stack().rename("actual").reset_index().rename(columns={"level_2": "measure"})
    out = bt.merge(a, on=["la_code", "year", "measure"])
    return out[np.isfinite(out.actual)
               & ((out.actual > 0) | (out.measure == "within_20_weeks_pct"))]


def _errors(d: pd.DataFrame, col: str) -> np.ndarray:
    """Signed errors of ``col`` (forecast - actual): pp (timeliness) or % of the actual
    (plans issued)."""
    e = (d[col] - d.actual).to_numpy(float)
    return np.where(d.measure.to_numpy() == "plans_issued", 100 * e / d.actual.to_numpy(float), e)


def metrics(s: pd.DataFrame) -> pd.DataFrame:
    recs = []
    for m, d in s.groupby("measure"):
        for method, col in (("statutory", "mean"), ("naive", "naive")):
            e = _errors(d, col)
            r = {"measure": m, "method": method, "error": float(np.median(np.abs(e))),
                 "bias": float(np.median(e)), "n": len(d)}
            if method == "statutory":
                r["cover80"] = 100 * ((d.p10 <= d.actual) & (d.actual <= d.p90)).mean()
                r["cover95"] = 100 * ((d.p2_5 <= d.actual) & (d.actual <= d.p97_5)).mean()
            recs.append(r)
    return pd.DataFrame(recs)


def backtest(data, views, origins, settings, draws, seed: int = 1) -> pd.DataFrame:
    act = actuals(data)
    parts = [run_origin(views[T], T, settings, draws, seed) for T in origins]
    return score(pd.concat(parts, ignore_index=True), act)


def with_(settings: dict, **kw) -> dict:
    s = copy.deepcopy(settings)
    for k, v in kw.items():
        s[k] = {**s[k], **v}
    return s


def by_horizon(s: pd.DataFrame) -> dict[int, pd.DataFrame]:
    """:func:`metrics` of each horizon, indexed by measure and method."""
    return {int(h): metrics(d).set_index(["measure", "method"]) for h, d in s.groupby("h")}


def objective(s: pd.DataFrame) -> tuple[float, float]:
    """Timeliness MAE (pp) and plans issued MdAPE (%), each the mean over horizons 1-3: the
    settings must hold beyond next year too (the CLI shows three years)."""
    ms = by_horizon(s).values()
    return (float(np.mean([m.loc[("within_20_weeks_pct", "statutory"), "error"] for m in ms])),
            float(np.mean([m.loc[("plans_issued", "statutory"), "error"] for m in ms])))


#: a setting must beat the simpler ones before it in its grid by more than this (pp or %
#: points of the stage's objective) to be chosen: smaller differences are Monte Carlo noise
TIE = 0.1


def _pick(scored: list[tuple[float, dict]]) -> dict:
    """The first (simplest) candidate within :data:`TIE` of the best."""
    best = min(k for k, _ in scored)
    return next(s for k, s in scored if k <= best + TIE)


def tune(data, views, draws: int, log, origins=TUNE) -> dict:
    """Three stages on ``origins``: the timeliness blend, then the conversion rates
    and capacity rule, then the interval scales.  Each grid lists the simplest settings
    first; ties (within :data:`TIE`) go to the simpler."""
    log(f"-- tuning on origins {list(origins)}")
    # a fixed starting point (not the shipped settings: the search must not depend on them)
    point = with_(copy.deepcopy(STATUTORY_SETTINGS),
                  blend={"rate_years": 2, "rate_weight": 0.05},
                  interval={"tau": 0.7, "df": 5, "agree_scale": 0.0, "plans_sd": 0.2,
                            "cap_sd": 0.0},
                  capacity={"follow": 1.0, "headroom": 0.0, "catch_up": 0.0, "momentum": 0.5})
    # 1. the timeliness blend (probit: last year, the LA's mean deviation, England's trend)
    scored = []
    for (last, own, years), trend in itertools.product(
            [(1.0, 0.0, 3), (0.9, 0.1, 3), (0.8, 0.2, 3), (0.7, 0.2, 3), (0.7, 0.3, 5)], (0.0, 0.5)):
        s = with_(point, blend={"last": last, "own": own, "own_years": years, "trend": trend})
        e = objective(backtest(data, views, origins, s, draws))
        log(f"blend last={last} own={own} years={years} trend={trend}: timeliness MAE "
            f"{e[0]:.2f} pp, plans MdAPE {e[1]:.2f}%")
        scored.append((e[0], s))
    point = _pick(scored)
    # 2. conversion rates (years pooled, weight of the LA's own counts against the beta
    #    prior), the capacity rule and the pipeline's starting level
    scored = []
    for follow, head, mom, ry, rw in itertools.product((1.0, 0.8), (0.0, 0.02, 0.05), (0.0, 0.5),
                                                       (2, 3), (0.05, 0.01)):
        s = with_(point, blend={"rate_years": ry, "rate_weight": rw},
                  capacity={"momentum": mom, "follow": follow, "headroom": head})
        e = objective(backtest(data, views, origins, s, draws))
        log(f"follow={follow} headroom={head} momentum={mom} rate_years={ry} rate_weight={rw}: "
            f"timeliness MAE {e[0]:.2f} pp, plans MdAPE {e[1]:.2f}% (means over horizons)")
        scored.append((e[0] + e[1], s))  # pp and % of similar size here
    point = _pick(scored)
    # 3. interval scales, each measure's coverage near 80% / 95% at every horizon and its
    #    point error (the mean of the draws moves with the spread): a pp of coverage against
    #    half a pp / % of error, means over the horizons.  a: the starting timeliness error
    #    (tau, probit, Student t with df) and capacity's yearly drift after year 1 (cap_sd);
    #    b: the yearly error of plans issued per assessment (plans_sd)
    def gap(s, measure):
        ms = by_horizon(backtest(data, views, origins, s, draws)).values()
        r = [m.loc[(measure, "statutory")] for m in ms]
        cov = np.mean([abs(x.cover80 - 80) + 0.5 * abs(x.cover95 - 95) for x in r])
        return cov + 2 * np.mean([x.error for x in r]), r

    scored = []
    for tau, df, csd in itertools.product((0.4, 0.5, 0.6, 0.7, 0.8), (5, 3, 2), (0.0, 0.1, 0.2)):
        s = with_(point, interval={"tau": tau, "df": df, "cap_sd": csd})
        g, r = gap(s, "within_20_weeks_pct")
        log(f"interval tau={tau} df={df} cap_sd={csd}: timeliness MAE by horizon "
            + ", ".join(f"{x.error:.2f}" for x in r) + "; cover "
            + ", ".join(f"{x.cover80:.1f}/{x.cover95:.1f}" for x in r))
        scored.append((g, s))
    point = _pick(scored)
    scored = []
    for psd in (0.15, 0.2, 0.25):
        s = with_(point, interval={"plans_sd": psd})
        g, r = gap(s, "plans_issued")
        log(f"interval plans_sd={psd}: plans MdAPE by horizon "
            + ", ".join(f"{x.error:.2f}" for x in r) + "; cover "
            + ", ".join(f"{x.cover80:.1f}/{x.cover95:.1f}" for x in r))
        scored.append((g, s))
    return _pick(scored)


def table(m: pd.DataFrame) -> str:
    lines = ["| measure | method | error | bias | 80% cover | 95% cover | n |", "|---|---|---|---|---|---|---|"]
    for _, r in m.iterrows():
        unit = "pp MAE" if r.measure == "within_20_weeks_pct" else "% MdAPE"
        c80 = f"{r.cover80:.1f}" if np.isfinite(r.get("cover80", np.nan)) else ""
        c95 = f"{r.cover95:.1f}" if np.isfinite(r.get("cover95", np.nan)) else ""
        lines.append(f"| {r.measure} | {r.method} | {r.error:.2f} {unit} | {r.bias:+.2f} | {c80} | "
                     f"{c95} | {r.n} |")
    return "\n".join(lines)


def diff_interval(d: pd.DataFrame, n_boot: int = 2000, seed: int = 1) -> tuple[float, float]:
    """95% interval of (model - naive) median absolute error, from a paired bootstrap that
    resamples LAs (with all their rows in ``d``: origins, horizons), so the interval holds
    the LA-to-LA spread the scores are made of."""
    la = pd.factorize(d.la_code)[0]
    em, en = np.abs(_errors(d, "mean")), np.abs(_errors(d, "naive"))
    rows = [np.flatnonzero(la == i) for i in range(la.max() + 1)]
    rng = np.random.default_rng(seed)
    out = np.empty(n_boot)
    for b in range(n_boot):
        idx = np.concatenate([rows[i] for i in rng.integers(0, len(rows), len(rows))])
        out[b] = np.median(em[idx]) - np.median(en[idx])
    lo, hi = np.quantile(out, [0.025, 0.975])
    return float(lo), float(hi)


def by_origin(s: pd.DataFrame, by: str = "origin") -> pd.DataFrame:
    """:func:`metrics` per origin (or per ``by``), the model and naive side by side, with
    the 95% interval of their difference (:func:`diff_interval`)."""
    recs = []
    for T, d in s.groupby(by):
        m = metrics(d).set_index(["measure", "method"])
        for meas in ("within_20_weeks_pct", "plans_issued"):
            a, n = m.loc[(meas, "statutory")], m.loc[(meas, "naive")]
            lo, hi = diff_interval(d[d.measure == meas])
            recs.append({by: T, "measure": meas, "model": a.error, "naive": n.error,
                         "lo": lo, "hi": hi, "bias": a.bias, "naive_bias": n.bias,
                         "cover80": a.cover80, "cover95": a.cover95, "n": int(a.n)})
    return pd.DataFrame(recs)


def origin_table(o: pd.DataFrame, by: str = "origin") -> str:
    lines = [f"| {by} | measure | model | naive | model - naive (95% interval) | bias | naive bias "
             "| 80% cover | 95% cover | n |", "|---|---|---|---|---|---|---|---|---|---|"]
    for _, r in o.iterrows():
        unit = "pp" if r.measure == "within_20_weeks_pct" else "%"
        lines.append(f"| {r[by]} | {r.measure} | {r.model:.2f} {unit} | {r.naive:.2f} {unit} | "
                     f"{r.model - r.naive:+.2f} ({r.lo:+.2f} to {r.hi:+.2f}) | {r.bias:+.2f} | {r.naive_bias:+.2f} | "
                     f"{r.cover80:.1f} | {r.cover95:.1f} | {r.n} |")
    return "\n".join(lines)


def target_lines(name: str, m: pd.DataFrame, s: pd.DataFrame) -> list[str]:
    """The issue's targets on the scored rows ``s`` (metrics ``m``), with the 95% interval
    of the timeliness difference (model - naive, pp)."""
    lo, hi = diff_interval(s[s.measure == "within_20_weeks_pct"])
    mi = m.set_index(["measure", "method"])
    t, tn = mi.loc[("within_20_weeks_pct", "statutory")], mi.loc[("within_20_weeks_pct", "naive")]
    p, pn = mi.loc[("plans_issued", "statutory")], mi.loc[("plans_issued", "naive")]
    return [f"- {name}: timeliness MAE {t.error:.2f} pp vs naive {tn.error:.2f} "
            f"({'met' if t.error < tn.error else 'NOT met'}; difference {t.error - tn.error:+.2f} pp, "
            f"95% interval {lo:+.2f} to {hi:+.2f}); 80% coverage {t.cover80:.1f}% "
            f"({'met' if 75 <= t.cover80 <= 85 else 'NOT met'}: 75-85%); plans issued "
            f"MdAPE {p.error:.2f}% vs 0.95 x naive = {0.95 * pn.error:.2f}% "
            f"({'met' if p.error <= 0.95 * pn.error else 'NOT met'})"]


def seed_lines(data, views, walk: dict, draws: int, seeds: int) -> list[str]:
    """The walk-forward scores (horizon 1) again with seeds 1..``seeds``: how much of a
    difference from naive is the Monte Carlo noise of the forecast's mean."""
    rows = []
    for seed in range(1, seeds + 1):
        wf = pd.concat([backtest(data, views, [T], c, draws, seed) for T, (c, _) in walk.items()],
                       ignore_index=True)
        mi = metrics(wf[wf.h == 1]).set_index(["measure", "method"]).error
        rows.append((seed, mi[("within_20_weeks_pct", "statutory")],
                     mi[("within_20_weeks_pct", "naive")], mi[("plans_issued", "statutory")],
                     mi[("plans_issued", "naive")]))
    r = pd.DataFrame(rows, columns=["seed", "t", "tn", "p", "pn"])
    met_t, met_p = int((r.t < r.tn).sum()), int((r.p <= 0.95 * r.pn).sum())
    return ["### Monte Carlo noise of the walk-forward scores", "",
            f"The same walk-forward forecasts with seeds 1-{seeds} ({draws:,} draws each):", "",
            "| seed | timeliness MAE (naive " f"{r.tn.iloc[0]:.2f} pp) | plans issued MdAPE "
            f"(0.95 x naive = {0.95 * r.pn.iloc[0]:.2f}%) |", "|---|---|---|",
            *[f"| {s.seed} | {s.t:.2f} pp | {s.p:.2f} % |" for s in r.itertuples()], "",
            f"- median over seeds: timeliness {r.t.median():.2f} pp (target met in {met_t} of "
            f"{seeds}); plans issued {r.p.median():.2f}% (met in {met_p} of {seeds})", ""]


def _chosen(settings: dict) -> dict:
    return {k: settings[k] for k in ("blend", "capacity", "interval")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune-draws", type=int, default=300)
    ap.add_argument("--no-grid", action="store_true",
                    help="score the package's settings on every origin (no selection)")
    ap.add_argument("--reuse-walk", action="store_true",
                    help="no grids: score the walk-forward choices recorded by the last full "
                         f"run ({WALK_CHOICES.name}) and the package's settings")
    ap.add_argument("--seeds", type=int, default=5,
                    help="score the walk-forward forecasts again with seeds 1..N (Monte "
                         "Carlo noise of the scores; 0: not)")
    args = ap.parse_args()
    require_real_data()
    t0 = time.perf_counter()
    data = real_data()
    views = {T: published_by(data, T) for T in ORIGINS}
    log_lines = []

    def log(msg):
        print(msg, flush=True)
        log_lines.append(msg)

    walk = {}
    if args.no_grid:
        settings = STATUTORY_SETTINGS
    elif args.reuse_walk:
        recorded = json.loads(WALK_CHOICES.read_text())
        log(f"walk-forward choices read from {WALK_CHOICES.name} (recorded {recorded['recorded']})")
        for T in WALK:
            chosen_T = with_(copy.deepcopy(STATUTORY_SETTINGS), **recorded["chosen"][str(T)])
            walk[T] = (chosen_T, backtest(data, views, [T], chosen_T, args.draws))
        settings = STATUTORY_SETTINGS
    else:
        for T in WALK:
            chosen_T = tune(data, views, args.tune_draws, log, [o for o in ORIGINS if o < T])
            log(f"chosen for origin {T}: {_chosen(chosen_T)}")
            walk[T] = (chosen_T, backtest(data, views, [T], chosen_T, args.draws))
        WALK_CHOICES.write_text(json.dumps(
            {"recorded": time.strftime("%Y-%m-%d"),
             "chosen": {str(T): _chosen(c) for T, (c, _) in walk.items()}}, indent=1) + "\n")
        settings = tune(data, views, args.tune_draws, log, ORIGINS)
    log(f"shipped: {_chosen(settings)}")
    shipped = backtest(data, views, ORIGINS, settings, args.draws)
    # wall time: every LA, and one LA, at the newest origin with the full data
    times = {}
    for key, la in (("all LAs", "all"), ("one LA (825)", "825")):
        ts = []
        for _ in range(3):
            t = time.perf_counter()
            project_statutory(data, la, horizon=3, draws=1000, seed=1, settings=settings)
            ts.append(time.perf_counter() - t)
        times[key] = float(np.median(ts))
    text = [
        "# Statutory pipeline backtest (plans issued and 20-week timeliness, 1-3 years ahead)", "",
        "`benchmarks/statutory_backtest.py`: every LA, each origin January T sees only "
        "flows published by then (calendar years <= T - 1, `published_by`) and forecasts "
        f"calendar years T to T + {HORIZON - 1} (horizons 1-{HORIZON}; flows are published to "
        "2023, so the last origins score fewer years). Per-origin tables and targets are "
        "horizon 1 (next year, the issue's target); the grids' objective is the mean over "
        "horizons. Naive = the last published value (plans issued) or rate (timeliness) carried "
        "forward. Error: "
        "median absolute error in percentage points (timeliness) or median APE (plans issued); "
        "bias: median signed error (forecast - actual; pp or %). Forecast = mean of "
        f"{args.draws:,} draws.", ""]
    if walk:
        wf_all = pd.concat([b for _, b in walk.values()], ignore_index=True)
        wf = wf_all[wf_all.h == 1]
        m_wf = metrics(wf)
        text += [
            "## Out of sample: walk-forward selection", "",
            "Each origin below is forecast with the settings the grids chose on the origins "
            "before it only (" + "; ".join(f"{T}: chosen on {min(ORIGINS)}-{T - 1}" for T in walk)
            + "), so these scores are those of the whole procedure on years it never saw. "
            "They are the estimate of next year's skill.", "",
            origin_table(by_origin(wf)), "", "Pooled over these origins (horizon 1):", "",
            table(m_wf), "",
            *target_lines("walk-forward origins " + ", ".join(map(str, walk)), m_wf, wf), "",
            "By horizon (origin 2022 at horizons 1-2, 2023 at 1):", "",
            origin_table(by_origin(wf_all, "h"), "h"), "",
            *[f"- settings chosen for {T}: `{_chosen(c)}`" for T, (c, _) in walk.items()], "",
            *(seed_lines(data, views, walk, args.draws, args.seeds) if args.seeds > 1 else [])]
    # the grid's choice is written here, not into the package: say which settings these are
    which = ("The package's settings (`sendforecast.models.settings.STATUTORY_SETTINGS`)"
             if args.no_grid or args.reuse_walk else "Settings chosen on all origins (to copy into "
             "`sendforecast.models.settings.STATUTORY_SETTINGS`)")
    m_shipped = metrics(shipped[shipped.h == 1])
    text += [
        "## The shipped settings on every origin (in sample for the origins they were chosen on)", "",
        f"{which}: `{_chosen(settings)}`",
        "", origin_table(by_origin(shipped[shipped.h == 1])), "",
        "Pooled over the origins (horizon 1):", "", table(m_shipped), "",
        *target_lines("all origins, in sample", m_shipped, shipped[shipped.h == 1]), "",
        "By horizon, pooled over the origins:", "", origin_table(by_origin(shipped, "h"), "h"), "",
        "## Wall time (median of 3, horizon 3, 1,000 draws)", "",
        *[f"- {k}: {v:.2f} s" for k, v in times.items()], "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"total run {time.perf_counter() - t0:.0f} s.", "",
        *(["<details><summary>Grid log</summary>", "", "```", *log_lines, "```", "",
           "</details>"] if not args.reuse_walk else
          [f"Walk-forward choices from `{WALK_CHOICES.name}`; the grids' log of that run is "
           f"`{GRID_LOG.name}`."]), ""]
    if not (args.no_grid or args.reuse_walk):
        GRID_LOG.write_text("\n".join(log_lines) + "\n")
    OUT.write_text("\n".join(text))
    print("\n".join(text[:40]))


if __name__ == "__main__":
    main()
