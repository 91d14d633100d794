"""Tests of sendforecast.data.geography: reorganisations and successor aggregation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sendforecast.data.geography import (
    REORGANISATIONS,
    aggregate_successors,
    reorganisation_of,
    series_status,
)

CUMBRIA = "909+942+943"


def _frame(rows: list[tuple[str, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["la_code", "year", "value"]).assign(la_name=lambda d: d.la_code)


def test_aggregate_successors_sums_cumbrias_successors():
    frame = _frame([("909", 2022, 5000), ("909", 2023, 5400),  # Cumbria until its 2023 split
                    ("942", 2024, 3000), ("943", 2024, 2600),  # Cumberland, Westmorland and Furness
                    ("942", 2025, 3100),  # only one successor reports: not a Cumbria total
                    ("825", 2024, 7000)])
    out = aggregate_successors(frame)
    combined = out[out.combined].set_index("year")
    assert set(combined.la_code) == {CUMBRIA}
    assert combined["value"].to_dict() == {2022: 5000, 2023: 5400, 2024: 5600}
    assert combined.la_name.iloc[0] == "Cumbria (Cumberland + Westmorland and Furness combined)"
    pd.testing.assert_frame_equal(out[~out.combined].drop(columns="combined"), frame)  # originals kept


def test_missing_stays_missing_in_a_combined_year():
    out = aggregate_successors(_frame([("942", 2024, np.nan), ("943", 2024, np.nan),
                                       ("940", 2024, 10.0), ("941", 2024, np.nan)]))
    combined = out[out.combined].set_index("la_code")["value"]
    assert np.isnan(combined[CUMBRIA])  # no successor value: missing, not 0
    assert combined["928+940+941"] == 10  # today a missing part adds 0 when another part reports


def test_status_of_predecessors_and_successors():
    assert series_status("909") == "abolished" and series_status("943") == "new"
    assert series_status("825") == "continuing" and reorganisation_of("825") is None
    r = reorganisation_of("942")
    assert r.predecessors == ("909",) and r.first_census == 2024 and r.combined_code == CUMBRIA
    codes = [c for r in REORGANISATIONS for c in (*r.predecessors, *r.successors)]
    assert len(codes) == len(set(codes))  # each LA code in one reorganisation at most
