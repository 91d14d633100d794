"""Statutory measures from SEN2 (published values) and the LA's monthly pipeline file."""

from __future__ import annotations

import numpy as np
import pytest

from sendforecast.data.statutory import (
    monthly_pipeline_annual,
    read_monthly_pipeline,
    statutory_measures,
    statutory_rates,
    statutory_wide,
)
from sendforecast.errors import InputError


def _rate(rates, code, year, measure):
    r = rates[(rates.la_code == code) & (rates.year == year) & (rates.measure == measure)]
    return float(r.value.iloc[0])


def test_buckinghamshire_published_rates(sen2):
    """Buckinghamshire 2020 (seed documents, facts.md): 940 requests, 63% agreed to assess,
    20-week timeliness 74.4% (SEN2: 420 of 566 = 74.2%)."""
    r = statutory_rates(sen2)
    assert _rate(r, "825", 2020, "assess_pct") == pytest.approx(63.9, abs=0.1)
    assert _rate(r, "825", 2020, "within_20_weeks_pct") == pytest.approx(74.2, abs=0.1)
    # 2023 (2025 release): 6-week decisions 1,376 of 1,542 and the over-a-year split
    assert _rate(r, "825", 2023, "within_6_weeks_pct") == pytest.approx(89.2, abs=0.1)
    assert _rate(r, "825", 2023, "assess_pct") == pytest.approx(100 * 1010 / 1577, abs=0.01)
    w = statutory_wide(sen2)
    b = w[(w.la_code == "825") & (w.year == 2023)].iloc[0]
    assert (b.requests, b.decided_to_assess, b.withdrawn, b.tribunal) == (1577, 1010, 9, 49)
    assert b.within_20_weeks + b["20_to_52_weeks"] + b.over_52_weeks == b.plans_issued


def test_england_timeliness_and_coverage(sen2):
    """England's 20-week timeliness is about half in 2022-2023; the detail measures exist
    for 2023 only, the headline ones from 2015 on (both releases)."""
    r = statutory_rates(sen2, "national")
    assert 45 < _rate(r, "E92000001", 2022, "within_20_weeks_pct") < 52
    m = statutory_measures(sen2)
    years = m.groupby("measure").year.min()
    assert years["within_20_weeks"] <= 2015 and years["decided_not_to_assess"] <= 2015
    assert years["decided_to_assess"] == 2023 and years["tribunal"] == 2023


def test_suppressed_stays_missing(example):
    """Measures not published are missing, never 0."""
    w = statutory_wide(example)
    assert w.loc[w.year < 2023, "decided_to_assess"].isna().all()
    assert (statutory_measures(example).value.notna()).all()


def _write(tmp_path, text, name="monthly.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_monthly_file_reads(tmp_path):
    rows = "\n".join(f"2024-{m:02d},{100 + m},{90 + m},{60},{50},{40}" for m in range(1, 13))
    p = _write(tmp_path, "month,requests,decisions,decided_to_assess,plans_issued,"
                         "within_20_weeks\n" + rows + "\n2025-01,120,,,,\n")
    f = read_monthly_pipeline(p)
    assert len(f) == 13 and str(f.month.dtype) == "period[M]"
    assert np.isnan(f.decisions.iloc[-1])  # blank optional cell: missing, not 0
    a = monthly_pipeline_annual(f)
    assert list(a.calendar_year) == [2024]  # 2025 is a part year
    assert a.requests.iloc[0] == sum(100 + m for m in range(1, 13))


@pytest.mark.parametrize("text, line, column", [
    ("month,requests\n2024-01,12\n2024-13,4\n", 3, "month"),
    ("month,requests\n2024-01,-3\n", 2, "requests"),
    ("month,requests\n2024-01,1.5\n", 2, "requests"),
    ("month,requests\n2024-01,3\n2024-01,4\n", 3, "month"),
    ("month,requests,plans_issued,within_20_weeks\n2024-01,3,5,6\n", 2, "within_20_weeks"),
    ("month,decisions\n2024-01,3\n", 1, "requests"),
])
def test_monthly_file_errors_name_line_and_column(tmp_path, text, line, column):
    p = _write(tmp_path, text)
    with pytest.raises(InputError) as e:
        read_monthly_pipeline(p)
    prob = e.value.problems[0]
    assert prob.row == line and prob.column == column and "monthly.csv" in str(e.value)
