"""Rescaling forecast intervals by the factors the backtests estimated.

Knows forecast frames and the factor table (:mod:`.calibration_factors`, data with its
provenance); knows nothing about how the factors were estimated
(:mod:`.evaluation`) or which methods exist.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .calibration_factors import CALIBRATION, PROVENANCE
from .interface import level_name

__all__ = ["CALIBRATION", "PROVENANCE", "apply_calibration"]


def apply_calibration(res: pd.DataFrame, levels: Sequence[float] = (80, 95),
                      factors: dict | None = None) -> pd.DataFrame:
    """Rescale interval bounds on the log scale by per (method, measure, horizon, level) factors.

    The horizon of a row is its step from the LA's forecast origin (an LA forecast from
    an earlier year has more steps); past the longest horizon with a factor, that
    horizon's factor is used.  ``factors`` defaults to :data:`CALIBRATION`."""
    factors = CALIBRATION if factors is None else factors
    if not factors or res.empty:
        return res
    res = res.copy()
    horizon = res["year"] - res.groupby("la_code")["year"].transform("min") + 1
    # beyond the longest backtested horizon, the factor of that horizon carries on (a step
    # further ahead must not get the raw, uncalibrated and usually narrower interval)
    h_max: dict[tuple, int] = {}
    for key in factors:
        if isinstance(key, tuple) and len(key) == 4:
            m, ms, h, lv = key
            h_max[(m, ms, lv)] = max(h_max.get((m, ms, lv), h), h)
    for lv in levels:
        lo, hi = level_name(lv)
        k = np.array([factors.get((m, ms, min(int(h), h_max.get((m, ms, int(lv)), int(h))),
                                   int(lv)), 1.0)
                      for m, ms, h in zip(res["method"], res["measure"], horizon, strict=True)])
        if np.all(k == 1.0):
            continue
        llo, lhi = np.log(res[lo].to_numpy()), np.log(res[hi].to_numpy())
        mid, half = (llo + lhi) / 2, (lhi - llo) / 2
        res[lo], res[hi] = np.exp(mid - k * half), np.exp(mid + k * half)
    # keep nested intervals nested (a wider level never inside a narrower one)
    lv_sorted = sorted(levels)
    for a, b in zip(lv_sorted, lv_sorted[1:], strict=False):
        (lo_a, hi_a), (lo_b, hi_b) = level_name(a), level_name(b)
        res[lo_b] = np.minimum(res[lo_b], res[lo_a])
        res[hi_b] = np.maximum(res[hi_b], res[hi_a])
    return res
