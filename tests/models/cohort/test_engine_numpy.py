"""The numpy engine (engine_numpy, the test oracle): its binomial and year-effect formulas."""

from __future__ import annotations

import numpy as np

from sendforecast.models.cohort.engine_numpy import binomial, net_leave


def test_binomial_sampler_moments():
    rng = np.random.default_rng(0)
    n = np.repeat(np.array([0, 3, 40, 400, 5000], np.int32), 20_000)
    p = np.full(n.shape, 0.3, np.float32)
    x = binomial(rng, n, p).reshape(5, -1)
    assert x.dtype == np.int32 and (x >= 0).all() and (x <= n.reshape(5, -1)).all()
    for i, nn in enumerate([0, 3, 40, 400, 5000]):
        assert abs(x[i].mean() - 0.3 * nn) < 0.02 * nn + 0.05
        assert abs(x[i].var() - nn * 0.21) < 0.06 * nn * 0.21 + 0.05


def test_net_leave_formula():
    """Positive rates add a chance of leaving and keep P(move | continue); negative and
    zero rates change nothing; certain leaving stays certain."""
    q = np.array([0.5, 0.5, 0.5, 1.0])
    pl = np.array([0.2, 0.2, 0.2, 1.0])
    e = np.array([0.1, 0.0, -0.3, 0.1])
    q2, pl2 = net_leave(q, pl, e)
    assert np.allclose(pl2, [1 - 0.8 * 0.9, 0.2, 0.2, 1.0])
    mv = (q[:3] - pl[:3]) / (1 - pl[:3])
    assert np.allclose((q2[:3] - pl2[:3]) / (1 - pl2[:3]), mv)
    assert np.allclose(q2[1:3], q[1:3]) and q2[3] == 1.0
