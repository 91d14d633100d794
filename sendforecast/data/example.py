"""Seeded generator of the synthetic example local authority "Exampleshire".

Exampleshire (old LA code ``999``, ONS code ``E06009999``, South East) is a
*synthetic* mid-sized English county.  Its files have exactly the shape of the
DfE "Education, health and care plans" (SEN2) reporting-year 2025 release
files (same columns in the same order, same ``time_period``,
``time_identifier``, ``geographic_level``, ``breakdown_topic`` and
``breakdown`` spellings, UTF-8 with BOM, ``x`` for unavailable cells), so
every reader, model and notebook of the library can run offline on it.  No
real row is copied: the real files were used only to learn the shape, the
conventions and plausible magnitudes.  The shipped copy lives in
:data:`EXAMPLE_DIR` and is reproduced exactly by ``generate_example()`` with
the default seed (``python -m sendforecast.data.example`` rewrites it).

Files (stems are the keys of :func:`generate_example`; the real file each
mirrors is in brackets)

* ``exampleshire_caseload`` (``caseload.csv``): January censuses 2019-2024
  (``201819`` … ``202324``, "Academic year"); "All EHC plans" and "Child or
  young persons age" (``under 3``, ``age 3`` … ``age 25``) for every year.
* ``exampleshire_newplans`` (``newplans.csv``): calendar years 2019-2023;
  "New EHC plans" and "Age when plan started" (``age 2 and under``,
  ``age 3`` … ``age 19``, ``age 20 and over``) for every year.
* ``exampleshire_ceased_plans`` (``ceased_plans.csv``): 2022 and 2023; "All
  ceased EHC plans", "Age plan ceased" and "Type of placement" (the real
  labels, including the ``… - total`` rows) with the reasons columns.
* ``exampleshire_requests``, ``exampleshire_assessments``,
  ``exampleshire_timeliness_20_week`` (``requests.csv``, ``assessments.csv``,
  ``timeliness_20_week.csv``): 2019-2023 "All …" rows, and rows by age for
  2023 (as in the real release, where flows by age start in 2023).

The real release's years outside the files above (e.g. the 2024 flows and
January 2025 caseload, withheld in ``shared/data``) are not generated.

Conventions copied from the real 2025 release (shape of the real SEN2 2025 release)

* Counts are written as integers, percentages as ``count / total * 100``
  rounded half-up to 1 dp and written without a trailing ``.0`` (``41``,
  ``39.9``); a percentage of a zero total is ``x``.
* ``x`` (unavailable) marks exactly the cells the real release marks ``x`` for
  *every* local authority in that year (the structural gaps of the pre-2023
  aggregate collection, see ``_caseload_convention`` etc.).  The real LA rows
  use no ``z``, ``c`` or ``low``, so neither does the example.
* Subtotals are the sums of their detailed columns: ``mainstream_total`` = the
  10 ``mainstream_*`` columns, ``special_total`` = 4 ``special_*``,
  ``ap_pru_total`` = 3 ``ap_pru_*``, ``fe_total`` = general FE + specialist
  post-16 + UKRLP, ``ed_elsewhere`` = elective home education + other
  arrangements (LA, parents) + online/Welsh/other schools + ``neet`` +
  ``neet_ntci`` + ``neet_other`` + ``neet_other_csa`` (``neet`` and the three
  ``neet_*`` columns are disjoint) and, as in the real data, **including**
  ``other_placement_settings`` only in caseload 2023/24 and new plans 2022-23;
  in caseload 2018/19-2022/23 and new plans 2019-21 ``other_placement_settings``
  sits outside ``ed_elsewhere``.  ``ehcplans`` / ``new_ehc_plans`` = the five
  subtotals + ``nm_early_years`` + ``placement_unknown`` + ``await_prov_2022`` +
  ``perm_ex_2022`` (+ ``other_placement_settings`` when outside
  ``ed_elsewhere``).
* Categories the pre-2023 collection did not have are ``x`` and their plans
  are counted where that collection counted them: UKRLP providers in general
  FE, ``neet_ntci`` and ``neet_other`` in ``neet``, compulsory-school-age NEET
  and "placement not recorded" in ``await_prov_2022`` (one in ten of the
  former, rounded down, in ``perm_ex_2022``), elective home education in
  2018/19 in "other arrangements by parents".  In new plans
  2019-21 the NEET columns (and EHE in 2019) are ``x`` but still counted in
  ``ed_elsewhere`` (as in the real file, where ``ed_elsewhere`` exceeds its
  visible parts), so readers must not rebuild subtotals from parts.
* Requests: decided to assess + not to assess + decision not made + withdrawn
  = requests (pre-2023 only received, youth-accommodation and "not to assess"
  are published).  Assessments: issued + not issued + not made + withdrawn =
  assessments (2019-21 only issued and not issued are published).  Timeliness:
  within 20 weeks + 20-52 weeks + over 52 weeks = plans issued, both including
  and excluding exceptions (pre-2023 only the 20-week split is published).
  Ceased: the ten reasons sum to ``total_ceased``.
* Breakdown rows whose headline count is zero are left out (the real release
  omits them); "All" rows are always present.  Rows are in natural age order.

Generative process (one calendar year at a time, all draws from
``numpy.random.default_rng(seed)``, all counts non-negative integers)

1. *Initial stock* (January 2019): ``INITIAL_STOCK`` plans, multinomial over
   single years of age 0-25 (``AGE_PROFILE``) x placement (phase mix
   ``STOCK_MIX`` split into detailed columns by ``_detail_split``).
2. *Requests* in year t: Poisson(``REQUESTS_2019 * REQUESTS_GROWTH**(t-2019)``)
   spread over ages 0-24 by ``START_AGE_WEIGHTS``; outcomes multinomial with
   ``P_REQUEST`` (assess / not assess / not made / withdrawn).  Decided-to-assess
   requests are assessed in the same year; outcomes multinomial with
   ``P_ASSESSMENT`` (issued / not issued / not made / withdrawn).
3. *New plans* = assessments issued (by age at request = age when plan started);
   placement multinomial by age from ``NEW_MIX`` (mostly mainstream, early years
   under 5, FE at 16+).  Timeliness splits the issued plans into exceptions
   (``P_EXCEPTION``) and 20-week / 20-52 week / over-52-week bands
   (``P_WITHIN_20_WEEKS`` by year).  Plans issued = new plans.
4. *Ceasing*: each plan in the January stock at age a ceases in the year with
   probability ``CEASE_HAZARD[a]`` (1 at 25); the reason is multinomial by age
   (``_reason_probs``: transfers and moves at school age; needs met, higher
   education, employment, no longer engaging at 16+; maximum age at 24-25).
   Age when the plan ceased is a or a + 1 (equally likely).
5. *Age-on and moves*: survivors are one year older next January.  A survivor
   in placement group g at its new age re-draws its placement with probability
   and destination mix ``_move_rule``: 12 % a year of primary and 8 % of
   secondary mainstream plans move (mostly to special, some to RP/units, AP,
   elsewhere), other placements 1-3 %, and large moves at phase transfer:
   early years -> school at 4-5, Year 7 (age 11: 28 % of mainstream), post-16
   (age 16: 80 % of
   mainstream, 30 % of special), post-19 (school placements end); school
   type (LA maintained -> academy) is re-drawn at 11.  Independent special
   destinations grow by ``INDEPENDENT_TREND`` a year (capacity pressure);
   UKRLP's share of FE grows from 5 %.
6. *Joiners*: the year's new plans join next January's stock at their start
   age or one year older (probability ``P_JOIN_OLDER``); plans transferred in
   from other LAs (not new plans in SEN2) arrive as Poisson(``TRANSFER_IN_RATE``
   x stock) spread like the stock.  Hence stock(t+1) = stock(t) + new(t) -
   ceased(t) + transfers in(t), with transfers in about 1 % of the stock.

Where the magnitudes come from

* Stock ~4,000 in January 2019 growing ~8-10 % a year (seed 2025: 4,000 ->
  6,408, +7 to +12 % a year), requests ~900 -> ~1,500,
  ~75 % decided to assess, ~90 % of assessments issued: the project brief for a
  mid-sized county, checked against the shape of the real SEN2 2025 release
  (mid-sized county LAs; England 2023: 67 % assess, 94 % issued) and
  ``shared/reference/facts.md`` (one county's 924-940 requests in 2020, 63-74 %
  agreed to assess; 20-week timeliness 74.4 % in 2020).
* Age profile (peak at 10-15, falling after 16, tail to 25), start ages
  (peaks at 4-5 and 10-11), the placement mix by phase (seed 2025, 2019 ->
  2024: mainstream incl. RP/units 42 -> 43 %, special 36 -> 32 % with
  independent/non-maintained 8-9 %, FE 15 % at 16-25, early years under 6,
  educated elsewhere 4 -> 7 %; South East 2019 -> 2024: 38 -> 42, 39 -> 34,
  17 -> 15, 3 -> 8 %), ceasing
  rates by age (~2 % a year at school age, most over 18) and reasons, request
  and 20-week timeliness rates: shape of the real SEN2 2025 release (regional
  and national aggregates, rounded and simplified by hand).
* Rates of moving into specialist placements at phase transfer (Year 6/7 and
  post-16 peaks): ``shared/domain/SEND-primer.md`` and facts.md (one county's
  mainstream -> special movers rising 84 -> 139 a year).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .taxonomy import phase_of_age

EXAMPLE_DIR = Path(__file__).resolve().parent / "example"
EXAMPLE_LA_CODE = "999"
DEFAULT_SEED = 2025

#: Geography columns of every Exampleshire row.
GEOGRAPHY = {
    "geographic_level": "Local authority",
    "country_code": "E92000001",
    "country_name": "England",
    "region_code": "E12000008",
    "region_name": "South East",
    "new_la_code": "E06009999",
    "old_la_code": EXAMPLE_LA_CODE,
    "la_name": "Exampleshire",
}

FLOW_YEARS = (2019, 2020, 2021, 2022, 2023)  # calendar years of flows
CENSUS_YEARS = (2019, 2020, 2021, 2022, 2023, 2024)  # January censuses
CEASED_YEARS = (2022, 2023)
BY_AGE_FLOW_YEARS = (2023,)  # requests/assessments/timeliness by age
MAX_AGE = 25

# ----------------------------------------------------------------------------- columns
_ID_COLUMNS = ["time_period", "time_identifier", "geographic_level", "country_code",
               "country_name", "region_code", "region_name", "new_la_code", "old_la_code",
               "la_name", "breakdown_topic", "breakdown"]
MAINSTREAM = ["mainstream_la_maintained", "mainstream_la_maintained_resourced_provision",
              "mainstream_la_maintained_senunit", "mainstream_academy",
              "mainstream_academy_resourced_provision", "mainstream_academy_senunit",
              "mainstream_free_school", "mainstream_free_school_resourced_provision",
              "mainstream_free_school_senunit", "mainstream_independent"]
SPECIAL = ["special_la_maintained", "special_academy_free", "special_independent",
           "special_non_maintained"]
AP_PRU = ["ap_pru_academy", "ap_pru_free_school", "ap_pru_la_maintained"]
FE = ["general_fe_tertiary_colleges", "specialist_post_16_institutions", "ukrlp_provider"]
ELSEWHERE = ["elective_home_education", "other_arrangements_la", "other_arrangements_parents",
             "online_provider", "w_settings", "other_schools", "other_placement_settings",
             "neet", "neet_ntci", "neet_other", "neet_other_csa"]
_PLACEMENT_MEASURES = (
    MAINSTREAM + ["mainstream_total", "mainstream_total_pc"]
    + SPECIAL + ["special_total", "special_total_pc"]
    + AP_PRU + ["ap_pru_total", "AP_PRU_total_pc"]
    + FE + ["fe_total", "fe_total_pc"]
    + ELSEWHERE + ["ed_elsewhere", "ed_elsewhere_pc", "nm_early_years", "nm_early_years_pc",
                   "placement_unknown", "placement_unknown_pc", "await_prov_2022", "perm_ex_2022"]
)
CASELOAD_COLUMNS = _ID_COLUMNS + ["ehcplans"] + _PLACEMENT_MEASURES
NEWPLANS_COLUMNS = _ID_COLUMNS + ["new_ehc_plans"] + _PLACEMENT_MEASURES
CEASED_REASONS = ["max_age", "needs_met", "he", "employ", "transfer", "no_engage",
                  "moved_outside_eng", "deceased", "not_rec", "other"]
CEASED_COLUMNS = _ID_COLUMNS + CEASED_REASONS + ["total_ceased"]
REQUESTS_COLUMNS = _ID_COLUMNS + [
    "requests_received_in_year", "requests_rya", "requests_decided_to_assess",
    "requests_decided_not_to_assess", "requests_decision_not_made", "requests_withdrawn",
    "request_assess_pc", "request_not_assess_pc", "request_outstanding_pc",
    "request_withdrawn_pc", "request_outcome_six_weeks", "request_outcome_over_6_weeks",
    "request_outcome_six_weeks_pc", "request_outcome_over_6_weeks_pc",
    "mediation_related_request", "tribunal_related_request", "tribunal_after_mediation_request"]
ASSESSMENTS_COLUMNS = _ID_COLUMNS + [
    "assess_in_year", "assess_issued", "assess_issued_pc", "assess_not_issued",
    "assess_not_issued_pc", "assess_not_made", "assess_not_made_pc", "assess_withdrawn",
    "assess_withdrawn_pc", "outcome_decision_within_time", "outcome_decision_over_time",
    "outcome_decision_within_time_pc", "outcome_decision_over_time_pc",
    "number_assess_mediation", "number_assess_tribunal", "number_asssess_mediation_tribunal",
    "number_other_mediation", "number_other_tribunal", "number_other_mediation_tribunal"]
TIMELINESS_COLUMNS = _ID_COLUMNS + [
    "plans_issued_den", "plans_issued_den_ex", "plans_issued_within_20_weeks",
    "plans_issued_20_weeks_ex", "pc_plans_issued_within_20_weeks", "PC_plans_issued_20_weeks_ex",
    "plans_issued_gt20weeks_ltYear", "plans_issued_gt20weeks_ltYear_ex",
    "pc_plans_issued_gt20weeks_ltYear", "PC_plans_issued_gt20weeks_ltYear_ex",
    "plans_issued_gt_1_year", "plans_issued_gt_1_year_ex", "pc_plans_issued_gt_1_year",
    "PC_plans_issued_gt_1_year_ex"]

#: File stem -> column list (the real release file's header).
FILE_COLUMNS: dict[str, list[str]] = {
    "exampleshire_caseload": CASELOAD_COLUMNS,
    "exampleshire_newplans": NEWPLANS_COLUMNS,
    "exampleshire_ceased_plans": CEASED_COLUMNS,
    "exampleshire_requests": REQUESTS_COLUMNS,
    "exampleshire_assessments": ASSESSMENTS_COLUMNS,
    "exampleshire_timeliness_20_week": TIMELINESS_COLUMNS,
}
#: File stem -> name of the real release file it mirrors.
REAL_FILE_NAMES = {
    "exampleshire_caseload": "caseload.csv", "exampleshire_newplans": "newplans.csv",
    "exampleshire_ceased_plans": "ceased_plans.csv", "exampleshire_requests": "requests.csv",
    "exampleshire_assessments": "assessments.csv",
    "exampleshire_timeliness_20_week": "timeliness_20_week.csv",
}

# ----------------------------------------------------------------------------- model placements
_NEVER_USED = ("online_provider", "w_settings", "other_schools")  # `x` in every real year
#: Detailed placements simulated (the 2023/24 categories; the three above are always `x`).
PLACEMENTS: list[str] = ([c for c in MAINSTREAM + SPECIAL + AP_PRU + FE + ELSEWHERE
                          if c not in _NEVER_USED] + ["nm_early_years", "placement_unknown"])
_P = {c: i for i, c in enumerate(PLACEMENTS)}
GROUPS = ["MAIN", "RP", "SS", "IS", "AP", "FE", "SP16", "EE", "EY", "UNK"]
_GROUP_OF: dict[str, str] = {}
for _c in MAINSTREAM:
    _GROUP_OF[_c] = "RP" if _c.endswith(("_resourced_provision", "_senunit")) else "MAIN"
_GROUP_OF.update({"special_la_maintained": "SS", "special_academy_free": "SS",
                  "special_independent": "IS", "special_non_maintained": "IS",
                  "general_fe_tertiary_colleges": "FE", "ukrlp_provider": "FE",
                  "specialist_post_16_institutions": "SP16", "nm_early_years": "EY",
                  "placement_unknown": "UNK"})
_GROUP_OF.update({c: "AP" for c in AP_PRU})
_GROUP_OF.update({c: "EE" for c in ELSEWHERE if c not in _NEVER_USED})
_GROUP_IDX = {g: np.array([_P[c] for c in PLACEMENTS if _GROUP_OF[c] == g]) for g in GROUPS}

# ----------------------------------------------------------------------------- parameters
INITIAL_STOCK = 4000  # plans in January 2019 (brief: ~4,000; cf. mid-sized counties, real SEN2)
REQUESTS_2019 = 900  # mean requests in 2019 (brief; facts.md: one county 924-940 in 2020)
REQUESTS_GROWTH = 1.136  # a year -> ~1,500 in 2023 (brief; real SEN2 2025: England +68 % 2019-23)
#: request outcomes: decided to assess, not to assess, decision not made, withdrawn
P_REQUEST = (0.75, 0.19, 0.05, 0.01)  # brief ~75 %; England 2023 67/24/7/1.5 (real SEN2)
#: assessment outcomes: plan issued, not issued, not made (outstanding), withdrawn
P_ASSESSMENT = (0.905, 0.075, 0.012, 0.008)  # brief ~90 %; England 2023 94.4/5.1/0.1/0.4
P_DECISION_WITHIN_6_WEEKS = 0.86  # England 2023: 84.8 % (real SEN2)
P_EXCEPTION = 0.06  # plans with exceptions to the 20-week limit; England 2019-23: 5-8 %
#: share of plans (without exceptions) issued within 20 weeks, by year. England 2019-23:
#: 60, 58, 60, 49, 50 % (real SEN2); facts.md: one county 74.4 % in 2020.
P_WITHIN_20_WEEKS = {2019: 0.62, 2020: 0.66, 2021: 0.60, 2022: 0.52, 2023: 0.49}
P_OVER_52_WEEKS = 0.09  # of plans later than 20 weeks; England 2023: 4,118 / 40,522
P_JOIN_OLDER = 0.35  # new plans one year older than their start age at the next census
TRANSFER_IN_RATE = 0.011  # plans transferred in a year / stock (~transfers out; real SEN2 ceased)
INDEPENDENT_TREND = 0.08  # yearly growth of independent special destinations (primer: capacity)
UKRLP_SHARE = (0.05, 0.015)  # UKRLP share of FE placements in 2019, yearly increase (real SEN2)

#: Relative stock by single year of age in January 2019 (shape of the real SEN2 2025 release).
AGE_PROFILE = np.array([0.02, 0.03, 0.05, 0.7, 3.3, 4.1, 4.6, 5.2, 5.6, 6.0, 6.8, 7.6, 7.6,
                        7.5, 7.2, 6.9, 6.4, 5.7, 4.8, 3.6, 2.6, 1.8, 1.2, 0.8, 0.4, 0.1])
#: Relative requests/new plans by age at request/start 0-24 (real SEN2 2025: new plans 2023).
START_AGE_WEIGHTS = np.array([0.05, 0.1, 0.15, 2.0, 16.0, 12.5, 7.0, 7.2, 6.3, 6.5, 8.2, 9.3,
                              5.5, 4.4, 4.5, 4.0, 3.0, 1.4, 0.6, 0.25, 0.1, 0.08, 0.06, 0.04,
                              0.02])
#: Yearly probability that a plan at census age a ceases (real SEN2 2025: ceased 2023 by age /
#: caseload by age; school age ~2 %, most ceasing at 18+, all by 25).
CEASE_HAZARD = np.array([0.03, 0.03, 0.03, 0.03] + [0.026] * 12
                        + [0.07, 0.15, 0.26, 0.34, 0.36, 0.38, 0.42, 0.47, 0.60, 1.0])

# group mixes by phase (percent; rows normalised).  Phase of a census / start age:
_PHASES = ("early", "nursery", "reception", "primary", "secondary", "post16", "post19")


def _phase(age: int) -> str:
    """The library's phases, with the early years split finer (mixes differ a lot there)."""
    if age <= 4:
        return "early" if age <= 2 else ("nursery" if age == 3 else "reception")
    phase = phase_of_age(age)
    return "post19" if phase == "19-25" else phase


