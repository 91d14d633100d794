"""The numpy projection engine: vectorised over draws and cells, the test oracle.

Knows: how to draw one projection step with numpy's ``Generator`` - leavers and movers
(:func:`step_counts`, exact binomials or the skew-corrected normal above
:data:`~.sampling.NORMAL_VAR`), transfers in, and joiners as one multinomial - and the
vectorised year-effect and net-leaving transforms (:func:`apply_year_effects`,
:func:`net_leave`), the numpy twins of the numba kernels' scalar code.

Does not know: per-cell random streams.  Every draw comes from the one generator, so
a scenario that changes some cells changes the random numbers of others (pairing is
partial).  The runtime engine is :mod:`.engine_numba`; this one has the same
distributions, not the same streams, and the tests hold the two against each other.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .parameters import DrawPlan, cond_from_cdf
from .sampling import LOGIT_FROM, NORMAL_VAR, cornish_fisher, stochastic_round

__all__ = ["NumpyEngine", "apply_year_effects", "binomial", "largest_takes_rest", "net_leave",
           "step_counts"]

Redirect = Callable[[np.ndarray], np.ndarray]


class NumpyEngine:
    """The numpy engine for one projection (see :class:`~.engine.Engine`): built from the
    projection's :class:`~.parameters.DrawPlan` and generator ``rng``, from which every
    count is drawn.  Each year: :meth:`step`, then :meth:`arrivals`, then :meth:`joiners`
    (the joiners use the mix of that year's step)."""

    name = "numpy"

    def __init__(self, plan: DrawPlan, rng: np.random.Generator) -> None:
        self.plan, self.rng = plan, rng
        s = plan.sets
        self._age_of = np.repeat(np.arange(s.n_ages), s.n_states)
        # destination conditionals: fixed without year effects, else per draw and year
        self._cond = cond_from_cdf(s.cdf) if plan.effects is None else None
        self._mix = None  # the joiners' mix of the current year, per draw

    def step(self, h: int, stock: np.ndarray, q: np.ndarray, pl: np.ndarray,
             redirect: Redirect | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Leavers and the continuing children's next stock ``[D, A*K]`` of year ``h``."""
        p, s = self.plan, self.plan.sets
        pidx = p.set_of_draw
        q_d, pl_d, m_d = q[pidx], pl[pidx], s.mix[pidx]
        if p.effects is None:
            cond_d = self._cond[pidx]
        else:
            q_d, pl_d, cond_d, m_d = apply_year_effects(q_d, pl_d, s.cdf[pidx], s.dest, m_d,
                                                        p.effects[:, h],
                                                        p.effect_variance[h, 0], s.n_states)
        if p.net is not None:
            q_d, pl_d = net_leave(q_d, pl_d, p.net[:, h, None])
        r = np.divide(pl_d, q_d, out=np.zeros_like(q_d), where=q_d > 0).clip(0, 1)
        self._mix = m_d
        return step_counts(self.rng, stock, q_d, r, self._age_of, s.dest, cond_d, s.n_states,
                           redirect)

    def arrivals(self, h: int, cont: np.ndarray) -> np.ndarray | None:
        """Transfers in ``[D, A*K]`` of year ``h`` (``None`` without net transfers): as the
        kernel, ``cont * -net`` rounded stochastically where the rate is negative."""
        if self.plan.net is None:
            return None
        x = cont * np.clip(-self.plan.net[:, h, None], 0.0, None)
        return stochastic_round(x, self.rng.random(x.shape)).astype(np.int32)

    def joiners(self, h: int, totals: np.ndarray) -> np.ndarray:
        """Joiners ``[D, A*K]`` of year ``h``: Multinomial(totals, this year's mix)."""
        m = self._mix
        return self.rng.multinomial(totals, m / m.sum(-1, keepdims=True)).astype(np.int32)


def binomial(rng: np.random.Generator, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Binomial(n, p) counts (int32), exact where ``n p (1-p) < NORMAL_VAR``.

    Where ``n p (1-p) >= NORMAL_VAR``: a rounded skew-corrected normal draw
    (:func:`cornish_fisher`) with the binomial's mean, variance and skewness, clipped to
    ``[0, n]`` - still an integer between 0 and ``n``, so the children taken from a
    stock never exceed it and conservation stays exact (total variation distance from
    the binomial <= 0.25%).  Elsewhere :meth:`numpy.random.Generator.binomial` (one
    call over the whole array: numpy's per-element cost is lowest that way, cells with
    ``n = 0`` are nearly free).
    """
    n = np.asarray(n)
    p = np.asarray(p)
    if n.size == 0 or n.max() < 4 * NORMAL_VAR:  # p (1-p) <= 1/4: no cell can be "big"
        nz = n > 0
        if np.count_nonzero(nz) > n.size // 2:
            return rng.binomial(n, p).astype(np.int32)
        out = np.zeros(n.shape, np.int32)  # mostly empty cells: draw the others only
        i = np.flatnonzero(nz)
        out.ravel()[i] = rng.binomial(n.ravel()[i], p.ravel()[i])
        return out
    var = n.astype(np.float32) * p * (1 - p)
    big = var >= NORMAL_VAR
    if not big.any():
        return rng.binomial(n, p).astype(np.int32)
    out = np.zeros(n.shape, np.int32)
    ib = np.flatnonzero(big)
    nb = n.ravel()[ib]
    x = cornish_fisher(nb, p.ravel()[ib].astype(np.float64),
                        rng.standard_normal(ib.size))
    out.ravel()[ib] = np.clip(np.rint(x), 0, nb)
    sm = np.flatnonzero(~big)
    out.ravel()[sm] = rng.binomial(n.ravel()[sm], p.ravel()[sm])
    return out


def step_counts(rng: np.random.Generator, stock: np.ndarray, q: np.ndarray, r: np.ndarray,
                age_of: np.ndarray, dest: np.ndarray, cond: np.ndarray, K: int,
                redirect: Redirect | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One step's leavers and the next stock of the continuing children, with numpy.

    ``q`` (leave or move) and ``r`` (leave, given leave or move) are per draw ``[D, A*K]``,
    ``cond [D, A*K, R]`` the destinations' stick-breaking conditionals (see
    :func:`~.parameters.cond_from_cdf`) over ``dest [A*K, R]``; ``age_of [A*K]`` is each
    cell's age.  Returns ``leave`` and ``nxt`` (stayers + movers' inflow, after
    ``redirect`` of the inflow, if any, by age before ageing on), both ``[D, A*K]``.
    """
    D, AK = stock.shape
    R_ = dest.shape[1]
    out_ = binomial(rng, stock, q)  # leave or move: Multinomial(n; leave, move, stay)
    leave = binomial(rng, out_, r)
    nxt = stock - out_  # stayers
    movers = (out_ - leave).ravel()
    idx = np.flatnonzero(movers)
    if idx.size:  # destinations: conditional binomials over valid destinations only
        rem = movers[idx]
        d, ak = np.divmod(idx, AK)
        base = idx - ak + age_of[ak] * K  # flat index of (draw, age, state 0)
        tgt, cnt = [], []
        for j in range(R_):
            live = np.flatnonzero(rem > 0)
            if not live.size:
                break
            dj = dest[ak[live], j]
            x = binomial(rng, rem[live], cond[d[live], ak[live], j])
            rem[live] -= x
            tgt.append(base[live] + dj)
            cnt.append(x)
        inflow = np.bincount(np.concatenate(tgt), np.concatenate(cnt),
                             minlength=D * AK).astype(np.int32).reshape(D, AK)
        if redirect is not None:  # scenarios: movers heading to X go to Y instead
            inflow = redirect(inflow)
        nxt = nxt + inflow
    return leave, nxt


def net_leave(q, pl, e):
    """Leave-or-move ``q`` and leaving ``pl`` probabilities after a net transfer rate
    ``e`` (broadcastable; only ``e > 0`` acts): every child leaves with an extra chance
    ``e``, ``pl' = 1 - (1 - pl) (1 - e)``, and the chance of moving given continuing is
    kept.  The numba kernel applies the same formula per cell."""
    e = np.clip(e, 0.0, None)
    pl = np.asarray(pl, float)
    mv = np.divide(q - pl, 1 - pl, out=np.zeros_like(pl), where=pl < 1)
    pl2 = np.where(pl < 1, 1 - (1 - pl) * (1 - e), pl)
    return pl2 + (1 - pl2) * mv, pl2


def largest_takes_rest(p: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Outcome probabilities ``p [..., O]`` after multipliers ``f``: every outcome but the
    most likely (first on ties) is multiplied and the most likely takes the rest; if the
    multiplied ones exceed the total they are scaled down to it (as in the kernels)."""
    dom = np.arange(p.shape[-1]) == p.argmax(-1)[..., None]
    n = np.where(dom, 0.0, p * f)
    other = n.sum(-1)
    tot = p.sum(-1)
    over = other > tot
    n = np.where(over[..., None], n * (tot / np.where(over, other, 1.0))[..., None], n)
    return np.where(dom, np.where(over, 0.0, tot - other)[..., None], n)


def apply_year_effects(q, pl, cdf, dest, m, e, lvar, K):
    """Numpy engine: per-draw ``q, pl [D, AK]``, destination conditionals ``[D, AK, R]``
    and joiners' mix ``[D, AK]`` after year effects ``e [D, 2, K]`` (as in the kernels)."""
    D, AK = q.shape
    g = np.arange(AK) % K
    pl = pl.astype(float)
    mv = np.divide(q - pl, 1 - pl, out=np.zeros_like(pl), where=pl < 1)
    el, v = e[:, 0][:, g], lvar[g]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.log(pl / (1 - pl)) * np.sqrt(1 + np.pi * v / 8) + np.log(el) + v / 2)
    pl2 = np.where(pl <= LOGIT_FROM, np.minimum(pl * el, 1.0), 1 / (1 + np.exp(-z)))
    pl2 = np.where(pl < 1, pl2, pl)  # the age-25 limit is kept
    inc = np.diff(cdf.astype(float), axis=-1, prepend=0.0)
    p = np.concatenate([(1 - mv)[..., None], mv[..., None] * inc], -1)
    f = np.concatenate([np.ones((D, AK, 1)), e[:, 1][:, dest]], -1)
    n = np.where((mv > 0)[..., None], largest_takes_rest(p, f), p)
    mv2 = np.clip(1 - n[..., 0], 0.0, 1.0)
    cdf2 = np.divide(np.cumsum(n[..., 1:], -1), mv2[..., None],
                     out=np.ones_like(inc), where=mv2[..., None] > 0).clip(0, 1)
    cdf2[cdf >= 1] = 1.0
    q2 = pl2 + (1 - pl2) * mv2
    gw = m.reshape(D, -1, K).sum(1)  # joiners' group weights
    gw2 = largest_takes_rest(gw, e[:, 1])
    ratio = np.divide(gw2, gw, out=np.zeros_like(gw2), where=gw > 0)
    return q2, pl2, cond_from_cdf(cdf2), m * ratio[:, g]
