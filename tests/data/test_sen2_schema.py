"""Tests of sendforecast.data.sen2_schema: tables recognised by their columns, columns checked."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sendforecast.data.example import EXAMPLE_DIR
from sendforecast.data.sen2_schema import FRAME_COLUMNS, FRAMES, SCHEMAS, check_columns, table_kind
from sendforecast.data.sources import Source
from sendforecast.errors import InputError

MALFORMED = Path(__file__).resolve().parents[1] / "malformed"
EXAMPLE_KINDS = {
    "exampleshire_caseload": "caseload_2025", "exampleshire_newplans": "newplans_2025",
    "exampleshire_ceased_plans": "ceased_2025", "exampleshire_requests": "requests_2025",
    "exampleshire_assessments": "assessments_2025", "exampleshire_timeliness_20_week": "timeliness_2025",
}


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.mark.parametrize("stem", EXAMPLE_KINDS)
def test_release_shaped_files_are_recognised_by_their_columns(stem):
    frame = _read(EXAMPLE_DIR / f"{stem}.csv")
    assert table_kind(set(frame.columns), frame) == EXAMPLE_KINDS[stem]


def test_a_renamed_total_is_told_apart_by_the_breakdown_topic():
    # caseload and new plans have the same placement columns: without their total column
    # only the all-ages topic ("All EHC plans" / "New EHC plans") tells them apart
    for stem, total in (("exampleshire_caseload", "ehcplans"), ("exampleshire_newplans", "new_ehc_plans")):
        frame = _read(EXAMPLE_DIR / f"{stem}.csv").drop(columns=total)
        assert table_kind(set(frame.columns), frame) == EXAMPLE_KINDS[stem]


def test_other_tables_are_not_sen2():
    frame = _read(MALFORMED / "not_sen2" / "notes.csv")
    assert table_kind(set(frame.columns), frame) is None
    assert table_kind({"time_period", "geographic_level", "breakdown_topic", "something_else"}) is None


def test_missing_required_column_is_refused_and_missing_placement_noted():
    frame = _read(EXAMPLE_DIR / "exampleshire_caseload.csv")
    notes: list[str] = []
    check_columns(Source("caseload.csv", frame.drop(columns="neet_ntci"), "r"), "caseload_2025", notes)
    assert len(notes) == 1 and "column 'neet_ntci' not found" in notes[0]
    renamed = frame.rename(columns={"ehcplans": "ehc_plans"})
    with pytest.raises(InputError, match="similar column.s. in the header: ehc_plans"):
        check_columns(Source("caseload.csv", renamed, "r"), "caseload_2025", [])
    with pytest.raises(InputError, match="line 2: expected data rows"):
        check_columns(Source("caseload.csv", frame.iloc[:0], "r"), "caseload_2025", [])


def test_every_frame_has_year_level_area_and_value_columns():
    assert set(FRAME_COLUMNS) == set(FRAMES)
    for cols in FRAME_COLUMNS.values():
        assert cols[:3] == ["year", "level", "la_code"] and cols[-1] == "value"
    for schema in SCHEMAS.values():
        assert schema.required and set(schema.required) <= schema.columns
