"""Canonical taxonomies: placements, primary needs, ages and phases.

Every placement column or label that appears in the DfE SEN2 releases (the
2022 release ``establishment_type`` labels, the 2025 release column names and
the ``Type of placement`` labels of the ceased/need files) maps to one
*detailed placement* code, and each detailed placement belongs to one
*placement group*.  The groups are the level at which the cohort model,
costs and sufficiency work.

Sources: DfE "Education, health and care plans" data guidance, reporting
years 2022 and 2025 (variable lists), explore-education-statistics.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

from ..errors import NotFoundError


class PlacementGroup(StrEnum):
    """Placement groups used throughout the library (in a sensible reporting order)."""

    MAINSTREAM = "mainstream"
    RESOURCED_PROVISION = "resourced_provision"  # resourced provision and SEN units in mainstream
    STATE_SPECIAL = "state_special"  # LA maintained, academy and free special schools (and hospital schools)
    INDEPENDENT_SPECIAL = "independent_special"  # independent special (INMSS) and non-maintained special
    AP_PRU = "ap_pru"  # alternative provision and pupil referral units
    POST16_FE = "post16_fe"  # general FE, sixth form and other FE, apprenticeships etc.
    SPECIALIST_POST16 = "specialist_post16"  # specialist post-16 institutions
    EDUCATED_ELSEWHERE = "educated_elsewhere"  # EHE, other arrangements, NEET, awaiting provision
    EARLY_YEARS = "early_years"  # non-maintained early years settings
    NOT_RECORDED = "not_recorded"


PLACEMENT_GROUP_LABELS: dict[str, str] = {
    "mainstream": "Mainstream school",
    "resourced_provision": "Resourced provision / SEN unit",
    "state_special": "State special school",
    "independent_special": "Independent / non-maintained special",
    "ap_pru": "Alternative provision / PRU",
    "post16_fe": "Post-16 further education",
    "specialist_post16": "Specialist post-16 institution",
    "educated_elsewhere": "Educated elsewhere / NEET",
    "early_years": "Early years (non-maintained)",
    "not_recorded": "Placement not recorded",
}

# (code, group, label, aliases).  ``code`` is the 2025-release column name where
# one exists.  Aliases are every label used for it in any release (compared
# case-insensitively).
_PLACEMENTS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("mainstream_la_maintained", "mainstream", "Mainstream - LA maintained",
     ("Mainstream - LA maintained",)),
    ("mainstream_la_maintained_resourced_provision", "resourced_provision",
     "Mainstream - LA maintained (resourced provision)",
     ("Mainstream - LA maintained - Resourced provision",
      "Mainstream - LA maintained (resourced provision)")),
    ("mainstream_la_maintained_senunit", "resourced_provision", "Mainstream - LA maintained (SEN unit)",
     ("Mainstream - LA maintained - SEN unit", "Mainstream - LA maintained (SEN unit)")),
    ("mainstream_academy", "mainstream", "Mainstream - academy", ("Mainstream - Academy",)),
    ("mainstream_academy_resourced_provision", "resourced_provision",
     "Mainstream - academy (resourced provision)",
     ("Mainstream - Academy - Resourced Provision", "Mainstream - academy (resourced provision)")),
    ("mainstream_academy_senunit", "resourced_provision", "Mainstream - academy (SEN unit)",
     ("Mainstream - Academy - SEN unit", "Mainstream - academy (SEN unit)")),
    ("mainstream_free_school", "mainstream", "Mainstream - free school", ("Mainstream - Free school",)),
    ("mainstream_free_school_resourced_provision", "resourced_provision",
     "Mainstream - free school (resourced provision)",
     ("Mainstream - Free school - Resourced provision", "Mainstream - free school (resourced provision)")),
    ("mainstream_free_school_senunit", "resourced_provision", "Mainstream - free school (SEN unit)",
     ("Mainstream - Free school - SEN unit", "Mainstream - free school (SEN unit)")),
    ("mainstream_independent", "mainstream", "Mainstream - independent", ("Mainstream - Independent",)),
    ("special_la_maintained", "state_special", "Special - LA maintained", ("Special - LA maintained",)),
    ("special_academy_free", "state_special", "Special - academy/free school",
     ("Special - Academy/free", "Special - academy/free school", "Special - Academy/free schools",
      "Special - Academy", "Special - Free school")),
    ("hospital_school", "state_special", "Hospital school", ("Hospital School",)),
    ("special_independent", "independent_special", "Special - independent", ("Special - Independent",)),
    ("special_non_maintained", "independent_special", "Special - non-maintained",
     ("Special - Non-maintained",)),
    ("ap_pru_academy", "ap_pru", "AP/PRU - academy", ("AP/PRU - Academy",)),
    ("ap_pru_free_school", "ap_pru", "AP/PRU - free school", ("AP/PRU - Free school",)),
    ("ap_pru_la_maintained", "ap_pru", "AP/PRU - LA maintained", ("AP/PRU - LA maintained",)),
    ("general_fe_tertiary_colleges", "post16_fe", "FE - general FE and tertiary colleges",
     ("General FE and tertiary colleges/HE", "FE - general FE and tertiary colleges")),
    ("sixth_form_college", "post16_fe", "Sixth form college", ("Sixth form college",)),
    ("other_fe", "post16_fe", "Other FE", ("Other FE",)),
    ("ukrlp_provider", "post16_fe", "FE - UKRLP provider", ("FE - UKRLP provider",)),
    ("work_based_learning", "post16_fe", "Work-based learning",
     ("Work-based learning", "Apprenticeship", "Traineeship", "Supported Internship")),
    ("specialist_post_16_institutions", "specialist_post16", "FE - specialist post-16 institutions",
     ("Specialist post-16 institutions", "FE - specialist post-16 institutions",
      "Independent specialist providers")),
    ("elective_home_education", "educated_elsewhere", "Educated elsewhere - elective home education",
     ("Elective home education", "Educated elsewhere - elective home education")),
    ("other_arrangements_la", "educated_elsewhere", "Educated elsewhere - other arrangements by LA",
     ("Other arrangements by local authority", "Educated elsewhere - other arrangements by LA")),
    ("other_arrangements_parents", "educated_elsewhere",
     "Educated elsewhere - other arrangements by parents",
     ("Other arrangements by parents", "Educated elsewhere - other arrangements by parents")),
    ("online_provider", "educated_elsewhere", "Educated elsewhere - online provider",
     ("Educated elsewhere - online provider",)),
    ("w_settings", "educated_elsewhere", "Educated elsewhere - Welsh establishment",
     ("Educated elsewhere - Welsh establishment",)),
    ("other_schools", "educated_elsewhere", "Educated elsewhere - other schools and establishments",
     ("Educated elsewhere - other schools and establishments",)),
    ("other_placement_settings", "educated_elsewhere", "Educated elsewhere - other placement settings",
     ("Other", "Educated elsewhere - other placement settings")),
    ("neet", "educated_elsewhere", "Educated elsewhere - NEET", ("NEET", "Educated elsewhere - NEET")),
    ("neet_ntci", "educated_elsewhere",
     "Educated elsewhere - not in education or training (notice to cease issued)",
     ("Educated elsewhere - not in education or training (notice to cease issued)",)),
    ("neet_other", "educated_elsewhere", "Educated elsewhere - not in education or training (other)",
     ("Educated elsewhere - not in education or training (other)",)),
    ("neet_other_csa", "educated_elsewhere",
     "Educated elsewhere - not in education or training (compulsory school age)",
     ("Educated elsewhere - not in education or training (compulsory school age)",)),
    ("await_prov_2022", "educated_elsewhere", "Awaiting provision",
     ("Awaiting provision - above compulsory school age and in education",
      "Awaiting provision - above compulsory school age and not in education",
      "Awaiting provision - below compulsory school age and in education",
      "Awaiting provision - below compulsory school age and not in education",
      "Awaiting provision - compulsory school age and in education",
      "Awaiting provision - compulsory school age and not in education")),
    ("perm_ex_2022", "educated_elsewhere", "Permanently excluded", ("Permanently excluded",)),
    ("nm_early_years", "early_years", "Non-maintained early years", ("Non-maintained early years",)),
    ("placement_unknown", "not_recorded", "Placement not recorded", ("Placement not recorded",)),
]

#: Detailed placements: one row per code, with its group and label.
PLACEMENTS = pd.DataFrame(
    [(c, g, lab) for c, g, lab, _ in _PLACEMENTS], columns=["placement", "placement_group", "label"]
)

PLACEMENT_TO_GROUP: dict[str, str] = dict(zip(PLACEMENTS.placement, PLACEMENTS.placement_group, strict=True))

_ALIAS_TO_CODE: dict[str, str] = {}
for _code, _g, _lab, _aliases in _PLACEMENTS:
    for _a in (_code, _lab, *_aliases):
        _ALIAS_TO_CODE[_a.strip().lower()] = _code

#: Columns/labels that are subtotals or percentages, not placements (never summed).
PLACEMENT_SUBTOTAL_COLUMNS = {
    "ehcplans": "total", "new_ehc_plans": "total", "mainstream_total": "mainstream",
    "special_total": "special", "ap_pru_total": "ap_pru", "fe_total": "fe",
    "ed_elsewhere": "educated_elsewhere",
}
PLACEMENT_SUBTOTAL_LABELS = {
    "ap/pru - total", "educated elsewhere - total", "fe - total", "mainstream - total",
    "special - total", "awaiting provision - total", "total",
}


def placement_code(label: str) -> str | None:
    """Detailed placement code for any SEN2 column name or label (``None`` if unknown)."""
    return _ALIAS_TO_CODE.get(str(label).strip().lower())


def placement_group(code: str) -> str:
    """Placement group of a detailed placement code (or of a group name, returned unchanged)."""
    if code in PLACEMENT_TO_GROUP:
        return PLACEMENT_TO_GROUP[code]
    if code in PlacementGroup.__members__.values() or code in {g.value for g in PlacementGroup}:
        return code
    raise NotFoundError(f"unknown placement {code!r}; expected one of {sorted(PLACEMENT_TO_GROUP)}")


PLACEMENT_GROUPS: list[str] = [g.value for g in PlacementGroup]

#: Provision types of the DfE SCAP specialist-provision forecast, by placement group.
SPECIALIST_PROVISION = {
    "state_special": "State special school",
    "independent_special": "Independent / non-maintained special school",
    "resourced_provision": "Resourced provision / SEN unit",
    "ap_pru": "Alternative provision",
}


class Need(StrEnum):
    """Primary type of need (SEN2 / school census codes)."""

    ASD = "ASD"  # autistic spectrum disorder
    SEMH = "SEMH"  # social, emotional and mental health
    SLCN = "SLCN"  # speech, language and communication needs
    MLD = "MLD"  # moderate learning difficulty
    SLD = "SLD"  # severe learning difficulty
    PMLD = "PMLD"  # profound and multiple learning difficulty
    SPLD = "SpLD"  # specific learning difficulty
    HI = "HI"  # hearing impairment
    VI = "VI"  # visual impairment
    MSI = "MSI"  # multi-sensory impairment
    PD = "PD"  # physical disability
    OTH = "OTH"  # other difficulty/disability


NEEDS: list[str] = [n.value for n in Need]
NEED_LABELS = {
    "ASD": "Autistic spectrum disorder", "SEMH": "Social, emotional and mental health",
    "SLCN": "Speech, language and communication needs", "MLD": "Moderate learning difficulty",
    "SLD": "Severe learning difficulty", "PMLD": "Profound and multiple learning difficulty",
    "SpLD": "Specific learning difficulty", "HI": "Hearing impairment", "VI": "Visual impairment",
    "MSI": "Multi-sensory impairment", "PD": "Physical disability", "OTH": "Other difficulty/disability",
}
_NEED_ALIASES = {n.lower(): n for n in NEEDS} | {"unknown": "unknown", "spld": "SpLD"}


def need_code(text: str) -> str | None:
    """Canonical need code for a label or a ``*_pc`` column name (``None`` if unknown)."""
    t = str(text).strip().lower().removesuffix("_pc")
    return _NEED_ALIASES.get(t)


# ----------------------------------------------------------------- ages, phases
#: Ages covered by EHC plans.
AGES = list(range(0, 26))


class Phase(StrEnum):
    EARLY_YEARS = "early_years"
    PRIMARY = "primary"
    SECONDARY = "secondary"
    POST16 = "post16"
    AGE_19_25 = "19-25"


PHASE_LABELS = {
    "early_years": "Early years (0-3)", "primary": "Primary (4-10)", "secondary": "Secondary (11-15)",
    "post16": "Post-16 (16-18)", "19-25": "19-25",
}


def phase_of_age(age: int) -> str:
    """Education phase of an age in years on 31 August (the SEN2/school-census convention).

    Age 4 on 31 August = Reception, so 4-10 = primary (Reception to Year 6),
    11-15 = secondary (Years 7-11), 16-18 = post-16 (Years 12-14), 19-25 = 19-25.
    """
    if age < 0 or age > 25:
        raise ValueError(f"age {age} outside the EHC plan range 0-25")
    if age <= 3:
        return "early_years"
    if age <= 10:
        return "primary"
    if age <= 15:
        return "secondary"
    if age <= 18:
        return "post16"
    return "19-25"


def phases_of_ages(ages, age_offset: int = 0) -> np.ndarray:
    """Phase of each age of a model's age axis (``age + age_offset`` clipped to 0-25: a
    witan model's NCY axis has offset 4), as :func:`phase_of_age`."""
    return np.array([phase_of_age(min(max(int(a) + age_offset, 0), 25)) for a in ages])



def nc_year(age: int) -> int:
    """National curriculum year for an age on 31 August (Reception = 0, Year 7 = 7)."""
    return age - 4
