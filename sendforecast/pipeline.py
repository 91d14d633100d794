"""The main job: from data to the tables, charts and workbook an LA puts in a report.

``run_main_job`` is what ``sendforecast demo`` (example data) and
``sendforecast run`` (real data) call.  It only orchestrates: every number
comes from the data, model and cost layers.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import __version__
from .data.sen2 import SEN2Data


@dataclass
class JobResult:
    out_dir: Path
    files: list[Path] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def run_main_job(data: SEN2Data, la: str, out_dir: str | Path, *, seed: int = 1,
                 progress: bool = True) -> JobResult:
    """History and data quality for one LA -> CSV tables, PNG charts and ``workbook.xlsx``."""
    import matplotlib.pyplot as plt

    from . import plotting
    from .reporting import write_workbook

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
    q = data.quality
    res.tables["quality_summary"] = q.summary()

    for key, frame in res.tables.items():
        p = out / f"{key}.csv"
        frame.to_csv(p, index=False)
        res.files.append(p)
    (out / "quality.txt").write_text(str(q) + "\n")
    res.files.append(out / "quality.txt")

    say("Charts")
    for fname, fig in (("history.png", plotting.history(summary, f"{name}: EHC plan history")),
                       ("placements.png", plotting.placement_mix(groups, f"{name}: EHC plans by placement"))):
        fig.savefig(out / fname, dpi=130)
        plt.close(fig)
        res.files.append(out / fname)

    say("Workbook")
    about = {"LA": f"{name} ({la})", "sendforecast version": __version__, "data sources": "; ".join(data.sources),
             "seed": seed, "python": platform.python_version(),
             "year convention": "caseload = January census year; flows = calendar year"}
    wide = summary.pivot_table(index="year", columns="measure", values="value").reset_index()
    sheets = {"History": wide, "Placements": res.tables["placements"].pivot_table(
        index="year", columns="placement_group", values="value").reset_index(),
        "Data quality": res.tables["quality_summary"]}
    res.files.append(write_workbook(sheets, out / "workbook.xlsx", about=about))
    (out / "run.json").write_text(json.dumps(about, indent=2, default=str))
    res.files.append(out / "run.json")
    say(f"Done: {len(res.files)} files in {out}")
    return res
