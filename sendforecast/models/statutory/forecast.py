"""Statutory pipeline projection: every LA (or some) forward by month, with draws.

:func:`project_statutory` fits the starting point (:mod:`.fit`), draws the requests of each
future year from the pooled-growth forecaster (:class:`~..forecast.pooled.PooledGrowthForecaster`,
cheap for every LA at once), the conversion rate, and the error of the starting
timeliness, runs the monthly queue (:mod:`.queue`) over LAs x draws at once and sums the
months into calendar years.  :class:`Levers` carries what a scenario changes (capacity
added, share agreed); the random numbers are drawn before the levers are applied and in
the same order whatever they are, so a baseline and a scenario with the same seed are
paired draw for draw.

Settings (blend weights, capacity rule, interval scales) come from
:data:`~sendforecast.models.settings.STATUTORY_SETTINGS`, chosen by
``benchmarks/statutory_backtest.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri, stdtrit

from ...defaults import DEFAULT_SEED
from ...intervals import INTERVAL_COLUMNS, QUANTILES, summarise
from ..forecast.history import history_from
from ..forecast.pooled import PooledGrowthForecaster
from ..settings import STATUTORY_SETTINGS
from .fit import Origin, fit_origin
from .queue import DECIDE_RATE, QueueResult, decision_stage, run_queue, wait_from_timeliness

__all__ = ["MEASURES", "MEASURE_UNITS", "Levers", "StatutoryProjection", "project_statutory", "summarise_draws"]

#: measures of the projection table, in order
MEASURES = ("requests", "decisions", "assessments", "plans_issued", "backlog",
            "within_6_weeks_pct", "within_20_weeks_pct")
#: what each measure counts (a report labels its rows with it): ``decisions`` = requests
#: decided (assess or not), ``backlog`` = requests awaiting a decision + agreed assessments
#: waiting, the ``_pct`` measures are percentages (0-100) of decisions / plans issued
MEASURE_UNITS = {"requests": "requests", "decisions": "decisions", "assessments": "assessments",
                 "plans_issued": "plans", "backlog": "requests", "within_6_weeks_pct": "%",
                 "within_20_weeks_pct": "%"}


@dataclass
class Levers:
    """What a scenario changes, per month from the first projected January.

    ``capacity_add``: assessments a month added (``(months,)`` or ``(LAs, months)``);
    ``agree_scale``: multiplier of the share of requests that go on to assessment;
    ``requests_scale``: multiplier of the requests (the baseline capacity does not follow
    it: "requests up 20% with the staff we have")."""

    months: int
    capacity_add: np.ndarray = field(default=None)
    agree_scale: np.ndarray = field(default=None)
    requests_scale: np.ndarray = field(default=None)

    def __post_init__(self):
        if self.capacity_add is None:
            self.capacity_add = np.zeros(self.months)
        if self.agree_scale is None:
            self.agree_scale = np.ones(self.months)
        if self.requests_scale is None:
            self.requests_scale = np.ones(self.months)


@dataclass
class StatutoryProjection:
    """Monthly queue paths ``(LAs, draws, months)`` and their yearly sums."""

    origin: Origin
    years: list[int]
    queue: QueueResult
    p_plan: np.ndarray  # (LAs, draws, months)
    settings: dict

    @property
    def codes(self) -> list[str]:
        return self.origin.codes

    def yearly(self, total: bool = False) -> dict[str, np.ndarray]:
        """Each measure per LA, draw and year: ``(LAs, draws, years)``; ``total=True``: the
        sum over the LAs per draw, ``(1, draws, years)`` (shares from summed counts)."""
        q = self.queue
        L, D, M = q.worked.shape
        H = M // 12

        def year_sum(x):
            y = x.reshape(L, D, H, 12).sum(-1)
            return y.sum(0, keepdims=True) if total else y

        def year_end(x):
            y = x.reshape(L, D, H, 12)[..., -1]
            return y.sum(0, keepdims=True) if total else y

        worked = year_sum(q.worked)
        decisions = year_sum(q.decisions)
        with np.errstate(invalid="ignore", divide="ignore"):
            w20 = 100 * year_sum(q.worked * q.within_20) / worked
            w6 = 100 * year_sum(q.decisions * q.within_6) / decisions
        return {"requests": year_sum(q.arrivals), "decisions": decisions,
                "assessments": worked, "plans_issued": year_sum(q.worked * self.p_plan),
                "backlog": year_end(q.backlog + q.waiting),
                "within_6_weeks_pct": w6, "within_20_weeks_pct": w20}

    def table(self, total: str | None = None) -> pd.DataFrame:
        """Tidy ``la_code, year, measure, mean, p10, p90, p2_5, p97_5`` (measures:
        :data:`MEASURES`; ``backlog`` = requests awaiting a decision + agreed assessments
        waiting for capacity at the end of December).  ``total``: one series for the sum
        of the LAs (quantiles of sums), under that code (e.g. ``"all"``)."""
        ys = self.yearly(total=total is not None)
        codes = [total] if total is not None else self.codes
        rows = []
        for m in MEASURES:
            s = summarise_draws(np.moveaxis(ys[m], 1, 0))  # (LAs, years) per column
            L, H = s["mean"].shape
            rows.append(pd.DataFrame({
                "la_code": np.repeat(codes, H), "year": np.tile(self.years, L),
                "measure": m, **{k: s[k].ravel() for k in INTERVAL_COLUMNS}}))
        return pd.concat(rows, ignore_index=True)[["la_code", "year", "measure",
                                                   *INTERVAL_COLUMNS]]

    def probability(self, measure: str, year: int, threshold: float) -> np.ndarray:
        """P(``measure`` >= ``threshold`` in ``year``) per LA, over the draws."""
        v = self.yearly()[measure][..., self.years.index(int(year))]
        return (v >= threshold).mean(axis=1)


def summarise_draws(values: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`~sendforecast.intervals.summarise` over the draws that have a value: a share
    of plans is 0/0 in a draw that works no assessment in a year (a scenario that stops
    them), and one such draw blanked the whole row.  NaN where most draws have none (the
    share is undefined in most futures)."""
    v = np.asarray(values, dtype=float)
    if not np.isnan(v).any():
        return summarise(v)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices stay NaN
        q = np.nanquantile(v, list(QUANTILES.values()), axis=0)
        out = {"mean": np.nanmean(v, axis=0), **{k: q[i] for i, k in enumerate(QUANTILES)}}
    most = np.isnan(v).mean(axis=0) > 0.5
    return {k: np.where(most, np.nan, x) for k, x in out.items()}


