"""Build copies of the 2025 SEN2 release in the SHAPE of the full release (and of next year's).

The shared copy of the reporting-year 2025 release has its newest year withheld
(../shared/data/README.md): caseload files stop at January 2024, flow files at 2023, the
need files keep only their ``*_pc`` columns and ``annual_reviews.csv`` /
``work_based_placements.csv`` are left out.  Our forecasts are scored by running the
package on the full release, so these helpers give tests a release of that shape, in a
temporary folder, with CLEARLY FAKE values: the newest year is the last year present
relabelled one year later with its values unchanged, counts added to the need files are
``round(pc * 10)`` of a fake total of 1,000 plans, and the two left-out files hold a few
made-up rows.  Nothing here estimates a withheld value; never commit the files made.

Column names of the left-out files and of the need files' counts are those of
release-2025/data-guidance/data-guidance.txt.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd

#: geography and filter columns every EES file of the release starts with
GEO = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
       "region_name", "new_la_code", "old_la_code", "la_name", "breakdown_topic", "breakdown"]
#: annual_reviews.csv measures (data guidance, in the order listed there)
ANNUAL_REVIEWS = ["no_outcome", "no_review_meeting", "number_decision_gt_4weeks", "number_decsion_4weeks",
                  "outcome_amend", "outcome_cease", "outcome_maintan", "pc_decision_gt_4weeks",
                  "pc_decsion_4weeks", "review_decision_not_due", "review_decision_outstanding",
                  "review_decision_prior24", "review_decision24", "review_decision25", "review_expected",
                  "review_meeting_24", "review_meeting_25", "review_meeting_prior_24", "review_not_expected",
                  "total_ehc_plans", "total_review_meeting"]
#: work_based_placements.csv measures (data guidance)
WORK_BASED = ["open_apprentice", "open_supp_intern", "open_trainee", "open_wbp"]
NEEDS = "asd hi mld msi oth pd pmld semh slcn sld spld vi".split()


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def write(df: pd.DataFrame, path: Path) -> None:
    if path.is_symlink():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, encoding="utf-8-sig")  # UTF-8 with BOM, as published


def link_release(src: Path, dst: Path) -> Path:
    """``dst``: the release ``src`` as a folder of symlinks (files are replaced, never edited)."""
    for f in sorted(src.rglob("*")):
        if f.is_file():
            target = dst / f.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(f.resolve())
    return dst


def _rows(src: Path, year: str, identifier: str) -> pd.DataFrame:
    """A few rows of each geographic level from the caseload file's areas, with fake values."""
    areas = read(src / "data" / "caseload.csv")
    areas = areas[areas.breakdown_topic == "All EHC plans"].drop_duplicates("old_la_code")
    pick = pd.concat([areas[areas.geographic_level == "National"].head(1),
                      areas[areas.geographic_level == "Regional"].head(2),
                      areas[areas.old_la_code.isin(["825", "826", "202"])]])
    out = pick[GEO[:10]].assign(time_period=year, time_identifier=identifier)
    return out.reset_index(drop=True)


def add_left_out_files(src: Path, dst: Path) -> list[str]:
    """Write ``annual_reviews.csv`` (calendar year 2024) and ``work_based_placements.csv``
    (January 2025) into ``dst/data`` with the data guidance's columns and fake values,
    including suppressed (``c``), not applicable (``z``) and not available (``x``) cells."""
    names = []
    for name, cols, year, ident, topic in (
            ("annual_reviews.csv", ANNUAL_REVIEWS, "2024", "Calendar year", "All annual reviews"),
            ("work_based_placements.csv", WORK_BASED, "202425", "Academic year", "All work based placements")):
        base = _rows(src, year, ident)
        rows = [base.assign(breakdown_topic=topic, breakdown=topic),
                base.assign(breakdown_topic="Type of placement", breakdown="Mainstream - LA maintained")]
        df = pd.concat(rows, ignore_index=True)
        for i, c in enumerate(cols):
            df[c] = [str(10 + i + j) for j in range(len(df))]
        df.loc[1, cols[0]] = "c"
        df.loc[2, cols[1]] = "z"
        df.loc[len(df) - 1, cols[-1]] = "x"
        write(df, dst / "data" / name)
        names.append(name)
    return names