#: Stock placement-group mix by phase, January 2019 (real SEN2 2025, South East/England 2023/24
#: by age, shifted towards special as in earlier years).
STOCK_MIX: dict[str, dict[str, float]] = {
    "early": {"MAIN": 4, "SS": 20, "EE": 15, "EY": 59, "UNK": 2},
    "nursery": {"MAIN": 19, "RP": 0.5, "SS": 11, "IS": 0.5, "EE": 3, "EY": 65, "UNK": 1},
    "reception": {"MAIN": 56, "RP": 5, "SS": 28, "IS": 1, "EE": 1.5, "EY": 7.5, "UNK": 1},
    "primary": {"MAIN": 56, "RP": 7, "SS": 29, "IS": 5.5, "AP": 0.2, "EE": 1.8, "UNK": 0.5},
    "secondary": {"MAIN": 39.5, "RP": 5, "SS": 35, "IS": 16, "AP": 1.0, "EE": 2.7, "FE": 0.2,
                  "UNK": 0.6},
    "post16": {"MAIN": 11, "RP": 1, "SS": 24, "IS": 7, "AP": 0.5, "FE": 42, "SP16": 3, "EE": 8,
               "UNK": 1.5},
    "post19": {"MAIN": 2, "SS": 6, "IS": 4, "FE": 61, "SP16": 11, "EE": 14, "UNK": 2},
}
#: New-plan placement-group mix by start age (real SEN2 2025: new plans 2023 by age).
NEW_MIX: dict[str, dict[str, float]] = {
    "early": {"MAIN": 5, "SS": 20, "EE": 15, "EY": 55, "UNK": 5},
    "nursery": {"MAIN": 21, "RP": 0.5, "SS": 12.5, "EE": 5, "EY": 60, "UNK": 1},
    "reception": {"MAIN": 60, "RP": 3, "SS": 20.5, "IS": 0.6, "EE": 1.6, "EY": 13.5, "UNK": 0.8},
    "primary": {"MAIN": 77, "RP": 4, "SS": 11, "IS": 3, "AP": 0.5, "EE": 3, "UNK": 1},
    "secondary": {"MAIN": 63, "RP": 1.2, "SS": 12, "IS": 11, "AP": 3.5, "EE": 8, "FE": 0.3,
                  "UNK": 0.5},
    "post16": {"MAIN": 24, "SS": 4, "IS": 3, "AP": 1.5, "FE": 42, "SP16": 3, "EE": 21,
               "UNK": 1.5},
    "post19": {"FE": 55, "SP16": 10, "EE": 33, "UNK": 2},
}