def _requests_draws(data, origin: Origin, horizon: int, draws: int,
                    rng: np.random.Generator) -> np.ndarray:
    """Yearly requests ``(LAs, draws, years)``."""
    h = history_from(data, ["requests"])
    f = PooledGrowthForecaster("requests").fit(h)
    sub = int(rng.integers(2**31))
    sims = f.sample(horizon, draws, seed=sub) if len(f.codes_) else None  # (series, H, D)
    pos = {c: i for i, c in enumerate(f.codes_)}
    L = len(origin.codes)
    out = np.empty((L, draws, horizon))
    flat = rng.standard_normal((horizon, L, draws)).transpose(1, 2, 0) * 0.1  # year by year
    for j, c in enumerate(origin.codes):
        i = pos.get(c)
        if i is None or f.last_years_[i] != origin.year:  # too short or stale: flat, 10% sd
            out[j] = origin.requests[j] * np.exp(np.cumsum(flat[j], axis=1))
        else:
            out[j] = sims[i].T
    return out


def _yearly_normal(rng: np.random.Generator, L: int, D: int, H: int) -> np.ndarray:
    """Standard normals ``(L, D, H)`` drawn year by year."""
    return rng.standard_normal((H, L, D)).transpose(1, 2, 0)


def _stratified_t(rng: np.random.Generator, df: float, L: int, D: int) -> np.ndarray:
    """Student t draws ``(L, D)``, stratified per LA: one uniform in each of D equal slices of
    (0, 1), in random order.  The same distribution as plain draws, but the heavy tails
    (df 2) no longer swing an LA's mean and quantiles from seed to seed (plain draws moved
    an LA's mean 20-week timeliness by 0.7 pp at the median LA and up to 2.8 pp between
    seeds, at 1,000 draws)."""
    order = rng.permuted(np.broadcast_to(np.arange(D), (L, D)), axis=1)
    return stdtrit(df, (order + rng.random((L, D))) / D)


