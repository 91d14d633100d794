"""The knobs of Exampleshire: who it is, which years, which placements, and every rate.

Everything the seeded simulation (:mod:`.example_simulation`) draws from is set
here: the geography and years of the files, the detailed placements simulated
(named by their columns in the DfE SEN2 2025 release) and their model groups, the
sizes and rates of the pipeline, the age profiles, the placement mixes by phase
and the rules for moving between placements.  Change a number here and
``python -m sendforecast.data.example`` regenerates the shipped files.

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

import numpy as np

from .taxonomy import phase_of_age

EXAMPLE_LA_CODE = "999"

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

# ----------------------------------------------------------------------------- placements
#: Detailed placement columns of the release, by subtotal.
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
#: Reasons a plan ceased: the reason columns of ``ceased_plans.csv`` (before ``total_ceased``).
CEASED_REASONS = ["max_age", "needs_met", "he", "employ", "transfer", "no_engage",
                  "moved_outside_eng", "deceased", "not_rec", "other"]

NEVER_USED = ("online_provider", "w_settings", "other_schools")  # `x` in every real year
#: Detailed placements simulated (the 2023/24 categories; the three above are always `x`).
PLACEMENTS: list[str] = ([c for c in MAINSTREAM + SPECIAL + AP_PRU + FE + ELSEWHERE
                          if c not in NEVER_USED] + ["nm_early_years", "placement_unknown"])
PLACEMENT_INDEX = {c: i for i, c in enumerate(PLACEMENTS)}
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
_GROUP_OF.update({c: "EE" for c in ELSEWHERE if c not in NEVER_USED})
GROUP_INDEX = {g: np.array([PLACEMENT_INDEX[c] for c in PLACEMENTS if _GROUP_OF[c] == g]) for g in GROUPS}

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


def model_phase(age: int) -> str:
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


def move_rule(age: int, group: str) -> tuple[float, dict[str, float]]:
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
REDRAW_DETAIL = {("MAIN", 11), ("RP", 11), ("SS", 11), ("EE", 5), ("EE", 16)}


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


def placement_probs(mix: dict[str, float], age: int, year: int) -> np.ndarray:
    """Probability vector over :data:`PLACEMENTS` for a group mix at an age and year."""
    gw = _group_weights(mix, year)
    p = np.zeros(len(PLACEMENTS))
    for g, w in zip(GROUPS, gw, strict=True):
        if w <= 0:
            continue
        split = _detail_split(g, age, year)
        tot = sum(split.values())
        for c, v in split.items():
            p[PLACEMENT_INDEX[c]] += w * v / tot
    return p / p.sum()


def reason_probs(age: int) -> np.ndarray:
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

