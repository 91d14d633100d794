"""One interval vocabulary: every result's ``mean, p10, p90, p2_5, p97_5`` from its draws.

``p10``-``p90`` is the 80% interval and ``p2_5``-``p97_5`` the 95% interval.  Intervals of
a total are taken from the draws of the total (quantiles of sums, never sums of
quantiles): sum the draws first, then :func:`summarise`.  Knows nothing of what is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["QUANTILES", "INTERVAL_COLUMNS", "summarise", "quantile_frame"]

#: Column name -> quantile level.
QUANTILES = {"p10": 0.10, "p90": 0.90, "p2_5": 0.025, "p97_5": 0.975}
#: The columns every summary carries, in this order.
INTERVAL_COLUMNS = ["mean", *QUANTILES]


def summarise(values: np.ndarray) -> dict[str, np.ndarray]:
    """``mean, p10, p90, p2_5, p97_5`` over the first (draw) axis."""
    v = np.asarray(values, dtype=float)
    q = np.quantile(v, list(QUANTILES.values()), axis=0)
    return {"mean": v.mean(axis=0), **{k: q[i] for i, k in enumerate(QUANTILES)}}


def quantile_frame(values: np.ndarray, fy_labels: Sequence[str], lines: Sequence[str],
                   name: str = "line") -> pd.DataFrame:
    """Tidy ``financial_year, <name>, mean, p10, p90, p2_5, p97_5`` from ``[draw, fy, line]``."""
    s = summarise(values)
    f, l_ = np.meshgrid(np.arange(len(fy_labels)), np.arange(len(lines)), indexing="ij")
    out = pd.DataFrame({"financial_year": np.asarray(fy_labels, dtype=object)[f.ravel()],
                        name: np.asarray(lines, dtype=object)[l_.ravel()]})
    for k in INTERVAL_COLUMNS:
        out[k] = s[k].ravel()
    return out