# destination mixes for movers (placement groups, relative weights)
_TO_SPECIALIST = {"SS": 53, "IS": 18, "RP": 17, "AP": 4, "EE": 8}
_TO_SCHOOL = {"MAIN": 62, "RP": 5, "SS": 28, "IS": 1, "EE": 2, "UNK": 2}
_TO_POST16 = {"FE": 82, "SP16": 4, "EE": 10, "AP": 1, "UNK": 3}
_TO_POST16_SPECIAL = {"FE": 55, "SP16": 22, "EE": 19, "UNK": 4}
_TO_POST19 = {"FE": 66, "SP16": 16, "EE": 15, "UNK": 3}
_TO_POST19_SPECIAL = {"FE": 45, "SP16": 30, "EE": 22, "UNK": 3}
_BACK_TO_FE = {"FE": 80, "SP16": 10, "UNK": 10}
_FE_DROP_OUT = {"EE": 65, "SP16": 25, "UNK": 10}


def _move_rule(age: int, group: str) -> tuple[float, dict[str, float]]:
    """(probability of re-drawing the placement, destination group mix) for a plan that is
    in ``group`` on reaching census ``age``."""
    school = group in ("MAIN", "RP", "AP")
    if group == "EY":
        if age <= 3:
            return 0.05, {"MAIN": 40, "SS": 50, "EE": 10}
        return (0.6 if age == 4 else 0.9 if age == 5 else 1.0), _TO_SCHOOL
    if age <= 4:
        if group in ("EE", "UNK"):
            return 0.3, {"EY": 50, "MAIN": 30, "SS": 20}
        return 0.05, {"MAIN": 50, "SS": 40, "RP": 10}
    if age <= 10:
        return {
            "MAIN": (0.12, _TO_SPECIALIST),
            "RP": (0.04, {"SS": 60, "IS": 15, "MAIN": 15, "EE": 10}),
            "SS": (0.015, {"IS": 50, "MAIN": 25, "RP": 10, "EE": 15}),
            "IS": (0.02, {"SS": 70, "MAIN": 20, "EE": 10}),
            "AP": (0.3, {"MAIN": 50, "SS": 30, "IS": 10, "EE": 10}),
            "EE": (0.2, {"MAIN": 45, "SS": 30, "IS": 10, "AP": 15}),
            "UNK": (0.5, {"MAIN": 60, "SS": 30, "IS": 5, "EE": 5}),
        }.get(group, (0.0, {}))
    if age <= 15:
        y7 = age == 11
        return {
            "MAIN": (0.28 if y7 else 0.08,
                     {"SS": 45, "IS": 25, "RP": 12, "AP": 5, "EE": 13} if y7
                     else {"SS": 30, "IS": 28, "AP": 17, "EE": 25}),
            "RP": (0.25 if y7 else 0.04, {"MAIN": 40, "SS": 35, "IS": 15, "EE": 10} if y7
                   else {"SS": 40, "IS": 30, "AP": 10, "EE": 20}),
            "SS": (0.05 if y7 else 0.02, {"IS": 60, "AP": 10, "EE": 30}),
            "IS": (0.05 if y7 else 0.03, {"SS": 50, "AP": 10, "EE": 40}),
            "AP": (0.25, {"MAIN": 20, "SS": 30, "IS": 30, "EE": 20}),
            "EE": (0.15, {"MAIN": 30, "SS": 25, "IS": 25, "AP": 20}),
            "UNK": (0.5, {"MAIN": 50, "SS": 30, "IS": 10, "EE": 10}),
        }.get(group, (0.0, {}))
    if age == 16:
        return {
            "MAIN": (0.8, _TO_POST16), "RP": (0.8, _TO_POST16),
            "SS": (0.3, _TO_POST16_SPECIAL), "IS": (0.3, _TO_POST16_SPECIAL),
            "AP": (0.9, {"FE": 60, "EE": 35, "UNK": 5}),
            "EE": (0.3, _BACK_TO_FE), "UNK": (0.5, {"FE": 70, "EE": 30}),
            "FE": (0.05, _FE_DROP_OUT),
        }.get(group, (0.0, {}))
    if age <= 18:
        return {
            "MAIN": (0.3, {"FE": 65, "EE": 30, "UNK": 5}), "RP": (0.3, {"FE": 65, "EE": 35}),
            "SS": (0.06, _TO_POST16_SPECIAL), "IS": (0.06, _TO_POST16_SPECIAL),
            "AP": (0.6, {"FE": 60, "EE": 40}), "FE": (0.05, _FE_DROP_OUT),
            "SP16": (0.05, {"FE": 50, "EE": 50}), "EE": (0.25, _BACK_TO_FE),
            "UNK": (0.5, {"FE": 60, "EE": 40}),
        }.get(group, (0.0, {}))
    if school:  # school placements end at 19
        return 1.0, _TO_POST19
    return {
        "SS": (0.88 if age == 19 else 0.5, _TO_POST19_SPECIAL),
        "IS": (0.88 if age == 19 else 0.5, _TO_POST19_SPECIAL),
        "FE": (0.06, _FE_DROP_OUT), "SP16": (0.05, {"FE": 50, "EE": 50}),
        "EE": (0.22, _BACK_TO_FE), "UNK": (0.4, {"FE": 60, "EE": 40}),
    }.get(group, (0.0, {}))


