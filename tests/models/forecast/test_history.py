"""History cleaning: cuts, fills, reorganisations and the right-aligned matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sendforecast.models.forecast.history import (
    STALE_PREFIX,
    clean_history,
    to_matrix,
    validate_history,
    years_label,
)
from tests.models.forecast.histories import hist


def test_clean_history_gap_zero_short_and_abolished():
    h = hist({
        "A": [100, 110, 120, 130, 140, 150, 160, 170],               # fine
        "B": [100, 110, np.nan, np.nan, 140, 150, 160, 170],         # 2-year gap -> cut
        "C": [100, 0, 120, 130, 140, 150, 160, 170],                 # zero -> cut
        "D": [100, 110, np.nan, 130, 140, 150, 160, 170],            # 1-year gap -> filled
        "E": [np.nan] * 7 + [50],                                     # one year only
        "F": [100, 110, 120, 130, 140, np.nan, np.nan, np.nan],      # stopped reporting
    })
    clean, warn = clean_history(h)
    years = clean.groupby("la_code")["year"].agg(["min", "max", "size"])
    assert years.loc["A", "size"] == 8
    assert years.loc["B", "min"] == 2019
    assert years.loc["C", "min"] == 2017
    assert years.loc["D", "size"] == 8
    assert clean.loc[(clean.la_code == "D") & (clean.year == 2017), "value"].item() == \
        pytest.approx(np.sqrt(110 * 130))
    assert "F" not in set(clean.la_code)
    w = warn.groupby("la_code")["warning"].agg(" ".join)
    assert "missing" in w["B"] and "zero" in w["C"] and "interpolation" in w["D"]
    assert "not forecast" in w["F"]
    assert "A" not in w and "E" not in w  # a series that starts late is not "broken"


def test_one_missing_newest_year_is_kept_with_the_stale_warning():
    clean, warn = clean_history(hist({"A": [1, 2, 3, 4], "S": [1, 2, 3, np.nan]}))
    assert clean.groupby("la_code")["year"].max().to_dict() == {"A": 2018, "S": 2017}
    (text,) = warn.loc[warn.la_code == "S", "warning"]
    assert text == f"{STALE_PREFIX}: no value for 2018; forecast from 2017"


def test_part_year_flow_of_a_new_la_is_not_used():
    # North Northamptonshire (940) began in April 2021: its 2021 flow is a part year
    h = hist({"940": [50, 400, 420]}, start=2021).assign(measure="requests")
    clean, warn = clean_history(h, "requests")
    assert clean.year.tolist() == [2022, 2023]
    assert "part-year flow for 2021 is not used" in " ".join(warn.warning)
    # a census (stock) is not a flow: nothing is dropped
    clean, _ = clean_history(h.assign(measure="caseload"), "caseload")
    assert clean.year.tolist() == [2021, 2022, 2023]


def test_abolished_la_is_not_forecast():
    # Northamptonshire (928) was abolished in 2021; its series ends one year before the data's
    h = hist({"928": [100, 110, 120, 130, 140], "825": [1, 2, 3, 4, 5, 6]})
    clean, warn = clean_history(h)
    assert set(clean.la_code) == {"825"}
    assert "abolished in a reorganisation" in warn.set_index("la_code").loc["928", "warning"]


def test_to_matrix_aligns_series_on_their_last_year():
    codes, lasts, Y = to_matrix(hist({"B": [1.0, 2.0, 3.0], "A": [5.0, 6.0]}, start=2020))
    assert codes.tolist() == ["A", "B"] and lasts.tolist() == [2021, 2022]
    np.testing.assert_array_equal(Y, [[np.nan, 5.0, 6.0], [1.0, 2.0, 3.0]])


def test_validate_history_names_missing_columns_and_sets_types():
    with pytest.raises(ValueError, match=r"missing \['year'\]"):
        validate_history(pd.DataFrame({"la_code": ["1"], "value": [1]}))
    h = validate_history(pd.DataFrame({"la_code": [825], "year": ["2020"], "value": [3]}))
    assert h.la_code.item() == "825" and h.year.dtype.kind == "i" and h.value.dtype.kind == "f"


def test_years_label():
    assert years_label([2023]) == "2023" and years_label(range(2021, 2024)) == "2021-2023"
