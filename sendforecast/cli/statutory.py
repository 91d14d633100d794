"""``sendforecast statutory``: the statutory assessment pipeline of one, several or all LAs.

Writes into ``--out``:

* ``statutory.csv`` - ``la_code, year, measure, mean, p10, p90, p2_5, p97_5`` for requests,
  decisions, assessments, plans_issued, backlog, within_6_weeks_pct, within_20_weeks_pct;
* ``statutory.png`` - history and forecast of one LA (England's total with several);
* ``statutory.warnings.csv`` - the LAs asked for that have no forecast, and why;
* ``statutory.json`` - the inputs and settings that made them (data, LAs, seed, draws, the
  model's settings and their version);
* with ``--scenarios FILE.yaml`` (schema: :class:`sendforecast.scenarios.statutory.
  StatutoryRunConfig`): ``statutory_scenarios.csv`` (every strategy, with a ``strategy``
  column), ``statutory_effects.csv`` (strategy - baseline on paired draws) and, if the file
  asks for one, ``statutory_goal_seek.csv`` and a line on stdout with the answer.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sendforecast.defaults import write_csv


def add_statutory_parser(subparsers) -> argparse.ArgumentParser:
    from sendforecast.cli.options import (
        add_data,
        add_draws,
        add_horizon,
        add_la,
        add_out,
        add_seed,
        add_suppress,
    )

    p = subparsers.add_parser(
        "statutory", help="statutory assessments: requests, plans issued, 20-week timeliness, "
                          "backlog (with capacity scenarios)")
    add_data(p, required=False)
    p.add_argument("--example", action="store_true",
                   help="use the shipped example LA (Exampleshire) instead of --data")
    add_la(p, many=True, required=False, default=None)
    add_horizon(p, default=3)
    add_draws(p)
    add_seed(p)
    add_out(p)
    p.add_argument("--scenarios", metavar="FILE.yaml",
                   help="capacity scenarios to compare with the baseline (YAML, see "
                        "sendforecast.scenarios.statutory)")
    add_suppress(p)
    p.set_defaults(func=run_statutory)
    return p


def run_statutory(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sendforecast.cli.options import suppress_threshold
    from sendforecast.errors import UsageError
    from sendforecast.report.statutory import statutory_section
    from sendforecast.report.suppress import suppress_table

    if bool(args.example) == bool(args.data):
        raise UsageError("give --data PATH... (SEN2 releases) or --example, not both")
    if args.example:
        from sendforecast import load_example
        from sendforecast.data.example import EXAMPLE_LA_CODE

        data, la = load_example(), args.la or [EXAMPLE_LA_CODE]
    else:
        from sendforecast.cli.data import load_data

        if args.la is None:
            raise UsageError("--la is required with --data (a code, a comma list or all)")
        data, la = load_data(args.data), args.la
    cfg = strategies = None
    if args.scenarios:
        from sendforecast.scenarios.statutory import load_statutory_config

        cfg, strategies = load_statutory_config(args.scenarios)
        if cfg.goal_seek is not None and (la == "all" or len(la) != 1):  # before any run
            raise UsageError("the goal seek of a scenario file needs one LA (--la CODE)")
    capacity = _staff_capacity(cfg, la, data)
    t0 = time.perf_counter()
    sec = statutory_section(data, la, horizon=args.horizon, draws=args.draws, seed=args.seed,
                            capacity=capacity, suppress=suppress_threshold(args))
    if sec is None:
        raise UsageError(f"no statutory data (requests, assessments and 20-week timeliness) "
                         f"for {_describe(data, la)}")
    years = sorted(int(y) for y in sec.table.year.unique())
    if cfg is not None and cfg.goal_seek is not None and cfg.goal_seek.year not in years:
        raise UsageError(f"{args.scenarios}: goal seek year {cfg.goal_seek.year} is not a "
                         f"projected year ({years[0]}-{years[-1]}): raise --horizon or change "
                         "the year")  # before any file is written (was after the strategies)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    th = suppress_threshold(args)
    write_csv(suppress_table("statutory", sec.table, th), out / "statutory.csv")
    sec.figure.savefig(out / "statutory.png", dpi=130)
    plt.close(sec.figure)
    n = sec.table.la_code.nunique()
    print(f"Statutory pipeline: {n} LA(s), {args.horizon} year(s), {args.draws:,} draws in "
          f"{time.perf_counter() - t0:.1f}s -> {out / 'statutory.csv'}, {out / 'statutory.png'}")
    _not_forecast(data, la, sec.table, out)
    _record(data, la, args, sec.projection.settings, capacity, out)
    if cfg is not None:
        _scenarios(data, la, cfg, strategies, args, capacity, out)
    return 0


def _record(data, la, args, settings: dict, capacity, out: Path) -> None:
    """``statutory.json``: the inputs and settings that made these files (rerun them with the
    same data, seed and draws for the same numbers)."""
    import json
    import platform

    from sendforecast import __version__
    from sendforecast.cli.options import suppress_threshold
    from sendforecast.report.suppress import describe

    record = {"sendforecast version": __version__, "python": platform.python_version(),
              "data sources": list(getattr(data, "sources", [])),
              "la": la if isinstance(la, str) else list(la), "horizon": args.horizon,
              "draws": args.draws, "seed": args.seed, "scenarios file": args.scenarios,
              "capacity from staff (assessments a month)": capacity,
              "publication suppression": describe(suppress_threshold(args)),
              "year convention": "calendar years (SEN2 flows)",
              "intervals": "p10-p90 = 80% interval; p2_5-p97_5 = 95% interval (Monte Carlo)",
              "settings": settings}
    (out / "statutory.json").write_text(json.dumps(record, indent=2, default=str))


def _describe(data, la) -> str:
    """``909 Cumbria (abolished), 999 (not an LA code of these data)`` (was ``['909']``)."""
    if la == "all":
        return "any LA of these data"
    known = set(data.la_codes())
    status = dict(zip(data.las.la_code.astype(str), data.las.status, strict=True))
    return ", ".join(f"{c} {data.la_name(c)}" + (f" ({status[c]})" if status.get(c) == "abolished"
                                                 else "")
                     if c in known else f"{c} (not an LA code of these data"
                     + (f"; {h}" if (h := data.la_name_hint(c)) else "") + ")" for c in la)


def _not_forecast(data, la, table, out: Path) -> None:
    """``statutory.warnings.csv``: the LAs asked for (``--la all``: every LA of the data)
    that have no forecast, and why; nothing is left out silently."""
    import pandas as pd

    asked = data.la_codes() if la == "all" else list(la)
    done = set(table.la_code.astype(str))
    left = [c for c in asked if c not in done]
    reason = ("no year of the newest published year's requests, assessments, plans issued "
              "and 20-week timeliness (missing, suppressed or the LA no longer exists)")
    write_csv(pd.DataFrame({"la_code": left, "la_name": [data.la_name(c) for c in left],
                            "reason": reason}), out / "statutory.warnings.csv")
    if left:
        print(f"not forecast ({len(left)}): " + ", ".join(f"{c} {data.la_name(c)}" for c in left)
              + f" - see {out / 'statutory.warnings.csv'}")


def _staff_capacity(cfg, la, data) -> dict[str, float] | None:
    """Capacity from the run file's staff numbers (the same for every LA asked for)."""
    if cfg is None or cfg.staff is None:
        return None
    from sendforecast.models.statutory import capacity_from_staff

    s = cfg.staff
    if la == "all" or len(la) != 1:
        from sendforecast.errors import UsageError

        raise UsageError("the staff: section of a scenario file is one LA's staff: give one "
                         "LA (--la CODE)")
    cap = capacity_from_staff(s.eps, s.caseworkers, ep_productivity=s.ep_productivity,
                              caseworker_productivity=s.caseworker_productivity)
    codes = data.la_codes() if la == "all" else list(la)
    return {c: cap for c in codes}


