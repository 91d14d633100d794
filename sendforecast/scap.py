"""The specialist-place table in the layout of the DfE School Capacity (SCAP) survey.

Since 2023 the SCAP survey asks every LA for the capacity of its specialist provision and
for a forecast of the number of resident pupils with an EHC plan who need a place in
specialist provision.  Sources (the terms below are theirs):

* DfE, "Forecasting demand for SEND provision for SCAP: guidance for local authorities"
  (2026): forecasts of demand for *specialist school and alternative provision places for
  pupils with EHCPs*,
  https://www.gov.uk/government/publications/forecasting-demand-for-send-provision-for-scap-guidance-for-local-authorities
* DfE, "School capacity survey: guide for local authorities",
  https://www.gov.uk/guidance/school-capacity-survey-guide-for-local-authorities
* DfE, School capacity methodology (explore-education-statistics): the *forecast number of
  pupils with an Education Health and Care Plan who need a place in specialist provision*,
  *five academic years ahead for primary and seven academic years ahead for secondary*;
  actual numbers from the January census "closest to the middle of the academic year",
  https://explore-education-statistics.service.gov.uk/methodology/school-capacity
* DfE, School capacity 2023/24 (official statistics in development): capacity is that of
  *special schools plus SEN units and resourced provision in mainstream schools*, including
  *post-16 capacity in secondary specialist provision*; it *does not include independent or
  alternative provision*,
  https://explore-education-statistics.service.gov.uk/find-statistics/school-capacity/2023-24

:func:`scap_table` returns one row per academic year x phase x provision type:

``academic_year`` (``2025/26``), ``census_january`` (2026), ``years_ahead`` (1 = the first
academic year after the base census), ``phase`` (Primary = Reception-Year 6, ages 4-10;
Secondary = Years 7-11, ages 11-15; Post-16 = Years 12-14, ages 16-18; Total = all three,
summed draw by draw), ``provision_type`` (SCAP's types: state-funded special school, SEN
unit or resourced provision, independent or non-maintained special school, alternative
provision), ``in_scap_horizon`` (within the years SCAP collects: 5 for primary, 7 for
secondary, post-16 and the total), then *places needed* - the forecast number of pupils
with an EHC plan needing a place of that type, unconstrained by capacity - as ``mean, p10,
p90, p2_5, p97_5`` (quantiles of per-draw sums), ``places_available`` (commissioned places
from the LA's capacity file, for the types SCAP counts capacity of; blank when not given or
not collected) and ``spare_places`` (places available minus mean places needed; negative =
shortfall).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sendforecast.data.taxonomy import phases_of_ages
from sendforecast.intervals import summarise

__all__ = ["SCAP_COLUMNS", "SCAP_PROVISION", "SCAP_PHASES", "scap_table", "academic_year"]

#: SCAP provision types, by placement group.
SCAP_PROVISION = {
    "state_special": "State-funded special school",
    "resourced_provision": "SEN unit or resourced provision",
    "independent_special": "Independent or non-maintained special school",
    "ap_pru": "Alternative provision",
}
#: Types whose capacity SCAP collects (not independent or alternative provision).
CAPACITY_COLLECTED = {"state_special", "resourced_provision"}
#: SCAP phase labels and how many academic years ahead SCAP collects for each.
SCAP_PHASES = {"primary": ("Primary", 5), "secondary": ("Secondary", 7),
               "post16": ("Post-16", 7)}
TOTAL = ("Total", 7)
SCAP_COLUMNS = ["academic_year", "census_january", "years_ahead", "phase", "provision_type",
                "in_scap_horizon", "mean", "p10", "p90", "p2_5", "p97_5", "places_available",
                "spare_places"]


def academic_year(january: int) -> str:
    """The academic year holding a January census: 2026 -> ``"2025/26"``."""
    return f"{january - 1}/{str(january)[-2:]}"


def scap_table(projection, capacity=None) -> pd.DataFrame:
    """The SCAP specialist-provision forecast of a cohort projection (SEN2 mode states).

    ``projection`` is a :class:`~sendforecast.models.cohort.CohortProjection` (its draws,
    ages, states, years, base_year and age_offset are read); ``capacity`` an optional
    :class:`~sendforecast.sufficiency.Capacity` (per-phase places fill the phase rows; places
    for ``all`` phases fill the Total row).
    """
    draws = np.asarray(projection.draws)
    states = [s.split(":")[0] for s in projection.states]
    offset = getattr(projection, "age_offset", 0)
    phase = phases_of_ages(projection.ages, offset)
    years = [int(y) for y in projection.years]
    base = int(projection.base_year)
    rows = []
    for group, label in SCAP_PROVISION.items():
        ks = [k for k, s in enumerate(states) if s == group]
        if not ks:
            continue
        per_phase = {}
        for ph in SCAP_PHASES:
            sel = phase == ph
            if sel.any():
                per_phase[ph] = draws[:, :, sel][..., ks].sum(axis=(2, 3))
        if not per_phase:
            continue
        per_phase["total"] = sum(per_phase.values())
        for ph, agg in per_phase.items():
            name, horizon = SCAP_PHASES.get(ph, TOTAL)
            stats = summarise(agg.astype(float))
            places = _places(capacity, group, ph, years)
            for i, y in enumerate(years):
                avail = places[i]
                rows.append({"academic_year": academic_year(y), "census_january": y,
                             "years_ahead": y - base, "phase": name, "provision_type": label,
                             "in_scap_horizon": y - base <= horizon,
                             **{k: float(stats[k][i]) for k in ("mean", "p10", "p90", "p2_5",
                                                                "p97_5")},
                             "places_available": avail,
                             "spare_places": avail - float(stats["mean"][i])})
    return pd.DataFrame(rows, columns=SCAP_COLUMNS)


def _places(capacity, group: str, phase: str, years: list[int]) -> np.ndarray:
    """Commissioned places of (group, SCAP phase) per January (NaN when not known)."""
    nan = np.full(len(years), np.nan)
    if capacity is None or group not in CAPACITY_COLLECTED or group not in capacity.provisions:
        return nan
    phases = capacity.phases(group)
    if phase == "total":
        if "all" in phases:
            return capacity.places(group, "all", years)
        parts = [capacity.places(group, p, years) for p in SCAP_PHASES if p in phases]
        return np.sum(parts, axis=0) if parts and len(parts) == len(phases) else nan
    return capacity.places(group, phase, years) if phase in phases else nan
