"""Need layer benchmark: projected plans by primary need and the time the layer costs.

For a few LAs (default: Buckinghamshire 825 and four others of different sizes):
fit ``CohortModel.from_sen2``, project 1,000 draws x 10 years (seed 1), split the draws by
need (:func:`sendforecast.models.cohort.split_by_need` on
:func:`~sendforecast.models.cohort.sen2_need_inputs`), and report

* wall time of the projection alone and of the need inputs + split (median of
  ``--repeats`` runs, after one warm-up run that loads the compiled kernels);
* Buckinghamshire's projected ASD and SEMH plans by phase in the base year + 1 and the
  final year, mean with 80% and 95% intervals (quantiles of per-draw sums);
* how far the base split is from the January 2025 need shares it was raked to (overall): a
  check that the fit converged, not evidence of accuracy (no other year of shares is published).

Run: .venv/bin/python benchmarks/need_layer.py [--las 825 202 ...] [--repeats 3]
Writes benchmarks/results/need_layer.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from _data import real_data, require_real_data

OUT = Path(__file__).parent / "results" / "need_layer.md"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--las", nargs="+", default=["825", "926", "202", "330", "878"])
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    require_real_data()
    from sendforecast.models.cohort import CohortModel, need_table, sen2_need_inputs, split_by_need

    data = real_data()
    lines = ["# Need layer: plans by primary need, and its cost", "",
             "`benchmarks/need_layer.py`: 1,000 draws x 10 years, seed 1; times are medians of "
             f"{args.repeats} runs after a warm-up, one process.", "",
             "| LA | base caseload | project (s) | need inputs + split (s) | fit check: base split vs "
             "the Jan 2025 shares it is raked to, max abs diff (points) |", "|---|---|---|---|---|"]
    keep = None
    for la in args.las:
        m = CohortModel.from_sen2(data, la)
        m.project(horizon=10, draws=1000, seed=1)  # warm-up
        tp, tn = [], []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            proj = m.project(horizon=10, draws=1000, seed=1)
            t1 = time.perf_counter()
            inputs = sen2_need_inputs(data, la, m)
            split = split_by_need(proj, inputs)
            tn.append(time.perf_counter() - t1)
            tp.append(t1 - t0)
        ns = data.need_shares
        pub = ns[(ns.la_code == la) & (ns.scope == "all_plans") & (ns.age == "all")
                 & (ns.placement == "total")].set_index("need")["value"].reindex(inputs.needs)
        got = inputs.base.sum((0, 1)) / inputs.base.sum()
        dev = 100 * np.nanmax(np.abs(got - pub.to_numpy() / pub.sum()))
        lines.append(f"| {la} {data.la_name(la)} | {m.initial.sum():,.0f} | "
                     f"{statistics.median(tp):.2f} | {statistics.median(tn):.2f} | {dev:.2f} |")
        if la == "825":
            keep = split
    if keep is not None:
        t = need_table(keep)
        t = t[t.need.isin(["ASD", "SEMH"])]
        t = t.groupby(["year", "need", "phase"], sort=False)[["mean"]].sum().reset_index()
        by = keep.table(("year", "need", "phase"))
        by = by[by.need.isin(["ASD", "SEMH"]) & by.year.isin([keep.years[0], keep.years[-1]])]
        lines += ["", "## Buckinghamshire (825): ASD and SEMH plans by phase", "",
                  "All placements; mean, 80% and 95% intervals of per-draw sums.", "",
                  "| year | need | phase | mean | 80% | 95% |", "|---|---|---|---|---|---|"]
        for r in by.itertuples():
            lines.append(f"| {r.year} | {r.need} | {r.phase} | {r.mean:,.0f} | "
                         f"{r.p10:,.0f}-{r.p90:,.0f} | {r.p2_5:,.0f}-{r.p97_5:,.0f} |")
        sp = need_table(keep)
        sp = sp[sp.need.isin(["ASD", "SEMH"]) & (sp.year == keep.years[-1])
                & sp.placement_group.isin(["state_special", "independent_special"])
                & sp.phase.isin(["primary", "secondary", "post16"])]
        lines += ["", f"Special schools, January {keep.years[-1]}:", "",
                  "| need | phase | placement group | mean | 80% |", "|---|---|---|---|---|"]
        for r in sp.itertuples():
            lines.append(f"| {r.need} | {r.phase} | {r.placement_group} | {r.mean:,.0f} | "
                         f"{r.p10:,.0f}-{r.p90:,.0f} |")
    OUT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
