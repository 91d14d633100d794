"""Read DfE SEN2 ("Education, health and care plans") release files into tidy frames.

Reads release folders, single CSV files or the zip files as downloaded from
explore-education-statistics, in both shapes published so far:

* the reporting-year 2022 release (``sen2_age_caseload.csv``,
  ``sen2_estab_caseload.csv``, ``sen2_age_new_plans.csv``,
  ``sen2_estab_new_plans.csv``, ``sen2_mi.csv``), and
* the reporting-year 2025 release (``caseload.csv``, ``newplans.csv``,
  ``ceased_plans.csv``, ``requests.csv``, ``assessments.csv``,
  ``timeliness_20_week.csv``, ``sen_needs_all_plans.csv``, ``sen_need_newplans.csv``).

Files are recognised by their columns, not their names, so renamed downloads
still load.  Conventions (one place, used everywhere):

* **years**: caseload (a January census) is labelled by the census year, so the
  2025 release's ``201819`` and the 2022 release's ``2019`` are both ``2019``;
  flows (requests, assessments, new plans, ceased plans, timeliness) are
  calendar years.
* **areas**: ``level`` is ``la``, ``region`` or ``national``; ``la_code`` is the
  3-digit DfE code for LAs, the ONS region code for regions and ``E92000001``
  for England.
* **ages**: labels ``"all"``, single years ``"3"`` … ``"25"``, and the bands
  published (``"0-2"``, ``"0-4"``, ``"5-10"``, ``"11-15"``, ``"16-19"``,
  ``"20-25"``, ``"unknown"``).  See :func:`age_bounds`.
* **placements**: detailed codes from :mod:`sendforecast.data.taxonomy`, or
  ``"total"`` for all placements.
* **merging releases**: where two sources hold the same slice (measure, year,
  area and age), the newer release wins; the older one fills years and
  breakdowns the newer one lacks.
* **missing values**: suppressed cells (``x``, ``z``, ``c``, ``low``, ``u``,
  blank) become ``NaN`` and are listed in the quality report, never 0.

Breakdowns not used by the library (sex, ethnicity, years plan held, personal
budgets, residential settings …) are not read; the files and topics skipped are
named in ``quality.notes``.

Broken input is refused with an :class:`~sendforecast.errors.InputError` naming the
file, line (header = line 1) and column: an empty file; a recognised table with a
header but no rows (a failed download, not "no data"); a workbook or other binary
file renamed ``.csv``; bytes that are not UTF-8; lines with fewer or more fields than
the header (a cut-short file); a corrupt, truncated or CSV-less zip; a path holding no
SEN2 table; a value that is neither a number nor a suppression code (``12a``); and a
recognised table without one of its measure columns (tables are recognised by the
share of their known columns, so a renamed column is named, with similar header
names, instead of the table being skipped).  Placement columns of the caseload and
new-plans tables are optional (DfE adds and retires placement types between
releases): a missing one is a quality note.  Faults of a published DfE value are
recorded, not refused: a negative count becomes ``NaN`` and is listed in
``quality.unknown``; a line repeated exactly within a file is dropped and listed in
``quality.duplicates``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, NotFoundError, Problem
from .geography import ENGLAND_CODE, series_status
from .quality import SUPPRESSION_CODES, QualityReport
from .sources import Source, iter_sources
from .taxonomy import (
    PLACEMENT_SUBTOTAL_COLUMNS,
    PLACEMENT_SUBTOTAL_LABELS,
    need_code,
    placement_code,
)

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
_WITHIN_SLICE = {
    "caseload": ["placement"], "new_plans": ["placement"], "ceased": ["placement", "reason"],
    "requests": [], "assessments": [], "timeliness": [], "movers": [],
    "need_shares": ["placement", "need"],
}

_LEVELS = {"National": "national", "Regional": "region", "Local authority": "la"}
_GEO_COLS = ["time_period", "geographic_level"]
_AREA_COLS = ["country_code", "country_name", "region_code", "region_name", "old_la_code",
              "new_la_code", "la_name"]

# --- measure maps (source column -> canonical name) --------------------------------------
_REQUESTS_2025 = {
    "requests_received_in_year": "requests", "requests_rya": "requests_youth_custody",
    "requests_decided_to_assess": "decided_to_assess",
    "requests_decided_not_to_assess": "decided_not_to_assess",
    "requests_decision_not_made": "decision_not_made", "requests_withdrawn": "withdrawn",
    "request_outcome_six_weeks": "decision_within_6_weeks",
    "request_outcome_over_6_weeks": "decision_over_6_weeks",
    "mediation_related_request": "mediation", "tribunal_related_request": "tribunal",
    "tribunal_after_mediation_request": "tribunal_after_mediation",
}
_ASSESSMENTS_2025 = {
    "assess_in_year": "assessments", "assess_issued": "issued", "assess_not_issued": "not_issued",
    "assess_not_made": "not_made", "assess_withdrawn": "withdrawn",
    "outcome_decision_within_time": "decision_within_20_weeks",
    "outcome_decision_over_time": "decision_over_20_weeks",
}
_TIMELINESS_2025 = {
    "plans_issued_den": "plans_issued", "plans_issued_den_ex": "plans_issued_ex",
    "plans_issued_within_20_weeks": "within_20_weeks", "plans_issued_20_weeks_ex": "within_20_weeks_ex",
    "plans_issued_gt20weeks_ltYear": "20_to_52_weeks", "plans_issued_gt20weeks_ltYear_ex": "20_to_52_weeks_ex",
    "plans_issued_gt_1_year": "over_52_weeks", "plans_issued_gt_1_year_ex": "over_52_weeks_ex",
}
_CEASED_2025 = {
    "max_age": "max_age", "needs_met": "needs_met", "he": "higher_education", "employ": "employment",
    "transfer": "transferred_to_another_la", "no_engage": "no_longer_engaging",
    "moved_outside_eng": "moved_outside_england", "deceased": "deceased", "not_rec": "not_recorded",
    "other": "other", "total_ceased": "total",
}
_MI_2022 = {  # sen2_mi.csv column -> (frame, measure)
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
_KNOWN_MEASURES = (set(_REQUESTS_2025.values()) | set(_ASSESSMENTS_2025.values())
                   | set(_TIMELINESS_2025.values()) | {m for f, m in _MI_2022.values() if f != "ceased"})
_AGE_BANDS_2022 = {"Total": "all", "Under 5": "0-4", "Age 5 to 10": "5-10", "Age 11 to 15": "11-15",
                   "Age 16 to 19": "16-19", "Age 20 to 25": "20-25"}


# ----------------------------------------------------------------------------- helpers
def parse_year(time_period: str) -> int:
    """``'201819'`` -> 2019 (January census of that academic year); ``'2023'`` -> 2023."""
    tp = str(time_period).strip()
    if re.fullmatch(r"\d{6}", tp):
        return int(tp[:4]) + 1
    if re.fullmatch(r"\d{4}", tp):
        return int(tp)
    raise ValueError(f"time_period {tp!r}: expected YYYY or YYYYYY (e.g. 2023 or 202324)")


_AGE_RE = re.compile(r"^(?:age|aged)?\s*(\d{1,2})$")


def age_label(text: str) -> str | None:
    """Canonical age label for a SEN2 age breakdown (``None`` if not an age)."""
    t = str(text).strip().lower()
    if t in {"all", "total"}:
        return "all"
    if t in {"under 3", "age 2 and under", "aged 2 and under"}:
        return "0-2"
    if t in {"age 20 and over", "aged 20 and over"}:
        return "20-25"
    if t in {"unknown", "age unknown"}:
        return "unknown"
    m = _AGE_RE.match(t)
    if m and 0 <= int(m.group(1)) <= 25:
        return str(int(m.group(1)))
    return None


def age_bounds(label: str) -> tuple[int, int] | None:
    """(first, last) single year of age covered by an age label; ``None`` for all/unknown."""
    if label in ("all", "unknown"):
        return None
    if "-" in label:
        a, b = label.split("-")
        return int(a), int(b)
    return int(label), int(label)


def _is_single_age(labels: pd.Series) -> pd.Series:
    return labels.str.fullmatch(r"\d{1,2}")


_PLACEMENT_2025 = (  # placement columns of the 2025 caseload and new plans tables
    "mainstream_la_maintained mainstream_la_maintained_resourced_provision mainstream_la_maintained_senunit "
    "mainstream_academy mainstream_academy_resourced_provision mainstream_academy_senunit "
    "mainstream_free_school mainstream_free_school_resourced_provision mainstream_free_school_senunit "
    "mainstream_independent special_la_maintained special_academy_free special_independent "
    "special_non_maintained ap_pru_academy ap_pru_free_school ap_pru_la_maintained "
    "general_fe_tertiary_colleges specialist_post_16_institutions ukrlp_provider elective_home_education "
    "other_arrangements_la other_arrangements_parents online_provider w_settings other_schools "
    "other_placement_settings neet neet_ntci neet_other neet_other_csa nm_early_years placement_unknown "
    "await_prov_2022 perm_ex_2022").split()
_SUBTOTALS_2025 = ("mainstream_total", "special_total", "ap_pru_total", "fe_total", "ed_elsewhere")
_NEEDS_2025 = tuple(f"{n}_pc" for n in "asd hi mld msi oth pd pmld semh slcn sld spld vi unknown".split())


@dataclass(frozen=True)
class _Schema:
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


_SCHEMAS: dict[str, _Schema] = {
    "caseload_2025": _Schema("breakdown_topic", ("ehcplans",), tuple(_PLACEMENT_2025), _SUBTOTALS_2025,
                             "All EHC plans", "caseload (EHC plans at January)"),
    "newplans_2025": _Schema("breakdown_topic", ("new_ehc_plans",), tuple(_PLACEMENT_2025), _SUBTOTALS_2025,
                             "New EHC plans", "new EHC plans"),
    "ceased_2025": _Schema("breakdown_topic", tuple(_CEASED_2025), what="ceased plans"),
    "requests_2025": _Schema("breakdown_topic", tuple(_REQUESTS_2025), what="requests for assessment"),
    "assessments_2025": _Schema("breakdown_topic", tuple(_ASSESSMENTS_2025), what="EHC needs assessments"),
    "timeliness_2025": _Schema("breakdown_topic", tuple(_TIMELINESS_2025), what="20-week timeliness"),
    "needs_2025": _Schema("breakdown_topic", _NEEDS_2025, what="primary need shares"),
    "age_caseload_2022": _Schema("characteristic_age", ("Total_all",),
                                 extra=("Total_st", "Total_ehc", "Total_st_pc", "Total_ehc_pc", "Total_all_pc"),
                                 what="caseload by age"),
    "age_newplans_2022": _Schema("characteristic_age", ("Total_new_all",),
                                 extra=("Total_new_st", "Total_new_ehc", "Total_new_st_pc", "Total_new_ehc_pc",
                                        "Total_new_all_pc"), what="new plans by age"),
    "estab_caseload_2022": _Schema("establishment_type", ("establishment_group", "Total_all"),
                                   extra=("Total_st", "Total_ehc", "Total_st_pc", "Total_ehc_pc",
                                          "Total_all_pc"), what="caseload by establishment"),
    "estab_newplans_2022": _Schema("establishment_type", ("establishment_group", "Total_new_all"),
                                   extra=("Total_new_st", "Total_new_ehc", "Total_new_st_pc",
                                          "Total_new_ehc_pc", "Total_new_all_pc"),
                                   what="new plans by establishment"),
    "mi_2022": _Schema(None, tuple(_MI_2022), what="management information (requests, assessments ...)"),
}
_MARKERS = {sc.marker for sc in _SCHEMAS.values()} - {None}


def _kind(cols: set[str], frame: pd.DataFrame | None = None) -> str | None:
    """Recognise a SEN2 table by its columns: the kind with the largest share (at least
    half) of its columns present, so that a table with a renamed column is still
    recognised (and then refused naming the column, see :func:`_check_columns`)."""
    markers = cols & _MARKERS
    scores = {}
    for kind, sc in _SCHEMAS.items():
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
        kinds = [k for k in kinds if _SCHEMAS[k].topic in topics] or kinds
    return kinds[0]


def _check_columns(src: Source, kind: str, notes: list[str]) -> None:
    """Refuse a recognised table that lacks a required column or has no data rows;
    note missing optional columns.  Similar header names are offered for each."""
    sc = _SCHEMAS[kind]
    cols = list(src.frame.columns)
    unknown = [c for c in cols if c not in sc.columns and c not in _GEO_COLS and c not in _AREA_COLS
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
    if not len(src.frame):
        raise InputError(Problem(src.name, 2, None, f"data rows after the header line of this {sc.what} "
                                 "table (an empty table is a failed or cut-short download)",
                                 "the end of the file"))


# ------------------------------------------------------------------------ per-file parse
class _FileParser:
    """Parse one SEN2 file into tidy parts, recording quality findings."""

    def __init__(self, src: Source):
        self.src = src
        self.name = Path(src.name.split("!")[-1]).name if "!" in src.name else Path(src.name).name
        self.df = src.frame
        self.report = QualityReport()
        self.parts: dict[str, list[pd.DataFrame]] = {k: [] for k in FRAMES}
        self.areas: pd.DataFrame | None = None
        self._suppressed: list[pd.DataFrame] = []
        self._unknown: list[dict] = []

    # geography and years, once per file
    def prepare(self) -> pd.DataFrame:
        df = self.df
        missing = [c for c in _GEO_COLS if c not in df.columns]
        if missing:
            raise InputError([Problem(self.src.name, 1, c, "a SEN2 geography column",
                                      f"columns {list(df.columns)[:12]}") for c in missing])
        line = pd.Series(df.index.to_numpy() + 2, index=df.index)  # header = line 1
        level = df["geographic_level"].map(_LEVELS)
        bad_level = level.isna()
        for i in df.index[bad_level]:
            self._unknown.append(dict(file=self.name, line=int(line[i]), column="geographic_level",
                                      value=df.at[i, "geographic_level"],
                                      what="geographic level not used (kept out)"))
        old = df.get("old_la_code", pd.Series("", index=df.index)).str.strip()
        region = df.get("region_code", pd.Series("", index=df.index)).str.strip()
        code = pd.Series(np.where(level == "la", old, np.where(level == "region", region, ENGLAND_CODE)),
                         index=df.index)
        bad_la = (level == "la") & ~old.str.fullmatch(r"\d{3}")
        for i in df.index[bad_la]:
            self._unknown.append(dict(file=self.name, line=int(line[i]), column="old_la_code",
                                      value=old[i], what="LA row without a 3-digit LA code (kept out)"))
        years = df["time_period"].map(_safe_year)
        bad_year = years.isna()
        if bad_year.any():
            i = df.index[bad_year][0]
            raise InputError(Problem(self.src.name, int(line[i]), "time_period",
                                     "YYYY or YYYYYY (e.g. 2023 or 202324)", df.at[i, "time_period"]))
        keep = ~(bad_level | bad_la)
        out = df.loc[keep].copy()
        out["_line"] = line[keep]
        out["_year"] = years[keep].astype(int)
        out["_level"] = level[keep]
        out["_code"] = code[keep]
        area_cols = {"new_la_code": "new_la_code", "la_name": "la_name", "region_code": "region_code",
                     "region_name": "region_name"}
        areas = pd.DataFrame({"year": out["_year"], "level": out["_level"], "la_code": out["_code"]})
        for c, n in area_cols.items():
            areas[n] = out[c].str.strip() if c in out else ""
        areas.loc[areas.level == "national", "la_name"] = "England"
        areas.loc[areas.level == "region", "la_name"] = areas.loc[areas.level == "region", "region_name"]
        self.areas = areas.drop_duplicates()
        return out

    def numeric(self, df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
        """Columns -> float; suppression codes -> NaN (recorded); anything else -> error."""
        out = pd.DataFrame(index=df.index)
        problems = []
        for c in cols:
            s = df[c].str.strip()
            num = pd.to_numeric(s, errors="coerce")
            nan = num.isna()
            if nan.any():
                low = s[nan].str.lower()
                supp = low.isin(SUPPRESSION_CODES.keys())
                if supp.any():
                    idx = low.index[supp]
                    self._suppressed.append(pd.DataFrame({
                        "file": self.name, "line": df.loc[idx, "_line"].to_numpy(), "column": c,
                        "code": low[supp].to_numpy(), "meaning": low[supp].map(SUPPRESSION_CODES).to_numpy(),
                        "year": df.loc[idx, "_year"].to_numpy(), "la_code": df.loc[idx, "_code"].to_numpy(),
                    }))
                for i in low.index[~supp][:50]:
                    problems.append(Problem(self.src.name, int(df.at[i, "_line"]), c,
                                            "a number or a suppression code (x, z, c, low, u)", s[i]))
            num = num.astype(float)
            inf = np.isinf(num)
            for i in num.index[inf][:50]:
                problems.append(Problem(self.src.name, int(df.at[i, "_line"]), c, "a finite number", s[i]))
            neg = num < 0
            if neg.any():  # the source's fault: that cell is missing, the release is still used
                for i in num.index[neg]:
                    self._unknown.append(dict(file=self.name, line=int(df.at[i, "_line"]), column=c,
                                              value=s[i], what="negative count (read as missing)"))
                num = num.mask(neg)
            out[c] = num
        if problems:
            raise InputError(problems)
        return out

    def emit(self, frame: str, base: pd.DataFrame, values: pd.DataFrame, value_map: dict[str, dict],
             ) -> None:
        """Melt ``values`` (columns = source columns) using ``value_map[col]`` = extra key columns."""
        for col, keys in value_map.items():
            if col not in values:
                continue
            part = base.copy()
            for k, v in keys.items():
                part[k] = v
            part["value"] = values[col].to_numpy()
            self.parts[frame].append(part)

    def base(self, df: pd.DataFrame, age: pd.Series | str) -> pd.DataFrame:
        return pd.DataFrame({"year": df["_year"].to_numpy(), "level": df["_level"].to_numpy(),
                             "la_code": df["_code"].to_numpy(),
                             "age": age.to_numpy() if isinstance(age, pd.Series) else age,
                             "_line": df["_line"].to_numpy()})

    def topic_ages(self, df: pd.DataFrame, topics: dict[str, str | None]) -> tuple[pd.DataFrame, pd.Series]:
        """Keep rows of the listed breakdown topics; value None = age from ``breakdown``."""
        topic = df["breakdown_topic"].str.strip()
        skipped = sorted(set(topic) - set(topics))
        if skipped:
            self.report.notes.append(f"{self.name}: breakdowns not used: {', '.join(skipped)}")
        df = df[topic.isin(topics)]
        topic = topic[df.index]
        fixed = topic.map(topics)
        parsed = df["breakdown"].map(age_label)
        age = fixed.where(fixed.notna(), parsed)
        bad = age.isna()
        for i in df.index[bad]:
            self._unknown.append(dict(file=self.name, line=int(df.at[i, "_line"]), column="breakdown",
                                      value=df.at[i, "breakdown"], what="unrecognised age (kept out)"))
        return df[~bad], age[~bad]

    def placement_cols(self, df: pd.DataFrame, total_col: str) -> dict[str, dict]:
        cols = {}
        for c in df.columns:
            if c.startswith("_") or c.endswith("_pc") or c.endswith("_PC") or c in PLACEMENT_SUBTOTAL_COLUMNS:
                continue
            code = placement_code(c)
            if code is not None:
                cols[c] = {"placement": code}
        cols[total_col] = {"placement": "total"}
        return cols

    # ---- file kinds
    def parse(self, kind: str) -> None:
        repeats = self.df.attrs.get("repeated_lines", [])
        if repeats:
            self.report.duplicates = pd.DataFrame({
                "file": self.name, "line": [n for n, _ in repeats], "first_line": [f for _, f in repeats],
                "key": "the whole line", "value": np.nan, "first_value": np.nan})
        df = self.prepare()
        getattr(self, f"_{kind}")(df)
        if self._suppressed:
            self.report.suppressed = pd.concat(self._suppressed, ignore_index=True)
        if self._unknown:
            self.report.unknown = pd.DataFrame(self._unknown)

    def _placement_2025(self, df: pd.DataFrame, frame: str, total_col: str, topics: dict) -> None:
        df, age = self.topic_ages(df, topics)
        cols = self.placement_cols(df, total_col)
        vals = self.numeric(df, list(cols))
        self.emit(frame, self.base(df, age), vals, cols)

    def _caseload_2025(self, df):
        self._placement_2025(df, "caseload", "ehcplans",
                             {"All EHC plans": "all", "Child or young persons age": None})

    def _newplans_2025(self, df):
        self._placement_2025(df, "new_plans", "new_ehc_plans",
                             {"New EHC plans": "all", "Age when plan started": None})

    def _measures_2025(self, df, frame: str, mapping: dict[str, str], all_topic: str) -> None:
        df, age = self.topic_ages(df, {all_topic: "all", "Child or young persons age": None})
        cols = [c for c in mapping if c in df.columns]
        vals = self.numeric(df, cols)
        self.emit(frame, self.base(df, age), vals, {c: {"measure": mapping[c]} for c in cols})

    def _requests_2025(self, df):
        self._measures_2025(df, "requests", _REQUESTS_2025, "All requests for EHC needs assessments")

    def _assessments_2025(self, df):
        self._measures_2025(df, "assessments", _ASSESSMENTS_2025, "All EHC needs assessments")

    def _timeliness_2025(self, df):
        self._measures_2025(df, "timeliness", _TIMELINESS_2025, "All EHC plans issued")

    def _labelled_placement(self, df: pd.DataFrame, age: pd.Series) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
        """Rows whose breakdown is a 'Type of placement' label -> placement codes."""
        is_pl = df["breakdown_topic"].str.strip() == "Type of placement"
        placement = pd.Series("total", index=df.index, dtype=object)
        labels = df.loc[is_pl, "breakdown"].str.strip()
        sub = labels.str.lower().isin(PLACEMENT_SUBTOTAL_LABELS)
        codes = labels.map(placement_code)
        for i in labels.index[codes.isna() & ~sub]:
            self._unknown.append(dict(file=self.name, line=int(df.at[i, "_line"]), column="breakdown",
                                      value=labels[i], what="unknown placement label (kept out)"))
        placement.loc[labels.index] = codes
        keep = placement.notna()
        age = age.copy()
        age[is_pl] = "all"
        return df[keep], age[keep], placement[keep]

    def _ceased_2025(self, df):
        topics = {"All ceased EHC plans": "all", "Age plan ceased": None, "Type of placement": "all"}
        df, age = self.topic_ages(df, topics)
        df, age, placement = self._labelled_placement(df, age)
        cols = [c for c in _CEASED_2025 if c in df.columns]
        vals = self.numeric(df, cols)
        base = self.base(df, age).assign(placement=placement.to_numpy())
        self.emit("ceased", base, vals, {c: {"reason": _CEASED_2025[c]} for c in cols})

    def _needs_2025(self, df):
        topics = {"All EHC plans": "all", "Child or young persons age": None, "Type of placement": "all"}
        df, age = self.topic_ages(df, topics)
        df, age, placement = self._labelled_placement(df, age)
        cols = [c for c in df.columns if c.endswith("_pc") and need_code(c)]
        vals = self.numeric(df, cols) / 100.0
        scope = np.where(df["time_identifier"].str.contains("Academic"), "all_plans", "new_plans")
        base = self.base(df, age).assign(placement=placement.to_numpy(), scope=scope)
        self.emit("need_shares", base, vals, {c: {"need": need_code(c)} for c in cols})

    def _age_2022(self, df, frame: str, col: str):
        ca = df["characteristic_age"].str.strip()
        age = ca.map(_AGE_BANDS_2022)
        for i in df.index[age.isna()]:
            self._unknown.append(dict(file=self.name, line=int(df.at[i, "_line"]), column="characteristic_age",
                                      value=ca[i], what="unrecognised age band (kept out)"))
        df, age = df[age.notna()], age[age.notna()]
        vals = self.numeric(df, [col])
        self.emit(frame, self.base(df, age), vals, {col: {"placement": "total"}})

    def _age_caseload_2022(self, df):
        self._age_2022(df, "caseload", "Total_all")

    def _age_newplans_2022(self, df):
        self._age_2022(df, "new_plans", "Total_new_all")

    def _estab_2022(self, df, frame: str, col: str):
        et = df["establishment_type"].str.strip()
        eg = df["establishment_group"].str.strip()
        code = et.map(lambda t: "total" if t == "Total" else (
            "await_prov_2022" if t == "Awaiting provision - total" else placement_code(t)))
        # 'Total' type within a group is a group subtotal: not a placement
        code[(et == "Total") & (eg != "Total")] = None
        unknown = code.isna() & (et != "Total")
        for i in df.index[unknown]:
            self._unknown.append(dict(file=self.name, line=int(df.at[i, "_line"]), column="establishment_type",
                                      value=et[i], what="unknown placement label (kept out)"))
        keep = code.notna()
        df = df[keep]
        vals = self.numeric(df, [col])
        part = self.base(df, "all").assign(placement=code[keep].to_numpy(), value=vals[col].to_numpy())
        self.parts[frame].append(part)

    def _estab_caseload_2022(self, df):
        self._estab_2022(df, "caseload", "Total_all")

    def _estab_newplans_2022(self, df):
        self._estab_2022(df, "new_plans", "Total_new_all")

    def _mi_2022(self, df):
        cols = [c for c in _MI_2022 if c in df.columns]
        vals = self.numeric(df, cols)
        base = self.base(df, "all")
        for frame in ("requests", "assessments", "timeliness", "movers"):
            sub = {c: {"measure": m} for c, (f, m) in _MI_2022.items() if f == frame and c in vals}
            self.emit(frame, base.drop(columns="age") if frame == "movers" else base, vals, sub)
        ceased = {c: m for c, (f, m) in _MI_2022.items() if f == "ceased" and c in vals}
        b = base.assign(placement="total")
        self.emit("ceased", b, vals, {c: {"reason": m} for c, m in ceased.items()})
        if len(ceased) == 4:
            total = vals[list(ceased)].sum(axis=1, min_count=4)
            self.parts["ceased"].append(b.assign(reason="total", value=total.to_numpy()))


def _safe_year(tp: str) -> float:
    try:
        return parse_year(tp)
    except ValueError:
        return np.nan


# ------------------------------------------------------------------------------ dataset
@dataclass
class SEN2Data:
    """Tidy SEN2 tables merged over releases, with an LA lookup and a quality report.

    Frames (see :data:`FRAME_COLUMNS`): ``caseload``, ``new_plans``, ``ceased``,
    ``requests``, ``assessments``, ``timeliness``, ``movers`` (2014-2021
    mainstream<->special transfers), ``need_shares`` (fractions, 0-1).
    ``las`` has one row per area (LAs, regions, England).
    """

    caseload: pd.DataFrame
    new_plans: pd.DataFrame
    ceased: pd.DataFrame
    requests: pd.DataFrame
    assessments: pd.DataFrame
    timeliness: pd.DataFrame
    movers: pd.DataFrame
    need_shares: pd.DataFrame
    las: pd.DataFrame
    quality: QualityReport
    sources: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ convenience
    def la_codes(self) -> list[str]:
        """3-digit codes of every LA present in the data."""
        return sorted(self.las.loc[self.las.level == "la", "la_code"])

    def la_name(self, code: str) -> str:
        row = self.las.loc[self.las.la_code == code, "la_name"]
        return str(row.iloc[0]) if len(row) else code

    def subset(self, las: Iterable[str]) -> SEN2Data:
        """The rows of these LAs plus every region and England row (the reference areas).

        Everything one LA's projection reads, at a fraction of the size: a batch
        run sends each worker process the subset for its LA, not all 150 LAs.
        The LA lookup, quality report and sources are kept whole.
        """
        keep = set(las)

        def cut(f: pd.DataFrame) -> pd.DataFrame:
            return f[(f.level != "la") | f.la_code.isin(keep)].reset_index(drop=True)

        frames = {name: cut(getattr(self, name)) for name in FRAME_COLUMNS if hasattr(self, name)}
        return SEN2Data(**frames, las=self.las, quality=self.quality, sources=list(self.sources))

    def series(self, measure: str, level: str = "la") -> pd.DataFrame:
        """One headline annual series per area: columns ``la_code, la_name, year, value``.

        Measures: ``caseload`` (EHC plans at January), ``requests`` (initial
        requests for assessment), ``assessments`` (assessments completed with a
        decision: plan issued + not issued, the definition available in every
        year), ``new_plans``, ``ceased`` (plans ceased in the year), and any
        measure of the requests/assessments/timeliness frames, e.g.
        ``decided_to_assess`` or ``within_20_weeks``.
        """
        if measure in ("caseload", "new_plans"):
            f = getattr(self, measure)
            s = f[(f.age == "all") & (f.placement == "total")]
        elif measure == "ceased":
            s = self.ceased[(self.ceased.age == "all") & (self.ceased.placement == "total")
                            & (self.ceased.reason == "total")]
        elif measure == "assessments":
            a = self.assessments[(self.assessments.age == "all")
                                 & self.assessments.measure.isin(["issued", "not_issued"])]
            s = (a.groupby(["year", "level", "la_code"], observed=True)["value"]
                 .sum(min_count=2).reset_index())
        else:
            for fname in ("requests", "assessments", "timeliness"):
                f = getattr(self, fname)
                if measure in set(f.measure):
                    s = f[(f.age == "all") & (f.measure == measure)]
                    break
            else:
                if measure not in _KNOWN_MEASURES:
                    raise NotFoundError(f"unknown measure {measure!r}; try caseload, requests, assessments, "
                                   "new_plans, ceased or a measure of the requests/assessments/timeliness "
                                   "frames")
                s = pd.DataFrame({"la_code": [], "year": [], "value": [], "level": []})
        s = s[s.level == level][["la_code", "year", "value"]]
        names = self.las.set_index("la_code")["la_name"]
        s = s.assign(la_name=s.la_code.map(names).fillna(s.la_code))
        return s[["la_code", "la_name", "year", "value"]].sort_values(["la_code", "year"]).reset_index(drop=True)

    def summary(self, las: Iterable[str] | str = "all",
                measures: Iterable[str] = ("caseload", "requests", "assessments", "new_plans", "ceased"),
                ) -> pd.DataFrame:
        """Long table ``la_code, la_name, measure, year, value`` of headline measures.

        ``las`` is ``"all"`` (every LA), or codes: 3-digit LA codes, region
        codes (E12…) or ``E92000001``/``"england"`` for England.
        """
        codes = None if las == "all" else [c.strip() for c in ([las] if isinstance(las, str) else las)]
        if codes is not None:
            codes = [ENGLAND_CODE if c.lower() == "england" else c for c in codes]
            known = set(self.las.la_code)
            unknown = [c for c in codes if c not in known]
            if unknown:
                raise NotFoundError(f"unknown area code(s) {unknown}; known LA codes are 3-digit DfE codes "
                               f"such as {self.la_codes()[:5]}")
        out = []
        for m in measures:
            for level in ("la", "region", "national"):
                s = self.series(m, level)
                if codes is None:
                    if level != "la":
                        continue
                else:
                    s = s[s.la_code.isin(codes)]
                out.append(s.assign(measure=m))
        res = pd.concat(out, ignore_index=True)
        return res[["la_code", "la_name", "measure", "year", "value"]].sort_values(
            ["la_code", "measure", "year"]).reset_index(drop=True)

    def placement_groups(self, frame: str = "caseload", age: str = "all") -> pd.DataFrame:
        """Counts by placement group: ``year, level, la_code, age, placement_group, value``.

        Detailed placements are summed into groups (missing stays missing when
        every part is missing).  Where the published total exceeds the sum of
        the placement parts (older aggregate returns, Hackney/Peterborough
        2024) the difference is put in ``not_recorded`` so that groups add up
        to the published total; the discrepancy itself is listed in the
        quality report.
        """
        from .taxonomy import PLACEMENT_TO_GROUP

        f = getattr(self, frame)
        f = f if age is None else f[f.age == age]
        keys = ["year", "level", "la_code", "age"]
        parts = f[f.placement != "total"].assign(placement_group=lambda d: d.placement.map(PLACEMENT_TO_GROUP))
        g = parts.groupby([*keys, "placement_group"], observed=True)["value"].sum(min_count=1).reset_index()
        tot = f[f.placement == "total"].set_index(keys)["value"]
        sums = g.groupby(keys, observed=True)["value"].sum()
        resid = (tot - sums.reindex(tot.index)).clip(lower=0).dropna()
        resid = resid[resid > 0]
        if len(resid):
            extra = resid.rename("value").reset_index().assign(placement_group="not_recorded")
            g = pd.concat([g, extra], ignore_index=True)
            g = g.groupby([*keys, "placement_group"], observed=True)["value"].sum(min_count=1).reset_index()
        return g


def load_sen2(*paths: str | Path, check: bool = True) -> SEN2Data:
    """Load one or more SEN2 releases (folders, zip files or CSV files) into :class:`SEN2Data`.

    Later (newer) releases win where two sources hold the same slice.  A
    release's vintage is its latest caseload (January census) year, or its
    latest year of any measure when it has no caseload file.
    """
    if not paths:
        raise ValueError("load_sen2 needs at least one path (a release folder, zip or CSV file)")
    releases: dict[str, list[_FileParser]] = {}
    notes: list[str] = []
    for p in paths:
        used, skipped = 0, []
        for src in iter_sources(Path(p)):
            kind = _kind(set(src.frame.columns), src.frame)
            if kind is None:
                skipped.append(Path(src.name).name)
                notes.append(f"{Path(src.name).name}: not a SEN2 table this library reads (skipped)")
                continue
            _check_columns(src, kind, notes)
            fp = _FileParser(src)
            fp.parse(kind)
            releases.setdefault(src.release, []).append(fp)
            used += 1
        if not used:  # every path given must hold a SEN2 table: a wrong folder is not ignored
            raise InputError(Problem(str(p), None, None, "at least one SEN2 table (caseload, new plans, "
                                     "requests ...) recognised by its columns",
                                     "only other files: " + ", ".join(skipped[:8])
                                     + (f" and {len(skipped) - 8} more" if len(skipped) > 8 else "")))
    vintages = {}
    for rel, parsers in releases.items():
        cas = [p for fp in parsers for p in fp.parts["caseload"]]
        years = [int(p.year.max()) for p in cas if len(p)] or [
            int(p.year.max()) for fp in parsers for k in FRAMES for p in fp.parts[k] if len(p)]
        vintages[rel] = max(years) if years else 0
    parsers = [fp for rel in releases for fp in releases[rel]]
    report = QualityReport.combine([fp.report for fp in parsers])
    report.notes[:0] = notes
    order = sorted(vintages, key=vintages.get)
    if len(order) > 1:
        report.notes.append("Releases merged (newest wins on overlapping slices): "
                            + ", then ".join(f"{Path(r).name} (latest January {vintages[r]})"
                                             for r in reversed(order)))
    frames = {}
    dup_rows = []
    for k in FRAMES:
        parts = [p.assign(_vintage=vintages[rel], _file=fp.name)
                 for rel in releases for fp in releases[rel] for p in fp.parts[k] if len(p)]
        frames[k], dups = _merge(k, parts)
        if len(dups):
            dup_rows.append(dups)
    if dup_rows:  # after the exact repeats found while reading
        report.duplicates = pd.concat([d for d in [report.duplicates, *dup_rows] if len(d)],
                                      ignore_index=True)
    areas = pd.concat([fp.areas.assign(_vintage=vintages[rel]) for rel in releases
                       for fp in releases[rel] if fp.areas is not None], ignore_index=True)
    las = _la_lookup(areas, frames["caseload"], report)
    data = SEN2Data(**frames, las=las, quality=report, sources=[str(p) for p in paths])
    if check:
        _null_region_copies(data, report)
        _check_totals(data, report)
    return data


def _null_region_copies(data: SEN2Data, report: QualityReport) -> None:
    """LA totals that repeat their region's total are publishing errors: set them missing.

    Seen in the 2025 release: every Yorkshire and The Humber LA's 2022 new-plans
    total is the region's total (6,078) while its placement parts are its own.
    """
    region_of = data.las.set_index("la_code")["region_code"]
    names = data.las.set_index("la_code")["la_name"]
    rows = []
    for frame, col, total in (("caseload", "placement", "total"), ("new_plans", "placement", "total"),
                              ("requests", "measure", "requests")):
        f = getattr(data, frame)
        sel = (f.age == "all") & (f[col] == total)
        la = f[sel & (f.level == "la")]
        reg = f[sel & (f.level == "region")].set_index(["la_code", "year"])["value"]
        reg_val = reg.reindex(pd.MultiIndex.from_arrays(
            [la.la_code.astype(str).map(region_of).to_numpy(), la.year.to_numpy()])).to_numpy()
        n_la = la.assign(r=la.la_code.astype(str).map(region_of)).groupby(["r", "year"])["la_code"].transform(
            "size").to_numpy()
        bad = (la.value.to_numpy() == reg_val) & (n_la > 1)
        if bad.any():
            idx = la.index[bad]
            for i in idx:
                code = str(f.at[i, "la_code"])
                rows.append(dict(file=frame, check="LA total equals its region's total (set missing)",
                                 year=int(f.at[i, "year"]), la_code=code, la_name=names.get(code, code),
                                 total=f.at[i, "value"], sum_of_parts=np.nan, difference=np.nan))
            f.loc[idx, "value"] = np.nan
    if rows:
        report.inconsistent = pd.concat([report.inconsistent, pd.DataFrame(rows)], ignore_index=True)


def _merge(frame: str, parts: list[pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    cols = FRAME_COLUMNS[frame]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=float if c == "value" else object) for c in cols}), \
            pd.DataFrame()
    df = pd.concat(parts, ignore_index=True)
    slice_keys = [c for c in cols if c != "value" and c not in _WITHIN_SLICE[frame]]
    # newest release wins per slice
    best = df.groupby(slice_keys, observed=True)["_vintage"].transform("max")
    df = df[df["_vintage"] == best]
    key = [c for c in cols if c != "value"]
    dup = df.duplicated(key, keep="first")
    dups = pd.DataFrame()
    if dup.any():
        # the same slice published twice in one release (e.g. the 2022 release's age and
        # establishment files both carry the LA total): keep the first, list conflicts
        first = df[~dup].set_index(key)
        d = df[dup]
        idx = pd.MultiIndex.from_frame(d[key])
        first_value = first["value"].reindex(idx).to_numpy()
        differs = ~np.isclose(d["value"].to_numpy(), first_value, equal_nan=True)
        d = d[differs]
        dups = pd.DataFrame({
            "file": d["_file"].to_numpy(), "line": d["_line"].to_numpy(),
            "first_line": first["_line"].reindex(idx).to_numpy()[differs],
            "key": ["|".join(map(str, k)) for k in d[key].itertuples(index=False, name=None)],
            "value": d["value"].to_numpy(), "first_value": first_value[differs],
        })
        df = df[~dup]
    df = df[cols].sort_values(key, kind="stable").reset_index(drop=True)
    df["year"] = df["year"].astype(int)
    df["value"] = df["value"].astype(float)
    for c in cols:
        if c not in ("year", "value"):
            df[c] = df[c].astype(str)
    return df, dups


def _la_lookup(areas: pd.DataFrame, caseload: pd.DataFrame, report: QualityReport) -> pd.DataFrame:
    areas = areas.sort_values(["year", "_vintage"])
    latest = areas.groupby("la_code", observed=True).tail(1).set_index("la_code")
    span = areas.groupby("la_code", observed=True)["year"].agg(["min", "max"])
    cl = caseload[(caseload.age == "all") & (caseload.placement == "total")]
    cspan = cl.groupby("la_code", observed=True)["year"].agg(["min", "max"])
    out = latest[["level", "la_name", "new_la_code", "region_code", "region_name"]].copy()
    out["first_year"] = cspan["min"].reindex(out.index).fillna(span["min"]).astype(int)
    out["last_year"] = cspan["max"].reindex(out.index).fillna(span["max"]).astype(int)
    out["status"] = [series_status(c) if lv == "la" else "aggregate" for c, lv in zip(out.index, out.level, strict=False)]
    names = areas[areas.level == "la"].groupby("la_code", observed=True)["la_name"].nunique()
    for code in names[names > 1].index:
        variants = sorted(set(areas.loc[areas.la_code == code, "la_name"]))
        report.notes.append(f"LA {code} appears under several names {variants}; the latest is used")
    codes = areas.loc[areas.level == "la", ["la_code", "new_la_code"]].drop_duplicates()
    changed = codes.groupby("la_code")["new_la_code"].nunique()
    for code in changed[changed > 1].index:
        variants = sorted(set(codes.loc[codes.la_code == code, "new_la_code"]))
        report.notes.append(f"LA {code} ({out.at[code, 'la_name']}) has ONS codes {variants}; "
                            "series are keyed on the 3-digit code")
    out.loc[out.level == "region", "region_code"] = out.index[out.level == "region"]
    return out.reset_index().sort_values(["level", "la_code"]).reset_index(drop=True)


def _check_totals(data: SEN2Data, report: QualityReport) -> None:
    """Totals vs parts: placement parts vs LA total; LAs vs regions and England."""
    rows = []
    names = data.las.set_index("la_code")["la_name"]
    for frame in ("caseload", "new_plans"):
        f = getattr(data, frame)
        f = f[f.age == "all"]
        tot = f[f.placement == "total"].set_index(["year", "level", "la_code"])["value"]
        parts = f[f.placement != "total"].groupby(["year", "level", "la_code"], observed=True)["value"].sum(
            min_count=1)
        both = pd.concat([tot.rename("total"), parts.rename("sum_of_parts")], axis=1).dropna()
        bad = both[(both.total - both.sum_of_parts).abs() >= 1]
        for (y, _lv, code), r in bad.iterrows():
            rows.append(dict(file=frame, check="placements vs total", year=y, la_code=code,
                             la_name=names.get(code, code), total=r.total, sum_of_parts=r.sum_of_parts,
                             difference=r.total - r.sum_of_parts))
    region_of = data.las.set_index("la_code")["region_code"]
    for measure in ("caseload", "new_plans", "requests", "ceased"):
        la = data.series(measure, "la")
        nat = data.series(measure, "national").set_index("year")["value"]
        la_sum = la.groupby("year")["value"].sum(min_count=1)
        n_missing = la.groupby("year")["value"].apply(lambda v: int(v.isna().sum()))
        for y in nat.index.intersection(la_sum.index):
            if abs(nat[y] - la_sum[y]) >= 1:
                rows.append(dict(file=measure, check="LAs vs England", year=y, la_code=ENGLAND_CODE,
                                 la_name="England" + (f" ({n_missing[y]} LA values missing)"
                                                      if n_missing[y] else ""),
                                 total=nat[y], sum_of_parts=la_sum[y], difference=nat[y] - la_sum[y]))
        reg = data.series(measure, "region").set_index(["la_code", "year"])["value"]
        la_reg = la.assign(region=la.la_code.map(region_of)).groupby(["region", "year"])["value"].sum(
            min_count=1)
        both = pd.concat([reg.rename("total"), la_reg.rename("sum_of_parts")], axis=1).dropna()
        bad = both[(both.total - both.sum_of_parts).abs() >= 1]
        for (code, y), r in bad.iterrows():
            rows.append(dict(file=measure, check="LAs vs region", year=y, la_code=code,
                             la_name=names.get(code, code), total=r.total, sum_of_parts=r.sum_of_parts,
                             difference=r.total - r.sum_of_parts))
    if rows:
        report.inconsistent = pd.concat([report.inconsistent, pd.DataFrame(rows)], ignore_index=True)
