"""Honest rolling-origin backtest of the cohort projection's placement groups and age bands.

For every LA and origin January T (2018-2023), project Januaries T+1..T+3 with
``CohortModel.from_sen2(data, la, base_year=T)`` - anchored to the margin forecasts
(the default) and unanchored (``margins=None``) - and score them against the published
counts, beside the simple baselines an analyst would use:

- ``shares x total``: January T's shares carried forward, applied to the anchored
  projection's mean total (so only the mix differs);
- ``naive``: January T's counts carried forward.

What each origin may use: the margin forecasts (levels and mixes) read only Januaries
<= T and flows of calendar years <= T-1 (``sendforecast.data.vintage.published_by``
gives the same numbers: ``tests/models/cohort/test_margins.py``).  The cohort dynamics
need the single-age x placement caseload, published only for January 2024, and ceased
plans by age, published only for calendar 2023: at earlier origins they borrow both.
That moves children between ages within a band and placements within a group, and it
reaches the scores through one door: half of the anchored *total* is the dynamics' own
mean total (``"blend"``), and the group shares grow with it.  The ``anchored_pooled_total``
rows use only the pooled-growth total, which is honest throughout; at the real origin
(January 2024, forecasting 2025) nothing is borrowed.

The total caseload is also forecast by statsforecast's AutoETS, AutoARIMA and AutoTheta
on each LA's published totals to January T (peers, in the same run; the ``bench`` extra).

Scores per group / band and horizon, over LA x origin cases: WAPE (sum |error| / sum
actual), bias (sum error / sum actual), coverage of the 80% and 95% intervals, and the
WAPE difference anchored - each baseline with a 95% interval from a paired bootstrap over
LAs (the better baseline marked *).  Origins 2018-2021 chose the settings (``sendforecast.models.settings``); 2022-2023
are reported apart, as the check.  Age bands are published to January 2022 and again for
January 2024 (none for 2023).

Run: .venv/bin/python benchmarks/cohort_backtest.py [--draws 1000] [--seed 1] [--workers 2]
Writes benchmarks/results/cohort_backtest.md (and, with --save, the scored rows).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from _data import real_data as _data  # noqa: E402
from _data import require_real_data  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "cohort_backtest.md"


def run_seed(la: str, T: int, base: int = 1) -> int:
    """The seed of one LA x origin run: its own, so that the Monte Carlo error of the
    forecasts' means is independent across LAs and averages out of the pooled scores.  With
    one seed for every LA, every LA's mean shared the same Monte Carlo shift: a change of
    random streams alone moved mainstream's pooled horizon-1 bias on the check origins from
    -2.9% to -3.5% (200 draws)."""
    return base * 1_000_000 + zlib.crc32(f"{la}-{T}".encode()) % 1_000_000


def _one(args):
    """Scored rows of one LA and origin (a list of dicts) or an error string."""
    la, T, draws, H, *rest = args
    seed = run_seed(la, T, *rest)
    from sendforecast.data.taxonomy import PLACEMENT_GROUPS
    from sendforecast.models.cohort import CohortModel
    from sendforecast.models.cohort.inputs import breakdown_missing
    from sendforecast.models.cohort.margins import (
        AGE_BANDS,
        band_index,
        band_totals,
        group_history,
        total_history,
    )

    data = _data()
    warnings.simplefilter("ignore")
    try:
        models = {name: CohortModel.from_sen2(data, la, base_year=T, margins=marg)
                  for name, marg in (("anchored", "calibrated"), ("unanchored", None))}
        runs = {name: m.project(horizon=H, draws=draws, seed=seed, keep_flows=False).draws
                for name, m in models.items()}
    except (KeyError, ValueError) as e:
        return str(e)
    m = models["anchored"]
    gh = group_history(data, "la", la, 2030)
    raw = group_history(data, "la", la, T)  # the base mix as seen at T (imputed if missing)
    bh = band_totals(data, "la", la)
    if T not in raw.index:
        return "no base January"
    broken = breakdown_missing(gh)
    th = total_history(data, "la", la)
    # the pooled-growth total the anchored model blends in (honest at every origin)
    pooled = m.margins["total"]
    if pooled is None:
        sys.exit('the anchored_pooled_total rows need PROJECTION_SETTINGS["total"] '
                 '"blend" or "pooled_growth"')
    bidx = band_index(m.ages)
    rows = []
    base_g = raw.loc[T].to_numpy(float)
    # no published age bands at T (January 2023): the base would be the borrowed 2024
    # shape, so bands are not scored from that origin
    own_b = bh.loc[T].to_numpy(float) if T in bh.index else None
    for h in range(1, H + 1):
        y = T + h
        tot_a = runs["anchored"][:, h - 1].sum(axis=(1, 2))
        that = float(tot_a.mean())
        scale = pooled.total(h) / that if that > 0 else 1.0
        for dim, cats, actual, base in (
                ("group", PLACEMENT_GROUPS, gh.loc[y].to_numpy(float)
                 if y in gh.index and not broken.get(y, False) else None, base_g),
                ("band", list(AGE_BANDS), bh.loc[y].to_numpy(float) if y in bh.index
                 and own_b is not None else None, own_b)):
            if actual is None:
                continue
            sh = base / max(base.sum(), 1e-12)
            for name, d in runs.items():
                x = d[:, h - 1]
                v = x.sum(1) if dim == "group" else np.stack(
                    [x[:, bidx == j].sum(axis=(1, 2)) for j in range(len(cats))], 1)
                q = np.quantile(v, [0.1, 0.9, 0.025, 0.975], axis=0)
                for k, c in enumerate(cats):
                    if not np.isfinite(actual[k]):
                        continue
                    common = {"la": la, "origin": T, "h": h, "dim": dim, "cat": c,
                              "actual": actual[k]}
                    rows.append({**common, "method": name, "forecast": v[:, k].mean(),
                                 "lo80": q[0, k], "hi80": q[1, k], "lo95": q[2, k],
                                 "hi95": q[3, k]})
                    if name == "anchored":
                        rows.append({**common, "method": "anchored_pooled_total",
                                     "forecast": v[:, k].mean() * scale,
                                     "lo80": q[0, k] * scale, "hi80": q[1, k] * scale,
                                     "lo95": q[2, k] * scale, "hi95": q[3, k] * scale})
                        rows.append({**common, "method": "shares_x_total",
                                     "forecast": sh[k] * that})
                        rows.append({**common, "method": "naive", "forecast": base[k]})
        if y in gh.index:
            at = float(th.get(y, np.nan))
            if np.isfinite(at):
                q = np.quantile(tot_a, [0.1, 0.9, 0.025, 0.975])
                common = {"la": la, "origin": T, "h": h, "dim": "total", "cat": "total",
                          "actual": at}
                rows.append({**common, "method": "anchored", "forecast": that,
                             "lo80": q[0], "hi80": q[1], "lo95": q[2], "hi95": q[3]})
                rows.append({**common, "method": "anchored_pooled_total",
                             "forecast": pooled.total(h), "lo80": q[0] * scale,
                             "hi80": q[1] * scale, "lo95": q[2] * scale,
                             "hi95": q[3] * scale})
                rows.append({**common, "method": "naive",
                             "forecast": float(th.get(T))})
    return rows


def score(df: pd.DataFrame) -> pd.DataFrame:
    """WAPE, bias and coverage (%) per (dim, cat, h, method)."""
    def f(d):
        e = d.forecast - d.actual
        out = {"WAPE": 100 * e.abs().sum() / d.actual.sum(),
               "bias": 100 * e.sum() / d.actual.sum(), "cases": len(d)}
        if d["lo80"].notna().any():
            out["cover80"] = 100 * ((d.lo80 <= d.actual) & (d.actual <= d.hi80)).mean()
            out["cover95"] = 100 * ((d.lo95 <= d.actual) & (d.actual <= d.hi95)).mean()
        return pd.Series(out)
    return df.groupby(["dim", "cat", "h", "method"]).apply(f, include_groups=False)


def paired_difference(df: pd.DataFrame, a: str, b: str, reps: int = 2000,
                      seed: int = 0) -> tuple[float, float, float]:
    """WAPE(a) - WAPE(b) (points) and a 95% interval from resampling whole LAs."""
    w = df[df.method.isin([a, b])].pivot_table(index=["la", "origin"], columns="method",
                                               values="forecast")
    act = df[df.method == a].set_index(["la", "origin"])["actual"].reindex(w.index)
    ea, eb = (w[a] - act).abs(), (w[b] - act).abs()
    per = pd.DataFrame({"a": ea, "b": eb, "act": act}).groupby(level="la").sum()
    d0 = 100 * (per.a.sum() - per.b.sum()) / per.act.sum()
    rng = np.random.default_rng(seed)
    i = rng.integers(0, len(per), size=(reps, len(per)))
    A, B, C = (per[c].to_numpy()[i].sum(1) for c in ("a", "b", "act"))
    lo, hi = np.quantile(100 * (A - B) / C, [0.025, 0.975])
    return float(d0), float(lo), float(hi)


def table(df: pd.DataFrame, dim: str, cats, h: int, label: str) -> list[str]:
    s = score(df[(df.dim == dim) & (df.h == h)])
    lines = [f"### {label}: {dim}s, horizon {h}", "",
             "| | anchored | shares x total | naive | unanchored | anchored bias | "
             "anchored 80% cover | 95% cover | anchored - shares x total (95% interval) | "
             "anchored - naive (95% interval) | cases |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in cats:
        if (dim, c, h, "anchored") not in s.index:
            continue
        r = {m: s.loc[(dim, c, h, m)] for m in ("anchored", "shares_x_total", "naive",
                                                "unanchored") if (dim, c, h, m) in s.index}
        sub = df[(df.dim == dim) & (df.h == h) & (df.cat == c)]
        best = min(("shares_x_total", "naive"), key=lambda m: r[m]["WAPE"]
                   if m in r else np.inf)
        diffs = []
        for m in ("shares_x_total", "naive"):
            d, lo, hi = paired_difference(sub, "anchored", m)
            diffs.append(f"{d:+.2f} ({lo:+.2f} to {hi:+.2f}){' *' if m == best else ''}")
        a = r["anchored"]
        lines.append(f"| {c} | {a.WAPE:.1f} | {r['shares_x_total'].WAPE:.1f} | "
                     f"{r['naive'].WAPE:.1f} | {r['unanchored'].WAPE:.1f} | {a.bias:+.1f} | "
                     f"{a.cover80:.0f}% | {a.cover95:.0f}% | " + " | ".join(diffs)
                     + f" | {int(a.cases)} |")
    if len(lines) > 4:
        lines += ["", "\\* the better of the two baselines (the target: anchored below it)."]
    return lines + [""]


def by_origin_table(df: pd.DataFrame, cats, origins) -> list[str]:
    """Horizon-1 WAPE and bias (%) of each group per origin: anchored, shares x total,
    naive; and how many target Januaries recorded over 5% of an LA's plans with no
    placement (``not_recorded``), which takes children out of the other groups."""
    g = df[(df.dim == "group") & (df.h == 1) & df.origin.isin(origins)]
    act = g[g.method == "naive"].pivot_table(index=["la", "origin"], columns="cat",
                                             values="actual", aggfunc="sum")
    nr = (act.get("not_recorded", 0) / act.sum(axis=1) > 0.05).groupby(level="origin").sum()
    lines = ["### Horizon 1 by origin: WAPE % (bias %)", "",
             "| group | origin (target January) | anchored | shares x total | naive |",
             "|---|---|---|---|---|"]
    s = {T: score(g[(g.origin == T) & g.cat.isin(cats)]) for T in origins}
    for c in cats:
        for T in origins:
            r = {m: s[T].loc[("group", c, 1, m)] for m in ("anchored", "shares_x_total", "naive")}
            cells = [f"{x['WAPE']:.1f} ({x['bias']:+.1f})" for x in r.values()]
            lines.append(f"| {c} | {T} ({T + 1}) | " + " | ".join(cells) + " |")
    lines += ["", "Target Januaries with over 5% of an LA's plans recorded with no placement: "
              + ", ".join(f"{T + 1}: {int(nr.get(T, 0))} LAs" for T in origins)
              + " (their children are missing from the other groups' published counts).", ""]
    return lines


def totals_table(df: pd.DataFrame, label: str) -> list[str]:
    d = df[df.dim == "total"]
    lines = [f"### {label}: total caseload", "", "| h | method | median APE % | WAPE % | "
             "bias % | 80% cover | 95% cover | cases |", "|---|---|---|---|---|---|---|---|"]
    for (h, m), g in d.groupby(["h", "method"]):
        ape = 100 * ((g.forecast - g.actual).abs() / g.actual).median()
        e = g.forecast - g.actual
        c80 = (f"{100 * ((g.lo80 <= g.actual) & (g.actual <= g.hi80)).mean():.0f}%"
               if g.lo80.notna().any() else "")
        c95 = (f"{100 * ((g.lo95 <= g.actual) & (g.actual <= g.hi95)).mean():.0f}%"
               if g.lo95.notna().any() else "")
        lines.append(f"| {h} | {m} | {ape:.1f} | {100 * e.abs().sum() / g.actual.sum():.1f}"
                     f" | {100 * e.sum() / g.actual.sum():+.1f} | {c80} | {c95} | {len(g)} |")
    return lines + [""]


Z80, Z95 = 1.2815515655446004, 1.959963984540054  # the standard normal's 90% / 97.5% points


def _log_spread(d: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The suggestions' log-normal approximation of each interval about its mean forecast:
    ``(sd implied by the 80% interval, |log(actual / forecast)|)`` of every row."""
    sm = (np.log(d.hi80.clip(lower=0.5)) - np.log(d.lo80.clip(lower=0.5))) / (2 * Z80)
    return sm, np.abs(np.log(d.actual / d.forecast))


