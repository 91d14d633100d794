"""Maths both engines share (sampling): AS 241, Cornish-Fisher, stochastic rounding."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from sendforecast.models.cohort.engine_numba import normal, start_stream
from sendforecast.models.cohort.sampling import normal_quantile


def test_normal_quantile_is_as241():
    """The kernels' normal deviates: AS 241 quantiles agree with scipy's to ~1e-15 over
    the centre and both tails, and the kernel's draws are standard normal (KS)."""
    u = np.concatenate([np.linspace(1e-6, 1 - 1e-6, 20_001), np.logspace(-300, -1, 500),
                        1 - np.logspace(-16, -1, 500)])
    z = np.array([normal_quantile(x) for x in u])
    ref = special.ndtri(u)
    assert np.all(np.abs(z - ref) <= 1e-14 * np.maximum(np.abs(ref), 1.0))
    assert normal_quantile(0.5) == 0.0 and normal_quantile(0.975) == pytest.approx(
        1.959963984540054, abs=1e-15)
    st = np.zeros(3, np.uint64)
    start_stream(st, np.uint64(21), 0)
    x = np.array([normal(st) for _ in range(100_000)])
    assert stats.kstest(x, "norm").pvalue > 1e-3


def test_cornish_fisher_and_stochastic_rounding_by_hand():
    """Binomial(100, 0.1) at z = 1: 10 + 3 x 1 + 0.8 (1 - 1) / 6 = 13; at z = 2: 10 + 6 +
    0.8 x 3 / 6 = 16.4 (the skew term); at p = 1/2 there is no skew: 50 + 5 z.
    Stochastic rounding of 2.3 is 3 below u = 0.3, else 2, so its mean is exactly 2.3."""
    from sendforecast.models.cohort.sampling import cornish_fisher, stochastic_round

    assert cornish_fisher(100, 0.1, 1.0) == pytest.approx(13.0)
    assert cornish_fisher(100, 0.1, 2.0) == pytest.approx(16.4)
    assert cornish_fisher(100, 0.5, -1.5) == pytest.approx(42.5)
    u = np.array([0.0, 0.29, 0.3, 0.99])
    assert stochastic_round(np.full(4, 2.3), u).tolist() == [3, 3, 2, 2]
    grid = (np.arange(10_000) + 0.5) / 10_000
    assert stochastic_round(np.full(grid.size, 2.3), grid).mean() == pytest.approx(2.3)
    assert stochastic_round(np.array([5.0]), np.array([0.999])).tolist() == [5]