#: Ages at which plans staying in a group re-draw their detailed placement (school type
#: changes at Year 7; the kind of "educated elsewhere" changes at 5 and 16).
_REDRAW_DETAIL = {("MAIN", 11), ("RP", 11), ("SS", 11), ("EE", 5), ("EE", 16)}


def _detail_split(group: str, age: int, year: int) -> dict[str, float]:
    """Detailed placement mix within a placement group (real SEN2 2025 shape)."""
    if group == "MAIN":
        if age <= 10:
            return {"mainstream_la_maintained": 60, "mainstream_academy": 35.5,
                    "mainstream_free_school": 2.5, "mainstream_independent": 2}
        if age <= 15:
            return {"mainstream_la_maintained": 25, "mainstream_academy": 62,
                    "mainstream_free_school": 6, "mainstream_independent": 7}
        return {"mainstream_la_maintained": 22, "mainstream_academy": 55,
                "mainstream_free_school": 5, "mainstream_independent": 18}
    if group == "RP":
        return {"mainstream_la_maintained_resourced_provision": 24,
                "mainstream_la_maintained_senunit": 24,
                "mainstream_academy_resourced_provision": 22, "mainstream_academy_senunit": 26,
                "mainstream_free_school_resourced_provision": 2,
                "mainstream_free_school_senunit": 2}
    if group == "SS":
        return ({"special_la_maintained": 72, "special_academy_free": 28} if age <= 10
                else {"special_la_maintained": 60, "special_academy_free": 40})
    if group == "IS":
        return {"special_independent": 86, "special_non_maintained": 14}
    if group == "AP":
        return {"ap_pru_academy": 55, "ap_pru_free_school": 5, "ap_pru_la_maintained": 40}
    if group == "FE":
        u = UKRLP_SHARE[0] + UKRLP_SHARE[1] * (year - 2019)
        return {"general_fe_tertiary_colleges": 1 - u, "ukrlp_provider": u}
    if group == "SP16":
        return {"specialist_post_16_institutions": 1}
    if group == "EE":
        if age <= 4:
            return {"neet_other": 50, "other_arrangements_la": 35, "other_placement_settings": 15}
        if age <= 15:
            return {"elective_home_education": 45, "other_arrangements_la": 17,
                    "other_arrangements_parents": 4, "other_placement_settings": 9,
                    "neet_ntci": 4, "neet_other_csa": 21}
        return {"neet": 58, "other_arrangements_la": 17, "other_arrangements_parents": 2,
                "other_placement_settings": 10, "neet_ntci": 6, "neet_other": 7,
                "elective_home_education": 0.5}
    if group == "EY":
        return {"nm_early_years": 1}
    return {"placement_unknown": 1}


