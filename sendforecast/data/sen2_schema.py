"""The SEN2 tables this library reads, and the tidy frames it makes of them.

What the release files look like, as data: the columns of each table kind of the
reporting-year 2022 and 2025 releases (:data:`SCHEMAS`), the maps from their measure
columns to canonical measure names, and the columns of the tidy frames
(:data:`FRAME_COLUMNS`).  :func:`table_kind` recognises a table by its columns, not its
file name, and :func:`check_columns` refuses a recognised table without one of its
measure columns (naming similar header names) or without rows.  The conventions are
described in :mod:`sendforecast.data.sen2`; the parsing is in :mod:`.sen2_parse`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import InputError, Problem
from .sources import Source

#: The tidy frames of :class:`~sendforecast.data.sen2.SEN2Data`.
FRAMES = ("caseload", "new_plans", "ceased", "requests", "assessments", "timeliness", "movers",
          "need_shares")

#: Columns of each tidy frame (``value`` is float; NaN = suppressed/missing).
FRAME_COLUMNS: dict[str, list[str]] = {
    "caseload": ["year", "level", "la_code", "age", "placement", "value"],
    "new_plans": ["year", "level", "la_code", "age", "placement", "value"],
    "ceased": ["year", "level", "la_code", "age", "placement", "reason", "value"],
    "requests": ["year", "level", "la_code", "age", "measure", "value"],
    "assessments": ["year", "level", "la_code", "age", "measure", "value"],
    "timeliness": ["year", "level", "la_code", "age", "measure", "value"],
    "movers": ["year", "level", "la_code", "measure", "value"],
    "need_shares": ["year", "level", "la_code", "scope", "age", "placement", "need", "value"],
}
# columns that vary *within* one slice of a release; the rest define the slice
WITHIN_SLICE = {
    "caseload": ["placement"], "new_plans": ["placement"], "ceased": ["placement", "reason"],
    "requests": [], "assessments": [], "timeliness": [], "movers": [],
    "need_shares": ["placement", "need"],
}

#: ``geographic_level`` of a release -> ``level`` of the tidy frames (other levels are not read).
LEVELS = {"National": "national", "Regional": "region", "Local authority": "la"}
GEO_COLS = ["time_period", "geographic_level"]
_AREA_COLS = ["country_code", "country_name", "region_code", "region_name", "old_la_code",
              "new_la_code", "la_name"]

# --- measure maps (source column -> canonical name) --------------------------------------
REQUESTS_2025 = {
    "requests_received_in_year": "requests", "requests_rya": "requests_youth_custody",
    "requests_decided_to_assess": "decided_to_assess",
    "requests_decided_not_to_assess": "decided_not_to_assess",
    "requests_decision_not_made": "decision_not_made", "requests_withdrawn": "withdrawn",
    "request_outcome_six_weeks": "decision_within_6_weeks",
    "request_outcome_over_6_weeks": "decision_over_6_weeks",
    "mediation_related_request": "mediation", "tribunal_related_request": "tribunal",
    "tribunal_after_mediation_request": "tribunal_after_mediation",
}
ASSESSMENTS_2025 = {
    "assess_in_year": "assessments", "assess_issued": "issued", "assess_not_issued": "not_issued",
    "assess_not_made": "not_made", "assess_withdrawn": "withdrawn",
    "outcome_decision_within_time": "decision_within_20_weeks",
    "outcome_decision_over_time": "decision_over_20_weeks",
}
TIMELINESS_2025 = {
    "plans_issued_den": "plans_issued", "plans_issued_den_ex": "plans_issued_ex",
    "plans_issued_within_20_weeks": "within_20_weeks", "plans_issued_20_weeks_ex": "within_20_weeks_ex",
    "plans_issued_gt20weeks_ltYear": "20_to_52_weeks", "plans_issued_gt20weeks_ltYear_ex": "20_to_52_weeks_ex",
    "plans_issued_gt_1_year": "over_52_weeks", "plans_issued_gt_1_year_ex": "over_52_weeks_ex",
}
CEASED_2025 = {
    "max_age": "max_age", "needs_met": "needs_met", "he": "higher_education", "employ": "employment",
    "transfer": "transferred_to_another_la", "no_engage": "no_longer_engaging",
    "moved_outside_eng": "moved_outside_england", "deceased": "deceased", "not_rec": "not_recorded",
    "other": "other", "total_ceased": "total",
}
MI_2022 = {  # sen2_mi.csv column -> (frame, measure)
    "InreqEHC": ("requests", "requests"), "InreqryaEHC": ("requests", "requests_youth_custody"),
    "AssRefusedEHC": ("requests", "decided_not_to_assess"),
    "NewallEHC": ("assessments", "issued"), "AssnoneEHC": ("assessments", "not_issued"),
    "AssnodecisionEHC": ("assessments", "not_made"),
    "TotIncExcEHC": ("timeliness", "plans_issued"), "IncExc20weekEHC": ("timeliness", "within_20_weeks"),
    "TotNoExcEHC": ("timeliness", "plans_issued_ex"), "NoExc20weekEHC": ("timeliness", "within_20_weeks_ex"),
    "DisleaEHC": ("ceased", "transferred_to_another_la"), "DismetEHC": ("ceased", "needs_met"),
    "DisothEHC": ("ceased", "other"), "DisleftEHC": ("ceased", "left_education"),
    "MtosiEHC": ("movers", "mainstream_to_special"), "SitomEHC": ("movers", "special_to_mainstream"),
    "MtoParEHC": ("movers", "mainstream_to_home_education"),
    "SitoParEHC": ("movers", "special_to_home_education"),
}
KNOWN_MEASURES = (set(REQUESTS_2025.values()) | set(ASSESSMENTS_2025.values())
                  | set(TIMELINESS_2025.values()) | {m for f, m in MI_2022.values() if f != "ceased"})
AGE_BANDS_2022 = {"Total": "all", "Under 5": "0-4", "Age 5 to 10": "5-10", "Age 11 to 15": "11-15",
                  "Age 16 to 19": "16-19", "Age 20 to 25": "20-25"}


#: Placement columns of the 2025 caseload and new plans tables (optional: see :class:`Schema`).
PLACEMENT_COLUMNS_2025 = (
    "mainstream_la_maintained mainstream_la_maintained_resourced_provision mainstream_la_maintained_senunit "
    "mainstream_academy mainstream_academy_resourced_provision mainstream_academy_senunit "
    "mainstream_free_school mainstream_free_school_resourced_provision mainstream_free_school_senunit "
    "mainstream_independent special_la_maintained special_academy_free special_independent "
    "special_non_maintained ap_pru_academy ap_pru_free_school ap_pru_la_maintained "
    "general_fe_tertiary_colleges specialist_post_16_institutions ukrlp_provider elective_home_education "
    "other_arrangements_la other_arrangements_parents online_provider w_settings other_schools "
    "other_placement_settings neet neet_ntci neet_other neet_other_csa nm_early_years placement_unknown "
    "await_prov_2022 perm_ex_2022").split()
SUBTOTAL_COLUMNS_2025 = ("mainstream_total", "special_total", "ap_pru_total", "fe_total", "ed_elsewhere")
NEED_COLUMNS_2025 = tuple(f"{n}_pc" for n in "asd hi mld msi oth pd pmld semh slcn sld spld vi unknown".split())


@dataclass(frozen=True)
class Schema:
    """The columns of one SEN2 table kind.

    ``required`` columns are read and a table without one is refused (a renamed
    measure column would otherwise vanish); ``optional`` ones are read when present
    and a missing one is a quality note (DfE adds and retires placement types between
    releases); ``extra`` ones are not read and only help to recognise the table.
    """

    marker: str | None  # a column every table of the kind has (None: the 2022 MI table)
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    topic: str | None = None  # breakdown_topic of its all-ages rows (tells caseload from new plans)
    what: str = ""

    @property
    def columns(self) -> set[str]:
        return {*self.required, *self.optional, *self.extra}


SCHEMAS: dict[str, Schema] = {
    "caseload_2025": Schema("breakdown_topic", ("ehcplans",), tuple(PLACEMENT_COLUMNS_2025),
                            SUBTOTAL_COLUMNS_2025, "All EHC plans", "caseload (EHC plans at January)"),
    "newplans_2025": Schema("breakdown_topic", ("new_ehc_plans",), tuple(PLACEMENT_COLUMNS_2025),
                            SUBTOTAL_COLUMNS_2025, "New EHC plans", "new EHC plans"),
    "ceased_2025": Schema("breakdown_topic", tuple(CEASED_2025), what="ceased plans"),
    "requests_2025": Schema("breakdown_topic", tuple(REQUESTS_2025), what="requests for assessment"),
    "assessments_2025": Schema("breakdown_topic", tuple(ASSESSMENTS_2025), what="EHC needs assessments"),
    "timeliness_2025": Schema("breakdown_topic", tuple(TIMELINESS_2025), what="20-week timeliness"),
    "needs_2025": Schema("breakdown_topic", NEED_COLUMNS_2025, what="primary need shares"),
    "age_caseload_2022": Schema("characteristic_age", ("Total_all",),
                                extra=("Total_st", "Total_ehc", "Total_st_pc", "Total_ehc_pc", "Total_all_pc"),
                                what="caseload by age"),
    "age_newplans_2022": Schema("characteristic_age", ("Total_new_all",),
                                extra=("Total_new_st", "Total_new_ehc", "Total_new_st_pc", "Total_new_ehc_pc",
                                       "Total_new_all_pc"), what="new plans by age"),
    "estab_caseload_2022": Schema("establishment_type", ("establishment_group", "Total_all"),
                                  extra=("Total_st", "Total_ehc", "Total_st_pc", "Total_ehc_pc",
                                         "Total_all_pc"), what="caseload by establishment"),
    "estab_newplans_2022": Schema("establishment_type", ("establishment_group", "Total_new_all"),
                                  extra=("Total_new_st", "Total_new_ehc", "Total_new_st_pc",
                                         "Total_new_ehc_pc", "Total_new_all_pc"),
                                  what="new plans by establishment"),
    "mi_2022": Schema(None, tuple(MI_2022), what="management information (requests, assessments ...)"),
}
_MARKERS = {sc.marker for sc in SCHEMAS.values()} - {None}


def table_kind(cols: set[str], frame: pd.DataFrame | None = None) -> str | None:
    """Recognise a SEN2 table by its columns: the kind with the largest share (at least
    half) of its columns present, so that a table with a renamed column is still
    recognised (and then refused naming the column, see :func:`check_columns`)."""
    markers = cols & _MARKERS
    scores = {}
    for kind, sc in SCHEMAS.items():
        if (sc.marker in cols) if sc.marker else not markers:
            share = len(sc.columns & cols) / len(sc.columns)
            if share >= 0.5:
                scores[kind] = (len(set(sc.required) & cols) / len(sc.required), share)
    if not scores:
        return None
    best = max(scores.values())
    kinds = [k for k, v in scores.items() if v == best]
    if len(kinds) > 1 and frame is not None and "breakdown_topic" in frame:  # same columns but the total
        topics = set(frame["breakdown_topic"].str.strip())
        kinds = [k for k in kinds if SCHEMAS[k].topic in topics] or kinds
    return kinds[0]


def check_columns(src: Source, kind: str, notes: list[str]) -> None:
    """Refuse a recognised table that lacks a required column or has no data rows;
    note missing optional columns, and placement or need-share columns it does not know
    (added in a later release).  Similar header names are offered for each."""
    sc = SCHEMAS[kind]
    cols = list(src.frame.columns)
    unknown = [c for c in cols if c not in sc.columns and c not in GEO_COLS and c not in _AREA_COLS
               and c not in _MARKERS and c not in ("breakdown", "time_identifier")]

    def similar(col: str) -> list[str]:
        low = {c.lower(): c for c in unknown}
        return [low[m] for m in difflib.get_close_matches(col.lower(), list(low), n=3, cutoff=0.6)]

    problems = []
    for col in sc.required:
        if col not in cols:
            near = similar(col)
            problems.append(Problem(src.name, 1, col, f"a column named '{col}' in this {sc.what} table",
                                    ("similar column(s) in the header: " + ", ".join(near)) if near
                                    else "no similar column in the header"))
    if problems:
        raise InputError(problems)
    name = Path(src.name).name
    for col in sc.optional:
        if col not in cols:
            near = similar(col)
            notes.append(f"{name}: column '{col}' not found"
                         + (f" (similar: {', '.join(near)})" if near else "")
                         + "; that placement is left out (see the placements vs total checks)")
    for col in unknown:  # a placement or need DfE added in a later release: said, not dropped silently
        share = col.lower().endswith("_pc")
        if sc.optional and not share:  # its plans count in the total only
            notes.append(f"{name}: column '{col}' is not a placement this library knows; not read "
                         "(its plans count in the total only: see the placements vs total checks)")
        elif sc.required == NEED_COLUMNS_2025 and share:
            notes.append(f"{name}: column '{col}' is not a need this library knows; not read (the "
                         "need shares read add up to less than 100%)")
    if not len(src.frame):
        raise InputError(Problem(src.name, 2, None, f"data rows after the header line of this {sc.what} "
                                 "table (an empty table is a failed or cut-short download)",
                                 "the end of the file"))

