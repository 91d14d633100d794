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
releases): a missing one, or one the library does not know, is a quality note.  Faults of a published DfE value are
recorded, not refused: a negative count becomes ``NaN`` and is listed in
``quality.unknown``; a line repeated exactly within a file is dropped and listed in
``quality.duplicates``.

The work is shared out: :mod:`.sources` reads folders, zips and CSV bytes;
:mod:`.sen2_schema` recognises each table by its columns; :mod:`.sen2_parse` turns one
table into tidy parts; this module merges the parts of every file and release into
:class:`SEN2Data`, builds the LA lookup and checks totals against their parts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, NotFoundError, Problem
from .geography import ENGLAND_CODE, series_status
from .quality import QualityReport, append_rows
from .sen2_parse import FileParser, age_bounds, age_label, parse_year
from .sen2_schema import (
    FRAME_COLUMNS,
    FRAMES,
    KNOWN_MEASURES,
    WITHIN_SLICE,
    check_columns,
    table_kind,
)
from .sources import iter_sources
from .taxonomy import PLACEMENT_TO_GROUP

__all__ = ["FRAMES", "FRAME_COLUMNS", "SEN2Data", "age_bounds", "age_label", "load_sen2", "parse_year"]


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

    def check_la_codes(self, codes: Iterable[str], *, areas: bool = False) -> None:
        """Raise :class:`NotFoundError` naming every code not in the data (``areas``: region
        and England codes are known too); a code that is an LA's name, or part of one, is
        answered with that LA's code (``--la Buckinghamshire`` is the commonest slip)."""
        known = set(self.las.la_code.astype(str)) if areas else set(self.la_codes())
        unknown = [str(c) for c in codes if str(c) not in known]
        if not unknown:
            return
        las = self.las[self.las.level == "la"].sort_values("la_code")
        examples = ", ".join(f"{c} ({n})" for c, n in zip(las.la_code[:3], las.la_name[:3],
                                                          strict=True))
        what = "3-digit DfE LA codes" + (f", E12... region codes or {ENGLAND_CODE} (England)"
                                         if areas else "")
        what += f", e.g. {examples}" if examples else " (the data hold no LA rows)"
        hints = [h for c in unknown if (h := self.la_name_hint(c))]
        raise NotFoundError(f"unknown LA code(s) {', '.join(map(repr, unknown))}: not in the "
                            f"data; expected {what}" + "".join(f"; {h}" for h in hints))

    def la_name_hint(self, text: str) -> str | None:
        """``'Buckinghamshire' is the name of LA 825 (...)`` when ``text`` is (part of) an LA
        name, else None."""
        def norm(x) -> str:
            return "".join(ch for ch in str(x).lower() if ch.isalnum())

        key = norm(text)
        if len(key) < 3 or key.isdigit():
            return None
        las = self.las[self.las.level == "la"]
        names = dict(zip(las.la_code.astype(str), las.la_name, strict=True))
        exact = [c for c, n in names.items() if norm(n) == key]
        if exact:
            return (f"{text!r} is the name of LA {exact[0]} ({names[exact[0]]}): give its code, "
                    f"{exact[0]}")
        part = [c for c, n in names.items() if key in norm(n)][:3]
        if part:
            return (f"{text!r} looks like the name of LA "
                    + " or ".join(f"{c} ({names[c]})" for c in part) + ": give the code")
        return None

    def subset(self, las: Iterable[str]) -> SEN2Data:
        """The rows of these LAs plus every region and England row (the reference areas).

        Everything one LA's projection reads, at a fraction of the size: a batch
        run sends each worker process the subset for its LA, not all 150 LAs.
        The LA lookup, quality report and sources are kept whole.
        """
        keep = set(las)

        def cut(f: pd.DataFrame) -> pd.DataFrame:
            return f[(f.level != "la") | f.la_code.isin(keep)].reset_index(drop=True)

        frames = {name: cut(getattr(self, name)) for name in FRAME_COLUMNS}
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
                if measure not in KNOWN_MEASURES:
                    raise NotFoundError(f"unknown measure {measure!r}; try caseload, requests, assessments, "
                                   "new_plans, ceased or a measure of the requests/assessments/timeliness "
                                   "frames")
                s = pd.DataFrame({"la_code": [], "year": [], "value": [], "level": []})
        s = s[s.level == level][["la_code", "year", "value"]]
        names = self.las.set_index("la_code")["la_name"]
        s = s.assign(la_name=s.la_code.map(names).fillna(s.la_code))
        return s[["la_code", "la_name", "year", "value"]].sort_values(["la_code", "year"]).reset_index(drop=True)

    def summary(self, la: Iterable[str] | str = "all",
                measures: Iterable[str] = ("caseload", "requests", "assessments", "new_plans", "ceased"),
                ) -> pd.DataFrame:
        """Long table ``la_code, la_name, measure, year, value`` of headline measures.

        ``la`` is ``"all"`` (every LA), or codes: 3-digit LA codes, region
        codes (E12…) or ``E92000001``/``"england"`` for England.
        """
        codes = None if la == "all" else [c.strip() for c in ([la] if isinstance(la, str) else la)]
        if codes is not None:
            codes = [ENGLAND_CODE if c.lower() == "england" else c for c in codes]
            self.check_la_codes(codes, areas=True)
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
    latest year of any measure when it has no caseload file.  A folder may hold
    several releases: each zip in it, and each folder of CSVs (a ``data`` folder
    standing for the one above it), is a release of its own.
    """
    if not paths:
        raise ValueError("load_sen2 needs at least one path (a release folder, zip or CSV file)")
    releases: dict[str, list[FileParser]] = {}
    notes: list[str] = []
    for p in paths:
        used, skipped = 0, []
        for src in iter_sources(Path(p)):
            kind = table_kind(set(src.frame.columns), src.frame)
            if kind is None:
                skipped.append(Path(src.name).name)
                notes.append(f"{Path(src.name).name}: not a SEN2 table this library reads (skipped)")
                continue
            check_columns(src, kind, notes)
            fp = FileParser(src)
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
        report.inconsistent = append_rows(report.inconsistent, rows)


def _merge(frame: str, parts: list[pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    cols = FRAME_COLUMNS[frame]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=float if c == "value" else object) for c in cols}), \
            pd.DataFrame()
    df = pd.concat(parts, ignore_index=True)
    slice_keys = [c for c in cols if c != "value" and c not in WITHIN_SLICE[frame]]
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
    for col, agg in (("first_year", "min"), ("last_year", "max")):  # no caseload file: the
        caseload_span = cspan[agg].reindex(out.index).astype(float)   # span of any table
        out[col] = caseload_span.fillna(span[agg].astype(float)).astype(int)
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
        report.inconsistent = append_rows(report.inconsistent, rows)
