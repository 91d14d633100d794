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
