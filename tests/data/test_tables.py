"""Tests of sendforecast.data.tables: Table and Col, the checking under every LA reader.

The readers' own rules (and the messages users see) are tested in ``test_local.py``;
these tests use Table directly, as a caller outside the readers does (``costs.py``
reads ``price_year`` this way).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sendforecast.data.tables import Col, Table
from sendforecast.errors import InputError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_headers_match_ignoring_case_spaces_and_separators(tmp_path):
    t = Table(write(tmp_path, " Calendar Year ,PLACES,extra\n2026,5,ignored\n"),
              [Col("calendar_year", "calendar-year"), Col("places"), Col("name", required=False)])
    assert t.headers == {"calendar_year": "Calendar Year", "places": "PLACES", "name": "name"}
    assert t.present == {"calendar_year", "places"}  # the optional column is absent
    assert t.df.to_dict("records") == [{"calendar_year": "2026", "places": "5", "name": ""}]


def test_problems_are_collected_and_raised_together_in_line_order(tmp_path):
    t = Table(write(tmp_path, "key,n\nb,1\na,x\nb,2\n,3\n"), [Col("key"), Col("n")])
    t.number("n", integer=True, lo=0)
    t.unique(["key"])
    assert t.ok("n").tolist() == [True, False, True, True]
    with pytest.raises(InputError) as info:
        t.result(["key", "n"])
    found = [(p.row, p.column, p.expected) for p in info.value.problems]
    assert found == [(3, "n", "a whole number >= 0"),
                     (4, "key", "one row per key; line 2 has the same key"),
                     (5, "key", "a value (blank is not allowed)")]


def test_a_clean_table_gives_typed_columns(tmp_path):
    t = Table(write(tmp_path, "key,n\nb,1\na,2.0\n"), [Col("key"), Col("n")])
    t.number("n", integer=True)
    t.text("key", str.upper, "a key")
    out = t.result(["key", "n"], text=["key"])
    assert out.to_dict("list") == {"key": ["B", "A"], "n": [1, 2]} and str(out.n.dtype) == "int64"


def test_header_faults(tmp_path):
    with pytest.raises(InputError, match="column 'n': expected the column once, found '2 columns'"):
        Table(write(tmp_path, "n,N\n1,2\n"), [Col("n")])
    t = Table(write(tmp_path, "n\n1,2\n"), [Col("n")])
    with pytest.raises(InputError, match="line 2: expected at most 1 cells .as in the header., found '2'"):
        t.result(["n"])
