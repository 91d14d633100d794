"""The main job for many LAs at once: one folder per LA plus national tables.

``run_batch(data, la, out_dir)`` is what ``sendforecast run --la all`` (or a
comma list) calls.  The data are read once; each LA's job runs in a worker
process (joblib's loky backend, ``jobs`` of them) on :meth:`SEN2Data.subset`
of its own rows plus the region and England rows, so a worker receives ~1 MB,
not the whole release.  With ``scheduler="tcp://host:8786"`` the same tasks go
to a Dask cluster through joblib's dask backend (``pip install
sendforecast[batch]``).

Each LA gets exactly the job ``sendforecast run --la CODE`` runs, with the same
seed, so its folder is the one a single-LA run would write.  An LA whose job
fails does not stop the run: its error goes to ``failures.csv`` and the run
goes on.  National tables, one row per LA and year:

* ``hnb_cost_by_la.csv``: High Needs Block cost (``total_hnb``) per financial
  year, mean and 80%/95% intervals from that LA's draws;
* ``caseload_by_la.csv``: projected EHC plans per January, the same columns;
* ``first_full_year_by_la.csv``: the first year each provision is full, for
  LAs with commissioned places (``capacities``);
* ``failures.csv``: ``la_code, la_name, error_type, message``;
* ``batch.json``: inputs and settings (no wall-clock times: those are printed
  and written to ``timings.csv``, which the seed does not reproduce).

Draws of different LAs use the same seed, so they are *not* independent
across LAs: no national interval is formed by summing LA draws.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sendforecast import __version__
from sendforecast.errors import UsageError
from sendforecast.intervals import INTERVAL_COLUMNS

__all__ = ["BatchResult", "run_batch", "resolve_las", "per_la_files", "per_la_inputs"]

FAILURE_COLUMNS = ["la_code", "la_name", "error_type", "message"]
HNB_COLUMNS = ["la_code", "la_name", "financial_year", *INTERVAL_COLUMNS]
CASELOAD_COLUMNS = ["la_code", "la_name", "year", *INTERVAL_COLUMNS]
FULL_COLUMNS = ["la_code", "la_name", "provision", "phase", "first_full_year",
                "places_that_year", "demand_mean_that_year"]


@dataclass
class BatchResult:
    out_dir: Path
    done: list[str]
    failures: pd.DataFrame
    hnb_cost: pd.DataFrame
    caseload: pd.DataFrame
    first_full_year: pd.DataFrame
    timings: pd.DataFrame  # seconds per LA (not reproducible by the seed)
    wall_seconds: float = 0.0
    backend: str = ""
    files: list[Path] = field(default_factory=list)


def resolve_las(data, la: str | Sequence[str]) -> list[str]:
    """``"all"`` -> every LA in the data; a list -> checked 3-digit LA codes, in order."""
    if isinstance(la, str):
        la = data.la_codes() if la.lower() == "all" else [c.strip() for c in la.split(",")]
    codes = list(dict.fromkeys(str(c).strip() for c in la if str(c).strip()))
    if not codes:
        raise UsageError("no LA given: pass --la CODE, a comma list of codes or 'all'")
    data.check_la_codes(codes)
    return codes


def per_la_files(path: str | Path | None, las: Sequence[str], what: str, option: str,
                 suffixes: Sequence[str]) -> dict[str, Path]:
    """The ``<code>.<suffix>`` file of each LA in the folder ``path`` (LAs without one are
    left out).  One file cannot be every LA's: with several LAs ``option`` must name a
    folder."""
    if path is None:
        return {}
    p = Path(path)
    if p.is_file():
        if len(las) == 1:
            return {las[0]: p}
        raise UsageError(f"{option} {p} is one file, but {len(las)} LAs were asked for: give a "
                         f"folder holding one {what} file per LA, named by LA code "
                         f"(e.g. {las[0]}{suffixes[0]})")
    if not p.is_dir():
        raise FileNotFoundError(2, "No such file or directory", str(p))
    out = {}
    for code in las:
        f = next((p / f"{code}{suf}" for suf in suffixes if (p / f"{code}{suf}").is_file()),
                 None)
        if f is not None:
            out[code] = f
    return out


def per_la_inputs(path: str | Path | None, las: Sequence[str], reader, what: str, option: str,
                  suffixes: Sequence[str]) -> dict[str, object]:
    """Read one input per LA from a folder of ``<code>.<suffix>`` files
    (:func:`per_la_files`); LAs without a file get none (no DSG balance / capacity)."""
    return {code: reader(f) for code, f in per_la_files(path, las, what, option,
                                                        suffixes).items()}


def _one_la(data, la: str, out_dir: Path, settings: dict, costs, allocation, capacity, routing,
            inputs=None):
    """Run one LA's job; never raises (a failure is returned as a record)."""
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    from sendforecast.workflow import run_main_job

    t0 = time.perf_counter()
    name = data.la_name(la)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # per-LA warnings would swamp the progress bar
            res = run_main_job(data, la, out_dir / la, horizon=settings["horizon"],
                               draws=settings["draws"], seed=settings["seed"], costs=costs,
                               allocation=allocation, capacity=capacity, routing=routing,
                               progress=False, suppress=settings.get("suppress"),
                               inputs=inputs)
    except Exception as exc:  # noqa: BLE001 - one LA's failure must not stop the run
        last = traceback.extract_tb(exc.__traceback__)[-1]
        msg = str(exc) or type(exc).__name__
        if isinstance(exc, KeyError):
            msg = f"not found: {msg}"
        return {"la_code": la, "la_name": name, "ok": False, "error_type": type(exc).__name__,
                "message": f"{msg} (at {Path(last.filename).name}:{last.lineno})",
                "seconds": time.perf_counter() - t0}
    costs_t = res.tables["costs"]
    hnb = costs_t[costs_t["line"] == "total_hnb"][["financial_year", *INTERVAL_COLUMNS]]
    tot = res.tables["projection_totals"][["year", *INTERVAL_COLUMNS]]
    full = res.tables.get("first_full_year")
    return {"la_code": la, "la_name": name, "ok": True,
            "hnb": hnb.assign(la_code=la, la_name=name),
            "caseload": tot.assign(la_code=la, la_name=name),
            "full": None if full is None else full.assign(la_code=la, la_name=name),
            "seconds": time.perf_counter() - t0}