def _group_weights(mix: dict[str, float], year: int) -> np.ndarray:
    w = np.array([float(mix.get(g, 0.0)) for g in GROUPS])
    w[GROUPS.index("IS")] *= 1 + INDEPENDENT_TREND * (year - 2019)
    return w


def _placement_probs(mix: dict[str, float], age: int, year: int) -> np.ndarray:
    """Probability vector over :data:`PLACEMENTS` for a group mix at an age and year."""
    gw = _group_weights(mix, year)
    p = np.zeros(len(PLACEMENTS))
    for g, w in zip(GROUPS, gw, strict=True):
        if w <= 0:
            continue
        split = _detail_split(g, age, year)
        tot = sum(split.values())
        for c, v in split.items():
            p[_P[c]] += w * v / tot
    return p / p.sum()


def _reason_probs(age: int) -> np.ndarray:
    """Ceasing-reason probabilities (order of :data:`CEASED_REASONS`) by census age
    (real SEN2 2025: ceased plans 2023 by age and reason)."""
    if age >= MAX_AGE:
        p = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    elif age <= 3:
        p = [0, 20, 0, 0, 62, 0, 10, 5, 0, 3]
    elif age <= 15:
        p = [0, 9, 0, 0, 74, 0, 10, 3, 0, 4]
    elif age <= 17:
        p = [0, 15, 1, 7, 45, 20, 2, 3, 0, 7]
    elif age <= 19:
        p = [0, 13, 10, 13, 10, 47, 0.5, 1, 0.2, 5.3]
    elif age <= 23:
        p = [0, 13, 4, 11, 3, 55, 0.3, 0.3, 0.1, 13.3]
    else:
        p = [35, 9, 3, 8, 2, 35, 0, 0.3, 0, 7.7]
    a = np.asarray(p, dtype=float)
    return a / a.sum()


# ----------------------------------------------------------------------------- simulation
@dataclass
class _Simulation:
    stock: dict[int, np.ndarray] = field(default_factory=dict)  # census year -> (26, P)
    requests: dict[int, np.ndarray] = field(default_factory=dict)  # year -> (25, 11)
    assessments: dict[int, np.ndarray] = field(default_factory=dict)  # year -> (25, 12)
    new_plans: dict[int, np.ndarray] = field(default_factory=dict)  # year -> (25, P)
    timeliness: dict[int, np.ndarray] = field(default_factory=dict)  # year -> (25, 6)
    ceased: dict[int, np.ndarray] = field(default_factory=dict)  # year -> (27, P, 10)
    transfers_in: dict[int, int] = field(default_factory=dict)


def _normalise(p: np.ndarray) -> np.ndarray:
    return p / p.sum(axis=-1, keepdims=True)


def _apply_moves(stock: np.ndarray, year: int, rng: np.random.Generator) -> np.ndarray:
    """Placement moves of plans that have just reached their census age."""
    out = np.zeros_like(stock)
    for age in range(stock.shape[0]):
        row = stock[age]
        if not row.any():
            continue
        for g in GROUPS:
            idx = _GROUP_IDX[g]
            counts = row[idx]
            if not counts.any():
                continue
            prob, dest = _move_rule(age, g)
            movers = rng.binomial(counts, prob) if prob > 0 else np.zeros_like(counts)
            stayers = counts - movers
            if (g, age) in _REDRAW_DETAIL and stayers.any():  # new school type etc.
                out[age] += rng.multinomial(stayers.sum(), _placement_probs({g: 1.0}, age, year))
            else:
                out[age, idx] += stayers
            if movers.any():
                out[age] += rng.multinomial(movers.sum(), _placement_probs(dest, age, year))
    return out