def _scenarios(data, la, cfg, strategies, args, capacity, out: Path) -> None:
    from sendforecast.cli.options import suppress_threshold
    from sendforecast.report.suppress import suppress_table
    from sendforecast.scenarios.statutory import (
        after_horizon,
        compare_statutory,
        goal_seek_statutory,
        statutory_scenario_from_dict,
    )

    kw = dict(horizon=args.horizon, draws=args.draws, seed=args.seed, capacity=capacity)
    if strategies:
        comp = compare_statutory(data, la, strategies, **kw)
        for line in after_horizon(strategies, comp.baseline.years):
            print(f"warning: {line}")
        th = suppress_threshold(args)
        write_csv(suppress_table("statutory_scenarios", comp.table(), th),
                  out / "statutory_scenarios.csv")
        write_csv(suppress_table("statutory_effects", comp.effects(), th),
                  out / "statutory_effects.csv")
        print(f"Scenarios: {', '.join(strategies)} -> {out / 'statutory_effects.csv'}")
    gs = cfg.goal_seek
    if gs is not None:
        def build(x):
            return [statutory_scenario_from_dict({**gs.scenario, gs.parameter: x})]

        # tol: the API's default (1) stopped a search of ChangeRequests.by (-0.9..5) at once
        res = goal_seek_statutory(data, la[0], build, gs.lo, gs.hi, year=gs.year,
                                  threshold=gs.threshold, probability=gs.probability,
                                  integer=gs.integer, tol=gs.tol or (gs.hi - gs.lo) / 100, **kw)
        write_csv(res.iterations, out / "statutory_goal_seek.csv")
        print(f"goal seek ({gs.parameter}): {res}", file=sys.stdout)
