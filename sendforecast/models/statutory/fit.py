"""The pipeline's starting point per LA, from what was published: rates pooled across LAs,
capacity inferred from throughput, and the queue wait the published timeliness implies.

* **Conversion** (requests -> completed assessments, completed -> plans issued): each LA's
  rate over its last :data:`RATE_YEARS` years is shrunk toward the cross-LA distribution by
  a beta prior fitted to it (empirical Bayes, method of moments on the LAs' rates); the
  draws add the year-to-year change seen across LAs (sd of the change of logit rates).
* **Capacity** (assessments that can be worked a month): the LA's own staff x productivity
  where it gives them (:func:`capacity_from_staff`), otherwise last year's throughput / 12.
* **Wait**: the 20-week share of the last year is blended on the probit scale with the
  LA's own mean (of its deviation from England) and England's latest value, then turned
  into a queue wait by :func:`~.queue.wait_from_timeliness`; the starting backlog is that
  wait x capacity (Little's law).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from ...data.statutory import statutory_wide
from ...errors import NotFoundError
from .queue import wait_from_timeliness

__all__ = ["RATE_YEARS", "Origin", "beta_prior", "capacity_from_staff", "fit_origin"]

#: years of each LA's own rates pooled before shrinking (the last ones published)
RATE_YEARS = 2
#: first calendar year of plans that is a full year (EHC plans began in September 2014)
FIRST_FULL_YEAR = 2015


def beta_prior(rates: np.ndarray) -> tuple[float, float]:
    """Beta(a, b) by the method of moments on the cross-LA rates (finite ones in (0, 1))."""
    r = np.asarray(rates, dtype=float)
    r = r[np.isfinite(r) & (r > 0) & (r < 1)]
    if r.size < 3:
        return 1.0, 1.0
    m, v = r.mean(), r.var(ddof=1)
    v = min(max(v, 1e-6), m * (1 - m) * 0.99)
    k = m * (1 - m) / v - 1
    return float(m * k), float((1 - m) * k)


def _shrunk(num: np.ndarray, den: np.ndarray, prior: tuple[float, float], weight: float
            ) -> np.ndarray:
    """Posterior mean of a beta-binomial rate whose counts count ``weight`` each (year-to-year
    variation is larger than binomial: the counts are down-weighted).  A numerator above its
    denominator (more assessments completed than requests received, as when a backlog of
    earlier requests is cleared) counts as all of it: the rate stays below 1."""
    a, b = prior
    n = np.nan_to_num(den) * weight
    x = np.minimum(np.nan_to_num(num) * weight, n)
    return (a + x) / (a + b + n)


def _logit(p):
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


@dataclass
class Origin:
    """Per-LA state at the end of the last published year (arrays aligned on ``codes``)."""

    codes: list[str]
    year: int  # last calendar year of flows published
    requests: np.ndarray
    requests_growth: np.ndarray  # last yearly log growth of requests (0 where unknown)
    completed: np.ndarray
    plans: np.ndarray
    within_20: np.ndarray  # last published share (0-1)
    within_20_blend: np.ndarray  # the blended share the wait is taken from
    within_6: np.ndarray  # last published 6-week share (NaN: never published)
    p_agree: np.ndarray  # completed assessments per decided request (shrunk)
    p_plan: np.ndarray  # plans issued per completed assessment (shrunk)
    agree_sd: float  # sd of the yearly change of logit(p_agree) across LAs
    capacity: np.ndarray  # assessments a month
    wait: np.ndarray  # queue wait at the origin, months
    backlog: np.ndarray  # agreed assessments waiting at the origin
    history: pd.DataFrame  # statutory_wide rows used

    def index(self, code: str) -> int:
        return self.codes.index(code)


def capacity_from_staff(eps: float = 0.0, caseworkers: float = 0.0, *, ep_productivity: float,
                        caseworker_productivity: float) -> float:
    """Assessments a month that staff can complete: the binding constraint of the two roles
    (each assessment needs EP advice and a casework officer), ``min(EPs x their monthly
    advices, officers x their monthly assessments)``; a role given as 0 is not binding."""
    caps = [n * p for n, p in ((eps, ep_productivity), (caseworkers, caseworker_productivity))
            if n > 0]
    return float(min(caps)) if caps else float("nan")


def _national_probit(data, years: np.ndarray) -> dict[int, float]:
    """England's 20-week share per year on the probit scale (the sum over the LAs in the
    data where no England row is published, e.g. a single LA's own files)."""
    nat = statutory_wide(data, "national")
    if not len(nat):
        nat = statutory_wide(data).groupby("year", as_index=False)[
            ["within_20_weeks", "plans_issued"]].sum(min_count=1)
    nat = nat[nat.year.isin(years)].dropna(subset=["within_20_weeks", "plans_issued"])
    share = nat.within_20_weeks / nat.plans_issued
    return dict(zip(nat.year.astype(int), ndtri(np.clip(share, 1e-4, 1 - 1e-4)), strict=True))


