"""Placement-group and age-band mixes: how far to pool each LA's January share toward
England's (``PROJECTION_SETTINGS["groups"]["base_pool"]`` and ``["bands"]["base_pool"]``).

A mix forecast made at January T is scored one year ahead, on its own: the share of each
category times the LA's *published* total of January T+1 (the total is a separate margin
with its own backtest, ``cohort_backtest.py``; using the published one here keeps its
error out of the mix's score).  The forecast share is ``(1 - w) x the LA's January T share
+ w x England's January T share`` (the pooled categories rescaled to keep their combined
share: :func:`sendforecast.models.cohort.margins.pool_shares`): only Januaries <= T are
used.  The projection then applies the elasticity and drift on top of this starting mix;
``cohort_backtest.py`` scores the whole.  An LA's
share of a small category moves a lot from year to year by chance (a few children change
placement, or are recorded differently), so part of its distance from England's share does
not last; w is how much of it to expect to go.

Every LA and origin 2012-2023 whose Januaries T and T+1 both have a published breakdown;
the weight of each category is chosen on origins 2012-2021 (the lowest WAPE, a tie within
0.05 points to the smaller weight) and the check origins 2022-2023 are printed beside, not
used; the chosen weights, each category its own, are then scored together (column
"chosen together").  Age bands are published to January 2022 and for January 2024 only, so
their check is empty and all their origins (2012-2021) choose.

Run: .venv/bin/python benchmarks/mix_pooling.py
Writes benchmarks/results/mix_pooling.md.
"""

from __future__ import annotations

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

OUT = ROOT / "benchmarks" / "results" / "mix_pooling.md"
WEIGHTS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)
TUNE, CHECK = list(range(2012, 2022)), [2022, 2023]
TIE = 0.05  # WAPE points


def mix_rows(tables: dict, england: pd.DataFrame, usable, weights=WEIGHTS,
             fixed: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per LA x origin x category x weight: the pooled-share forecast of January
    T+1 (times the published T+1 total) and the published count.  ``tables``: ``{la:
    frame}`` of counts (index January, columns categories); ``usable(frame)``: a boolean
    Series of the Januaries whose breakdown is published; ``fixed``: categories never
    pooled (weight 0) and not scored, e.g. ``not_recorded``, a recording artefact."""
    from sendforecast.models.cohort.margins import pool_shares

    rows = []
    for la, t in tables.items():
        ok = usable(t)
        for T in sorted(t.index):
            y = T + 1
            if y not in t.index or not (ok.get(T, False) and ok.get(y, False)) \
                    or T not in england.index or t.loc[T].sum() <= 0:
                continue
            own, ref = t.loc[T].to_numpy(float), england.loc[T].to_numpy(float)
            act = t.loc[y].to_numpy(float)
            free = ~np.isin(t.columns, list(fixed))
            for w in weights:  # one weight for all, or a label and a weight per category
                label, wk = (w, np.where(free, w, 0.0)) if np.isscalar(w) else (
                    w[0], np.array([w[1].get(c, 0.0) for c in t.columns]))
                f = pool_shares(own, ref, wk) * act.sum()
                rows += [(la, T, label, c, f[k], act[k]) for k, c in enumerate(t.columns)
                         if free[k]]
    return pd.DataFrame(rows, columns=["la", "origin", "weight", "cat", "forecast", "actual"])


def wape(df: pd.DataFrame) -> pd.DataFrame:
    """WAPE % per category (rows) and weight (columns)."""
    e = (df.forecast - df.actual).abs()
    g = pd.DataFrame({"e": e, "a": df.actual, "cat": df.cat, "weight": df.weight})
    s = g.groupby(["cat", "weight"])[["e", "a"]].sum()
    return (100 * s.e / s.a).unstack("weight")


def choose(w: pd.DataFrame) -> dict[str, float]:
    """Each category's weight: the lowest WAPE, a tie within :data:`TIE` to the smaller."""
    out = {}
    for cat, r in w.iterrows():
        best = r.min()
        out[cat] = float(next(v for v in sorted(r.index) if r[v] <= best + TIE))
    return out


def main():
    require_real_data()
    from sendforecast.models.cohort.identify import ENGLAND
    from sendforecast.models.cohort.inputs import breakdown_missing, group_tables
    from sendforecast.models.cohort.margins import band_totals

    t0 = time.perf_counter()
    data = real_data()
    groups = {c: t.fillna(0.0) for (lv, c), t in group_tables(data).items() if lv == "la"}
    eng_g = group_tables(data)[("national", ENGLAND)].fillna(0.0)
    bands = {c: band_totals(data, "la", c) for c in data.la_codes()}
    eng_b = band_totals(data, "national", ENGLAND)
    args = {"group": (groups, eng_g, lambda t: ~breakdown_missing(t), ("not_recorded",)),
            "band": (bands, eng_b, lambda t: pd.Series(t.sum(axis=1) > 0, index=t.index), ())}
    parts = {dim: mix_rows(t, e, u, WEIGHTS, f) for dim, (t, e, u, f) in args.items()}
    chosen, lines = {}, []
    for dim, df in parts.items():
        tune = wape(df[df.origin.isin(TUNE)])
        chosen[dim] = choose(tune)
        tables, eng, usable, fixed = args[dim]
        joint = mix_rows(tables, eng, usable, [("together", chosen[dim])], fixed)
        df = pd.concat([df, joint.assign(weight=-1.0)])  # -1: the chosen weights together
        tune, check = wape(df[df.origin.isin(TUNE)]), wape(df[df.origin.isin(CHECK)])
        for label, w in ((f"tuning origins {TUNE[0]}-{TUNE[-1]}", tune),
                         (f"check origins {CHECK}", check)):
            if w.empty:
                lines += [f"## {dim}s, {label}", "", "No published Januaries to score.", ""]
                continue
            n = df[df.origin.isin(TUNE if "tuning" in label else CHECK) & (df.weight == 0)]
            cols = [v for v in w.columns if v >= 0]
            lines += [f"## {dim}s, {label} ({n.groupby(['la', 'origin']).ngroups} LA x origin"
                      " cases)", "", "| | " + " | ".join(f"w {v:g}" for v in cols)
                      + " | chosen | chosen together | together - w 0 |",
                      "|---|" + "---|" * (len(cols) + 3)]
            for cat, r in w.iterrows():
                lines.append(f"| {cat} | " + " | ".join(f"{r[v]:.2f}" for v in cols)
                             + f" | {chosen[dim][cat]:g} | {r[-1.0]:.2f} | "
                             f"{r[-1.0] - r[0.0]:+.2f} |")
            lines.append("")
    head = ["# Placement-group and age-band mixes pooled toward England's", "",
            f"Generated by `benchmarks/mix_pooling.py` ({time.perf_counter() - t0:.0f} s on "
            f"{os.cpu_count()} cores, {platform.machine()}, Python "
            f"{platform.python_version()}); every LA.", "",
            "WAPE % one year ahead of the mix alone: the forecast share (w x England's "
            "January T share + (1 - w) x the LA's, renormalised) times the LA's published "
            "January T+1 total; w = 0 is the share carried forward. Each category's w is "
            f"chosen on the tuning origins (lowest WAPE, a tie within {TIE} points to the "
            "smaller); the check origins are not used to choose.", ""]
    tail = [f"Chosen: `{chosen}`", ""]
    OUT.write_text("\n".join(head + lines + tail))
    print("\n".join(head + lines + tail))


if __name__ == "__main__":
    main()
