"""Tests of sendforecast.data.taxonomy: placements, needs and phases."""

from __future__ import annotations

import pytest

from sendforecast.data.example_files import CEASED_PLACEMENT_LABELS
from sendforecast.data.sen2_schema import NEED_COLUMNS_2025, PLACEMENT_COLUMNS_2025
from sendforecast.data.taxonomy import (
    NEEDS,
    PLACEMENT_GROUPS,
    PLACEMENT_SUBTOTAL_LABELS,
    PLACEMENT_TO_GROUP,
    PlacementGroup,
    need_code,
    phase_of_age,
    placement_code,
    placement_group,
)
from sendforecast.errors import NotFoundError


def test_ten_placement_groups():
    assert PLACEMENT_GROUPS == [g.value for g in PlacementGroup] and len(PLACEMENT_GROUPS) == 10
    assert set(PLACEMENT_TO_GROUP.values()) == set(PLACEMENT_GROUPS)  # every group is used


def test_every_sen2_placement_column_maps_to_one_of_the_ten_groups():
    for column in PLACEMENT_COLUMNS_2025:
        assert placement_code(column) == column  # 2025 column names are the codes
        assert placement_group(column) in PLACEMENT_GROUPS, column


def test_ceased_placement_labels_map_or_are_subtotals():
    for label, _ in CEASED_PLACEMENT_LABELS:
        code = placement_code(label)
        assert (code in PLACEMENT_TO_GROUP) != (label.lower() in PLACEMENT_SUBTOTAL_LABELS), label
    assert placement_code("  special - la MAINTAINED ") == "special_la_maintained"
    assert placement_code("Special - LA maintained - total") is None


def test_placement_group_of_a_group_and_of_an_unknown_code():
    assert placement_group("state_special") == "state_special"
    with pytest.raises(NotFoundError, match="unknown placement 'special'"):
        placement_group("special")


def test_need_columns_and_labels():
    assert {need_code(c) for c in NEED_COLUMNS_2025} == {*NEEDS, "unknown"}
    assert need_code("spld") == "SpLD" and need_code("Dyslexia") is None


@pytest.mark.parametrize(("age", "phase"), [(0, "early_years"), (3, "early_years"), (4, "primary"),
                                            (10, "primary"), (11, "secondary"), (15, "secondary"),
                                            (16, "post16"), (18, "post16"), (19, "19-25"), (25, "19-25")])
def test_phase_of_age_boundaries(age, phase):
    assert phase_of_age(age) == phase


def test_ages_outside_plans_are_refused():
    for age in (-1, 26):
        with pytest.raises(ValueError, match="outside the EHC plan range 0-25"):
            phase_of_age(age)