def _scored_anchored(df: pd.DataFrame, origins, horizons) -> pd.DataFrame:
    return df[(df.method == "anchored") & df.h.isin(horizons) & df.origin.isin(origins)
              & (df.actual > 0) & (df.forecast > 0)]


def suggest_interval_sd(df: pd.DataFrame, origins) -> dict:
    """Extra log-scale sd per (dim, category), beyond the anchored projection's spread,
    that makes its horizon-1 80% intervals cover 80% of the cases of ``origins``
    (approximating each interval as log-normal about the mean forecast)."""
    d = _scored_anchored(df, origins, [1])
    out: dict = {}
    for (dim, cat), g in d.groupby(["dim", "cat"]):
        sm, r = _log_spread(g)
        grid = np.linspace(0, 0.6, 121)
        cover = [float(np.mean(r <= Z80 * np.sqrt(sm ** 2 + s ** 2))) for s in grid]
        best = grid[int(np.argmin([abs(c - 0.8) for c in cover]))]
        out.setdefault(dim, {})[cat] = round(float(best), 3)
    return out


def suggest_growth_sd(df: pd.DataFrame, origins,
                      grid=(0.0, 0.01, 0.02, 0.025, 0.03, 0.035, 0.04, 0.05, 0.06)) -> dict:
    """Extra sd of the total's growth error (a level error of sd x (h - 1)), beyond the
    spread these runs had, that brings the anchored total's intervals at horizons 2-3 on
    target on ``origins``: the smallest gap |mean 80% cover - 80| + 0.5 x |mean 95% cover
    - 95| (lognormal approximation about the mean forecast).  ``{sd: (cover80, cover95)}``
    of the grid and the choice under ``"chosen"``."""
    d = _scored_anchored(df[df.dim == "total"], origins, [2, 3])
    sm, r = _log_spread(d)
    out = {}
    for s in grid:
        v = np.sqrt(sm ** 2 + (s * (d.h - 1)) ** 2)
        out[s] = (100 * float(np.mean(r <= Z80 * v)), 100 * float(np.mean(r <= Z95 * v)))
    out["chosen"] = min(grid, key=lambda s: abs(out[s][0] - 80) + 0.5 * abs(out[s][1] - 95))
    return out