def add_need_counts(dst: Path) -> None:
    """Give both need files the columns of the full release: ``ehc_plans`` (fake total
    1,000) and ``number_<need>`` / ``number_need_unknown`` (``round(pc * 10)``; a
    suppressed share gives a suppressed count), placed before the shares."""
    for name in ("sen_needs_all_plans.csv", "sen_need_newplans.csv"):
        if not (dst / "data" / name).exists():
            continue
        df = read(dst / "data" / name)
        counts = {"ehc_plans": pd.Series("1000", index=df.index)}
        for n in [*NEEDS, "unknown"]:
            pc = df[f"{n}_pc"]
            num = pd.to_numeric(pc, errors="coerce")
            counts["number_need_unknown" if n == "unknown" else f"number_{n}"] = (
                (num * 10).round().astype("Int64").astype(str).where(num.notna(), pc))
        head, tail = df[GEO], df.drop(columns=GEO)
        write(pd.concat([head, pd.DataFrame(counts), tail], axis=1), dst / "data" / name)


def shift_label(tp: str, by: int) -> str:
    """``'202324'`` -> ``'202425'``, ``'2023'`` -> ``'2024'`` (``by`` = 1)."""
    if re.fullmatch(r"\d{6}", tp):
        a = int(tp[:4]) + by
        return f"{a}{(a + 1) % 100:02d}"
    return str(int(tp) + by)


def append_year(dst: Path, skip: tuple[str, ...] = ("sen_needs_all_plans.csv", "sen_need_newplans.csv",
                                                      "annual_reviews.csv", "work_based_placements.csv")
                ) -> dict[str, str]:
    """Append to every data file (except the single-year ones, which the withheld copy
    already holds at the newest year) its last year relabelled one year later, values
    unchanged.  Returns file -> the new time_period."""
    added = {}
    for f in sorted((dst / "data").glob("*.csv")):
        if f.name in skip:
            continue
        df = read(f)
        last = max(df.time_period, key=lambda t: int(t[:4]))
        new = df[df.time_period == last].assign(time_period=shift_label(last, 1))
        write(pd.concat([df, new], ignore_index=True), f)
        added[f.name] = shift_label(last, 1)
    return added


def shift_release(dst: Path, by: int = 1) -> None:
    """Relabel every year of every data file ``by`` years later (next year's release
    in the shape of this one: same files, columns and breakdowns, newest year + ``by``)."""
    for f in sorted((dst / "data").glob("*.csv")):
        df = read(f)
        write(df.assign(time_period=df.time_period.map(lambda t: shift_label(t, by))), f)


def keep_region(dst: Path, region_code: str) -> None:
    """Keep only the LAs of one region (and every region and England row) in every data
    file: the same shapes, read several times faster (for tests of the commands)."""
    for f in sorted((dst / "data").glob("*.csv")):
        df = read(f)
        write(df[(df.geographic_level != "Local authority") | (df.region_code == region_code)], f)


def full_release(src: Path, dst: Path, region: str | None = None) -> Path:
    """The 2025 release in the shape of the full one: left-out files added, need counts
    added, a fake newest year appended (January 2025 caseload, calendar 2024 flows);
    only the LAs of ``region`` if given (:func:`keep_region`)."""
    link_release(src, dst)
    if region:
        keep_region(dst, region)
    add_left_out_files(src, dst)
    add_need_counts(dst)
    append_year(dst)
    return dst


def next_release(full: Path, dst: Path) -> Path:
    """Next year's release in the shape of ``full`` (a :func:`full_release` folder)."""
    shutil.copytree(full, dst, symlinks=True)
    shift_release(dst, 1)
    return dst
