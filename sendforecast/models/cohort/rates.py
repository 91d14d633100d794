"""Transition rates with Bayesian priors for the cohort stock-flow model.

Pure functions: tidy frames or arrays in, posterior *parameters* out, so that the
simulator (:mod:`sendforecast.models.cohort`) can draw parameter uncertainty.

- Leaving (and any other yes/no event) is beta-binomial: with ``x`` events out of
  ``n`` children and a prior mean ``m0`` of strength ``k`` (pseudo-children), the
  posterior is ``Beta(k*m0 + x, k*(1-m0) + n - x)``.  :func:`pooled_beta` applies
  this in a chain (cell -> age group -> whole LA -> England), each level's
  posterior mean being the prior mean of the level below it, so sparse cells are
  pulled toward broader groups and small LAs are not over-fitted.
- Destinations (placement moves, the age x placement mix of joiners) are
  Dirichlet-multinomial: concentration = ``k * prior_probs + counts``, where
  ``prior_probs`` is pooled the same way and floored at ``floor`` on every
  *allowed* destination, so no plausible move has zero probability.

Witan.send person-level transitions are turned into counts by
:func:`witan_counts`, and into posterior parameters by :func:`witan_rates`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

NONSEND = "NONSEND"

__all__ = ["beta_posterior", "pooled_beta", "dirichlet_posterior", "pooled_dirichlet",
           "group_sums", "witan_counts", "witan_rates", "loglinear_trend", "damped_trend"]


# --------------------------------------------------------------------- beta-binomial
def beta_posterior(x, n, prior_mean, strength: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """Posterior ``(alpha, beta)`` of a probability with ``x`` events out of ``n`` trials.

    ``x``/``n`` may be fractional (estimated counts).  ``x`` is clipped to ``[0, n]``.
    """
    n = np.maximum(np.asarray(n, float), 0.0)
    x = np.clip(np.asarray(x, float), 0.0, n)
    m0 = np.clip(np.asarray(prior_mean, float), 1e-4, 1 - 1e-4)
    return strength * m0 + x, strength * (1 - m0) + n - x


def group_sums(values: np.ndarray, groups: Sequence, axis: int = 0) -> np.ndarray:
    """Sum ``values`` along ``axis`` within groups; result broadcast back to ``values``' shape."""
    values = np.asarray(values, float)
    labels = np.asarray(groups)
    out = np.zeros_like(values)
    for g in pd.unique(labels):
        sel = labels == g
        s = np.take(values, np.nonzero(sel)[0], axis=axis).sum(axis=axis, keepdims=True)
        idx = [slice(None)] * values.ndim
        idx[axis] = sel
        out[tuple(idx)] = np.broadcast_to(s, out[tuple(idx)].shape)
    return out


def pooled_beta(x: np.ndarray, n: np.ndarray, age_groups: Sequence, prior_mean=None,
                strength: float = 10.0, group_strength: float = 20.0
                ) -> tuple[np.ndarray, np.ndarray]:
    """Beta posterior per cell of ``x``/``n`` arrays shaped ``[age, state]``.

    Pooling chain: the cell's prior mean is the posterior mean of its (age group,
    state) cell, whose prior mean is the LA-wide rate of the state, whose prior is
    ``prior_mean`` (e.g. England's rate for the same cell; scalar or array; default
    the LA's overall rate) with strength ``group_strength``.
    """
    x = np.asarray(x, float)
    n = np.asarray(n, float)
    overall = (x.sum() + 0.5) / (n.sum() + 1.0)
    top = overall if prior_mean is None else np.asarray(prior_mean, float)
    xs, ns = x.sum(axis=0, keepdims=True), n.sum(axis=0, keepdims=True)  # per state
    a, b = beta_posterior(xs, ns, np.broadcast_to(top, x.shape).mean(axis=0, keepdims=True)
                          if np.ndim(top) else top, group_strength)
    state_mean = a / (a + b)
    xg, ng = group_sums(x, age_groups, 0), group_sums(n, age_groups, 0)
    prior_g = state_mean if prior_mean is None or np.ndim(prior_mean) == 0 else \
        0.5 * state_mean + 0.5 * np.asarray(prior_mean, float)
    a, b = beta_posterior(xg, ng, prior_g, group_strength)
    cell = a / (a + b)
    if prior_mean is not None and np.ndim(prior_mean) == x.ndim:
        # keep the reference's age shape within each age group (e.g. most plans that
        # reach 24 end there): the cell's prior is the group's posterior mean times the
        # reference cell's rate relative to the reference group's mean
        pm = np.broadcast_to(np.asarray(prior_mean, float), x.shape)
        w = np.maximum(n, 1e-9)
        pm_g = group_sums(pm * w, age_groups, 0) / np.maximum(group_sums(w, age_groups, 0),
                                                              1e-12)
        ratio = np.divide(pm, pm_g, out=np.ones_like(pm), where=pm_g > 0)
        cell = np.clip(cell * ratio, 1e-4, 0.99)
    return beta_posterior(x, n, cell, strength)


