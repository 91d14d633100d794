"""Posterior parameter sets (parameters): Dirichlet moves, sets shared by draws."""

from __future__ import annotations

import numpy as np

from sendforecast.models.cohort import PARAM_SETS, CohortModel
from sendforecast.models.cohort.parameters import move_parameters
from tests.models.cohort.conftest import check_conservation


def test_move_probabilities_match_dirichlet_means():
    conc = np.array([[[4.0, 1.0, 0.0, 5.0], [0.0, 2.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0],
                      [0.0, 0.0, 3.0, 1.0]]])
    ps, dest, cdf = move_parameters(conc, 20_000, np.random.default_rng(1))
    mean = conc / conc.sum(-1, keepdims=True)
    assert np.allclose(ps.mean(0), mean[:, np.arange(4), np.arange(4)], atol=0.01)
    assert (ps[:, 0, 1] == 1).all()  # no valid move: always stays
    assert (np.diff(cdf, axis=-1) >= 0).all() and (cdf[..., -1] == 1).all()
    # probability of each destination = (1 - stay) * its step of the cdf
    step = np.diff(cdf, axis=-1, prepend=0)
    got = np.zeros((20_000, 1, 4, 4))
    for r in range(cdf.shape[-1]):
        for k in range(4):
            if k != 1 and r < (conc[0, k] > 0).sum() - (conc[0, k, k] > 0):
                got[:, 0, k, dest[0, k, r]] += (1 - ps[:, 0, k]) * step[:, 0, k, r]
    off = ~np.eye(4, dtype=bool)[None]
    assert np.allclose(got.mean(0)[off], mean[off], atol=0.01)


def test_default_parameter_sets_are_shared_by_draws(example):
    """By default PARAM_SETS (250) posterior parameter sets serve all draws (fewer draws:
    one set each); draws sharing a set still differ (own effects, joiners and counts)."""
    m = CohortModel.from_sen2(example, "999")
    p = m.project(horizon=2, draws=2 * PARAM_SETS, seed=5)
    assert PARAM_SETS == 250 and p.settings["param_draws"] == PARAM_SETS
    assert not np.array_equal(p.draws[0], p.draws[PARAM_SETS])  # same set, other draw
    check_conservation(p)
    assert m.project(horizon=1, draws=40, seed=5).settings["param_draws"] == 40
    assert m.project(horizon=1, draws=40, seed=5, param_draws=7).settings["param_draws"] == 7


def test_top_age_always_leaves_under_any_leaving_probabilities():
    """The age-25 limit: whatever leaving probabilities a scenario gives, the top age
    leaves for sure; other cells keep theirs, and with no moves q (leave or move) = pl."""
    from sendforecast.models.cohort.parameters import ParameterSets, top_age_leaves

    p = np.array([[0.1, 0.2, 0.3, 0.4]])  # one set, 2 ages x 2 states
    pl = top_age_leaves(p, 2, 2)
    assert pl.dtype == np.float32 and np.allclose(pl, [[0.1, 0.2, 1.0, 1.0]])
    sets = ParameterSets(n_ages=2, n_states=2, leave=pl, stay=np.ones((1, 4), np.float32),
                         dest=np.zeros((4, 1), np.int64), cdf=np.ones((1, 4, 1), np.float32),
                         mix=np.full((1, 4), 0.25))
    q, pl2 = sets.leaving(p * 3)
    assert np.allclose(pl2, [[0.3, 0.6, 1.0, 1.0]]) and np.array_equal(q, pl2)
