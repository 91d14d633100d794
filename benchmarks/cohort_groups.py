"""Placement-group margins: how far each group's count follows the fitted elasticity and
drift (``PROJECTION_SETTINGS["groups"]["shrink"]``) rather than carrying its share forward.

The same LA x origin runs as ``benchmarks/cohort_backtest.py`` (its ``_one``: each LA x
origin its own seed), once per shrink value, the same value for every group (0: January T's
share carried forward; 1: the fitted elasticity and drift in full).  Each group's choice is
made on the tuning origins (``PROJECTION_SETTINGS["tuned_on"]``) by its horizon-1 WAPE: the
shipped value stays unless another beats it by more than 0.1 points (then the best, a tie to
the simpler: 0, then 0.5); the check origins are printed beside, not used to choose.

A walk-forward section asks whether re-choosing would have paid: at each origin from the
second on, every group's shrink is chosen by the same rule on the origins before it (their
horizon-1 targets were published by then; the first choice has no incumbent, each later
one keeps the previous origin's choice within the tie), and that origin is scored at its
own choice.  The last column is the choice so made with every origin published by the
newest January.

Run: .venv/bin/python benchmarks/cohort_groups.py [--draws 200] [--seed 1] [--workers 2]
Writes benchmarks/results/cohort_groups.md.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from cohort_backtest import _one, grid_rows, grid_setup, score  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "cohort_groups.md"
VALUES = (0.0, 0.5, 1.0)  # simplest first: a tie goes to the earlier
TIE = 0.1  # WAPE points


def _one_with(job):
    """:func:`cohort_backtest._one` with every group's shrink set in this worker."""
    lam, args = job
    from sendforecast.models.settings import PROJECTION_SETTINGS

    PROJECTION_SETTINGS["groups"]["shrink"] = {"default": lam}
    res = _one(args)
    return [r for r in res if r["method"] in ("anchored", "shares_x_total", "naive")
            and r["dim"] == "group"] if not isinstance(res, str) else []


def choose(scores: dict[float, pd.DataFrame], shipped: dict | None) -> dict[str, float]:
    """Each group's shrink: the shipped one unless another value's tuning WAPE at horizon 1
    is lower by more than :data:`TIE` (no change without evidence); then the lowest, a tie
    among the others to the simpler.  ``shipped=None``: no incumbent, the simplest value
    within :data:`TIE` of the lowest."""
    out = {}
    for cat in scores[VALUES[0]].loc[1].index:
        w = {v: scores[v].loc[(1, cat), "WAPE"] for v in VALUES}
        now = None if shipped is None else shipped.get(cat, shipped.get("default", 1.0))
        best = min(w.values())
        out[cat] = now if now in w and w[now] <= best + TIE else next(
            v for v in VALUES if w[v] <= best + TIE)
    return out


def _scores(rows: pd.DataFrame) -> pd.DataFrame:
    """:func:`cohort_backtest.score` of the group rows, indexed (h, cat, method)."""
    sc = score(rows)
    sc = (sc.unstack() if isinstance(sc, pd.Series) else sc).droplevel("dim")
    return sc.reorder_levels(["h", "cat", "method"]).sort_index()


def walk_forward(rows: dict[float, pd.DataFrame], first: dict | None,
                 origins) -> tuple[dict, pd.DataFrame]:
    """Re-choose each group's shrink at every origin after the first from the origins
    before it (horizon 1 only: its targets were published by then), the first choice's
    incumbent ``first`` (None: none), each later one's the previous choice; score each
    origin at its own choice.  Returns the choice per origin (and for
    the origin after the last: the choice with every origin published) and the horizon-1
    rows of the origins from the second on, each group at its origin's choice."""
    origins = sorted(origins)
    choices, picked, prev = {}, [], first
    for c in origins[1:] + [origins[-1] + 1]:
        scores = {}
        for v in VALUES:
            d = rows[v][(rows[v].origin < c) & (rows[v].h == 1)]
            scores[v] = _scores(d).xs("anchored", level="method")[["WAPE", "bias"]]
        prev = choices[c] = choose(scores, prev)
        if c in origins:
            for cat, v in prev.items():
                d = rows[v]
                picked.append(d[(d.origin == c) & (d.h == 1) & (d.cat == cat)])
    return choices, pd.concat(picked, ignore_index=True)


def _at_shrink(rows: dict[float, pd.DataFrame], shrink: dict, origins) -> pd.DataFrame:
    """The horizon-1 rows of ``origins``, each group at its ``shrink``."""
    return pd.concat([d[(d.origin.isin(origins)) & (d.h == 1) & (d.cat == cat)]
                      for cat in rows[VALUES[0]].cat.unique()
                      for d in [rows[shrink.get(cat, shrink.get("default", 1.0))]]],
                     ignore_index=True)


