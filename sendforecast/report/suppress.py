"""Publication safety: round counts of children to the nearest 5 and suppress small ones.

:func:`suppress` is a pure function on one frame: every column named as a count of
children is rounded to the nearest multiple of ``base`` (5), and a count that is not a
true zero but is below ``threshold`` (default 5) becomes the DfE symbol ``c``
("confidential").  Money, percentages, probabilities and years are never touched:
:data:`COUNT_COLUMNS` lists, table by table, exactly which columns hold counts of
children, and :func:`suppress_tables` applies it at the writing step (CSV, workbook
sheets and report tables).

Sources for the rule (the defaults a user can change with ``--suppress-threshold``):

* DfE statistics use the GSS symbol ``c`` for "confidential" cells (small counts
  withheld to protect individuals), as in the SEN2 release files this package reads
  (:data:`sendforecast.data.quality.SUPPRESSION_CODES`); explore-education-statistics
  footnotes "c = confidential data".
* Rounding to the nearest 5 with values 1-4 withheld and true zeros shown as ``0``:
  the UK government statistics practice set out e.g. in Ofqual's rounding policy for
  statistical publications,
  https://www.gov.uk/government/publications/ofquals-statistics-policies-and-procedures/rounding-policy
  ("all figures are normally rounded to the nearest 5 ... values of less than 5 (1 to
  4) are represented as 'fewer than 5'. True zero is denoted as '0'").

A projected count is a mean or quantile of Monte Carlo draws (e.g. 2.35 children): it is
rounded and suppressed by the same rule, so a published cell never shows a count of
1 to 4 children.  Totals are rounded from their own unrounded value (they need not equal
the sum of rounded parts).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["SUPPRESSED", "COUNT_COLUMNS", "suppress", "suppress_tables", "count_columns",
           "round_count", "describe", "sheet_key", "for_chart"]

#: The symbol written in place of a count below the threshold.
SUPPRESSED = "c"
DEFAULT_THRESHOLD = 5
BASE = 5

_Q = ["mean", "p10", "p90", "p2_5", "p97_5"]
_SUFF = ["capacity", "demand_mean", "demand_p10", "demand_p90", "placed_mean", "gap_mean",
         "overflow_total_mean"]
_DEMAND = ["demand_mean", "demand_p10", "demand_p90", "placed_mean", "placed_p10", "placed_p90"]
_SCAP = [*_Q, "places_available", "spare_places"]
# sufficiency by designated need (sendforecast.sufficiency_need): places and children
_SUFF_NEED = ["capacity", "demand_mean", "demand_p10", "demand_p90", "placed_mean",
              "spare_mean", "gap_mean", "shortfall_mean", "shortfall_p90"]

#: Columns that hold counts of children, by table name (CSV stem) and by workbook sheet
#: name.  ``[]`` = the table holds no counts of children (money, rates, settings, counts of
#: data cells).  A table of the main job that is missing here is an error when suppression
#: is on (see :func:`count_columns`): every published table is classified on purpose.
COUNT_COLUMNS: dict[str, list[str]] = {
    # the main job's CSVs (sendforecast/workflow.py)
    "history": ["value"], "placements": ["value"], "projection": _Q,
    "projection_by_phase": _Q, "specialist_places": _Q, "projection_totals": _Q,
    "scap_specialist_places": _SCAP, "sufficiency": _SUFF,
    "first_full_year": ["places_that_year", "demand_mean_that_year"],
    "costs": [], "dsg_balance": [], "quality_summary": [], "dsg_probabilities": [],
    # optional tables other parts of the library add (by need; statutory pipeline)
    "projection_by_need": _Q, "sufficiency_by_need": _SUFF_NEED,
    "statutory_scenarios": _Q, "statutory_effects": _Q, "statutory_goal_seek": [],
    "statutory": _Q,  # rows of rate/percentage/weeks measures are kept (see RATE_MEASURE)
    # run over several LAs: the national tables (sendforecast/batch.py)
    "hnb_cost_by_la": [], "caseload_by_la": _Q, "failures": [], "timings": [],
    "first_full_year_by_la": ["places_that_year", "demand_mean_that_year"],
    # project (witan mode and SEN2 mode)
    "totals": _Q, "by_placement": _Q, "by_year_group": _Q, "by_phase": _Q, "by_need": _Q,
    "by_need_phase": _Q,
    # scenarios run
    "comparison": [], "savings": [], "dbv_table": [], "plans": _Q, "goal_seek": [],
    # workbook sheets of the main job and of the budget / comparison workbooks
    "Projection by phase": _Q, "Specialist places": _SCAP, "SCAP specialist places": _SCAP,
    "Demand": _DEMAND, "Sufficiency gap": _SUFF,
    "First full year": ["places_that_year", "demand_mean_that_year"],
    "Costs": [], "DSG balance": [], "HNB allocation": [], "Assumptions": [],
    "Data quality": [], "How to rerun": [], "Savings": [], "DBV table": [],
    "Comparison": [], "Plans by placement": _Q, "Statutory pipeline": _Q,
}

#: The end of a sheet name that gives the years the sheet covers ("Savings (3 years)"):
#: such a sheet is classified under the name without it ("Savings").
_YEARS_IN_NAME = re.compile(r" \(\d+ years?\)$")


def sheet_key(name: str) -> str:
    """The name ``name`` is classified under: without a trailing " (N years)"."""
    return _YEARS_IN_NAME.sub("", name)


#: Wide sheets whose every column but the first (``year``) is a count of children.
WIDE_COUNT_SHEETS = {"History", "Placements"}

#: A measure that is a rate, a share, a percentage, a duration or a probability.
RATE_MEASURE = re.compile(r"(?:_pc|_pct|percent|rate|share|timeliness|weeks|days|^p_|prob)", re.I)


def round_count(x: float, threshold: int = DEFAULT_THRESHOLD, base: int = BASE):
    """One count for publication: ``0`` stays ``0``; ``0 < |x| < threshold`` -> ``"c"``;
    otherwise the nearest multiple of ``base`` (halves away from zero); missing stays
    missing."""
    if x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA:
        return np.nan
    x = float(x)
    if x == 0:
        return 0
    if abs(x) < threshold:
        return SUPPRESSED
    return int(np.sign(x) * np.floor(abs(x) / base + 0.5) * base)


def suppress(frame: pd.DataFrame, columns: list[str], threshold: int = DEFAULT_THRESHOLD,
             base: int = BASE, keep_rows: pd.Series | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with each of ``columns`` (counts of children) rounded to the
    nearest ``base`` and counts below ``threshold`` replaced by ``"c"``.

    Columns not in the frame are ignored; ``keep_rows`` (boolean, aligned to ``frame``)
    marks rows left as they are (e.g. rate measures of a long table).  The rounded
    columns hold whole numbers and ``"c"`` (object dtype); missing values stay missing.
    """
    if threshold < 1:
        raise ValueError(f"suppression threshold must be at least 1, got {threshold}")
    out = frame.copy()
    for c in columns:
        if c not in out.columns:
            continue
        new = out[c].astype(object).map(lambda v: round_count(v, threshold, base))
        if keep_rows is not None:
            new = new.where(~keep_rows.to_numpy(), out[c].astype(object))
        out[c] = new
    return out


