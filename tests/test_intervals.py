"""One interval vocabulary: summaries of draws, and intervals of totals from summed draws."""

from __future__ import annotations

import numpy as np

from sendforecast.intervals import INTERVAL_COLUMNS, QUANTILES, quantile_frame, summarise


def test_columns_are_the_shared_vocabulary():
    assert INTERVAL_COLUMNS == ["mean", "p10", "p90", "p2_5", "p97_5"]
    assert QUANTILES["p10"] == 0.10 and QUANTILES["p97_5"] == 0.975


def test_summarise_matches_numpy_on_the_draw_axis():
    rng = np.random.default_rng(3)
    v = rng.normal(100, 10, size=(4000, 3))
    s = summarise(v)
    np.testing.assert_allclose(s["mean"], v.mean(axis=0))
    np.testing.assert_allclose(s["p2_5"], np.quantile(v, 0.025, axis=0))
    assert (s["p2_5"] < s["p10"]).all() and (s["p10"] < s["mean"]).all()
    assert (s["mean"] < s["p90"]).all() and (s["p90"] < s["p97_5"]).all()


def test_interval_of_a_total_is_narrower_than_the_sum_of_intervals():
    """Independent parts: the total's 80% interval (quantile of sums) is ~sqrt(k) narrower."""
    rng = np.random.default_rng(4)
    parts = rng.normal(0, 1, size=(20000, 9))
    total = summarise(parts.sum(axis=1))
    naive = summarise(parts)
    width_total = total["p90"] - total["p10"]
    width_naive = (naive["p90"] - naive["p10"]).sum()
    assert abs(width_naive / width_total - 3.0) < 0.15  # sqrt(9) = 3


def test_quantile_frame_is_tidy():
    v = np.arange(2 * 3 * 2, dtype=float).reshape(2, 3, 2)
    f = quantile_frame(v, ["2025-26", "2026-27", "2027-28"], ["a", "b"])
    assert list(f.columns) == ["financial_year", "line", *INTERVAL_COLUMNS]
    assert len(f) == 6
    row = f[(f.financial_year == "2026-27") & (f.line == "b")].iloc[0]
    assert row["mean"] == (v[0, 1, 1] + v[1, 1, 1]) / 2