# ---------------------------------------------------------------- Dirichlet-multinomial
def dirichlet_posterior(counts, prior_probs, strength: float = 5.0, allowed=None,
                        floor: float = 1e-3) -> np.ndarray:
    """Dirichlet concentration ``strength * prior + counts`` over the last axis.

    ``allowed`` (boolean, broadcastable) marks plausible categories: the prior is
    floored at ``floor`` on allowed categories (then renormalised), so each one has
    positive probability; categories not allowed get a concentration of exactly 0
    unless observed (observed categories are always kept).
    """
    counts = np.maximum(np.asarray(counts, float), 0.0)
    prior = np.clip(np.asarray(prior_probs, float), 0.0, None)
    prior = np.broadcast_to(prior, counts.shape).copy()
    allowed = (np.ones(counts.shape, bool) if allowed is None
               else np.broadcast_to(np.asarray(allowed, bool), counts.shape)) | (counts > 0)
    prior = np.where(allowed, np.maximum(prior, floor), 0.0)
    tot = prior.sum(axis=-1, keepdims=True)
    prior = np.divide(prior, tot, out=np.zeros_like(prior), where=tot > 0)
    return strength * prior + counts


def pooled_dirichlet(counts: np.ndarray, age_groups: Sequence, allowed=None, prior_probs=None,
                     strength: float = 5.0, group_strength: float = 10.0,
                     floor: float = 1e-3) -> np.ndarray:
    """Dirichlet concentrations for counts ``[age, from, to]`` pooled to age group and LA.

    The prior of a cell ``(age, from)`` is the posterior mean of ``(age group, from)``,
    whose prior is the all-age destination mix of ``from`` (itself shrunk toward
    ``prior_probs`` when given, e.g. England's mix).
    """
    counts = np.asarray(counts, float)
    allc = counts.sum(axis=0, keepdims=True)
    top = allc if prior_probs is None else dirichlet_posterior(allc, prior_probs, group_strength)
    top = top / np.maximum(top.sum(-1, keepdims=True), 1e-12)
    g = dirichlet_posterior(group_sums(counts, age_groups, 0), top, group_strength, allowed, floor)
    g = g / np.maximum(g.sum(-1, keepdims=True), 1e-12)
    return dirichlet_posterior(counts, g, strength, allowed, floor)


