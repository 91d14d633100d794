"""Per-area SEN2 tables (inputs): fixes for missing detail and the cache on the data object."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sendforecast.data.taxonomy import PLACEMENT_GROUPS
from sendforecast.models.cohort.inputs import allocate_unrecorded, impute_missing_mix


def test_impute_missing_mix_uses_nearest_earlier_breakdown():
    t = pd.DataFrame(0.0, index=[2022, 2023, 2024], columns=PLACEMENT_GROUPS)
    t.loc[2022, ["mainstream", "state_special"]] = [60, 40]
    t.loc[2023, ["mainstream", "state_special"]] = [50, 50]
    t.loc[2024, "not_recorded"] = 120  # published total, no placement breakdown
    out, imputed = impute_missing_mix(t, 2024)
    assert imputed == {2024: 2023}
    assert out.loc[2024, "mainstream"] == pytest.approx(60) and out.loc[2024].sum() == 120
    assert out.loc[[2022, 2023]].equals(t.loc[[2022, 2023]])
    same, none = impute_missing_mix(t.loc[[2022, 2023]], 2023)
    assert none == {} and same.equals(t.loc[[2022, 2023]])
    # at origin 2024 only a later January would have a breakdown: not used, kept as is
    late = t.loc[[2024, 2023]].rename(index={2024: 2021, 2023: 2025}).sort_index()
    kept, none = impute_missing_mix(late, 2024)
    assert none == {} and kept.equals(late)


def test_allocate_unrecorded_shares_out_by_row():
    nr = PLACEMENT_GROUPS.index("not_recorded")
    x = np.zeros((2, len(PLACEMENT_GROUPS)))
    x[0, 0], x[0, 2], x[0, nr] = 30.0, 10.0, 8.0  # row with recorded children: 3:1
    x[1, nr] = 4.0  # nothing recorded in this row: the mix of all rows (3:1)
    y = allocate_unrecorded(x)
    assert y[:, nr].sum() == 0 and y.sum() == pytest.approx(x.sum())
    assert y[0, 0] == pytest.approx(36.0) and y[0, 2] == pytest.approx(12.0)
    assert y[1, 0] == pytest.approx(3.0) and y[1, 2] == pytest.approx(1.0)


def test_tables_are_cached_on_the_data_object(example):
    """Per-area tables are built once and kept on the data object itself (no module-level
    cache keyed by ``id``); a pickle (what a batch worker receives) and a copy start empty
    and rebuild the same tables."""
    import copy
    import pickle

    from sendforecast.models.cohort.inputs import data_cache, group_totals

    t = group_totals(example, "la", "999")
    store = data_cache(example)
    assert "group_totals" in store and data_cache(example) is store
    assert t.sum(axis=1).loc[2024] == pytest.approx(6408)
    for other in (pickle.loads(pickle.dumps(example)), copy.copy(example)):
        assert data_cache(other) == {} and data_cache(other) is not store
        assert group_totals(other, "la", "999").equals(t)
    assert data_cache(example) is store  # the original keeps its own
