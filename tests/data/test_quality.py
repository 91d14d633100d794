"""Tests of sendforecast.data.quality: the QualityReport of a load."""

from __future__ import annotations

import pandas as pd

from sendforecast.data.quality import SUPPRESSION_CODES, QualityReport


def _suppressed(file: str, lines: list[int], code: str = "x") -> pd.DataFrame:
    return pd.DataFrame({"file": file, "line": lines, "column": "requests", "code": code,
                         "meaning": SUPPRESSION_CODES[code], "year": 2023, "la_code": "999"})


def _report(file: str, lines: list[int], note: str) -> QualityReport:
    unknown = pd.DataFrame([{"file": file, "line": lines[0], "column": "breakdown", "value": "?",
                             "what": "unrecognised age (kept out)"}])
    return QualityReport(suppressed=_suppressed(file, lines), unknown=unknown, notes=[note])


def test_combine_keeps_every_record_in_order():
    a, b = _report("a.csv", [2, 3, 4], "note a"), _report("b.csv", [7], "note b")
    both = QualityReport.combine([a, QualityReport(), b])
    pd.testing.assert_frame_equal(both.suppressed, pd.concat([a.suppressed, b.suppressed], ignore_index=True))
    assert both.unknown[["file", "line"]].values.tolist() == [["a.csv", 2], ["b.csv", 7]]
    assert both.notes == ["note a", "note b"]
    assert both.inconsistent.empty and both.duplicates.empty


def test_combine_of_nothing_has_the_documented_columns():
    empty = QualityReport.combine([])
    assert list(empty.suppressed.columns) == ["file", "line", "column", "code", "meaning", "year", "la_code"]
    assert list(empty.duplicates.columns) == ["file", "line", "first_line", "key", "value", "first_value"]
    assert empty.notes == [] and empty.summary().empty


def test_summary_and_text_count_findings_by_file():
    r = QualityReport.combine([_report("a.csv", [2, 3, 4], "n1"), _report("b.csv", [7], "n2")])
    assert r.summary().values.tolist() == [["suppressed", "a.csv", 3], ["suppressed", "b.csv", 1],
                                           ["unknown", "a.csv", 1], ["unknown", "b.csv", 1]]
    assert r.suppressed_by_code()["count"].tolist() == [3, 1]
    text = str(r)
    assert "Suppressed cells read as missing (never 0): 4" in text and "by code: x=4" in text
    assert "a.csv line 2 breakdown='?': unrecognised age (kept out)" in text and "  - n2" in text
    assert "&lt;" in QualityReport(notes=["<b>"])._repr_html_()


def test_a_load_raises_no_pandas_future_warning():
    """Every command printed pandas' FutureWarning on concatenating onto the empty
    inconsistency table (and will change its dtypes under pandas 3); the table itself
    keeps its documented columns and numeric totals."""
    import warnings

    from sendforecast import load_example

    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        q = load_example().quality.inconsistent
    assert list(q.columns[:8]) == ["file", "check", "year", "la_code", "la_name", "total",
                                   "sum_of_parts", "difference"]
    assert len(q) and pd.api.types.is_numeric_dtype(q["total"])