def _simulate(seed: int) -> _Simulation:
    rng = np.random.default_rng(seed)
    sim = _Simulation()
    n_ages = MAX_AGE + 1
    n_start = START_AGE_WEIGHTS.size  # ages 0..24
    # 1. initial stock
    cell = np.array([_normalise(AGE_PROFILE)[a] * _placement_probs(STOCK_MIX[_phase(a)], a, 2019)
                     for a in range(n_ages)])
    stock = rng.multinomial(INITIAL_STOCK, cell.ravel()).reshape(n_ages, len(PLACEMENTS))
    start_p = _normalise(START_AGE_WEIGHTS)
    new_place_p = np.array([[_placement_probs(NEW_MIX[_phase(a)], a, y) for a in range(n_start)]
                            for y in FLOW_YEARS])
    reason_p = np.array([_reason_probs(a) for a in range(n_ages)])
    for k, year in enumerate(FLOW_YEARS):
        sim.stock[year] = stock
        # 2. requests and assessments
        n_req = rng.poisson(REQUESTS_2019 * REQUESTS_GROWTH ** (year - 2019))
        req_age = rng.multinomial(n_req, start_p)
        req_out = rng.multinomial(req_age, P_REQUEST)  # (25, 4)
        decided = req_out[:, 0] + req_out[:, 1]
        within6 = rng.binomial(decided, P_DECISION_WITHIN_6_WEEKS)
        mediation = rng.binomial(req_out[:, 1], 0.2)
        tribunal = rng.binomial(req_out[:, 1], 0.1)
        trib_after = rng.binomial(np.minimum(mediation, tribunal), 0.3)
        rya = rng.binomial(req_age, 0.0004)
        sim.requests[year] = np.column_stack(
            [req_age, rya, req_out, within6, decided - within6, mediation, tribunal, trib_after])
        ass_out = rng.multinomial(req_out[:, 0], P_ASSESSMENT)  # (25, 4)
        issued, not_issued = ass_out[:, 0], ass_out[:, 1]
        dec_within = rng.binomial(not_issued, 0.4)
        a_med = rng.binomial(not_issued, 0.3)
        a_trib = rng.binomial(not_issued, 0.2)
        a_med_trib = rng.binomial(np.minimum(a_med, a_trib), 0.3)
        o_med = rng.binomial(issued, 0.015)
        o_trib = rng.binomial(issued, 0.02)
        o_med_trib = rng.binomial(np.minimum(o_med, o_trib), 0.3)
        sim.assessments[year] = np.column_stack(
            [ass_out, dec_within, not_issued - dec_within, a_med, a_trib, a_med_trib, o_med,
             o_trib, o_med_trib])
        # 3. new plans and timeliness
        new = rng.multinomial(issued, new_place_p[k])  # (25, P)
        sim.new_plans[year] = new
        exc = rng.binomial(issued, P_EXCEPTION)
        p20 = P_WITHIN_20_WEEKS[year]
        band_ex = rng.multinomial(issued - exc, [p20, (1 - p20) * (1 - P_OVER_52_WEEKS),
                                                 (1 - p20) * P_OVER_52_WEEKS])
        band_exc = rng.multinomial(exc, [0.35, 0.6, 0.05])
        sim.timeliness[year] = np.column_stack([band_ex + band_exc, band_ex])  # (25, 6)
        # 4. ceasing
        ceased = rng.binomial(stock, CEASE_HAZARD[:, None])
        reasons = rng.multinomial(ceased, reason_p[:, None, :])  # (26, P, 10)
        older = rng.binomial(reasons, 0.5)
        by_cease_age = np.zeros((n_ages + 1, len(PLACEMENTS), len(CEASED_REASONS)), dtype=int)
        by_cease_age[:n_ages] += reasons - older
        by_cease_age[1:] += older
        sim.ceased[year] = by_cease_age
        # 5. age on and moves
        survivors = stock - ceased
        nxt = np.zeros_like(stock)
        nxt[1:] = survivors[:-1]
        nxt = _apply_moves(nxt, year, rng)
        # 6. joiners (start age or one older) and transfers in
        later = rng.binomial(new, P_JOIN_OLDER)
        nxt[:n_start] += new - later
        nxt[1:n_start + 1] += later
        n_in = rng.poisson(TRANSFER_IN_RATE * stock.sum())
        sim.transfers_in[year] = int(n_in)
        nxt += rng.multinomial(n_in, (nxt / nxt.sum()).ravel()).reshape(nxt.shape)
        stock = nxt
    sim.stock[CENSUS_YEARS[-1]] = stock
    return sim


# ----------------------------------------------------------------------------- formatting
def _fmt_pc(num: int, den: int) -> str:
    """Percentage rounded half-up to 1 dp, written like the release (``41``, ``39.9``)."""
    if den <= 0:
        return "x"
    tenths = (2000 * int(num) + int(den)) // (2 * int(den))
    whole, dec = divmod(tenths, 10)
    return str(whole) if dec == 0 else f"{whole}.{dec}"


@dataclass(frozen=True)
class _Convention:
    """How one file-year of the release reports placements (see the module docstring)."""

    x: frozenset[str]  # detailed columns shown as `x`
    fold: dict[str, str]  # simulated column -> column its plans are counted in
    hidden: frozenset[str] = frozenset()  # `x` columns still counted in ed_elsewhere
    ops_in_ed_elsewhere: bool = True


_MODERN_X = frozenset(_NEVER_USED) | {"await_prov_2022", "perm_ex_2022"}


def _caseload_convention(census_year: int) -> _Convention:
    if census_year >= 2024:
        return _Convention(_MODERN_X, {})
    if census_year == 2023:
        return _Convention(_MODERN_X, {}, ops_in_ed_elsewhere=False)
    x = {*_NEVER_USED, "ukrlp_provider", "neet_ntci", "neet_other", "neet_other_csa",
         "placement_unknown"}
    fold = {"ukrlp_provider": "general_fe_tertiary_colleges", "neet_ntci": "neet",
            "neet_other": "neet", "neet_other_csa": "await_prov_2022",
            "placement_unknown": "await_prov_2022"}
    if census_year == 2019:
        x.add("elective_home_education")
        fold["elective_home_education"] = "other_arrangements_parents"
    return _Convention(frozenset(x), fold, ops_in_ed_elsewhere=False)


def _newplans_convention(year: int) -> _Convention:
    if year >= 2022:
        return _Convention(_MODERN_X, {})
    hidden = {"neet", "neet_ntci", "neet_other"} | ({"elective_home_education"}
                                                    if year == 2019 else set())
    x = {*_NEVER_USED, "ukrlp_provider", "neet_other_csa", "placement_unknown"} | hidden
    fold = {"ukrlp_provider": "general_fe_tertiary_colleges",
            "neet_other_csa": "await_prov_2022", "placement_unknown": "await_prov_2022"}
    return _Convention(frozenset(x), fold, frozenset(hidden), ops_in_ed_elsewhere=False)


_PERM_EXCLUDED_ONE_IN = 10  # pre-2023: 1 in 10 compulsory-school-age NEET plans shown as excluded


def _reported_counts(counts: np.ndarray, conv: _Convention) -> dict[str, int]:
    """Detailed release columns (before subtotals) for a vector over :data:`PLACEMENTS`."""
    v = dict.fromkeys(MAINSTREAM + SPECIAL + AP_PRU + FE + ELSEWHERE
                      + ["nm_early_years", "placement_unknown", "await_prov_2022",
                         "perm_ex_2022"], 0)
    for c, n in zip(PLACEMENTS, counts, strict=True):
        v[conv.fold.get(c, c)] += int(n)
    if conv.fold.get("neet_other_csa") == "await_prov_2022":
        excluded = int(counts[_P["neet_other_csa"]]) // _PERM_EXCLUDED_ONE_IN
        v["await_prov_2022"] -= excluded
        v["perm_ex_2022"] += excluded
    return v


def _sum_counts(parts: list[dict[str, int]]) -> dict[str, int]:
    return {c: sum(p[c] for p in parts) for c in parts[0]}