def count_columns(name: str, frame: pd.DataFrame) -> list[str]:
    """The count columns of table or sheet ``name`` (see :data:`COUNT_COLUMNS`)."""
    if name in WIDE_COUNT_SHEETS:
        return [c for c in frame.columns if c != "year"]
    name = name if name in COUNT_COLUMNS else sheet_key(name)
    if name not in COUNT_COLUMNS:
        raise KeyError(f"table {name!r} is not classified for publication: add it to "
                       "sendforecast.report.suppress.COUNT_COLUMNS (its count columns, or [])")
    return COUNT_COLUMNS[name]


def suppress_table(name: str, frame: pd.DataFrame, threshold: int | None) -> pd.DataFrame:
    """``frame`` ready to publish under ``name`` (unchanged when ``threshold`` is None)."""
    if threshold is None:
        return frame
    cols = count_columns(name, frame)
    if not cols:
        return frame
    keep = None
    if "measure" in frame.columns:  # long tables: rate measures are not counts
        keep = frame["measure"].astype(str).str.contains(RATE_MEASURE)
    return suppress(frame, cols, threshold, keep_rows=keep)


def for_chart(name: str, frame: pd.DataFrame, threshold: int | None) -> pd.DataFrame:
    """``frame`` as a chart may draw it when publishing (unchanged when ``threshold`` is
    None): the counts of :func:`suppress_table`, as numbers, with a suppressed count
    missing (NaN: not drawn, never 0), so a chart shows no cell its table withholds."""
    if threshold is None:
        return frame
    out = suppress_table(name, frame, threshold)
    for c in count_columns(name, frame):
        if c in out.columns:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return out


def suppress_tables(tables: Mapping[str, pd.DataFrame], threshold: int | None
                    ) -> dict[str, pd.DataFrame]:
    """:func:`suppress_table` over a mapping of name -> frame."""
    return {k: suppress_table(k, v, threshold) for k, v in tables.items()}


def describe(threshold: int | None) -> str:
    """The sentence recorded in run.json, the workbook's About sheet and the report."""
    if threshold is None:
        return ("off: counts of children are unrounded model output (not for publication "
                "without review; rerun with --suppress)")
    return (f"on: counts of children rounded to the nearest {BASE}; counts of 1 to "
            f"{threshold - 1} shown as '{SUPPRESSED}' (confidential); true zeros shown as 0; "
            "money, percentages, probabilities and years unchanged")
