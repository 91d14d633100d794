"""Heavier tails for the projection's placement-group fans, keeping their 80% intervals.

The backtests' errors of a group's count one year ahead, in units of its 80% interval's
half-width, are heavy-tailed: their 95th percentile is 1.7-2.7 times their 80th
(``benchmarks/results/cohort_backtest.md``, tuning origins), where a normal fan gives
1.96 / 1.28 = 1.53.  So 80% intervals calibrated on the backtests covered 80% while the
95% intervals covered 85-91%.

Each draw's deviation of a group's count from its mean is multiplied by a factor: ``k`` in a
share ``p`` of the draws (exactly ``round(p x draws)`` of them, a different set per
group), ``c`` in the rest, where ``c`` makes the 80% interval of a normal deviation what
it was (a scale mixture of normals: every moment is finite, the mean is unchanged).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtr

__all__ = ["mixture_scale", "tail_factors", "widen_tails"]

_Z80 = 1.2815515655446004  # the 90th percentile of the standard normal


def mixture_scale(p: float, k: float) -> float:
    """``c`` such that ``|Z| x m`` (``m = c k`` with probability ``p``, else ``c``) has
    the 80th percentile of ``|Z|``: the 80% interval of a normal fan is kept."""
    if p <= 0 or k == 1:
        return 1.0

    def inside(c: float) -> float:  # P(|Z m| < z80) - 0.8
        return ((1 - p) * (2 * ndtr(_Z80 / c) - 1) + p * (2 * ndtr(_Z80 / (c * k)) - 1)) - 0.8
    return float(brentq(inside, 1e-3, 10.0))


def tail_factors(p: float, k: float, draws: int, groups: int,
                 rng: np.random.Generator) -> np.ndarray:
    """``[draws, groups]`` factors: ``c k`` for ``round(p x draws)`` draws of each group
    (chosen by ``rng``), ``c`` for the others (:func:`mixture_scale`)."""
    c = mixture_scale(p, k)
    m = np.full((draws, groups), c)
    n = int(round(p * draws))
    if n:
        for g in range(groups):
            m[rng.choice(draws, n, replace=False), g] = c * k
    return m


def widen_tails(x: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """``x`` ``[D, H, A, K]`` with each draw's deviation of each group's count from its
    mean over draws multiplied by ``factors[d, k]`` (the group's ages in proportion, its
    count kept >= 0 and its mean over draws as it was), then each draw rescaled to its own
    total: an error of the mix, the total's fan unchanged."""
    g = x.sum(axis=2)  # [D, H, K]
    gm = g.mean(0)
    gn = np.maximum(gm + factors[:, None, :] * (g - gm), 0.0)
    np.multiply(gn, np.divide(gm, gn.mean(0), out=np.ones_like(gm), where=gn.mean(0) > 0),
                out=gn)
    x = x * np.divide(gn, g, out=np.ones_like(g), where=g > 0)[:, :, None, :]
    before, after = g.sum(-1), x.sum(axis=(2, 3))
    return x * np.divide(before, after, out=np.ones_like(after), where=after > 0)[..., None, None]
