"""Coherent caseload totals: LAs -> regions -> England, bottom-up against MinT.

The package's LA projections are coherent bottom-up: a region's or England's draws are the
sums of its LAs' draws (``run --la all``), so intervals of a total are quantiles of sums.
This benchmark asks whether a reconciliation that also uses direct forecasts of the
regions and England does better, with hierarchicalforecast as the reference:

- ``pooled BU``: the package's pooled-growth caseload forecast of every LA
  (``forecast(method="pooled")``, the rule the cohort projection's total blends in),
  summed;
- ``AutoETS BU`` / ``AutoETS MinT`` / ``AutoETS direct``: statsforecast AutoETS at every
  level, reconciled by hierarchicalforecast's BottomUp and MinTrace(mint_shrink), or the
  unreconciled base forecasts of each level.

Hierarchy: LAs present at the origin with a published January total, summed to their
region and to England (the published region and England rows differ from the sums by
suppression and reorganisations).  Origins 2019-2023, horizon 1, the January caseload;
scores per level: median APE, WAPE and bias.

Run: .venv/bin/python benchmarks/reconciliation.py     (needs the ``bench`` extra)
Writes benchmarks/results/reconciliation.md.
"""

from __future__ import annotations

import os
import platform
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from _data import real_data, require_real_data  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "reconciliation.md"
ORIGINS = (2019, 2020, 2021, 2022, 2023)


def main():
    from hierarchicalforecast.core import HierarchicalReconciliation
    from hierarchicalforecast.methods import BottomUp, MinTrace
    from hierarchicalforecast.utils import aggregate
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, Naive

    from sendforecast import forecast
    from sendforecast.models.forecast.history import history_from

    require_real_data()
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    data = real_data()
    hist = history_from(data, ["caseload"], "la").dropna(subset=["value"])
    hist = hist[hist.value > 0]
    rows = []
    for o in ORIGINS:
        cur = hist[hist.year <= o]
        # LAs with the origin's January and a continuous series back to 2014
        span = cur.groupby("la_code").year.agg(["min", "max"])
        las = span.index[(span["max"] == o) & (span["min"] <= 2014)]
        cur = cur[cur.la_code.isin(las) & (cur.year >= 2014)]
        nxt = hist[(hist.year == o + 1) & hist.la_code.isin(las)].set_index("la_code").value
        keep = [c for c in las if c in nxt.index]
        cur = cur[cur.la_code.isin(keep)]
        df = pd.DataFrame({"england": "E", "region": cur.region_code.astype(str),
                           "la": cur.la_code.astype(str), "ds": cur.year.astype(int),
                           "y": cur.value.astype(float)})
        spec = [["england"], ["england", "region"], ["england", "region", "la"]]
        Y, S, tags = aggregate(df, spec)
        Y = Y.sort_values(["unique_id", "ds"])
        full = Y.groupby("unique_id").ds.transform("size") == Y.ds.nunique()
        if not full.all():  # an LA with a gap: leave it out of this origin
            raise SystemExit(f"origin {o}: gaps in the hierarchy's series")
        sf = StatsForecast(models=[AutoETS(season_length=1)], freq=1, n_jobs=1,
                           fallback_model=Naive())
        Yhat = sf.forecast(df=Y, h=1, fitted=True)
        Yfit = sf.forecast_fitted_values()
        rec = HierarchicalReconciliation(reconcilers=[BottomUp(), MinTrace(method="mint_shrink")])
        R = rec.reconcile(Y_hat_df=Yhat, Y_df=Yfit, S_df=S, tags=tags)
        # the package's pooled-growth LA forecasts, summed up the same hierarchy
        fc = forecast(cur, "caseload", la="all", horizon=1, method="pooled",
                      calibrate=False)
        pooled = fc.set_index("la_code")["mean"]
        la_region = df.drop_duplicates("la").set_index("la")["region"]
        # the LAs of each series (England / region / LA), summed for the package's
        # forecasts and for the actuals of January o + 1
        bu, act = {}, {}
        for uid in R.unique_id:
            parts = uid.split("/")
            members = (la_region.index if len(parts) == 1 else
                       la_region.index[la_region == parts[1]] if len(parts) == 2 else [parts[2]])
            bu[uid] = float(pooled.reindex(members).sum())
            act[uid] = float(nxt.reindex(members).sum())
        for _, r in R.iterrows():
            level = {1: "England", 2: "region", 3: "LA"}[len(r.unique_id.split("/"))]
            for name, col in (("AutoETS direct", "AutoETS"),
                              ("AutoETS BU", "AutoETS/BottomUp"),
                              ("AutoETS MinT", "AutoETS/MinTrace_method-mint_shrink")):
                rows.append((o, level, r.unique_id, name, float(r[col]), act[r.unique_id]))
            rows.append((o, level, r.unique_id, "pooled BU", bu[r.unique_id],
                         act[r.unique_id]))
        print(f"  origin {o}: {len(keep)} LAs, {time.perf_counter() - t0:.0f} s",
              file=sys.stderr, flush=True)
    d = pd.DataFrame(rows, columns=["origin", "level", "id", "method", "forecast", "actual"])
    d["pe"] = (d.forecast - d.actual) / d.actual
    lines = ["# Coherent caseload totals: bottom-up against MinT (horizon 1)", "",
             f"Generated by `benchmarks/reconciliation.py` in {time.perf_counter() - t0:.0f} s "
             f"on {os.cpu_count()} cores ({platform.machine()}, Python "
             f"{platform.python_version()}); origins {list(ORIGINS)}; January caseload; "
             "regions and England are the sums of the LAs in the hierarchy.", "",
             "| level | method | median APE % | WAPE % | bias (median PE) % | forecasts |",
             "|---|---|---|---|---|---|"]
    for (lv, m), g in d.groupby(["level", "method"], sort=False):
        lines.append(f"| {lv} | {m} | {100 * g.pe.abs().median():.2f} | "
                     f"{100 * (g.forecast - g.actual).abs().sum() / g.actual.sum():.2f} | "
                     f"{100 * g.pe.median():+.2f} | {len(g)} |")
    e = d[d.level == "England"].pivot_table(index="origin", columns="method", values="pe")
    lines += ["", "England, % error by origin:", "",
              "| origin | " + " | ".join(e.columns) + " |", "|---" * (len(e.columns) + 1) + "|"]
    lines += [f"| {o} | " + " | ".join(f"{100 * v:+.2f}" for v in r) + " |"
              for o, r in e.iterrows()]
    lines.append("")
    OUT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
