"""Cohort model test helpers and fixtures: random small models, the conservation check,
a real LA's projection and the witan demo model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sendforecast.models.cohort import CohortModel
from tests.conftest import WITAN

COLS = ["year", "age", "placement", "mean", "p10", "p90", "p2_5", "p97_5"]


def random_model(seed: int, A: int, K: int) -> CohortModel:
    """A model of ``A`` ages x ``K`` states with random posteriors and stock (seeded)."""
    r = np.random.default_rng(seed)
    conc = r.gamma(0.5, size=(A, K, K)) * (r.random((A, K, K)) < 0.6)
    conc[:, np.arange(K), np.arange(K)] += 1.0
    return CohortModel(
        ages=list(range(A)), states=[f"s{k}" for k in range(K)], base_year=2020,
        initial=r.integers(0, 60, size=(A, K)).astype(float),
        leave_a=r.gamma(1.0, size=(A, K)) + 0.1, leave_b=r.gamma(5.0, size=(A, K)) + 0.1,
        move_conc=conc, joiner_conc=r.gamma(1.0, size=(A, K)) + 1e-3,
        joiner_history=pd.DataFrame({"year": [2017, 2018, 2019], "value": [50, 60, 70]}))


def check_conservation(p):
    """Every draw, year and cell of a projection (with flows) adds up: ``stock(t+1) =
    stock(t) + joiners + transfers in - leavers`` after ageing on, and movers net to 0.
    An anchored projection (margins) adds its ``calibration`` flow to the right-hand
    side; leavers are then bounded by the unanchored stock, which is not kept."""
    D, H, A, K = p.draws.shape
    f = p.flows
    anchored = "calibration" in f
    prev = np.broadcast_to(p.initial.astype(np.int64), (D, A, K))
    for h in range(H):
        cal = f["calibration"][:, h].astype(np.int64) if anchored else 0
        cur = p.draws[:, h].astype(np.int64) - cal
        lv, mv, jn, ti = (f[k][:, h].astype(np.int64)
                          for k in ("leavers", "movers", "joiners", "transfers_in"))
        assert (cur + cal >= 0).all() and (lv >= 0).all() and (jn >= 0).all() and (ti >= 0).all()
        assert (ti[:, 0] == 0).all()  # transfers in arrive with the continuers, a year older
        jn = jn + ti  # everyone who is there next January without being there this one
        # movers net to zero for every draw and age
        assert (mv.sum(-1) == 0).all()
        # stock(t+1) = stock(t) + joiners + transfers in - leavers, in every draw
        assert (cur.sum((1, 2)) == prev.sum((1, 2)) + jn.sum((1, 2)) - lv.sum((1, 2))).all()
        # cell by cell: age on after leaving and moving, then add joiners
        aged = np.zeros_like(prev)
        aged[:, 1:] = (prev - lv + mv)[:, :-1]
        assert (cur == aged + jn).all()
        assert anchored or (lv <= prev).all()
        prev = cur + cal


@pytest.fixture(scope="module")
def bucks(sen2):
    """Buckinghamshire (825) from the real SEN2 releases, projected 5 years."""
    m = CohortModel.from_sen2(sen2, "825")
    return m, m.project(horizon=5, draws=300, seed=1)


@pytest.fixture(scope="module")
def witan_model():
    """``(transitions, model)`` of the witan.send demo data."""
    if not WITAN.is_dir():
        pytest.skip(f"witan demo not found under {WITAN}")
    from sendforecast.data.local import (
        read_transitions,
        read_valid_states,
        read_witan_population,
    )

    vs = read_valid_states(WITAN / "valid-states.csv")
    tr = read_transitions(WITAN / "transitions.csv", vs)
    return tr, CohortModel.from_transitions(tr, read_witan_population(WITAN / "population.csv"),
                                            vs)