# ------------------------------------------------------------------------ witan.send
def witan_counts(transitions: pd.DataFrame, by_need: bool = False) -> dict:
    """Counts from witan.send transitions (:func:`~sendforecast.data.local.read_transitions`).

    A row of ``calendar_year`` y describes one child between the January census of
    y (side 1) and that of y + 1 (side 2).  The state is the setting (or
    ``setting:need`` with ``by_need``); ages are academic years.

    Returns a dict: ``states``, ``ages`` (academic years, side-1 min to side-2 max),
    ``years`` (calendar years), ``stock`` ``[year, age, state]`` (side-1 counts),
    ``leavers`` ``[year, age, state]`` (by side-1 age/state), ``moves``
    ``[age, from, to]`` (continuing children, by side-1 age, summed over years),
    ``joiners`` ``[year, age, state]`` (by side-2 age/state) and ``last_stock``
    ``[age, state]`` (side 2 of the last year: the January after it).
    """
    t = transitions
    st1 = t["setting_1"].astype(str)
    st2 = t["setting_2"].astype(str)
    if by_need:
        st1 = st1.where(st1 == NONSEND, st1 + ":" + t["need_1"].astype(str))
        st2 = st2.where(st2 == NONSEND, st2 + ":" + t["need_2"].astype(str))
    states = sorted((set(st1) | set(st2)) - {NONSEND})
    ages = list(range(int(t["academic_year_1"].min()), int(t["academic_year_2"].max()) + 1))
    years = sorted(int(y) for y in t["calendar_year"].unique())
    si = {s: i for i, s in enumerate(states)}
    A, K, Y = len(ages), len(states), len(years)
    yi = t["calendar_year"].map({y: i for i, y in enumerate(years)}).to_numpy()
    a1 = (t["academic_year_1"] - ages[0]).to_numpy()
    a2 = (t["academic_year_2"] - ages[0]).to_numpy()
    s1 = st1.map(si).to_numpy()
    s2 = st2.map(si).to_numpy()
    in1, in2 = st1.ne(NONSEND).to_numpy(), st2.ne(NONSEND).to_numpy()
    stock = np.zeros((Y, A, K))
    leavers = np.zeros((Y, A, K))
    joiners = np.zeros((Y, A, K))
    moves = np.zeros((A, K, K))
    np.add.at(stock, (yi[in1], a1[in1], s1[in1].astype(int)), 1)
    lv = in1 & ~in2
    np.add.at(leavers, (yi[lv], a1[lv], s1[lv].astype(int)), 1)
    jn = ~in1 & in2
    np.add.at(joiners, (yi[jn], a2[jn], s2[jn].astype(int)), 1)
    mv = in1 & in2
    np.add.at(moves, (a1[mv], s1[mv].astype(int), s2[mv].astype(int)), 1)
    last = np.zeros((A, K))
    ly = in2 & (yi == Y - 1)
    np.add.at(last, (a2[ly], s2[ly].astype(int)), 1)
    return {"states": states, "ages": ages, "years": years, "stock": stock, "leavers": leavers,
            "joiners": joiners, "moves": moves, "last_stock": last}