def _frame(parts: list[pd.DataFrame], cols: list[str]) -> pd.DataFrame:
    parts = [p for p in parts if p is not None and len(p)]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]


def run_batch(data, la: str | Sequence[str], out_dir: str | Path, *, horizon: int = 10,
              draws: int = 1000, seed: int | None = None, costs=None,
              allocations: Mapping[str, object] | None = None,
              capacities: Mapping[str, object] | None = None, routing=None, jobs: int | None = None,
              scheduler: str | None = None, progress: bool = True,
              suppress: int | None = None,
              inputs: Mapping[str, Mapping[str, str]] | None = None) -> BatchResult:
    """Run the main job for each LA in ``la`` (``"all"``, a code or a list of codes); see the module doc.

    ``allocations`` / ``capacities`` map LA code -> :class:`~sendforecast.finance.hnb.HNBAllocation`
    / :class:`~sendforecast.sufficiency.Capacity` (LAs not in them get no DSG balance /
    no capacity).  ``jobs`` worker processes (default: every core); ``scheduler`` is a
    Dask scheduler address, e.g. ``"tcp://10.0.0.5:8786"``.  ``inputs`` names the files:
    ``"all"`` -> ``{"costs": file, "hnb": folder, "capacity": folder}`` (batch.json) and
    LA code -> the same keys with that LA's files (its run.json).
    """
    from joblib import Parallel, delayed, parallel_config
    from tqdm.auto import tqdm

    from sendforecast.defaults import DEFAULT_SEED, write_csv
    from sendforecast.finance.costs import CostAssumptions
    from sendforecast.report.suppress import describe, suppress_table

    seed = DEFAULT_SEED if seed is None else seed
    codes = resolve_las(data, la)
    allocations, capacities = dict(allocations or {}), dict(capacities or {})
    costs_note = "defaults (sourced)" if costs is None else "given"
    costs = costs or CostAssumptions.defaults()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    settings = {"horizon": horizon, "draws": draws, "seed": seed, "suppress": suppress}
    jobs = jobs or os.cpu_count() or 1
    t0 = time.perf_counter()

    inputs = dict(inputs or {})
    tasks = (delayed(_one_la)(data.subset([la]), la, out, settings, costs, allocations.get(la),
                              capacities.get(la), routing, inputs.get(la)) for la in codes)
    results = []
    if scheduler:
        client = _dask_client(scheduler)
        try:
            with parallel_config(backend="dask", n_jobs=-1):
                # the dask backend yields results in order; progress is per LA still
                for r in tqdm(Parallel(return_as="generator")(tasks), total=len(codes),
                              desc="LAs", unit="LA", disable=not progress):
                    results.append(r)
        finally:
            client.close()
        backend = f"dask ({scheduler})"
    else:
        par = Parallel(n_jobs=jobs, backend="loky" if jobs > 1 else "sequential",
                       return_as="generator_unordered")
        for r in tqdm(par(tasks), total=len(codes), desc="LAs", unit="LA", disable=not progress):
            results.append(r)
        backend = f"loky, {jobs} worker(s)" if jobs > 1 else "sequential"
    wall = time.perf_counter() - t0

    order = {c: i for i, c in enumerate(codes)}
    results.sort(key=lambda r: order[r["la_code"]])
    ok = [r for r in results if r["ok"]]
    bad = [r for r in results if not r["ok"]]
    res = BatchResult(
        out_dir=out, done=[r["la_code"] for r in ok],
        failures=pd.DataFrame([{k: r[k] for k in FAILURE_COLUMNS} for r in bad],
                              columns=FAILURE_COLUMNS),
        hnb_cost=_frame([r["hnb"] for r in ok], HNB_COLUMNS),
        caseload=_frame([r["caseload"] for r in ok], CASELOAD_COLUMNS),
        first_full_year=_frame([r["full"] for r in ok], FULL_COLUMNS),
        timings=pd.DataFrame([{"la_code": r["la_code"], "ok": r["ok"],
                               "seconds": round(r["seconds"], 2)} for r in results]),
        wall_seconds=wall, backend=backend)
    for name, frame in (("hnb_cost_by_la", res.hnb_cost), ("caseload_by_la", res.caseload),
                        ("first_full_year_by_la", res.first_full_year),
                        ("failures", res.failures), ("timings", res.timings)):
        p = out / f"{name}.csv"
        write_csv(suppress_table(name, frame, suppress), p)
        res.files.append(p)
    about = {"sendforecast version": __version__, "data sources": list(data.sources),
             "LAs asked for": len(codes), "LAs done": len(ok), "LAs failed": len(bad),
             "failed": [r["la_code"] for r in bad], "projection years": horizon, "draws": draws,
             "seed": seed, "seed note": "every LA uses this seed (as `run --la CODE` would)",
             "LAs with an HNB allocation": sorted(allocations),
             "LAs with commissioned places": sorted(capacities),
             "unit costs": costs_note, "publication suppression": describe(suppress)}
    given = inputs.get("all", {})
    about |= {label: str(given[k]) for k, label in (("costs", "unit costs file"),
                                                    ("hnb", "HNB allocation folder"),
                                                    ("capacity", "capacity folder"))
              if given.get(k)}
    (out / "batch.json").write_text(json.dumps(about, indent=2, default=str))
    res.files.append(out / "batch.json")
    return res


def _dask_client(address: str):
    try:
        from dask.distributed import Client
    except ImportError:  # pragma: no cover - depends on the install
        raise UsageError("--scheduler needs Dask: pip install 'sendforecast[batch]'") from None
    try:
        return Client(address, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"could not reach the Dask scheduler at {address}: {exc}") from None