def _placement_measures(v: dict[str, int], conv: _Convention, total_col: str) -> dict[str, str]:
    """Release columns (total, details, subtotals, percentages) from reported counts."""
    ee_parts = [c for c in ELSEWHERE if c != "other_placement_settings" or conv.ops_in_ed_elsewhere]
    sub = {
        "mainstream_total": sum(v[c] for c in MAINSTREAM),
        "special_total": sum(v[c] for c in SPECIAL),
        "ap_pru_total": sum(v[c] for c in AP_PRU),
        "fe_total": sum(v[c] for c in FE),
        "ed_elsewhere": sum(v[c] for c in ee_parts),
    }
    total = (sum(sub.values()) + v["nm_early_years"] + v["placement_unknown"]
             + v["await_prov_2022"] + v["perm_ex_2022"]
             + (0 if conv.ops_in_ed_elsewhere else v["other_placement_settings"]))
    if total != sum(v.values()):
        raise AssertionError("placement columns do not add up")  # pragma: no cover
    out = {total_col: str(total)}
    for c, n in v.items():
        if c in conv.x and n and c not in conv.hidden:
            raise AssertionError(f"{c} is `x` but has plans")  # pragma: no cover
        out[c] = "x" if c in conv.x else str(n)
    out.update({c: str(n) for c, n in sub.items()})
    pcs = {"mainstream_total_pc": "mainstream_total", "special_total_pc": "special_total",
           "AP_PRU_total_pc": "ap_pru_total", "fe_total_pc": "fe_total",
           "ed_elsewhere_pc": "ed_elsewhere", "nm_early_years_pc": "nm_early_years",
           "placement_unknown_pc": "placement_unknown"}
    for pc, c in pcs.items():
        out[pc] = "x" if out[c] == "x" else _fmt_pc(int(out[c]), total)
    return out


def _row(columns: Sequence[str], time_period: str, academic: bool, topic: str, breakdown: str,
         measures: dict[str, str]) -> dict[str, str]:
    row = {"time_period": time_period,
           "time_identifier": "Academic year" if academic else "Calendar year",
           **GEOGRAPHY, "breakdown_topic": topic, "breakdown": breakdown, **measures}
    assert set(row) == set(columns), set(row) ^ set(columns)
    return {c: row[c] for c in columns}


def _frame(rows: list[dict[str, str]], columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns)).astype(str)


def _band_labels(prefix: str) -> list[tuple[str, range]]:
    """(label, ages) for the start/ceasing/request age bands ``2 and under`` … ``20 and over``."""
    return ([(f"{prefix} 2 and under", range(0, 3))]
            + [(f"{prefix} {a}", range(a, a + 1)) for a in range(3, 20)]
            + [(f"{prefix} 20 and over", range(20, MAX_AGE + 2))])


def _census_labels() -> list[tuple[str, range]]:
    return [("under 3", range(0, 3))] + [(f"age {a}", range(a, a + 1))
                                         for a in range(3, MAX_AGE + 1)]


def _academic_period(census_year: int) -> str:
    return f"{census_year - 1}{census_year % 100:02d}"


# ----------------------------------------------------------------------------- file builders
def _placement_frame(arrays: dict[int, np.ndarray], years: Sequence[int], columns: list[str],
                     total_col: str, convention: Callable[[int], _Convention],
                     period: Callable[[int], str], all_topic: str, age_topic: str,
                     bands: list[tuple[str, range]]) -> pd.DataFrame:
    """Caseload/new-plans rows: the "All" row is the sum of the age rows (bands cover all ages)."""
    academic = columns is CASELOAD_COLUMNS
    rows = []
    for year in years:
        arr, conv, tp = arrays[year], convention(year), period(year)
        by_age = [(label, _reported_counts(arr[[a for a in ages if a < arr.shape[0]]].sum(axis=0),
                                           conv)) for label, ages in bands]
        rows.append(_row(columns, tp, academic, all_topic, all_topic,
                         _placement_measures(_sum_counts([v for _, v in by_age]), conv,
                                             total_col)))
        for label, v in by_age:
            if sum(v.values()):
                rows.append(_row(columns, tp, academic, age_topic, label,
                                 _placement_measures(v, conv, total_col)))
    return _frame(rows, columns)


#: "Type of placement" labels of ceased_plans.csv -> simulated placements (UKRLP plans are
#: shown under general FE and compulsory-school-age NEET under "(other)": the release has no
#: separate rows for them).
CEASED_PLACEMENT_LABELS: list[tuple[str, list[str]]] = [
    ("Mainstream - LA maintained", ["mainstream_la_maintained"]),
    ("Mainstream - LA maintained (resourced provision)",
     ["mainstream_la_maintained_resourced_provision"]),
    ("Mainstream - LA maintained (SEN unit)", ["mainstream_la_maintained_senunit"]),
    ("Mainstream - academy", ["mainstream_academy"]),
    ("Mainstream - academy (resourced provision)", ["mainstream_academy_resourced_provision"]),
    ("Mainstream - academy (SEN unit)", ["mainstream_academy_senunit"]),
    ("Mainstream - free school", ["mainstream_free_school"]),
    ("Mainstream - free school (resourced provision)",
     ["mainstream_free_school_resourced_provision"]),
    ("Mainstream - free school (SEN unit)", ["mainstream_free_school_senunit"]),
    ("Mainstream - independent", ["mainstream_independent"]),
    ("Mainstream - total", MAINSTREAM),
    ("Special - LA maintained", ["special_la_maintained"]),
    ("Special - academy/free school", ["special_academy_free"]),
    ("Special - independent", ["special_independent"]),
    ("Special - non-maintained", ["special_non_maintained"]),
    ("Special - total", SPECIAL),
    ("AP/PRU - academy", ["ap_pru_academy"]),
    ("AP/PRU - free school", ["ap_pru_free_school"]),
    ("AP/PRU - LA maintained", ["ap_pru_la_maintained"]),
    ("AP/PRU - total", AP_PRU),
    ("FE - general FE and tertiary colleges", ["general_fe_tertiary_colleges", "ukrlp_provider"]),
    ("FE - specialist post-16 institutions", ["specialist_post_16_institutions"]),
    ("FE - total", FE),
    ("Educated elsewhere - elective home education", ["elective_home_education"]),
    ("Educated elsewhere - NEET", ["neet"]),
    ("Educated elsewhere - not in education or training (notice to cease issued)",
     ["neet_ntci"]),
    ("Educated elsewhere - not in education or training (other)",
     ["neet_other", "neet_other_csa"]),
    ("Educated elsewhere - other arrangements by LA", ["other_arrangements_la"]),
    ("Educated elsewhere - other arrangements by parents", ["other_arrangements_parents"]),
    ("Educated elsewhere - other placement settings", ["other_placement_settings"]),
    ("Educated elsewhere - total", [c for c in ELSEWHERE if c not in _NEVER_USED]),
    ("Non-maintained early years", ["nm_early_years"]),
    ("Placement not recorded", ["placement_unknown"]),
]


def _reason_measures(r: np.ndarray) -> dict[str, str]:
    out = {c: str(int(n)) for c, n in zip(CEASED_REASONS, r, strict=True)}
    out["total_ceased"] = str(int(r.sum()))
    return out


def _ceased_frame(sim: _Simulation) -> pd.DataFrame:
    rows = []
    for year in CEASED_YEARS:
        c, tp = sim.ceased[year], str(year)  # (27 ages, P, 10)
        rows.append(_row(CEASED_COLUMNS, tp, False, "All ceased EHC plans",
                         "All ceased EHC plans", _reason_measures(c.sum(axis=(0, 1)))))
        for label, ages in _band_labels("age"):
            r = c[list(ages)].sum(axis=(0, 1))
            if r.sum():
                rows.append(_row(CEASED_COLUMNS, tp, False, "Age plan ceased", label,
                                 _reason_measures(r)))
        by_place = c.sum(axis=0)  # (P, 10)
        for label, cols in CEASED_PLACEMENT_LABELS:
            r = by_place[[_P[x] for x in cols if x in _P]].sum(axis=0)
            if r.sum():
                rows.append(_row(CEASED_COLUMNS, tp, False, "Type of placement", label,
                                 _reason_measures(r)))
    return _frame(rows, CEASED_COLUMNS)


