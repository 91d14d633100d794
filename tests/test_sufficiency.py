"""Capacity-constrained placement and the sufficiency table (hand-computed cases + properties)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sendforecast.errors import InputError
from sendforecast.sufficiency import Capacity, allocate, split_integer

STATES = ["mainstream", "resourced_provision", "state_special", "independent_special"]
SS, IND, RP = 2, 3, 1


def cap(rows) -> Capacity:
    return Capacity(pd.DataFrame(rows, columns=["provision", "phase", "need", "name", "year",
                                                "places"]))


def test_split_integer():
    assert split_integer(np.array([3, 1]), np.array(2)).tolist() == [2, 0]
    assert split_integer(np.array([30, 70]), np.array(20)).tolist() == [6, 14]
    assert split_integer(np.array([1, 1, 1]), np.array(2)).tolist() == [1, 1, 0]
    assert split_integer(np.array([0, 0]), np.array(0)).tolist() == [0, 0]


def test_capacity_step_function_and_new_school():
    c = cap([("state_special", "all", "all", "A", 2025, 100),
             ("state_special", "all", "all", "A", 2027, 120),
             ("state_special", "all", "all", "New", 2028, 50)])
    got = c.places("state_special", "all", [2024, 2025, 2026, 2027, 2028, 2029])
    assert np.isnan(got[0])
    assert got[1:].tolist() == [100, 100, 120, 170, 170]


def _one(ss_by_age, ind_by_age=(0, 0), ms=(5, 5)):
    d = np.zeros((1, 1, 2, 4), dtype=np.int32)  # ages 5 (primary) and 12 (secondary)
    d[0, 0, :, SS] = ss_by_age
    d[0, 0, :, IND] = ind_by_age
    d[0, 0, :, 0] = ms
    return d


def test_binding_cap_overflow_equals_excess():
    d = _one((30, 70))
    a = allocate(d, STATES, [5, 12], [2026], cap([("state_special", "all", "all", "", 2026, 80)]))
    assert a.draws[0, 0, :, SS].tolist() == [24, 56]  # 20 excess split 6/14 by age
    assert a.draws[0, 0, :, IND].tolist() == [6, 14]
    assert a.overflow["state_special"].tolist() == [[20]]
    assert np.array_equal(a.draws.sum(axis=3), d.sum(axis=3))
    s = a.sufficiency.iloc[0]
    assert (s.capacity, s.demand_mean, s.placed_mean, s.gap_mean, s.p_short) == (80, 100, 80,
                                                                                 -20, 1.0)
    assert s.overflow_total_mean == 20
    assert a.first_full_year["first_full_year"].tolist() == [2026]


def test_unlimited_capacity_changes_nothing():
    rng = np.random.default_rng(0)
    d = rng.integers(0, 50, size=(20, 3, 2, 4)).astype(np.int32)
    c = cap([("state_special", "all", "all", "", 2026, 10**9)])
    a = allocate(d, STATES, [5, 12], [2026, 2027, 2028], c)
    assert np.array_equal(a.draws, d)
    assert (a.overflow["state_special"] == 0).all()


def test_phase_capacity_and_capped_destination():
    # primary state special full (cap 20, demand 30): 10 overflow, half routed to RP, which
    # has only 3 spare primary places; the rest goes to independent special
    d = _one((30, 10))
    d[0, 0, 0, RP] = 7
    c = cap([("state_special", "primary", "all", "", 2026, 20),
             ("resourced_provision", "primary", "all", "", 2026, 10)])
    routing = {"state_special": {"resourced_provision": 0.5, "independent_special": 0.5},
               "resourced_provision": {"independent_special": 1.0}}
    a = allocate(d, STATES, [5, 12], [2026], c, routing)
    assert a.draws[0, 0, 0, SS] == 20 and a.draws[0, 0, 1, SS] == 10  # secondary not capped
    assert a.draws[0, 0, 0, RP] == 10
    assert a.draws[0, 0, 0, IND] == 7
    assert np.array_equal(a.draws.sum(axis=3), d.sum(axis=3))
    assert set(a.sufficiency["phase"]) == {"primary"}


def test_bad_routing_and_capacity_errors(tmp_path):
    d = _one((1, 1))
    c = cap([("state_special", "all", "all", "", 2026, 1)])
    with pytest.raises(InputError, match="shares summing to 1"):
        allocate(d, STATES, [5, 12], [2026], c, {"state_special": {"independent_special": 0.5}})
    with pytest.raises(InputError, match="not itself capped"):
        allocate(d, STATES, [5, 12], [2026], c, {"state_special": {"mainstream": 1.0},
                                                "mainstream": {"state_special": 1.0}})
    with pytest.raises(InputError, match="either for all phases or per phase"):
        cap([("state_special", "all", "all", "", 2026, 1),
             ("state_special", "primary", "all", "", 2026, 1)])
    p = tmp_path / "places.csv"
    p.write_text("provision,phase,year,places\n"
                 "state_special,primary,2026,100\n"
                 "special school,primary,2026,-4\n")
    with pytest.raises(InputError) as e:
        Capacity.from_file(p)
    assert "places.csv, line 3, column 'provision'" in str(e.value)
    assert "places.csv, line 3, column 'places'" in str(e.value)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), cap_ss=st.integers(0, 60), cap_rp=st.integers(0, 30),
       share=st.sampled_from([0.0, 0.3, 0.5, 1.0]), per_phase=st.booleans())
def test_allocation_conserves_and_respects_caps(seed, cap_ss, cap_rp, share, per_phase):
    rng = np.random.default_rng(seed)
    d = rng.integers(0, 25, size=(5, 2, 3, 4)).astype(np.int32)  # ages 5, 12, 17
    ph = "primary" if per_phase else "all"
    c = cap([("state_special", ph, "all", "", 2026, cap_ss),
             ("resourced_provision", "all", "all", "", 2026, cap_rp)])
    routing = {"state_special": {"resourced_provision": share, "independent_special": 1 - share},
               "resourced_provision": {"independent_special": 1.0}}
    a = allocate(d, STATES, [5, 12, 17], [2026, 2027], c, routing)
    assert np.array_equal(a.draws.sum(axis=3), d.sum(axis=3))  # every draw, year and age
    assert (a.draws >= 0).all()
    ss_ages = [0] if per_phase else [0, 1, 2]
    assert (a.draws[:, :, ss_ages, SS].sum(-1) <= cap_ss).all()
    assert (a.draws[:, :, :, RP].sum(-1) <= cap_rp).all()
    # only capped provisions lose children; independent special only gains
    assert (a.draws[..., IND] >= d[..., IND]).all()
    assert (a.draws[..., 0] == d[..., 0]).all()
    again = allocate(d, STATES, [5, 12, 17], [2026, 2027], c, routing)
    assert np.array_equal(again.draws, a.draws)