def grid_setup():
    """Arguments, settings, LAs and origins of the settings grids (``cohort_tails.py``,
    ``cohort_groups.py``): ``(args, PROJECTION_SETTINGS, las, origins)``."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1,
                    help="base of the LA x origin runs' own seeds (run_seed)")
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    require_real_data()
    from sendforecast.models.settings import PROJECTION_SETTINGS as S

    return a, S, _data().la_codes(), list(S["tuned_on"]) + list(S["confirmed_on"])


def grid_rows(worker, values, a, las, origins):
    """``(value, rows)`` per setting value: ``worker((value, job))`` over every LA x origin
    run at horizons 1-2, in a process pool."""
    with ProcessPoolExecutor(a.workers) as ex:
        for v in values:
            jobs = [(v, (la, T, a.draws, 2, a.seed)) for T in origins for la in las]
            yield v, pd.DataFrame([r for rs in ex.map(worker, jobs, chunksize=4) for r in rs])


def override(settings: dict, item: str) -> None:
    """Set ``settings[a][b]... = value`` from ``"a.b...=JSON"`` (a try-out, not a change of
    the package: the report names it)."""
    import json

    path, _, value = item.partition("=")
    keys = path.split(".")
    if not value or not all(keys):
        sys.exit(f"--set {item!r}: expected PATH=JSON, e.g. interval.follow_total=true")
    node = settings
    for k in keys[:-1]:
        if not isinstance(node.get(k), dict):
            sys.exit(f"--set {item!r}: {k!r} is not a table of PROJECTION_SETTINGS")
        node = node[k]
    try:
        node[keys[-1]] = json.loads(value)
    except json.JSONDecodeError as e:
        sys.exit(f"--set {item!r}: the value is not JSON ({e})")


def _overrides(items: list[str]) -> None:
    """A worker's start: the same ``--set`` try-outs as the parent's."""
    from sendforecast.models.settings import PROJECTION_SETTINGS

    for item in items:
        override(PROJECTION_SETTINGS, item)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1,
                    help="base of the LA x origin runs' own seeds (run_seed)")
    ap.add_argument("--origins", type=int, nargs="+",
                    default=[2018, 2019, 2020, 2021, 2022, 2023])
    ap.add_argument("--horizon", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--las", nargs="*", help="only these LAs (default all)")
    ap.add_argument("--save", type=Path, help="write the scored rows here (csv.gz)")
    ap.add_argument("--no-peers", action="store_true",
                    help="skip statsforecast's AutoETS / AutoARIMA / AutoTheta on the totals")
    ap.add_argument("--set", action="append", default=[], metavar="PATH=JSON",
                    help="try a setting without editing the package, e.g. "
                         "interval.spread_by_group.state_special=0.4 (repeatable; the "
                         "report names them)")
    a = ap.parse_args()
    from sendforecast.data.taxonomy import PLACEMENT_GROUPS
    from sendforecast.models.cohort.margins import AGE_BANDS
    from sendforecast.models.settings import PROJECTION_SETTINGS as S

    for item in a.set:
        override(S, item)

    require_real_data()
    las = a.las or _data().la_codes()
    jobs = [(la, T, a.draws, a.horizon, a.seed) for T in a.origins for la in las]
    t0 = time.perf_counter()
    rows, failed = [], []
    with ProcessPoolExecutor(a.workers, initializer=_overrides, initargs=(a.set,)) as ex:
        for i, (job, res) in enumerate(zip(jobs, ex.map(_one, jobs, chunksize=4), strict=True)):
            if isinstance(res, str):
                failed.append((job[0], job[1], res))
            else:
                rows += res
            if (i + 1) % 100 == 0:
                print(f"  {i + 1}/{len(jobs)} LA x origin runs, {time.perf_counter() - t0:.0f} s",
                      file=sys.stderr, flush=True)
    wall = time.perf_counter() - t0
    df = pd.DataFrame(rows)
    if not a.no_peers:  # statsforecast on each LA's total, same origins, same run
        from _peers import peers

        from sendforecast.models.forecast.history import history_from

        t1 = time.perf_counter()
        hist = history_from(_data(), ["caseload"], "la")
        hist = hist[hist.la_code.isin(las)]
        pf = peers(hist, "caseload", a.origins, a.horizon)
        df = pd.concat([df, pd.DataFrame({
            "la": pf.la_code, "origin": pf.origin, "h": pf.horizon, "dim": "total",
            "cat": "total", "actual": pf.actual, "method": pf.method, "forecast": pf["mean"],
            "lo80": pf.p10, "hi80": pf.p90, "lo95": pf.p2_5, "hi95": pf.p97_5})],
            ignore_index=True)
        print(f"  statsforecast peers: {time.perf_counter() - t1:.0f} s", file=sys.stderr)
    if a.save:
        df.to_csv(a.save, index=False)
    tuned = df[df.origin.isin(S["tuned_on"])]
    check = df[df.origin.isin(S["confirmed_on"])]
    lines = ["# Cohort projection: honest rolling-origin backtest of groups and age bands", "",
             f"Generated by `benchmarks/cohort_backtest.py` (settings version {S['version']}"
             + "".join(f", --set {v}" for v in a.set) + "; "
             f"{a.draws} draws, each LA x origin its own seed (base {a.seed}); origins {a.origins}, horizons 1-{a.horizon}; "
             f"{len(las)} LAs, {len(failed)} LA x origin runs failed; wall {wall:.0f} s on "
             f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
             f"Python {platform.python_version()}).", "",
             "anchored = the default projection (margins from "
             "`sendforecast.models.settings.PROJECTION_SETTINGS`); unanchored = "
             "`margins=None` (the projection scored on January 2025 in issue 15); "
             "shares x total = January T shares x the anchored mean total; naive = January "
             "T counts. WAPE and bias in % of the published counts; the difference is in "
             "WAPE points, negative when the anchored projection is better, with a 95% "
             "interval from a paired bootstrap over LAs. Origins "
             f"{S['tuned_on']} chose the settings; {S['confirmed_on']} are the check "
             "(age bands: no January 2023, so bands are scored from origins with "
             "published bands to targets with published bands: in the check, origin 2022 "
             "at horizon 2 only).", "",
             "Borrowed at origins before 2024 (the leak this backtest cannot avoid): the "
             "cohort dynamics use January 2024's single-age x placement shape and calendar "
             "2023's ceased plans by age; half of the anchored total is their mean total. "
             "The `anchored_pooled_total` rows use only the honest pooled-growth total.", ""]
    for label, part in (("Check origins " + str(S["confirmed_on"]), check),
                        ("Tuning origins " + str(S["tuned_on"]), tuned)):
        lines += [f"## {label}", ""]
        for h in range(1, a.horizon + 1):
            lines += table(part, "group", PLACEMENT_GROUPS, h, label)
            lines += table(part, "band", list(AGE_BANDS), h, label)
        lines += totals_table(part, label)
    lines += ["## Every origin", ""] + by_origin_table(
        df, ["mainstream", "state_special", "independent_special", "post16_fe"],
        sorted(set(S["tuned_on"]) | set(S["confirmed_on"])))
    sug = suggest_interval_sd(df, S["tuned_on"])
    lines += ["## Interval settings suggested by the tuning origins", "",
              "Extra log-scale sd (x sqrt(h)) per group and band that would make the "
              "horizon-1 80% intervals cover 80% on the tuning origins, beyond the spread "
              f"these runs had (settings: {S['interval']}); copy them into "
              "`PROJECTION_SETTINGS['interval']` and re-run to confirm:", "",
              f"`{sug}`", ""]
    gs = suggest_growth_sd(df, S["tuned_on"])
    now = S["interval"].get("total_growth", 0.0)
    best = gs.pop("chosen")
    same = np.round(gs[best], 0).tolist() == np.round(gs[0.0], 0).tolist()
    lines += ["Extra sd of the total's growth error (x (h - 1)), beyond the "
              f"`total_growth` {now} these runs had, and the total's horizon 2-3 cover on "
              "the tuning origins (80% / 95%): "
              + "; ".join(f"{k}: {v[0]:.0f}% / {v[1]:.0f}%" for k, v in gs.items())
              + f". Best extra: {best} (smallest |80% cover - 80| + 0.5 x |95% cover - 95|)"
              + (f", the same cover as none when rounded: keep `total_growth` {now}."
                 if same else f": set `total_growth` to {np.hypot(now, best):.3f} "
                 "(the two add in quadrature)."), ""]
    if failed:
        lines += ["## Runs that failed", "", *(f"- {la} {T}: {e}" for la, T, e in failed[:20]),
                  ""]
    OUT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