def witan_rates(counts: dict, valid_states: pd.DataFrame | None = None, *,
                leave_strength: float = 10.0, move_strength: float = 5.0,
                mix_strength: float = 20.0, floor: float = 1e-3) -> dict:
    """Posterior parameters from :func:`witan_counts`.

    Returns ``leave_a, leave_b`` ``[age, state]`` (beta), ``move_conc`` ``[age, from,
    to]`` (Dirichlet over the destination at age + 1, staying included),
    ``joiner_conc`` ``[age, state]`` (Dirichlet over the joiners' age x state mix,
    from all years), ``allowed_move`` and ``valid_cell`` masks.  With
    ``valid_states``, a destination is allowed when it is the same setting, is in
    the origin's ``allowed_moves``, or was observed, and when age + 1 is within the
    destination's academic-year range; needs follow the setting's ``needs``.
    """
    states, ages = counts["states"], counts["ages"]
    A, K = len(ages), len(states)
    from sendforecast.data.taxonomy import phases_of_ages

    groups = phases_of_ages(ages, 4).tolist()  # academic year 0 = Reception = age 4
    stock, leavers = counts["stock"].sum(0), counts["leavers"].sum(0)
    la, lb = pooled_beta(leavers, stock, groups, strength=leave_strength)
    setting = [s.split(":")[0] for s in states]
    need = [s.split(":")[1] if ":" in s else None for s in states]
    valid_cell = np.ones((A, K), bool)
    allowed = np.ones((A, K, K), bool)
    if valid_states is not None:
        vs = valid_states.set_index("setting")
        for k, (s, nd) in enumerate(zip(setting, need, strict=True)):
            if s not in vs.index:
                continue
            lo, hi = vs.at[s, "min_academic_year"], vs.at[s, "max_academic_year"]
            ok_need = nd is None or nd in vs.at[s, "needs"]
            valid_cell[:, k] = [(lo <= a <= hi) and ok_need for a in ages]
        for j, s in enumerate(setting):
            moves_to = set(vs.at[s, "allowed_moves"]) if s in vs.index else set(setting)
            for k, s2 in enumerate(setting):
                allowed[:, j, k] = s2 == s or s2 in moves_to  # needs may change
        dest_ok = np.vstack([valid_cell[1:], valid_cell[-1:]])  # destination valid at age + 1
        allowed &= dest_ok[:, None, :]
    # a cell whose children stay must be able to stay or go somewhere: keep staying allowed
    eye = np.eye(K, dtype=bool)[None]
    allowed |= eye & ~allowed.any(-1, keepdims=True)
    move_conc = pooled_dirichlet(counts["moves"], groups, allowed=allowed, strength=move_strength,
                                 floor=floor)
    jc = counts["joiners"].sum(0)
    prior = (jc.sum(1, keepdims=True) + 0.5) * (jc.sum(0, keepdims=True) + 0.5)
    prior = np.where(valid_cell | (jc > 0), prior, 0.0)
    mix = dirichlet_posterior(jc.ravel(), prior.ravel() / prior.sum(), mix_strength,
                              allowed=(valid_cell | (jc > 0)).ravel(), floor=floor / A / K)
    return {"leave_a": la, "leave_b": lb, "move_conc": move_conc,
            "joiner_conc": mix.reshape(A, K), "allowed_move": allowed, "valid_cell": valid_cell}


# --------------------------------------------------------------------- joiner totals
def _trend_inputs(years, values, future_years, exposure, future_exposure, max_points):
    """Last ``max_points`` positive points as (years, log rate) and the future axes."""
    y = np.asarray(years, float)
    v = np.asarray(values, float)
    e = np.ones_like(v) if exposure is None else np.asarray(exposure, float)
    ok = np.isfinite(v) & (v > 0) & np.isfinite(e) & (e > 0)
    y, v, e = y[ok][-max_points:], v[ok][-max_points:], e[ok][-max_points:]
    fy = np.asarray(future_years, float)
    fe = np.ones_like(fy) if future_exposure is None else np.asarray(future_exposure, float)
    if len(v) == 0:
        raise ValueError("no positive joiner counts to fit a trend")
    return y, np.log(v / e), fy, fe


def _yearly_normal(rng: np.random.Generator, s: float, draws: int, years: int) -> np.ndarray:
    """Normal(0, s) noise ``[draw, year]`` drawn year by year, from a child stream: a longer
    horizon adds years without changing the first ones' numbers."""
    return rng.spawn(1)[0].normal(0, s, size=(years, draws)).T


def _poisson_by_year(rng: np.random.Generator, lam: np.ndarray) -> np.ndarray:
    """Poisson counts of ``lam`` ``[draw, year]``, year by year from a child stream (as
    :func:`_yearly_normal`)."""
    return rng.spawn(1)[0].poisson(np.minimum(lam, 1e9).T).T.astype(np.int64)