def _requests_measures(v: np.ndarray, year: int) -> dict[str, str]:
    req, rya, assess, not_assess, not_made, withdrawn, w6, o6, med, trib, trib_med = (
        int(n) for n in v)
    out = {
        "requests_received_in_year": req, "requests_rya": rya,
        "requests_decided_to_assess": assess, "requests_decided_not_to_assess": not_assess,
        "requests_decision_not_made": not_made, "requests_withdrawn": withdrawn,
        "request_assess_pc": _fmt_pc(assess, req), "request_not_assess_pc": _fmt_pc(not_assess, req),
        "request_outstanding_pc": _fmt_pc(not_made, req),
        "request_withdrawn_pc": _fmt_pc(withdrawn, req),
        "request_outcome_six_weeks": w6, "request_outcome_over_6_weeks": o6,
        "request_outcome_six_weeks_pc": _fmt_pc(w6, w6 + o6),
        "request_outcome_over_6_weeks_pc": _fmt_pc(o6, w6 + o6),
        "mediation_related_request": med, "tribunal_related_request": trib,
        "tribunal_after_mediation_request": trib_med,
    }
    published = {"requests_received_in_year", "requests_rya", "requests_decided_not_to_assess"}
    return {k: ("x" if year < 2023 and k not in published else str(val))
            for k, val in out.items()}


def _assessments_measures(v: np.ndarray, year: int) -> dict[str, str]:
    issued, not_issued, not_made, withdrawn, d_in, d_over, am, at, amt, om, ot, omt = (
        int(n) for n in v)
    total = issued + not_issued + not_made + withdrawn
    out = {
        "assess_in_year": total, "assess_issued": issued,
        "assess_issued_pc": _fmt_pc(issued, total), "assess_not_issued": not_issued,
        "assess_not_issued_pc": _fmt_pc(not_issued, total), "assess_not_made": not_made,
        "assess_not_made_pc": _fmt_pc(not_made, total), "assess_withdrawn": withdrawn,
        "assess_withdrawn_pc": _fmt_pc(withdrawn, total),
        "outcome_decision_within_time": d_in, "outcome_decision_over_time": d_over,
        "outcome_decision_within_time_pc": _fmt_pc(d_in, d_in + d_over),
        "outcome_decision_over_time_pc": _fmt_pc(d_over, d_in + d_over),
        "number_assess_mediation": am, "number_assess_tribunal": at,
        "number_asssess_mediation_tribunal": amt, "number_other_mediation": om,
        "number_other_tribunal": ot, "number_other_mediation_tribunal": omt,
    }
    if year <= 2021:
        published = {"assess_issued", "assess_not_issued"}
    elif year == 2022:
        published = set(out) - {"assess_not_made", "outcome_decision_within_time",
                                "outcome_decision_over_time", "outcome_decision_within_time_pc",
                                "outcome_decision_over_time_pc",
                                "number_asssess_mediation_tribunal",
                                "number_other_mediation_tribunal"}
    else:
        published = set(out)
    return {k: (str(val) if k in published else "x") for k, val in out.items()}


def _timeliness_measures(v: np.ndarray, year: int) -> dict[str, str]:
    w20, mid, gt1, w20x, midx, gt1x = (int(n) for n in v)
    den, den_ex = w20 + mid + gt1, w20x + midx + gt1x
    out = {
        "plans_issued_den": den, "plans_issued_den_ex": den_ex,
        "plans_issued_within_20_weeks": w20, "plans_issued_20_weeks_ex": w20x,
        "pc_plans_issued_within_20_weeks": _fmt_pc(w20, den),
        "PC_plans_issued_20_weeks_ex": _fmt_pc(w20x, den_ex),
        "plans_issued_gt20weeks_ltYear": mid, "plans_issued_gt20weeks_ltYear_ex": midx,
        "pc_plans_issued_gt20weeks_ltYear": _fmt_pc(mid, den),
        "PC_plans_issued_gt20weeks_ltYear_ex": _fmt_pc(midx, den_ex),
        "plans_issued_gt_1_year": gt1, "plans_issued_gt_1_year_ex": gt1x,
        "pc_plans_issued_gt_1_year": _fmt_pc(gt1, den),
        "PC_plans_issued_gt_1_year_ex": _fmt_pc(gt1x, den_ex),
    }
    published = set(list(out)[:6])
    return {k: ("x" if year < 2023 and k not in published else str(val))
            for k, val in out.items()}


def _flow_frame(arrays: dict[int, np.ndarray], columns: list[str], all_label: str, prefix: str,
                measures: Callable[[np.ndarray, int], dict[str, str]]) -> pd.DataFrame:
    headline = columns[len(_ID_COLUMNS)]
    rows = []
    for year in FLOW_YEARS:
        a, tp = arrays[year], str(year)
        rows.append(_row(columns, tp, False, all_label, all_label, measures(a.sum(axis=0), year)))
        if year in BY_AGE_FLOW_YEARS:
            for label, ages in _band_labels(prefix):
                m = measures(a[[x for x in ages if x < a.shape[0]]].sum(axis=0), year)
                if m[headline] != "0":
                    rows.append(_row(columns, tp, False, "Child or young persons age", label, m))
    return _frame(rows, columns)


# ----------------------------------------------------------------------------- public API
def generate_example(seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Generate Exampleshire's SEN2-shaped files.

    Returns ``{file stem: frame}``; every frame has the real release file's columns in
    order and holds strings exactly as written to CSV (read them back with
    ``pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")``).
    The same ``seed`` always gives identical frames.
    """
    sim = _simulate(int(seed))
    return {
        "exampleshire_caseload": _placement_frame(
            sim.stock, CENSUS_YEARS, CASELOAD_COLUMNS, "ehcplans", _caseload_convention,
            _academic_period, "All EHC plans", "Child or young persons age", _census_labels()),
        "exampleshire_newplans": _placement_frame(
            sim.new_plans, FLOW_YEARS, NEWPLANS_COLUMNS, "new_ehc_plans", _newplans_convention,
            str, "New EHC plans", "Age when plan started", _band_labels("age")),
        "exampleshire_ceased_plans": _ceased_frame(sim),
        "exampleshire_requests": _flow_frame(
            sim.requests, REQUESTS_COLUMNS, "All requests for EHC needs assessments", "Aged",
            _requests_measures),
        "exampleshire_assessments": _flow_frame(
            sim.assessments, ASSESSMENTS_COLUMNS, "All EHC needs assessments", "Aged",
            _assessments_measures),
        "exampleshire_timeliness_20_week": _flow_frame(
            sim.timeliness, TIMELINESS_COLUMNS, "All EHC plans issued", "age",
            _timeliness_measures),
    }


def write_example(out_dir: str | Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the example CSVs (UTF-8 with BOM, no index, like the release) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, frame in generate_example(seed).items():
        path = out / f"{stem}.csv"
        frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sendforecast.data.example",
        description="Regenerate the synthetic example LA 'Exampleshire' (SEN2 2025 shape).")
    parser.add_argument("--out", type=Path, default=EXAMPLE_DIR,
                        help=f"output folder (default: the shipped {EXAMPLE_DIR})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed (default {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    for path in write_example(args.out, args.seed):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
