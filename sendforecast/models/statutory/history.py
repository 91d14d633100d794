"""The queue run over an LA's published history (in-sample), beside what was published.

Two replays, month by month over the years with requests, assessments and timeliness:

* **load**: arrivals = each year's requests / 12, conversion = the LA's completed
  assessments / requests over the whole period, capacity = each year's completed
  assessments / 12 (its throughput), one starting backlog (from the first year's
  timeliness); plans issued and the 20-week share then follow from the queue alone;
* **state**: each year starts from the wait its own published timeliness implies (the
  state a forecast starts from) with that year's flows.

``load`` tests the flow arithmetic (plans issued follow throughput and conversion) and
shows how much of the timeliness history the load alone explains (for most LAs, little:
see the test and the backtest); ``state`` checks the wait <-> timeliness mapping and the
monthly-to-yearly sums, and should reproduce the published shares closely.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...data.statutory import statutory_wide
from .fit import FIRST_FULL_YEAR
from .queue import DECIDE_RATE, run_queue, wait_from_timeliness

__all__ = ["replay_history"]


def _yearly(q, n: int, p_plan: float) -> tuple[np.ndarray, np.ndarray]:
    worked = q.worked.reshape(-1, n, 12)
    w20 = (q.worked * q.within_20).reshape(-1, n, 12).sum(-1) / worked.sum(-1)
    return worked.sum(-1) * p_plan, 100 * w20


def replay_history(data, la: str) -> pd.DataFrame:
    """``year, measure, published, load, state`` for ``plans_issued`` and
    ``within_20_weeks_pct`` of LA ``la`` (years with requests, assessments and
    timeliness published, from 2016)."""
    w = statutory_wide(data)
    h = w[(w.la_code == la) & (w.year >= FIRST_FULL_YEAR + 1)].dropna(
        subset=["requests", "completed", "plans_issued", "within_20_weeks"])
    h = h[(h.requests > 0) & (h.completed > 0) & (h.plans_issued > 0)]
    if len(h) < 2:
        raise ValueError(f"LA {la}: fewer than two years with requests, assessments and "
                         "20-week timeliness published")
    R, K, P = (h[c].to_numpy(float) for c in ("requests", "completed", "plans_issued"))
    share = h.within_20_weeks.to_numpy(float) / P
    n = len(h)
    p_agree, p_plan = K.sum() / R.sum(), P.sum() / K.sum()
    arrivals = np.repeat(R / 12, 12)[None]
    capacity = np.repeat(K / 12, 12)[None]
    waiting0 = R[0] / 12 * (1 / DECIDE_RATE - 1)
    q = run_queue(arrivals, p_agree, capacity, waiting0=waiting0,
                  backlog0=wait_from_timeliness(share[:1]) * K[0] / 12)
    load_plans, load_w20 = _yearly(q, n, p_plan)
    # each year from its own state: wait from its timeliness, its own conversion
    arr = (R / 12)[:, None] * np.ones(12)
    cap = (K / 12)[:, None] * np.ones(12)
    qs = run_queue(arr, (K / R)[:, None], cap, waiting0=R / 12 * (1 / DECIDE_RATE - 1),
                   backlog0=wait_from_timeliness(share) * K / 12)
    st_worked = qs.worked.sum(-1)
    st_w20 = 100 * (qs.worked * qs.within_20).sum(-1) / st_worked
    years = h.year.to_numpy(int)
    return pd.concat([
        pd.DataFrame({"year": years, "measure": "plans_issued", "published": P,
                      "load": load_plans[0], "state": st_worked * P / K}),
        pd.DataFrame({"year": years, "measure": "within_20_weeks_pct", "published": 100 * share,
                      "load": load_w20[0], "state": st_w20})], ignore_index=True)