def _flat_walk(z: np.ndarray, horizon: int, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Fewer than 3 points: flat from the last rate with a 10% a-year random walk."""
    base = z[-1] + rng.normal(0, 0.1, size=(draws, 1)) * np.sqrt(np.arange(1, horizon + 1))
    return np.exp(base)


def loglinear_trend(years: Sequence[int], values: Sequence[float], future_years: Sequence[int],
                    draws: int, rng: np.random.Generator, exposure=None,
                    future_exposure=None, max_points: int = 8) -> np.ndarray:
    """Draws ``[draw, future year]`` of a count from a log-linear trend with uncertainty.

    Fits ``log(value / exposure) = a + b * year + e`` by least squares on the last
    ``max_points`` positive points (exposure = population, or 1).  Draws combine
    parameter uncertainty (the coefficients' normal sampling distribution, with a
    residual scale of at least 5% for short series) and process noise (a new
    residual each year, plus Poisson noise).  With one point the trend is flat with a
    10% a-year random walk.  ``future_exposure`` (population) multiplies the rate.
    """
    y, z, fy, fe = _trend_inputs(years, values, future_years, exposure, future_exposure,
                                 max_points)
    if len(z) < 3:
        rate = _flat_walk(z, len(fy), draws, rng)
    else:
        x0 = y.mean()
        X = np.column_stack([np.ones_like(y), y - x0])
        coef, *_ = np.linalg.lstsq(X, z, rcond=None)
        resid = z - X @ coef
        s = max(np.sqrt(resid @ resid / max(len(z) - 2, 1)), 0.05)
        cov = s**2 * np.linalg.inv(X.T @ X)
        c = rng.multivariate_normal(coef, cov, size=draws)
        Xf = np.column_stack([np.ones_like(fy), fy - x0])
        rate = np.exp(c @ Xf.T + _yearly_normal(rng, s, draws, len(fy)))
    return _poisson_by_year(rng, rate * fe[None, :])


def damped_trend(years: Sequence[int], values: Sequence[float], future_years: Sequence[int],
                 draws: int, rng: np.random.Generator, exposure=None, future_exposure=None,
                 phi: float = 0.8, max_points: int = 6, min_growth_sd: float = 0.03
                 ) -> np.ndarray:
    """Draws ``[draw, future year]`` of a count from a *damped* log-linear trend.

    Why damped: a plain log-linear trend (:func:`loglinear_trend`) compounds the
    recent growth rate for ever - SEN2 new plans grew 10-15% a year in many LAs in
    2018-2023, which compounded over 10 years multiplies joiners by 3-4 and gives
    implausible caseloads (e.g. Buckinghamshire 6,697 -> ~22,000 by 2034).  Here the
    growth rate decays geometrically toward zero, as in damped-trend exponential
    smoothing (Gardner & McKenzie): with growth ``b`` at the last observed year,
    the log rate ``h`` years ahead is ``level + b * (phi + phi**2 + ... + phi**h)``,
    so the total further growth is bounded by ``b * phi / (1 - phi)`` (4 years' worth
    at ``phi = 0.8``).

    Fit: least squares of ``log(value / exposure)`` on year over the last
    ``max_points`` positive points (recent growth; older years say little about it);
    ``level`` = the fitted value at the last year.  Uncertainty: ``(level, b)`` are
    drawn per draw from their normal sampling distribution, the sd of ``b`` floored at
    ``min_growth_sd`` (short series understate it), plus a new residual each year
    (scale >= 5%) and Poisson noise.  With fewer than 3 points: flat, with a 10%
    a-year random walk.  ``future_exposure`` (population) multiplies the rate.
    """
    y, z, fy, fe = _trend_inputs(years, values, future_years, exposure, future_exposure,
                                 max_points)
    if len(z) < 3:
        rate = _flat_walk(z, len(fy), draws, rng)
    else:
        X = np.column_stack([np.ones_like(y), y - y[-1]])  # intercept = level at last year
        coef, *_ = np.linalg.lstsq(X, z, rcond=None)
        resid = z - X @ coef
        s = max(np.sqrt(resid @ resid / max(len(z) - 2, 1)), 0.05)
        cov = s**2 * np.linalg.inv(X.T @ X)
        cov[1, 1] = max(cov[1, 1], min_growth_sd**2)
        c = rng.multivariate_normal(coef, cov, size=draws)
        h = np.maximum(fy - y[-1], 0)
        damp = np.array([phi * (1 - phi**k) / (1 - phi) if phi != 1 else k for k in h])
        rate = np.exp(c[:, :1] + c[:, 1:] * damp[None, :]
                      + _yearly_normal(rng, s, draws, len(fy)))
    return _poisson_by_year(rng, rate * fe[None, :])
