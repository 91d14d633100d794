"""The numba projection engine: compiled kernels over draws x cells, the runtime engine.

Knows: one projection step per kernel call, looping over draws x cells (``cache=True``:
compiled once per checkout, then loaded) - leavers and movers (:func:`step_kernel`),
transfers in (:func:`arrivals_kernel`), joiners by group and then by age from Walker
alias tables or chains of conditional binomials (:func:`joiners_kernel`) - and the
kernels' random numbers: every step takes three seeds from the projection's
``numpy.random.Generator``, and each (draw, cell) of the step - each draw, for the
joiners - runs its own SplitMix64 stream started at a hash of the seed and the cell
(:func:`start_stream`).  No numba global RNG state is used.  The per-cell streams are
common random numbers: a scenario that changes some cells' counts leaves every other
cell's draws unchanged.  Year effects and net leaving are applied per cell, in scalar
form (:func:`effect_leave`, :func:`effect_moves`; the vectorised twins, which the tests
hold these against, are in :mod:`.engine_numpy`).

Does not know: the model, scenarios (a scenario's redirects arrive as a callable applied
to the movers' inflow) or how the parameters were drawn (:mod:`.parameters`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numba import njit

from .parameters import DrawPlan
from .sampling import LOGIT_FROM, NORMAL_VAR, cornish_fisher, normal_quantile, stochastic_round

__all__ = ["CHAIN_PER_AGE", "FEW_MOVERS", "INV", "SMALL_CELL", "NumbaEngine", "age_chains",
           "alias_tables", "arrivals_kernel", "binomial", "effect_leave", "effect_moves",
           "joiner_tables", "joiners_kernel", "normal", "start_stream", "step_kernel"]

TWO_M32 = 1.0 / 4294967296.0  # 32-bit uniforms: fates and destinations (float32 parameters)
MASK32 = np.uint64(0xFFFFFFFF)
FEW_MOVERS = 16  # up to this many movers of a cell: each mover's destination drawn directly
CHAIN_PER_AGE = 8  # joiners of a group per age from which ages are drawn as binomials
SMALL_CELL = 8  # cells of at most this many children: each child's fate drawn directly
INV = 1.0 / np.maximum(np.arange(256), 1)  # reciprocals for the inversion sampler

Redirect = Callable[[np.ndarray], np.ndarray]


class NumbaEngine:
    """The numba engine for one projection (see :class:`~.engine.Engine`).

    Built from the projection's :class:`~.parameters.DrawPlan` and generator ``rng``, from
    which it takes the seeds of every step's streams (three per year, drawn here) - and
    nothing else.  The kernels index the parameter sets by draw (no per-draw copies) and
    write into output buffers reused from step to step: fresh pages are dear on virtual
    machines (all LAs in two processes: ~10% less CPU); the joiners' two buffers
    alternate, as one of them is the stock of the next step.
    """

    name = "numba"

    def __init__(self, plan: DrawPlan, rng: np.random.Generator) -> None:
        self.plan = plan
        s = plan.sets
        P, A, K = len(s.mix), s.n_ages, s.n_states
        D, AK = plan.draws, A * K
        mix = s.mix.reshape(P, A, K)
        self._gw = gw = mix.sum(1)  # joiners' group weights [P, K]
        cond = mix.transpose(0, 2, 1) / np.where(gw > 0, gw, 1)[..., None]
        cond[gw <= 0] = 1.0 / A  # never used (the group gets no joiners)
        self._tables = joiner_tables(cond, plan.joiner_conc)
        # the kernels' random streams: hashes of these seeds and the cell / draw
        self._seeds = rng.integers(0, 2**63, size=(plan.years, 3), dtype=np.uint64)
        self._no_eff, self._no_net = np.ones((0, 2, K)), np.zeros(0)
        self._step_buf = np.empty((3, D, AK), np.int32)
        self._join_buf = np.empty((2, D, AK), np.int32)
        self._arrive_buf = np.empty((D, AK), np.int32) if plan.net is not None else None
        self._h, self._eff_h, self._net_h = -1, None, None

    def _year(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        """Year ``h``'s effects ``[D, 2, K]`` and net rates ``[D]`` (empty arrays: none)."""
        if h != self._h:
            p = self.plan
            self._eff_h = (self._no_eff if p.effects is None
                           else np.ascontiguousarray(p.effects[:, h]))
            self._net_h = self._no_net if p.net is None else np.ascontiguousarray(p.net[:, h])
            self._h = h
        return self._eff_h, self._net_h

    def step(self, h: int, stock: np.ndarray, q: np.ndarray, pl: np.ndarray,
             redirect: Redirect | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Leavers and the continuing children's next stock ``[D, A*K]`` of year ``h``."""
        p, s = self.plan, self.plan.sets
        eff_h, net_h = self._year(h)
        leave, nxt, inflow = step_kernel(self._seeds[h, 0], stock, q, pl, s.cdf, p.set_of_draw,
                                         s.dest, s.n_states, NORMAL_VAR, INV, eff_h,
                                         p.effect_variance[h, 0], net_h, self._step_buf)
        if redirect is not None:  # scenarios: movers heading to X go to Y instead
            inflow = redirect(inflow)
        nxt += inflow
        return leave, nxt

    def arrivals(self, h: int, cont: np.ndarray) -> np.ndarray | None:
        """Transfers in ``[D, A*K]`` of year ``h`` (``None`` without net transfers)."""
        if self.plan.net is None:
            return None
        return arrivals_kernel(self._seeds[h, 2], cont, self._year(h)[1], self._arrive_buf)

    def joiners(self, h: int, totals: np.ndarray) -> np.ndarray:
        """Joiners ``[D, A*K]`` of year ``h`` (``totals [D]``)."""
        eff_h = self._year(h)[0]
        return joiners_kernel(self._seeds[h, 1], np.ascontiguousarray(totals, dtype=np.int64),
                              self.plan.set_of_draw, self._gw, *self._tables,
                              self.plan.sets.n_states, np.ascontiguousarray(eff_h[:, 1]),
                              NORMAL_VAR, INV, self._join_buf[h % 2])


# ------------------------------------------------------------------ random streams
@njit(cache=True, error_model="numpy")
def _mix(z):
    """SplitMix64 finaliser (a bijection of uint64)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, error_model="numpy")
def start_stream(st, seed, key):
    """Start the stream of ``key`` (a cell or a draw) in ``st[0]``: a hash of both
    (the seed plus ``key`` steps of the SplitMix64 increment, mixed - so distinct
    keys of one seed start at distinct, unrelated states)."""
    st[0] = _mix(seed + np.uint64(key) * np.uint64(0x9E3779B97F4A7C15))


@njit(cache=True, error_model="numpy")
def next_bits(st):
    """Next 64 bits of the SplitMix64 stream in ``st[0]``."""
    st[0] += np.uint64(0x9E3779B97F4A7C15)
    return _mix(st[0])


@njit(cache=True, error_model="numpy")
def uniform(st):
    """Uniform on [0, 1) with 53 bits (numpy's conversion of 64 random bits)."""
    return (next_bits(st) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, error_model="numpy")
def uniform32(st):
    """Uniform on [0, 1) with 32 bits: the two halves of each 64-bit output in turn
    (``st[1]`` keeps the unused half, ``st[2]`` says whether there is one)."""
    if st[2]:
        st[2] = 0
        return (st[1] & MASK32) * TWO_M32
    bits = next_bits(st)
    st[1] = bits
    st[2] = 1
    return (bits >> np.uint64(32)) * TWO_M32


# ------------------------------------------------------------- sampling helpers
@njit(cache=True, error_model="numpy")
def _destination(lc, v, nv):
    """Index of the destination a mover with uniform ``v`` goes to (inversion of the
    cell's destination cdf ``lc``, whose entry ``nv - 1`` - the last valid one - is
    exactly 1): the number of valid entries before the last that ``v`` reaches.
    Branch-free: a search loop's unpredictable exit cost ~4x more."""
    j = 0
    for i in range(nv - 1):
        j += v >= lc[i]
    return j


@njit(cache=True, error_model="numpy")
def _zeroed(out, shape):
    """The kernels' result array: the caller's buffer ``out`` (reused from step to
    step: fresh pages are dear) cleared, or a new one of ``shape`` (int32)."""
    if out is None:
        return np.zeros(shape, np.int32)
    out[:] = 0
    return out


# ------------------------------------------------------------------- binomials
_normal_quantile_nb = njit(cache=True, error_model="numpy")(normal_quantile)
_stochastic_round_nb = njit(cache=True, error_model="numpy")(stochastic_round)


@njit(cache=True, error_model="numpy")
def normal(st):
    """Standard normal: the AS 241 quantile (:func:`~.sampling.normal_quantile`) of one uniform
    on (0, 1) with 53 bits (the midpoints of numpy's grid: never 0 or 1)."""
    return _normal_quantile_nb(((next_bits(st) >> np.uint64(11)) + 0.5)
                               * (1.0 / 9007199254740992.0))


@njit(cache=True, error_model="numpy")
def _inversion(st, n, p, inv):
    """Binomial(n, p) by inversion (numpy's algorithm) for p <= 1/2;
    ``inv[x] = 1 / x``.  ``(1-p)**n`` by repeated squaring and one dependent
    multiplication per step (the pmf ratio is formed off the critical path)."""
    qq = 1.0 - p
    ratio = p / qq
    qn = qq ** n
    bound = min(n, n * p + 10.0 * np.sqrt(n * p * qq + 1.0))
    x = 0
    px = qn
    u = uniform(st)
    while u > px:
        x += 1
        if x > bound:
            x = 0
            px = qn
            u = uniform(st)
        else:
            u -= px
            px = px * ((n - x + 1) * ratio * (inv[x] if x < inv.size else 1.0 / x))
    return x


_cornish_fisher_nb = njit(cache=True, error_model="numpy")(cornish_fisher)


@njit(cache=True, error_model="numpy")
def binomial(st, n, p, big_var, inv):
    """Binomial(n, p): the clipped rounded skew-corrected normal (:func:`~.sampling.cornish_fisher`)
    where n p (1-p) >= big_var, else exact by inversion (there n min(p, 1-p) <
    2 big_var, so the inversion's expected steps stay small and (1 - p)**n >=
    2**(-4 big_var) is far from underflow)."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    var = n * p * (1.0 - p)
    if var >= big_var:
        x = np.rint(_cornish_fisher_nb(n, p, normal(st)))
        return int(min(max(x, 0.0), n))
    if p <= 0.5:
        return _inversion(st, n, p, inv)
    return n - _inversion(st, n, 1.0 - p, inv)


# ---------------------------------------------------------------- year effects
@njit(cache=True, error_model="numpy")
def effect_leave(p, e, x, kf):
    """Leaving probability ``p`` after a leave effect ``e`` (mean one, log variance
    ``v``; ``x = log(e) + v / 2``, ``kf = sqrt(1 + pi v / 8)``): ``p e`` where
    ``p <= LOGIT_FROM`` (a cap at 1 binds very rarely there); above, on the logit
    scale with the probit-approximation correction, ``logit p' = kf logit(p) + x``,
    which keeps the mean (within 2% for ``v <= 0.6``) where capping ``p e`` at 1 would
    shrink it."""
    if p <= LOGIT_FROM:
        return min(p * e, 1.0)
    return 1.0 / (1.0 + np.exp(-(np.log(p / (1.0 - p)) * kf + x)))


@njit(cache=True, error_model="numpy")
def effect_moves(lc, cdf, pi, c, dest, mv, eff, d, nv):
    """Year effects on the moves of cell ``c`` in draw ``d``: fills ``lc`` with the
    destinations' cdf and returns the probability of moving (given continuing).

    Outcomes of a continuing child: stay (``1 - mv``) or destination ``j`` (``mv``
    times its share).  Each destination's probability is multiplied by the intake
    effect of its group, except the *most likely* outcome, which takes what is left
    (staying, the usual case, is never multiplied) - so every multiplied flow keeps
    its mean (the effects have mean 1), unlike a renormalisation, which would
    shrink the large flows.  Should the multiplied outcomes exceed 1 they are
    scaled down to 1 (rare: they are the less likely outcomes).  ``nv``: the cell's
    number of valid destinations (the rest of ``dest`` is padding)."""
    prev = 0.0
    big = 1.0 - mv
    bj = -1  # the most likely outcome (-1: staying)
    for j in range(nv):  # branch-free: selects, not jumps
        cj = np.float64(cdf[pi, c, j])
        pj = mv * (cj - prev)
        lc[j] = pj
        bj = j if pj > big else bj
        big = max(big, pj)
        prev = cj
    other = 0.0 if bj == -1 else 1.0 - mv  # staying is never multiplied
    for j in range(nv):
        pj = lc[j] * eff[d, 1, dest[c, j]]
        pj = 0.0 if j == bj else pj
        lc[j] = pj
        other += pj
    if other > 1.0:  # rare: the multiplied outcomes are the less likely ones
        sc = 1.0 / other
        for j in range(nv):
            lc[j] *= sc
        stay_p = 0.0 if bj == -1 else (1.0 - mv) * sc
    elif bj == -1:
        stay_p = 1.0 - other
    else:
        stay_p = 1.0 - mv
        lc[bj] = 1.0 - other
    mv = 1.0 - stay_p
    if mv <= 0.0:
        return 0.0
    acc = 0.0
    im = 1.0 / mv
    for j in range(nv):  # exactly 1 from where the drawn cdf reaches 1
        acc += lc[j]
        lc[j] = 1.0 if cdf[pi, c, j] >= 1.0 else min(acc * im, 1.0)
    return mv


# ----------------------------------------------------------------- the kernels
@njit(cache=True, error_model="numpy")
def step_kernel(seed, stock, q, pl, cdf, pidx, dest, K, big_var, inv, eff, lvar, net,
             out=None):
    """Leavers, stayers and movers' inflow ``[D, A*K]`` (int32) for one step.

    Per cell of each draw, a multinomial over (leave, each valid destination,
    stay): with few children (``<= SMALL_CELL``) each child's fate from one uniform
    ``u`` (leave if ``u < pl``, move if ``pl <= u < q`` - the destination from the
    same uniform rescaled to the destinations' ``cdf`` - else stay); otherwise
    leave-or-move ~ Binomial(n, q); up to ``FEW_MOVERS`` of them each leave (``u <
    pl / q``) or move to the destination of the rescaled ``u``; more: leavers among
    them ~ Binomial(., pl / q) and the movers' destinations mover by mover from the
    cdf (up to ``FEW_MOVERS``) or by conditional binomials.  The last valid
    destination has cdf exactly 1, so every mover is placed.  Parameters (float32) ``q, pl [P, A*K]`` and ``cdf [P, A*K, R]``
    are indexed by the draw's parameter set ``pidx[d]``.  ``eff [D, 2, K]`` (or
    ``[0, 2, K]``: none) are the draw's year effects of this step, ``lvar [K]`` the
    variance of the log leave effects: leaving probabilities of group ``k`` after
    ``eff[d, 0, k]`` (``effect_leave``) and every move *into* group ``k`` times
    ``eff[d, 1, k]`` (``effect_moves``), both keeping the flows' means.  Only
    the valid destinations of a cell (before the padding of ``dest``) are visited.
    ``net [D]`` (or ``[0]``: none): the draw's net transfer rate this step (see
    :func:`~.year_effects.draw_net_transfers`); where positive, every child's leaving probability
    becomes ``1 - (1 - pl) (1 - net)`` after the year effects, with the chance of
    moving given continuing kept (as :func:`~.engine_numpy.net_leave`).  Each (draw, cell) has its
    own random stream, a hash of the step's ``seed`` and the cell: a cell's draws
    do not depend on any other cell's counts (common random numbers across
    scenarios).  ``out [3, D, A*K]`` (int32), when given, holds the three results
    (overwritten; reusing it from step to step saves fresh pages each step).
    """
    D, AK = stock.shape
    R = dest.shape[1]
    use_eff = eff.shape[0] == D
    use_net = net.shape[0] == D
    st = np.zeros(3, np.uint64)  # SplitMix64 state, spare 32-bit half, has-spare flag
    lc = np.ones(R)  # the cell's destination cdf (after any year effects)
    nval = np.ones(AK, np.int64)  # valid destinations per cell: dest repeats the last
    kof = np.arange(AK) % K  # each cell's group (no integer division per cell-draw)
    for c in range(AK):
        for j in range(1, R):
            if dest[c, j] != dest[c, j - 1]:
                nval[c] = j + 1
    kf = np.sqrt(1.0 + np.pi * lvar / 8.0)  # logit-scale leave effects: correction
    lx = np.zeros(K)  # log leave effect + v / 2 of the current draw, per group
    out = _zeroed(out, (3, D, AK))
    leave, stay, inflow = out[0], out[1], out[2]
    for d in range(D):
        pi = pidx[d]
        if use_eff:
            for k in range(K):
                lx[k] = np.log(eff[d, 0, k]) + lvar[k] / 2.0
        en = max(net[d], 0.0) if use_net else 0.0  # extra leaving: net transfers out
        for c in range(AK):
            n = stock[d, c]
            if n == 0:
                continue
            qc = np.float64(q[pi, c])
            plc = np.float64(pl[pi, c])
            if use_eff:
                mv = (qc - plc) / (1.0 - plc) if plc < 1.0 else 0.0  # P(move | continue)
                if plc < 1.0:  # certain leaving (the age-25 limit) stays certain
                    k = kof[c]
                    plc = effect_leave(plc, eff[d, 0, k], lx[k], kf[k])
                if mv > 0.0:
                    mv = effect_moves(lc, cdf, pi, c, dest, mv, eff, d, nval[c])
                qc = plc + (1.0 - plc) * mv
            if en > 0.0 and plc < 1.0:  # as net_leave: P(move | continue) kept
                mv = (qc - plc) / (1.0 - plc)
                plc = 1.0 - (1.0 - plc) * (1.0 - en)
                qc = plc + (1.0 - plc) * mv
            if not use_eff and qc > 0.0:
                for j in range(nval[c]):
                    lc[j] = cdf[pi, c, j]
            if qc <= 0.0:  # nobody leaves or moves: no random numbers needed
                stay[d, c] = n
                continue
            start_stream(st, seed, d * AK + c)
            st[2] = 0  # no 32-bit half left over from another cell
            base = c - kof[c]
            if n <= SMALL_CELL:  # each child's fate from one uniform
                span = qc - plc
                lv = sy = 0
                for _ in range(n):
                    u = uniform32(st)
                    if u >= qc:
                        sy += 1
                    elif u < plc:
                        lv += 1
                    else:  # u uniform on [pl, q): rescaled, it picks the destination
                        j = _destination(lc, (u - plc) / span, nval[c])
                        inflow[d, base + dest[c, j]] += 1
                leave[d, c] = lv
                stay[d, c] = sy
                continue
            o = binomial(st, n, qc, big_var, inv)
            stay[d, c] = n - o
            if o == 0:
                continue
            r = min(plc / qc, 1.0)  # P(leave | leave or move)
            if o <= FEW_MOVERS:  # few leave or move: each one's fate from one uniform
                nv = nval[c]
                ir = 1.0 / (1.0 - r) if r < 1.0 else 0.0
                lv = 0
                for _ in range(o):  # branch-free: u < r leaves, else u rescaled to
                    u = uniform32(st)  # [0, 1) picks the destination
                    gone = u < r
                    lv += gone
                    j = _destination(lc, (u - r) * ir, nv)
                    inflow[d, base + dest[c, j]] += 1 - gone
                leave[d, c] = lv
                continue
            lv = binomial(st, o, r, big_var, inv)
            leave[d, c] = lv
            rem = o - lv
            if rem <= FEW_MOVERS:  # few movers: each by inversion of the destinations' cdf
                for _ in range(rem):
                    j = _destination(lc, uniform32(st), nval[c])
                    inflow[d, base + dest[c, j]] += 1
                continue
            prev = 0.0  # conditional binomials: P(j | not an earlier destination)
            for j in range(R):
                if rem == 0:
                    break
                cj = lc[j]
                if j == R - 1 or cj >= 1.0:
                    x = rem
                else:
                    x = binomial(st, rem, min(max((cj - prev) / (1.0 - prev), 0.0), 1.0),
                                  big_var, inv)
                prev = cj
                inflow[d, base + dest[c, j]] += x
                rem -= x
    return leave, stay, inflow


@njit(cache=True, error_model="numpy")
def arrivals_kernel(seed, cont, net, out=None):
    """Transfers in ``[D, A*K]`` (int32): where the draw's net transfer rate ``net[d]``
    is negative, cell ``c`` gains ``cont[d, c] * -net[d]`` children (``cont``: the
    children continuing in the cell this step, after moves), rounded stochastically -
    down, plus one with probability the fractional part - so a cell's expected
    arrivals are exactly proportional to it.  (A binomial per cell would add noise of
    about the square root of the arrivals, nothing next to the spread of ``net``
    itself, at 6-10 times the cost: 2.2-4.0 ms a step for 1,000 draws of a large LA,
    against 0.2-0.45 ms.)  Each (draw, cell) draws from its own stream, a hash of
    ``seed`` and the cell."""
    D, AK = cont.shape
    out = _zeroed(out, (D, AK))
    st = np.zeros(3, np.uint64)
    for d in range(D):
        e = -net[d]
        if e <= 0.0:
            continue
        for c in range(AK):
            n = cont[d, c]
            if n > 0:
                start_stream(st, seed, d * AK + c)
                st[2] = 0
                out[d, c] = np.int32(_stochastic_round_nb(n * e, uniform32(st)))
    return out


# ------------------------------------------------------- joiners' age tables
@njit(cache=True, error_model="numpy")
def alias_tables(m):
    """Walker alias tables of each row of ``m [P, J]`` (rows sum to 1): ``(thr, alias)``,
    with the probability of keeping column ``j`` resolved to 2**-32 as the integer
    threshold ``thr`` for 32 random bits."""
    P, J = m.shape
    prob = np.ones((P, J))
    alias = np.zeros((P, J), np.int64)
    small = np.empty(J, np.int64)
    large = np.empty(J, np.int64)
    for i in range(P):
        s = m[i] * J
        ns = nl = 0
        for j in range(J):
            alias[i, j] = j
            if s[j] < 1.0:
                small[ns] = j
                ns += 1
            else:
                large[nl] = j
                nl += 1
        while ns > 0 and nl > 0:
            ns -= 1
            sm = small[ns]
            lg = large[nl - 1]
            prob[i, sm] = s[sm]
            alias[i, sm] = lg
            s[lg] = (s[lg] + s[sm]) - 1.0
            if s[lg] < 1.0:
                nl -= 1
                small[ns] = lg
                ns += 1
        # leftovers (rounding): probability 1 of themselves (prob already 1)
    # the thresholds the joiners kernel compares 32 random bits with (computed here,
    # once per projection, not at every step)
    thr = np.minimum(prob * 4294967296.0, 4294967296.0).astype(np.uint64)
    return thr, alias


@njit(cache=True, error_model="numpy")
def joiners_kernel(seed, n, pidx, gw, thr, alias, order, chain, K, eff, big_var, inv,
                out=None):
    """Multinomial joiners ``[D, A*K]`` (int32) in two stages: the draw's total
    ``n[d]`` over groups with weights ``gw[pidx[d]]`` (sequential binomials; with
    year effects ``eff [D, K]`` - ``[0, K]``: none - every group's weight but the
    largest's is multiplied by its effect and the largest group takes the rest, so
    the expected joiners of every group are kept),
    then each group's joiners over ages one by one from the Walker alias tables
    ``thr, alias [P*K, A]`` of the group's age distribution (two per 64 random
    bits; probabilities resolved to 2**-32) - or, for more than ``CHAIN_PER_AGE``
    joiners per age, by conditional binomials over the ages in decreasing order of
    mean share (``order [K, A]``; ``chain [P*K, A]``: P(age | not an earlier one),
    see :func:`age_chains`), whose cost does not grow with the count.
    Without effects this is exactly Multinomial(n, mix) of the age x group mix.
    ``out [D, A*K]`` (int32), when given, is overwritten with the result."""
    D = n.shape[0]
    A = thr.shape[1]
    AK = A * K
    use_eff = eff.shape[0] == D
    out = _zeroed(out, (D, AK))
    st = np.zeros(3, np.uint64)
    w = np.empty(K)
    mask = np.uint64(0xFFFFFFFF)
    for d in range(D):
        pi = pidx[d]
        start_stream(st, seed, d)  # one stream per draw
        st[2] = 0
        tot = 0.0
        best = 0
        for k in range(K):
            w[k] = gw[pi, k]
            tot += w[k]
            if w[k] > w[best]:
                best = k
        if use_eff:  # the largest group takes what the multiplied others leave
            other = 0.0
            for k in range(K):
                if k != best:
                    w[k] *= eff[d, k]
                    other += w[k]
            if other > tot:
                for k in range(K):
                    w[k] = 0.0 if k == best else w[k] * tot / other
            else:
                w[best] = tot - other
        lastk = -1
        for k in range(K):
            if w[k] > 0.0:
                lastk = k
        rem = n[d]
        for k in range(lastk + 1):
            if rem <= 0:
                break
            if k == lastk:  # the last group with any weight takes the rest
                x = rem
            else:
                x = binomial(st, rem, min(w[k] / tot, 1.0), big_var, inv)
            tot -= w[k]
            rem -= x
            row = pi * K + k
            if x > CHAIN_PER_AGE * A:
                for r in range(A):
                    cp = chain[row, r]
                    y = x if cp >= 1.0 else binomial(st, x, cp, big_var, inv)
                    out[d, order[k, r] * K + k] += y
                    x -= y
                    if x == 0:
                        break
                continue
            while x > 0:  # two alias draws per 64 random bits: the column from the
                bits = next_bits(st)  # high bits of u * A, the alias test on the low 32
                for half in range(2 if x > 1 else 1):
                    v = ((bits >> np.uint64(32 * half)) & mask) * np.uint64(A)
                    j = np.int64(v >> np.uint64(32))
                    if (v & mask) >= thr[row, j]:
                        j = alias[row, j]
                    out[d, j * K + k] += 1
                x -= 2
    return out


def joiner_tables(cond: np.ndarray, conc: np.ndarray) -> tuple[np.ndarray, ...]:
    """The joiners kernel's age tables ``(thr, alias, order, chain)`` of each group's age
    distribution ``cond [P, K, A]`` (joiners' concentrations ``conc [A, K]``): Walker alias
    tables (:func:`alias_tables`) and the chain of conditional binomials
    (:func:`age_chains`)."""
    P, K, A = cond.shape
    return (*alias_tables(np.ascontiguousarray(cond.reshape(P * K, A))),
            *age_chains(cond, conc))


def age_chains(cond: np.ndarray, conc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each group's age distribution ``cond [P, K, A]`` as a chain of conditional
    binomials: ``order [K, A]``, the ages by decreasing mean share (from the joiners'
    concentrations ``conc [A, K]``; any fixed order is exact, this one ends the chain
    soonest), and ``chain [P*K, A]``, P(age ``order[k, r]`` | not an earlier age) -
    exactly 1 at the last age with a positive share."""
    order = np.argsort(-conc.T, axis=1, kind="stable")
    cs = np.take_along_axis(cond, order[None], axis=2)
    rest = np.cumsum(cs[..., ::-1], axis=-1)[..., ::-1]  # includes the age itself
    chain = np.divide(cs, rest, out=np.ones_like(cs), where=cs < rest)
    return order, np.ascontiguousarray(chain.reshape(-1, cond.shape[2]))
