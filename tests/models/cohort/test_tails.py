"""Heavier tails of the group fans (sendforecast.models.cohort.tails)."""

from __future__ import annotations

import numpy as np
import pytest

from sendforecast.models.cohort.tails import mixture_scale, tail_factors, widen_tails


@pytest.mark.parametrize("p,k", [(0.15, 3.0), (0.1, 2.5)])
def test_the_mixture_keeps_the_80pc_interval_and_widens_the_95pc(p, k):
    rng = np.random.default_rng(3)
    z = rng.standard_normal(400_000)
    m = tail_factors(p, k, z.size, 1, rng)[:, 0]
    x = np.abs(z * m)
    assert np.quantile(x, 0.8) == pytest.approx(1.2816, abs=0.01)
    # a normal's 95th percentile of |z| is 1.96; the mixture's is further out
    assert np.quantile(x, 0.95) > 2.1
    assert mixture_scale(0.0, 3.0) == 1.0 and mixture_scale(p, k) < 1.0


def test_widen_tails_keeps_each_draws_total_and_each_groups_mean():
    rng = np.random.default_rng(7)
    D, H, A, K = 4000, 2, 3, 4
    x = rng.normal(100.0, 10.0, (D, H, A, K)).clip(0) * np.array([1.0, 2.0, 0.5, 3.0])
    f = tail_factors(0.15, 3.0, D, K, np.random.default_rng(1))
    y = widen_tails(x, f)
    np.testing.assert_allclose(y.sum(axis=(2, 3)), x.sum(axis=(2, 3)), rtol=1e-12)
    g0, g1 = x.sum(2), y.sum(2)
    np.testing.assert_allclose(g1.mean(0), g0.mean(0), rtol=0.01)
    assert (y >= 0).all()

    def ratio(g):  # 95% width / 80% width of group 0 in year 1
        q = np.quantile(g[:, 0, 0], [0.025, 0.1, 0.9, 0.975])
        return (q[3] - q[0]) / (q[2] - q[1])

    assert ratio(g0) == pytest.approx(1.53, abs=0.08)
    assert ratio(g1) > ratio(g0) + 0.1


def test_a_projections_tails_are_seeded(example):
    """Same seed, same draws; the tails come from their own stream."""
    from sendforecast.models.cohort import CohortModel

    m = CohortModel.from_sen2(example, example.la_codes()[0])
    a = m.project(horizon=2, draws=60, seed=5, keep_flows=False).draws
    b = m.project(horizon=2, draws=60, seed=5, keep_flows=False).draws
    np.testing.assert_array_equal(a, b)
