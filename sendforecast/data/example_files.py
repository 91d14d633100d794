"""Exampleshire's simulated counts written as the DfE SEN2 2025 release writes them.

:func:`release_frames` turns a :class:`~.example_simulation.Simulation` into one frame
of strings per file, with the real release file's columns in order
(:data:`FILE_COLUMNS`), its spellings of periods, topics and breakdowns, and its
suppression pattern.

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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .example_params import (
    AP_PRU,
    BY_AGE_FLOW_YEARS,
    CEASED_REASONS,
    CEASED_YEARS,
    CENSUS_YEARS,
    ELSEWHERE,
    FE,
    FLOW_YEARS,
    GEOGRAPHY,
    MAINSTREAM,
    MAX_AGE,
    NEVER_USED,
    PLACEMENT_INDEX,
    PLACEMENTS,
    SPECIAL,
)
from .example_simulation import Simulation

# ----------------------------------------------------------------------------- columns
_ID_COLUMNS = ["time_period", "time_identifier", "geographic_level", "country_code",
               "country_name", "region_code", "region_name", "new_la_code", "old_la_code",
               "la_name", "breakdown_topic", "breakdown"]
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


_MODERN_X = frozenset(NEVER_USED) | {"await_prov_2022", "perm_ex_2022"}


def _caseload_convention(census_year: int) -> _Convention:
    if census_year >= 2024:
        return _Convention(_MODERN_X, {})
    if census_year == 2023:
        return _Convention(_MODERN_X, {}, ops_in_ed_elsewhere=False)
    x = {*NEVER_USED, "ukrlp_provider", "neet_ntci", "neet_other", "neet_other_csa",
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
    x = {*NEVER_USED, "ukrlp_provider", "neet_other_csa", "placement_unknown"} | hidden
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
        excluded = int(counts[PLACEMENT_INDEX["neet_other_csa"]]) // _PERM_EXCLUDED_ONE_IN
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
    ("Educated elsewhere - total", [c for c in ELSEWHERE if c not in NEVER_USED]),
    ("Non-maintained early years", ["nm_early_years"]),
    ("Placement not recorded", ["placement_unknown"]),
]


def _reason_measures(r: np.ndarray) -> dict[str, str]:
    out = {c: str(int(n)) for c, n in zip(CEASED_REASONS, r, strict=True)}
    out["total_ceased"] = str(int(r.sum()))
    return out


def _ceased_frame(sim: Simulation) -> pd.DataFrame:
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
            r = by_place[[PLACEMENT_INDEX[x] for x in cols if x in PLACEMENT_INDEX]].sum(axis=0)
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



def release_frames(sim: Simulation) -> dict[str, pd.DataFrame]:
    """``{file stem: frame of strings}`` of every file, in the order of :data:`FILE_COLUMNS`."""
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
