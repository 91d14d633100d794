"""The statutory pipeline as a monthly queue, vectorised over any leading axes (LAs, draws).

    requests --(decision, ~6 weeks)--> agreed to assess --(wait for capacity)--> assessed
             --> plan issued (or not)

Each month ``t``:

* requests awaiting a decision ``waiting`` receive the month's arrivals; a fixed share
  :data:`DECIDE_RATE` of them is decided (so a request waits about six weeks on average);
* a share ``p_agree`` of decisions is agreed and joins the assessment ``backlog``;
* up to ``capacity[t] + catch_up * backlog`` assessments are worked (EP advice, casework);
  the rest wait (first come, first served);
* cases worked in month ``t`` waited ``backlog[t - 1] / capacity`` months for their turn
  on average (exponentially distributed about it); the time from request to plan is
  decision time + wait + a service time, lognormal with median
  :data:`SERVICE_MEDIAN_WEEKS` and log-sd :data:`SERVICE_SIGMA`, so the share issued
  within 20 weeks (:func:`within_20_weeks`) falls as the backlog grows relative to
  capacity (load) and rises when capacity is added;
* the share of decisions made within six weeks falls from its starting value by
  :data:`SIX_WEEK_SLOPE` on the probit scale per month of wait added since the start.

Identities (tested): cumulative arrivals + ``waiting0`` = cumulative decisions + ``waiting``;
``backlog[t] = backlog[t - 1] + agreed[t] - worked[t]``.

Constants are assumptions where no public figure exists, and are named as such:
the statutory clock is from the SEND Code of Practice (DfE, 2015), paras 9.14 and 9.40
(decision within 6 weeks, plan within 20 weeks).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

__all__ = ["DECIDE_RATE", "DECISION_WEEKS", "QueueResult", "SERVICE_MEDIAN_WEEKS", "SERVICE_SIGMA",
           "WEEKS_PER_MONTH", "decision_stage", "run_queue", "wait_from_timeliness", "within_20_weeks"]

WEEKS_PER_MONTH = 52.0 / 12.0
#: share of requests awaiting a decision that are decided each month: the mean wait
#: (1 / rate - 1 months ~ 1.4 months ~ 6 weeks) is the statutory 6 weeks (SEND Code of
#: Practice 2015, 9.14); an assumption where the LA gives no monthly file
DECIDE_RATE = 0.42
#: weeks of the 20-week clock used by the decision to assess (Code of Practice 9.14 allows 6;
#: 82-89% of decisions are within 6 weeks in SEN2 2023, so most take close to it): assumption
DECISION_WEEKS = 5.0
#: log-sd of the assessment's own duration once it is worked (EP and other advice,
#: drafting, consultation): assumption, chosen so that an LA without a queue issues
#: about 97% of plans within 20 weeks (the best LAs publish 95-100%, SEN2 2023)
SERVICE_SIGMA = 0.35
#: median weeks of that duration: with no wait, P(service <= 20 - 5 weeks) = 97%
SERVICE_MEDIAN_WEEKS = (20.0 - DECISION_WEEKS) / float(np.exp(SERVICE_SIGMA * ndtri(0.97)))
#: probit-scale fall of the 6-week decision share per month of added wait: assumption
#: (decisions and assessments draw on the same casework officers)
SIX_WEEK_SLOPE = 0.3


def _share_table(grid_months: np.ndarray) -> np.ndarray:
    """P(service + wait <= 20 - decision weeks) for each mean wait of ``grid_months``: the
    wait of a case is exponential with that mean (the waiting time of a single queue),
    the service lognormal; integrated over the service on a fine normal grid."""
    z = np.linspace(-6, 6, 481)
    w = np.exp(-0.5 * z**2)
    w /= w.sum()
    service = SERVICE_MEDIAN_WEEKS * np.exp(SERVICE_SIGMA * z)  # weeks
    left = np.maximum(20.0 - DECISION_WEEKS - service, 0.0)  # weeks left for the wait
    mu = WEEKS_PER_MONTH * np.asarray(grid_months, dtype=float)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        p_wait = np.where(mu > 0, 1 - np.exp(-left / np.where(mu > 0, mu, 1.0)), left > 0)
    return (p_wait * (left > 0) * w).sum(axis=1)


_GRID = np.concatenate([np.linspace(0, 6, 1201), np.linspace(6.05, 120, 2280)])
_SHARE = _share_table(_GRID)


def within_20_weeks(wait_months: np.ndarray) -> np.ndarray:
    """Share of plans issued within 20 weeks when the mean queue wait is ``wait_months``.

    The wait of a single case is exponential about that mean (as in a queue served in
    turn with random arrivals); with SEN2 2023's England figures this reproduces both
    tails: 49% within 20 weeks needs a mean wait of about 12.5 weeks, which leaves 4% over
    a year (published: 5.1%, 4,118 of 80,945)."""
    return np.interp(np.asarray(wait_months, dtype=float), _GRID, _SHARE)


def wait_from_timeliness(share: np.ndarray) -> np.ndarray:
    """The mean wait (months) at which :func:`within_20_weeks` gives ``share`` (0 at or
    above the no-wait share; the inverse of :func:`within_20_weeks`)."""
    return np.interp(np.asarray(share, dtype=float), _SHARE[::-1], _GRID[::-1])


@dataclass
class QueueResult:
    """Monthly paths, each shaped ``(..., months)``."""

    arrivals: np.ndarray
    decisions: np.ndarray
    agreed: np.ndarray
    worked: np.ndarray  # assessments completed with a decision (plan issued or not)
    waiting: np.ndarray  # requests awaiting a decision at month end
    backlog: np.ndarray  # agreed assessments waiting for capacity at month end
    wait_months: np.ndarray  # queue wait of the cases worked in the month
    within_20: np.ndarray  # share of the month's plans issued within 20 weeks
    within_6: np.ndarray  # share of the month's decisions made within 6 weeks (NaN: unknown)


def decision_stage(arrivals: np.ndarray, waiting0: np.ndarray,
                   decide_rate: float = DECIDE_RATE) -> tuple[np.ndarray, np.ndarray]:
    """Decisions made and requests still waiting at each month end, ``(..., months)``:
    each month a share ``decide_rate`` of the waiting requests (with the month's arrivals)
    is decided."""
    a = np.asarray(arrivals, dtype=float)
    waiting = np.broadcast_to(np.asarray(waiting0, dtype=float), a.shape[:-1]).copy()
    dec, wait = np.empty(a.shape), np.empty(a.shape)
    for t in range(a.shape[-1]):
        pool = waiting + a[..., t]
        dec[..., t] = decide_rate * pool
        waiting = pool - dec[..., t]
        wait[..., t] = waiting
    return dec, wait


def run_queue(arrivals: np.ndarray, p_agree: np.ndarray, capacity: np.ndarray, *,
              backlog0: np.ndarray, waiting0: np.ndarray, catch_up: np.ndarray | float = 0.0,
              within_6_0: np.ndarray | float = np.nan, wait0: np.ndarray | float = 0.0,
              decide_rate: float = DECIDE_RATE) -> QueueResult:
    """Run the queue (see the module).  ``arrivals``, ``capacity`` and ``p_agree`` broadcast
    to ``(..., months)`` (``p_agree`` may also be ``(...)``: one rate for every month); ``backlog0``, ``waiting0``,
    ``catch_up``, ``within_6_0`` and ``wait0`` (the wait behind ``within_6_0``) to
    ``(...)``.  Deterministic given its inputs (the draws come in through them)."""
    a = np.asarray(arrivals, dtype=float)
    c = np.asarray(capacity, dtype=float)
    shape = np.broadcast_shapes(a.shape, c.shape)
    M = shape[-1]
    a = np.broadcast_to(a, shape)
    c = np.broadcast_to(c, shape)
    p = np.asarray(p_agree, dtype=float)
    p = np.broadcast_to(p if p.ndim == len(shape) else p[..., None], shape)
    lead = shape[:-1]
    decisions, waiting = decision_stage(a, waiting0, decide_rate)
    backlog = np.broadcast_to(np.asarray(backlog0, dtype=float), lead).copy()
    k = np.broadcast_to(np.asarray(catch_up, dtype=float), lead)
    out = {n: np.empty(shape) for n in ("agreed", "worked", "backlog", "wait_months")}
    for t in range(M):
        agreed = p[..., t] * decisions[..., t]
        cap = np.maximum(c[..., t] + k * backlog, 1e-9)
        wait = backlog / cap
        avail = backlog + agreed
        worked = np.minimum(cap, avail)
        backlog = avail - worked
        for n, v in (("agreed", agreed), ("worked", worked), ("backlog", backlog),
                     ("wait_months", wait)):
            out[n][..., t] = v
    w6 = np.asarray(within_6_0, dtype=float)
    z6 = ndtri(np.clip(w6, 1e-4, 1 - 1e-4))[..., None] - SIX_WEEK_SLOPE * (
        out["wait_months"] - np.asarray(wait0, dtype=float)[..., None])
    return QueueResult(arrivals=a, decisions=decisions, waiting=waiting,
                       within_20=within_20_weeks(out["wait_months"]),
                       within_6=ndtr(z6), **out)