def walk_forward_lines(rows: dict[float, pd.DataFrame], S: dict) -> list[str]:
    """The walk-forward section of the report (see the module docstring)."""
    origins = sorted(S["tuned_on"]) + sorted(S["confirmed_on"])
    choices, wf = walk_forward(rows, None, origins)
    parts = (("tuning", [o for o in origins[1:] if o in S["tuned_on"]]),
             ("check", list(S["confirmed_on"])))
    cats = sorted(rows[VALUES[0]].cat.unique())
    lines = ["## Walk-forward: the shrink re-chosen at each origin", "",
             "Each origin's choice is made by the same rule on the origins before it "
             "(their horizon-1 targets were published by then): the first with no "
             "incumbent (the simplest value within the tie of the lowest WAPE), each later "
             "one keeping the previous origin's choice unless beaten by more than the tie. "
             "Each origin is scored at horizon 1 at its own choice (walk-forward) and at "
             "the shipped choice, which the tuning origins chose: on them it is in-sample.",
             "",
             "| group | " + " | ".join(f"{o}" for o in choices) + " |",
             "|---|" + "---|" * len(choices)]
    for cat in cats:
        lines.append(f"| {cat} | " + " | ".join(f"{choices[o][cat]:g}" for o in choices) + " |")
    lines += ["", f"(column {max(choices)}: chosen so on every origin {origins[0]}-{origins[-1]}, "
              f"the choice for a projection from January {max(choices)}; shipped: "
              f"{S['groups']['shrink']})", "",
              "| group | " + " | ".join(f"{p} ({o[0]}-{o[-1]}) walk-forward | shipped"
                                       for p, o in parts) + " |",
              "|---|" + "---|---|" * len(parts)]
    sc = {}
    for p, o in parts:
        for name, d in (("wf", wf[wf.origin.isin(o)]),
                        ("shipped", _at_shrink(rows, S["groups"]["shrink"], o))):
            sc[p, name] = _scores(d).xs((1, "anchored"), level=["h", "method"])
    for cat in cats:
        lines.append(f"| {cat} | " + " | ".join(
            f"{sc[p, n].loc[cat, 'WAPE']:.2f} ({sc[p, n].loc[cat, 'bias']:+.1f})"
            for p, _ in parts for n in ("wf", "shipped")) + " |")
    return lines + ["", "WAPE % (bias %), horizon 1.", ""]


def main():
    a, S, las, origins = grid_setup()
    t0 = time.perf_counter()
    res, base, rows = {}, {}, {}
    for lam, df in grid_rows(_one_with, VALUES, a, las, origins):
        df = rows[lam] = df[df.cat != "not_recorded"]
        res[lam] = {}
        for s, key in (("tune", "tuned_on"), ("check", "confirmed_on")):
            sc = _scores(df[df.origin.isin(S[key])])
            res[lam][s] = sc.xs("anchored", level="method")[["WAPE", "bias"]]
            base.setdefault(s, {m: sc.xs(m, level="method")["WAPE"]  # of the first value
                                for m in ("shares_x_total", "naive")})  # (shares x its total)
        print(f"shrink {lam}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    chosen = choose({v: res[v]["tune"] for v in VALUES}, S["groups"]["shrink"])
    lines = ["# Placement-group margins: elasticity and drift, or the share carried forward", "",
             f"Generated by `benchmarks/cohort_groups.py` ({a.draws} draws, each LA x origin its "
             f"own seed (base {a.seed}), horizons 1-2; {len(las)} LAs; tuning origins {S['tuned_on']}, check "
             f"{S['confirmed_on']}; {time.perf_counter() - t0:.0f} s on {os.cpu_count()} cores, "
             f"{platform.machine()}, Python {platform.python_version()}). Other settings as in "
             f"version {S['version']} (shipped shrink: {S['groups']['shrink']}).", "",
             "WAPE % (bias %) of the anchored projection with every group's shrink at 0 (share "
             "carried forward), 0.5 and 1 (fitted elasticity and drift); the choice, on the "
             "tuning origins at horizon 1: the shipped value unless another's WAPE is lower by "
             f"more than {TIE} points (then the lowest, a tie to the simpler).",
             ""]
    for h in (1, 2):
        for s in ("tune", "check"):
            lines += [f"## Horizon {h}, {'tuning' if s == 'tune' else 'check'} origins", "",
                      "| group | " + " | ".join(f"shrink {v:g}" for v in VALUES)
                      + " | shares x total | naive | chosen |", "|---|" + "---|" * (len(VALUES) + 3)]
            for cat in res[VALUES[0]][s].loc[h].index:
                cells = [f"{res[v][s].loc[(h, cat), 'WAPE']:.2f} ({res[v][s].loc[(h, cat), 'bias']:+.1f})"
                         for v in VALUES]
                lines.append(f"| {cat} | " + " | ".join(cells)
                             + f" | {base[s]['shares_x_total'].loc[(h, cat)]:.2f}"
                             f" | {base[s]['naive'].loc[(h, cat)]:.2f} | {chosen[cat]:g} |")
            lines.append("")
    lines += [f"Chosen: `{chosen}`", ""] + walk_forward_lines(rows, S)
    OUT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
