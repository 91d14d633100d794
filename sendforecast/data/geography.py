"""Local authority geography: lookups, reorganisations, regions and England.

Series are keyed on the DfE 3-digit ("old") LA code, which survives ONS code
changes (e.g. Buckinghamshire is 825 throughout although its ONS code changed
from E10000002 to E06000060 when it became a unitary in April 2020).

Reorganisations that split or merge LAs break a series; they are listed in
:data:`REORGANISATIONS` (source: DfE SEN2 releases, which show the codes
appearing and disappearing; dates from the structural-change orders) and
handled explicitly: the LA lookup flags the broken series, and
:func:`aggregate_successors` can add the successors together so that a
continuous series exists under the predecessors' footprint.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

ENGLAND_CODE = "E92000001"


@dataclass(frozen=True)
class Reorganisation:
    predecessors: tuple[str, ...]
    successors: tuple[str, ...]
    first_census: int  # first January census (caseload year) reported under the successors
    first_flow_year: int  # first calendar year of flows reported under the successors
    name: str
    note: str

    @property
    def combined_code(self) -> str:
        return "+".join(self.predecessors + self.successors)


#: Reorganisations visible in the SEN2 files (2010-2024).  Unitary changes that
#: kept the footprint and the 3-digit code (Buckinghamshire 2020, North Yorkshire
#: 2023, Somerset 2023) do not break a series and are not listed.
REORGANISATIONS: tuple[Reorganisation, ...] = (
    Reorganisation(
        ("835", "836", "837"), ("838", "839"), 2020, 2019,
        "Dorset, Bournemouth, Christchurch and Poole (combined)",
        "April 2019: Dorset (835), Poole (836) and Bournemouth (837) replaced by Dorset (838) "
        "and Bournemouth, Christchurch and Poole (839); Christchurch moved from Dorset to BCP, "
        "so neither successor continues a predecessor.",
    ),
    Reorganisation(
        ("928",), ("940", "941"), 2022, 2021,
        "Northamptonshire (North + West combined)",
        "April 2021: Northamptonshire (928) split into North Northamptonshire (940) and "
        "West Northamptonshire (941).",
    ),
    Reorganisation(
        ("909",), ("942", "943"), 2024, 2023,
        "Cumbria (Cumberland + Westmorland and Furness combined)",
        "April 2023: Cumbria (909) split into Cumberland (942) and Westmorland and Furness (943); "
        "Westmorland and Furness sits in the North West region like Cumbria.",
    ),
)


def reorganisation_of(la_code: str) -> Reorganisation | None:
    for r in REORGANISATIONS:
        if la_code in r.predecessors or la_code in r.successors:
            return r
    return None


def series_status(la_code: str) -> str:
    """'continuing', 'abolished' (predecessor) or 'new' (successor)."""
    r = reorganisation_of(la_code)
    if r is None:
        return "continuing"
    return "abolished" if la_code in r.predecessors else "new"


def aggregate_successors(frame: pd.DataFrame, value_cols: list[str] | None = None) -> pd.DataFrame:
    """Add a continuous series for each reorganised footprint.

    For each reorganisation, rows for its predecessors and successors are
    summed by every other key into a new pseudo-LA whose ``la_code`` joins the
    member codes with ``+`` (e.g. ``"928+940+941"``)
    and whose ``la_name`` names the combined footprint.  The original rows are
    kept; the combined rows are appended with ``combined=True``.  A year where
    only some members report is left out of the combined series (rather than
    understated) and the sum uses ``min_count`` so missing stays missing.
    """
    if value_cols is None:
        value_cols = ["value"]
    keys = [c for c in frame.columns if c not in {*value_cols, "la_code", "la_name", "combined"}]
    out = [frame.assign(combined=False) if "combined" not in frame else frame]
    for r in REORGANISATIONS:
        members = set(r.predecessors) | set(r.successors)
        part = frame[frame["la_code"].isin(members)]
        if part.empty:
            continue
        year_col = "year" if "year" in part else None
        if year_col:
            # a year counts only if all predecessors, or all successors, report it
            pre, suc = set(r.predecessors), set(r.successors)
            ok_years = [y for y, g in part.groupby(year_col)
                        if pre <= set(g["la_code"]) or suc <= set(g["la_code"])]
            part = part[part[year_col].isin(ok_years)]
        agg = part.groupby(keys, dropna=False, observed=True)[value_cols].sum(min_count=1).reset_index()
        agg = agg.assign(la_code=r.combined_code, la_name=r.name, combined=True)
        out.append(agg)
    return pd.concat(out, ignore_index=True)
