"""Parse one SEN2 table into tidy parts: geography, years, ages, placements, values.

:class:`FileParser` turns one recognised table (a :class:`~.sources.Source` of a kind
named by :func:`~.sen2_schema.table_kind`) into parts of the tidy frames of
:data:`~.sen2_schema.FRAME_COLUMNS`, one method per table kind, and records what it
finds on the way in its own :class:`~.quality.QualityReport`: suppressed cells
(read as missing, never 0), negative counts (read as missing), unknown labels and
codes (kept out) and lines repeated exactly (dropped).  Text in a number column or an
unreadable year is refused, naming file, line and column.  Merging the parts of many
files and releases is :func:`sendforecast.data.sen2.load_sen2`'s job.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from .geography import ENGLAND_CODE
from .quality import SUPPRESSION_CODES, QualityReport
from .sen2_schema import (
    AGE_BANDS_2022,
    ASSESSMENTS_2025,
    CEASED_2025,
    FRAMES,
    GEO_COLS,
    LEVELS,
    MI_2022,
    REQUESTS_2025,
    TIMELINESS_2025,
)
from .sources import Source
from .taxonomy import (
    PLACEMENT_SUBTOTAL_COLUMNS,
    PLACEMENT_SUBTOTAL_LABELS,
    need_code,
    placement_code,
)


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


# ------------------------------------------------------------------------ per-file parse
class FileParser:
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

    def _require_area_codes(self, df: pd.DataFrame, level: pd.Series) -> None:
        """LA rows need ``old_la_code``, region rows ``region_code``: a renamed column read
        '0 LAs' and every LA code was then 'unknown' without a word of the file."""
        need = {"la": ("old_la_code", "Local authority", "the 3-digit DfE LA code"),
                "region": ("region_code", "Regional", "the region code (E12...)")}
        problems = []
        for lv, (col, label, what) in need.items():
            if col in df.columns or not (level == lv).any():
                continue
            near = difflib.get_close_matches(col, [str(c) for c in df.columns], n=3, cutoff=0.6)
            problems.append(Problem(
                self.src.name, 1, col, f"a column named '{col}' ({what}) in a table with "
                f"'{label}' rows", ("similar column(s) in the header: " + ", ".join(near)) if near
                else "no similar column in the header"))
        if problems:
            raise InputError(problems)

    # geography and years, once per file
    def prepare(self) -> pd.DataFrame:
        df = self.df
        missing = [c for c in GEO_COLS if c not in df.columns]
        if missing:
            raise InputError([Problem(self.src.name, 1, c, "a SEN2 geography column",
                                      f"columns {list(df.columns)[:12]}") for c in missing])
        line = pd.Series(df.index.to_numpy() + 2, index=df.index)  # header = line 1
        level = df["geographic_level"].map(LEVELS)
        self._require_area_codes(df, level)
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
        self._measures_2025(df, "requests", REQUESTS_2025, "All requests for EHC needs assessments")

    def _assessments_2025(self, df):
        self._measures_2025(df, "assessments", ASSESSMENTS_2025, "All EHC needs assessments")

    def _timeliness_2025(self, df):
        self._measures_2025(df, "timeliness", TIMELINESS_2025, "All EHC plans issued")

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
        cols = [c for c in CEASED_2025 if c in df.columns]
        vals = self.numeric(df, cols)
        base = self.base(df, age).assign(placement=placement.to_numpy())
        self.emit("ceased", base, vals, {c: {"reason": CEASED_2025[c]} for c in cols})

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
        age = ca.map(AGE_BANDS_2022)
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
        cols = [c for c in MI_2022 if c in df.columns]
        vals = self.numeric(df, cols)
        base = self.base(df, "all")
        for frame in ("requests", "assessments", "timeliness", "movers"):
            sub = {c: {"measure": m} for c, (f, m) in MI_2022.items() if f == frame and c in vals}
            self.emit(frame, base.drop(columns="age") if frame == "movers" else base, vals, sub)
        ceased = {c: m for c, (f, m) in MI_2022.items() if f == "ceased" and c in vals}
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

