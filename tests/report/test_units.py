"""Units of report.html tables: a long table mixing counts and percentages (the statutory
pipeline: requests ... plans_issued, backlog, within_20_weeks_pct) labelled every column
'(children)', so '49' on the within_20_weeks_pct row read as 49 children (found by an
end-user review of ``sendforecast run --la 825``)."""

from __future__ import annotations

import re

import pandas as pd

from sendforecast.report.html import table_html


def _cells(html: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", html)
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r) for r in rows]


def test_a_mixed_long_table_has_a_unit_column():
    f = pd.DataFrame({"year": [2025, 2025], "measure": ["requests", "within_20_weeks_pct"],
                      "mean": [1777.5, 49.1], "p10": [1458.2, 12.3]})
    rows = _cells(table_html(f, counts=["mean", "p10"]))
    head, req, pct = rows
    assert head == ["year", "measure", "unit", "mean", "10th pct"]  # no '(children)' on pct rows
    assert req == ["2025", "requests", "requests", "1,778", "1,458"]
    assert pct == ["2025", "within_20_weeks_pct", "%", "49.1", "12.3"]


def test_a_table_without_measures_keeps_the_unit_in_the_header():
    f = pd.DataFrame({"year": [2025], "placement": ["mainstream"], "mean": [1777.5]})
    head, row = _cells(table_html(f, counts=["mean"]))
    assert head == ["year", "placement", "mean (children)"]
    assert row == ["2025", "mainstream", "1,778"]


def test_a_tiny_negative_amount_is_not_shown_as_minus_zero():
    """'-£0.0m' in the DSG balance table (a 90th percentile of -£12,000) read as a deficit."""
    f = pd.DataFrame({"measure": ["in_year_balance"] * 3, "mean": [-12_000.0, -60_000.0, 0.0]})
    _, a, b, c = _cells(table_html(f, money=["mean"]))
    assert (a[1], b[1], c[1]) == ("£0.0m", "-£0.1m", "£0.0m")


def test_summary_money_has_no_minus_zero():
    from sendforecast.report.summary import money

    assert (money(-12_000.0), money(-60_000.0), money(-20_059_325.0)) == ("£0.0m", "-£0.1m",
                                                                           "-£20.1m")