def project_statutory(data, la: str | list[str] = "all", horizon: int = 3, draws: int = 1000,
                      seed: int | None = DEFAULT_SEED, *, levers: Levers | None = None,
                      capacity: dict[str, float] | None = None,
                      settings: dict | None = None) -> StatutoryProjection:
    """Project the statutory pipeline of ``la`` (a code, a list or ``"all"``) for
    ``horizon`` calendar years after the last published one.

    ``capacity`` maps LA codes to their own assessments-a-month capacity (e.g. from
    :func:`~.fit.capacity_from_staff`), replacing the throughput-based estimate;
    ``levers`` are a scenario's changes (:class:`Levers`)."""
    st = {**STATUTORY_SETTINGS, **(settings or {})}
    codes = None if (isinstance(la, str) and la == "all") else ([la] if isinstance(la, str) else list(la))
    # an empty table (horizon 0, no LA) or an IndexError (draws 0) otherwise
    if int(horizon) < 1 or int(draws) < 1:
        raise ValueError(f"horizon and draws must be at least 1, got {horizon} and {draws}")
    if codes is not None and not codes:
        raise ValueError("no LA code given: a code, a list of codes or 'all'")
    bad = {c: v for c, v in (capacity or {}).items() if np.isfinite(v) and v < 0}
    if bad:
        raise ValueError(f"capacity (assessments a month) must be >= 0, got {bad}")
    origin = fit_origin(data, codes, blend=st["blend"])
    rng = np.random.default_rng(seed)
    H, D, L = int(horizon), int(draws), len(origin.codes)
    M = 12 * H
    # random numbers, each from its own stream and year by year (paired draws across
    # scenarios; a longer horizon keeps the first years' numbers)
    r_req, r_agree, r_t, r_plan, r_cap = rng.spawn(5)
    req = _requests_draws(data, origin, H, D, r_req)
    z_agree = np.cumsum(_yearly_normal(r_agree, L, D, H), axis=2)
    t_err = _stratified_t(r_t, st["interval"]["df"], L, D)
    z_plan = np.cumsum(_yearly_normal(r_plan, L, D, H), axis=2)
    # capacity's own drift against demand after the first year (recruitment, turnover,
    # sickness): a yearly random walk on the log scale from the second year, sd ``cap_sd``
    # (year 1's uncertainty is the starting timeliness error's)
    z_cap = np.cumsum(_yearly_normal(r_cap, L, D, H), axis=2)
    z_cap -= z_cap[..., :1]
    # conversion: random walk on the logit scale, a step a year
    la_ = np.log(origin.p_agree / (1 - origin.p_agree))[:, None, None]
    p_year = 1 / (1 + np.exp(-(la_ + st["interval"]["agree_scale"] * origin.agree_sd * z_agree)))
    p_month = np.repeat(p_year, 12, axis=2)
    cap_rule = st["capacity"]
    # starting timeliness with its error -> wait -> backlog (Little's law)
    z0 = ndtri(np.clip(origin.within_20_blend, 1e-3, 1 - 1e-3))[:, None] + st["interval"]["tau"] * t_err
    wait0 = wait_from_timeliness(np.clip(ndtr(z0), 0.03, None))  # as fit_origin's blend
    # the pipeline starts at December's level: last year's requests moved by ``momentum``
    # of their last yearly log growth (half a year of it = the year's mid-point to its end)
    level = origin.requests * np.exp(cap_rule["momentum"] * origin.requests_growth)
    flow0 = level * origin.p_agree / 12.0  # assessments a month flowing in at the start
    # capacity (assessments a month): balanced with that inflow (the LA's throughput is its
    # inflow in the published year), or the LA's own staff x productivity
    cap0 = flow0.copy()
    if capacity:
        for c, v in capacity.items():
            if c in origin.codes and np.isfinite(v):
                cap0[origin.index(c)] = v
    # baseline capacity follows the draw's demand (requests x conversion, before any
    # lever, so that scenarios share it) with elasticity "follow"
    arrivals = np.repeat(req / 12.0, 12, axis=2)
    waiting0 = level[:, None] / 12.0 * (1 / DECIDE_RATE - 1)
    decisions, _ = decision_stage(arrivals, waiting0)
    cap = (cap0[:, None, None] * (1 + cap_rule["headroom"])) * (
        decisions * p_month / flow0[:, None, None]) ** cap_rule["follow"]
    cap_sd = float(st["interval"].get("cap_sd", 0.0))
    if cap_sd > 0:
        cap = cap * np.repeat(np.exp(cap_sd * z_cap), 12, axis=2)
    lv = levers or Levers(M)
    p_month = np.clip(p_month * np.broadcast_to(lv.agree_scale, (M,)) if np.ndim(lv.agree_scale) == 1
                      else p_month * lv.agree_scale[:, None, :], 0.0, 1.0)
    arrivals = arrivals * np.asarray(lv.requests_scale, dtype=float)  # after the capacity
    add = np.asarray(lv.capacity_add, dtype=float)
    cap = cap + (add if add.ndim == 1 else add[:, None, :])
    backlog0 = wait0 * flow0[:, None]  # Little's law at the published throughput
    w6 = origin.within_6
    w6 = np.where(np.isfinite(w6), w6, np.nanmedian(w6) if np.isfinite(w6).any() else np.nan)
    q = run_queue(arrivals, p_month, cap, backlog0=backlog0, waiting0=waiting0,
                  catch_up=cap_rule["catch_up"], within_6_0=w6[:, None], wait0=wait0)
    years = list(range(origin.year + 1, origin.year + 1 + H))
    # plans issued per assessment worked, with a mean-one lognormal error a year (what
    # the conversion and requests draws leave out: timing of issue, amendments)
    sd = st["interval"]["plans_sd"]
    p_plan = origin.p_plan[:, None, None] * np.repeat(
        np.exp(sd * z_plan - 0.5 * sd**2 * np.arange(1, H + 1)), 12, axis=2)
    return StatutoryProjection(origin=origin, years=years, queue=q, p_plan=p_plan,
                               settings={**st, "seed": seed, "draws": D, "horizon": H})
