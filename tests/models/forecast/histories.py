"""Small synthetic histories for the forecasting tests (hand-checkable, no data files)."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: 2015-2023, growing about 6% a year with some noise
GROW = list(100 * np.exp(np.cumsum([0.0, .08, .03, .07, .05, .09, .02, .06, .07])))


def hist(values: dict[str, list], start: int = 2015) -> pd.DataFrame:
    """Tidy ``la_code, year, value, la_name`` from ``{code: [value per year from start]}``."""
    rows = [(code, start + i, v) for code, vs in values.items() for i, v in enumerate(vs)]
    return pd.DataFrame(rows, columns=["la_code", "year", "value"]).assign(
        la_name=lambda d: "LA " + d.la_code)


def four_las() -> pd.DataFrame:
    """Four noisy growing series (2015-2023) in two regions, for the pooled model."""
    rng = np.random.default_rng(0)
    h = hist({c: list(100 * np.exp(np.cumsum(rng.normal(0.05, 0.05, 9)))) for c in "ABCD"})
    h["region_code"] = ["R1" if c in "AB" else "R2" for c in h.la_code]
    return h


def pipeline_history(requests: dict[str, list], p_assess: float = 0.7, p_issue: float = 0.5,
                     start: int = 2015) -> pd.DataFrame:
    """Requests, assessments (= requests x p_assess) and new plans (x p_issue) per LA."""
    base = hist(requests, start)
    return pd.concat([base.assign(measure="requests"),
                      base.assign(measure="assessments", value=base.value * p_assess),
                      base.assign(measure="new_plans", value=base.value * p_assess * p_issue)],
                     ignore_index=True)