def fit_origin(data, codes: list[str] | None = None, *, blend: dict) -> Origin:
    """The state of every LA (or ``codes``) at the last published year of ``data``.

    ``blend`` holds ``last`` (probit weight on the last year's deviation from England),
    ``own`` (on the LA's mean deviation over ``own_years``; the rest, 1 - last - own,
    shrinks to England's level), ``own_years``, ``trend`` (weight on England's last yearly
    change) and ``rate_years`` (years of the conversion rates); from
    :data:`~sendforecast.models.settings.STATUTORY_SETTINGS`."""
    w = statutory_wide(data)
    w = w[w.year >= FIRST_FULL_YEAR]
    ok = w.dropna(subset=["requests", "completed", "plans_issued", "within_20_weeks"])
    ok = ok[(ok.requests > 0) & (ok.completed > 0) & (ok.plans_issued > 0)]
    if not len(ok):
        raise NotFoundError("no year with requests, assessments and 20-week timeliness "
                            "published in these data")
    T = int(ok.year.max())
    last = ok[ok.year == T].set_index("la_code")
    every = last  # the cross-LA priors and spread: from every LA, whichever are asked for
    if codes is not None:
        codes = list(dict.fromkeys(codes))  # a code twice was forecast twice, differently
        missing = [c for c in codes if c not in last.index]
        if missing:
            raise NotFoundError(f"no statutory data for {T} (requests, assessments and 20-week "
                                f"timeliness) for LA(s) {missing}")
        last = last.loc[list(codes)]
    codes = [str(c) for c in last.index]
    rate_years = int(blend.get("rate_years", RATE_YEARS))
    recent = ok[ok.year > T - rate_years].groupby("la_code")[["requests", "completed",
                                                               "plans_issued", "issued"]].sum()
    recent = recent.reindex(codes)
    # conversion rates: beta priors from the cross-LA rates of the last year
    conv_all = (every.completed / every.requests).clip(upper=0.999)
    prior = beta_prior(conv_all.to_numpy())
    p_agree = _shrunk(recent.completed.to_numpy(), recent.requests.to_numpy(), prior,
                      float(blend.get("rate_weight", 0.05)))
    plan_all = (every.plans_issued / every.completed).clip(upper=0.999)
    p_plan = _shrunk(recent.plans_issued.to_numpy(), recent.completed.to_numpy(),
                     beta_prior(plan_all.to_numpy()), 0.2)
    prev = ok[ok.year == T - 1].set_index("la_code")
    both = every.index.intersection(prev.index)
    d = (_logit((every.completed / every.requests)[both])
         - _logit((prev.completed / prev.requests)[both]))
    d = d[np.isfinite(d)]  # robust sd (1.4826 x MAD): a few LAs' returns jump by far more
    agree_sd = float(1.4826 * np.median(np.abs(d - np.median(d)))) if len(d) > 2 else 0.15
    # timeliness: probit blend of last year, the LA's mean deviation and England
    years = np.arange(T - int(blend["own_years"]) + 1, T + 1)
    nat = _national_probit(data, np.arange(T - max(int(blend["own_years"]), 2) + 1, T + 1))
    z = ok.assign(z=ndtri(np.clip(ok.within_20_weeks / ok.plans_issued, 1e-3, 1 - 1e-3)))
    z = z[z.year.isin(years)]
    z["dev"] = z.z - z.year.map(nat)
    own = z.groupby("la_code")["dev"].mean().reindex(codes).to_numpy()
    share = (last.within_20_weeks / last.plans_issued).to_numpy()
    dev_last = ndtri(np.clip(share, 1e-3, 1 - 1e-3)) - nat[T]
    own = np.where(np.isfinite(own), own, dev_last)
    trend = nat[T] - nat.get(T - 1, nat[T])
    zb = nat[T] + blend.get("trend", 0.0) * trend + blend["last"] * dev_last + blend["own"] * own
    share_b = np.clip(ndtr(zb), 0.03, 0.999)  # a 1-3% share would imply a years-long queue
    capacity = last.completed.to_numpy() / 12.0
    wait = wait_from_timeliness(share_b)
    w6 = (last.decision_within_6_weeks / last.decisions).to_numpy()
    before = w[w.year == T - 1].set_index("la_code")["requests"].reindex(codes).to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.log(last.requests.to_numpy(float) / before)
    g = np.clip(np.where(np.isfinite(g), g, 0.0), -0.3, 0.3)
    return Origin(codes=codes, year=T, requests=last.requests.to_numpy(float), requests_growth=g,
                  completed=last.completed.to_numpy(float), plans=last.plans_issued.to_numpy(float),
                  within_20=share, within_20_blend=share_b, within_6=w6, p_agree=p_agree,
                  p_plan=p_plan, agree_sd=agree_sd, capacity=capacity, wait=wait,
                  backlog=wait * capacity, history=w[w.la_code.isin(codes)])
