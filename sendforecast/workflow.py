"""The main job: from data to the tables, charts and workbook an LA puts in a report.

``run_main_job`` is what ``sendforecast demo`` (example data) and
``sendforecast run`` (real data) call.  It only orchestrates: every number
comes from the data, model and cost layers.  The chain is

    SEN2 history -> cohort projection by age x placement (Monte Carlo)
    -> specialist places (SCAP shape) -> capacity-constrained placements
    -> High Needs Block costs per financial year -> DSG balance.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sendforecast import __version__
from sendforecast.data.sen2 import SEN2Data
from sendforecast.defaults import write_csv

#: Years ahead of the statutory section in the main job (its settings and intervals were
#: chosen on one-year-ahead backtests: benchmarks/results/statutory_backtest.md).
STATUTORY_YEARS = 3
#: Projection settings that quote the LA's base counts (and shares of them): withheld from
#: run.json, the About sheet and the report under --suppress.
COUNT_SETTINGS = {"margins"}
WITHHELD = "(withheld under --suppress: it quotes the base counts)"


@dataclass
class JobResult:
    out_dir: Path
    files: list[Path] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    projection: object | None = None
    budget: object | None = None


def run_main_job(data: SEN2Data, la: str, out_dir: str | Path, *, horizon: int = 10,
                 draws: int = 1000, seed: int = 1, costs=None, allocation=None, capacity=None,
                 routing=None, progress: bool = True, suppress: int | None = None,
                 rerun: str | None = None, inputs: dict[str, str] | None = None) -> JobResult:
    """History, projection, places, costs and DSG balance for one LA.

    Writes CSV tables, PNG charts, ``workbook.xlsx`` (one sheet per table, an
    "About" sheet with inputs and settings, an editable "Assumptions" sheet and "How to
    rerun"), ``report.html`` (one self-contained page) and ``run.json`` into ``out_dir``.
    ``suppress`` (a threshold, e.g. 5; None = off) rounds every published count of
    children to the nearest 5 and shows counts below the threshold as ``c``
    (:mod:`sendforecast.report.suppress`); ``res.tables`` keep the unrounded numbers.
    ``rerun`` is the command that reruns this job with ``--costs workbook.xlsx`` (for the
    workbook's "How to rerun" sheet).  ``inputs`` names the files ``costs``, ``hnb`` and
    ``capacity`` came from (recorded in run.json and the About sheet).
    ``costs`` defaults to :meth:`CostAssumptions.defaults` (HNB cost is always
    reported); the DSG balance needs an ``allocation``
    (:class:`sendforecast.finance.hnb.HNBAllocation`) and is skipped without one; ``capacity`` (:class:`sendforecast.sufficiency.Capacity`) turns
    on capacity-constrained placement and the sufficiency gap.
    """
    import matplotlib.pyplot as plt

    from sendforecast.finance.costs import CostAssumptions
    from sendforecast.models.cohort import CohortModel
    from sendforecast.report import charts
    from sendforecast.report.suppress import describe, suppress_tables
    from sendforecast.report.workbook import budget_sheets, how_to_rerun, write_workbook
    from sendforecast.scap import scap_table

    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    res = JobResult(out)
    name = data.la_name(la)

    def say(msg: str) -> None:
        if progress:
            print(f"[{time.perf_counter() - t0:5.1f}s] {msg}", flush=True)

    say(f"History for {name} ({la})")
    summary = data.summary([la])
    groups = data.placement_groups("caseload")
    groups = groups[(groups.la_code == la) & (groups.level == "la")]
    res.tables["history"] = summary
    res.tables["placements"] = groups[["year", "placement_group", "value"]].reset_index(drop=True)
    res.tables["quality_summary"] = data.quality.summary()

    say(f"Cohort projection: {horizon} years x {draws:,} draws (seed {seed})")
    model = CohortModel.from_sen2(data, la)
    proj = model.project(horizon=horizon, draws=draws, seed=seed)
    res.projection = proj
    res.tables["projection"] = proj.table(("year", "age", "placement"))
    res.tables["projection_by_phase"] = proj.by_phase()
    if la in set(data.need_shares["la_code"]):  # published need shares: split by need
        from sendforecast.models.cohort import need_table, sen2_need_inputs, split_by_need
        from sendforecast.sufficiency_need import sufficiency_by_need

        need_proj = split_by_need(proj, sen2_need_inputs(data, la, model))
        res.tables["projection_by_need"] = need_table(need_proj)
        if capacity is not None and (capacity.frame["need"] != "all").any():
            res.tables["sufficiency_by_need"] = sufficiency_by_need(need_proj, capacity).table
    res.tables["specialist_places"] = proj.specialist_places()
    res.tables["projection_totals"] = proj.totals()

    from sendforecast.finance.budget import budget
    from sendforecast.finance.hnb import HNBAllocation

    recorded = input_record(inputs or {}, costs, allocation, capacity, routing)
    costs = costs or CostAssumptions.defaults()
    if allocation is None:
        say("Costs and sufficiency (no HNB allocation given: DSG balance skipped; pass --hnb FILE)")
        fy0 = f"{proj.base_year}-{str(proj.base_year + 1)[-2:]}"
        b = budget(proj, costs, HNBAllocation(base_year=fy0, base_amount=0.0, growth=0.0),
                   capacity=capacity, routing=routing)
    else:
        say("Costs, sufficiency and DSG balance")
        b = budget(proj, costs, allocation, capacity=capacity, routing=routing)
        res.tables["dsg_balance"] = b.dsg_balance
    res.budget = b
    res.tables["costs"] = b.costs
    if b.sufficiency is not None:
        res.tables["sufficiency"] = b.sufficiency
        res.tables["first_full_year"] = b.first_full_year
    res.tables["scap_specialist_places"] = scap_table(proj, capacity)
    if allocation is not None:
        from sendforecast.report.summary import deficit_probabilities

        res.tables["dsg_probabilities"] = deficit_probabilities(
            b.balance.financial_years, b.balance.in_year, b.balance.cumulative)

    from sendforecast.report.statutory import statutory_section  # requests -> plans issued
    say("Statutory pipeline: requests, plans issued, 20-week timeliness, backlog")
    # at most STATUTORY_YEARS ahead: its intervals were backtested 1-3 years ahead only
    stat = statutory_section(data, la, horizon=min(horizon, STATUTORY_YEARS), draws=draws,
                             seed=seed, suppress=suppress)
    if stat is not None:
        res.tables["statutory"] = stat.table
    else:  # said, not left out silently (e.g. an LA abolished before the newest year)
        say("  no statutory forecast: this LA's requests, assessments and 20-week timeliness "
            "are not all published for the newest year")

    for key, frame in suppress_tables(res.tables, suppress).items():  # publication step
        p = out / f"{key}.csv"
        write_csv(frame, p)
        res.files.append(p)
    if suppress is None:  # its lines quote counts of cells unrounded: not for publication
        (out / "quality.txt").write_text(str(data.quality) + "\n")
        res.files.append(out / "quality.txt")

    say("Charts")
    # under --suppress the charts draw counts as the tables publish them (rounded; a
    # suppressed count is not drawn)
    figs = charts.main_charts(summary, groups, proj.table(("year", "placement")), name,
                              suppress=suppress)
    for k, f in charts.budget_charts(res.budget, suppress=suppress).items():
        if allocation is None and k.startswith("dsg"):
            plt.close(f)  # no allocation: no balance to chart
        else:
            figs[k] = f
    if stat is not None:
        figs["statutory"] = stat.figure
    for fname, fig in figs.items():
        fig.savefig(out / f"{fname}.png", dpi=130)
        plt.close(fig)
        res.files.append(out / f"{fname}.png")

    say("Workbook")
    about = {"LA": f"{name} ({la})", "sendforecast version": __version__,
             "data sources": "; ".join(data.sources), "projection years": horizon, "draws": draws,
             "seed": seed, "python": platform.python_version(),
             "year convention": "caseload = January census year; flows = calendar year; "
                                "money = April-March financial year",
             "intervals": "p10-p90 = 80% interval; p2_5-p97_5 = 95% interval (Monte Carlo)",
             "publication suppression": describe(suppress)} | recorded
    about |= {f"projection: {k}": (WITHHELD if suppress is not None and k in COUNT_SETTINGS
                                   else str(v))
              for k, v in getattr(proj, "settings", {}).items()}
    hist_wide = summary.pivot_table(index="year", columns="measure", values="value").reset_index()
    sheets = {"History": hist_wide,
              "Placements": res.tables["placements"].pivot_table(
                  index="year", columns="placement_group", values="value").reset_index(),
              "Projection by phase": res.tables["projection_by_phase"],
              "Specialist places": res.tables["specialist_places"],
              "SCAP specialist places": res.tables["scap_specialist_places"]}
    b_sheets = budget_sheets(res.budget)
    if allocation is None:  # no allocation: the balance sheets would be meaningless
        b_sheets = {k: v for k, v in b_sheets.items()
                         if k not in ("HNB allocation", "DSG balance")}
    sheets |= b_sheets
    if stat is not None:
        sheets["Statutory pipeline"] = stat.table
    about |= {f"budget: {k}": str(v) for k, v in res.budget.settings.items()}
    if stat is not None:
        about |= {f"statutory: {k}": str(v) for k, v in stat.projection.settings.items()}
    sheets["Data quality"] = res.tables["quality_summary"]
    sheets["How to rerun"] = how_to_rerun(rerun or f"sendforecast run --data {' '.join(data.sources)} "
                                          f"--la {la} --costs workbook.xlsx --out <new folder>")
    res.files.append(write_workbook(suppress_tables(sheets, suppress), out / "workbook.xlsx",
                                    about=about))
    (out / "run.json").write_text(json.dumps(about, indent=2, default=str))
    res.files.append(out / "run.json")
    res.files.append(_write_report(res, data, la, name, about, suppress, draws))
    say(f"Done: {len(res.files)} files in {out}")
    return res


def input_record(inputs: dict, costs, allocation, capacity, routing) -> dict[str, str]:
    """Which files the costs, HNB allocation and capacity came from, and the routing (it
    recorded only 'budget: capacity: True').  ``inputs``: the file names a caller gave (a
    None value: no file); otherwise what the objects say of themselves."""
    from sendforecast.finance.costs import CostAssumptions

    defaults = ("sourced defaults (CostAssumptions.defaults(), sendforecast/finance/costs.py)")

    def given(key: str, obj, none: str, own: str | None) -> str:
        if key in inputs:
            return str(inputs[key]) if inputs[key] else none
        return none if obj is None else own or "given in Python"

    hnb_source = getattr(allocation, "source", "") or None
    return {"cost assumptions": given("costs", costs, defaults,
                                      defaults if costs == CostAssumptions.defaults() else None),
            "HNB allocation": given("hnb", allocation, "none: no DSG balance",
                                    hnb_source and f"given in Python (source: {hnb_source})"),
            "capacity (commissioned places)": given("capacity", capacity,
                                                    "none: demand not constrained by places",
                                                    getattr(capacity, "file", None)),
            "overflow routing": (json.dumps(routing) if routing else
                                 "default (state special overflow -> independent special)")}


def _write_report(res: JobResult, data: SEN2Data, la: str, name: str, about: dict,
                  suppress: int | None, draws: int) -> Path:
    """``report.html`` from the run's tables, its PNG charts and the data-quality findings."""
    from sendforecast.report.html import main_report
    from sendforecast.report.summary import quality_for_la
    from sendforecast.report.workbook import assumptions_sheet

    charts = {p.stem: p.read_bytes() for p in res.files if p.suffix == ".png"}
    page = main_report(res.tables, charts, la_name=name, la_code=la, about=about,
                       assumptions=assumptions_sheet(res.budget),
                       quality=quality_for_la(data.quality, la), threshold=suppress, draws=draws)
    path = res.out_dir / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
