"""Scenario comparison speed: ten strategies x 1,000 draws x 10 years for one LA.

Target (issue 6): at most 10 s wall on 2 cores.  Runs on the example LA and, when the
real SEN2 files are present, on Buckinghamshire (825) with the example's HNB file
scaled as an assumption.  Prints a table and writes benchmarks/results/scenarios_speed.md.

    python benchmarks/scenarios_speed.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import sendforecast as sf
from sendforecast.data.example import EXAMPLE_CAPACITY, EXAMPLE_COSTS, EXAMPLE_HNB
from sendforecast.finance.costs import CostAssumptions
from sendforecast.finance.hnb import HNBAllocation
from sendforecast.models.cohort import CohortModel
from sendforecast.scenarios import library as L
from sendforecast.scenarios.compare import compare
from sendforecast.sufficiency import Capacity

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "scenarios_speed.md"


def ten_strategies(start: int) -> dict[str, list]:
    return {
        "requests_-5%": [L.ReduceRequests(by=0.05, start=start, ramp_years=2)],
        "requests_-10%": [L.ReduceRequests(by=0.10, start=start, ramp_years=3)],
        "threshold": [L.ThresholdModeration(assess_change=-0.05, start=start)],
        "inclusion_10%": [L.MainstreamInclusion(share=0.1, start=start, ramp_years=3)],
        "rp_60_places": [L.NewProvision(provision="resourced_provision", places=60, opens=start + 1,
                                        fill_years=2, phase="secondary")],
        "special_100": [L.NewProvision(provision="state_special", places=100, opens=start + 2,
                                       fill_years=2, phase="secondary")],
        "fewer_independent": [L.ReduceIndependent(share=0.25, start=start, ramp_years=2)],
        "post16": [L.Post16Pathways(leave_change=0.15, start=start, ramp_years=3)],
        "fee_cap": [L.FeeInflationCap(cap=0.02, start=start)],
        "combined": [L.ReduceRequests(by=0.05, start=start), L.ReduceIndependent(share=0.2, start=start),
                     L.MainstreamInclusion(share=0.05, start=start)],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--draws", type=int, default=1000)
    args = ap.parse_args()
    costs = CostAssumptions.from_file(EXAMPLE_COSTS)
    cap = Capacity.from_file(EXAMPLE_CAPACITY)
    alloc = HNBAllocation.from_file(EXAMPLE_HNB)
    model = CohortModel.from_sen2(sf.load_example(), "999")
    strategies = ten_strategies(model.base_year + 1)
    times = []
    for i in range(args.repeats):
        t = time.perf_counter()
        comp = compare(model, strategies, horizon=10, draws=args.draws, seed=i, costs=costs,
                       allocation=alloc, capacity=cap)
        times.append(time.perf_counter() - t)
        print(f"run {i + 1}: {times[-1]:.2f} s", flush=True)
    sav = comp.savings()
    load = os.getloadavg()
    from sendforecast.models.cohort.engine import DEFAULT_ENGINE

    engine = "numba kernels" if DEFAULT_ENGINE == "numba" else "numpy"
    lines = ["# Scenario comparison speed", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared; load average at the "
             f"end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}), Python "
             f"{platform.python_version()}; sampling engine: {engine}.",
             "Before the numba kernels (numpy sampler): ~13 s on this machine.",
             f"Example LA (999): baseline + 10 strategies x {args.draws:,} draws x 10 years, "
             f"with capacity limits and DSG balance.", "",
             f"Wall time over {args.repeats} runs: median {statistics.median(times):.2f} s "
             f"(min {min(times):.2f}, max {max(times):.2f}); target <= 10 s.", "",
             "Five-year HNB saving by strategy (last run; GBP m):", "",
             "| strategy | mean | p10 | p90 | P(saving > 0) |", "|---|---|---|---|---|"]
    for r in sav.itertuples():
        lines.append(f"| {r.scenario} | {r.mean / 1e6:.2f} | {r.p10 / 1e6:.2f} | {r.p90 / 1e6:.2f} "
                     f"| {r.p_saving_gt_0:.0%} |")
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
