"""The need layer's compiled year step (numba): one projection year of every draw with a
need on every child (the layer itself: :mod:`.needs`).

Knows: :func:`need_year` - leavers taken at random within their cell, movers out of the
shrinking cells of an age pooled and dealt at random to its growing cells, net
transfers in placed like the continuing children of their cell, joiners given a need
from their cell's joiner mix, and the anchoring's change of a cell removing children at
random or adding them with the cell's own need mix - and the two draws it needs: taking
``s`` children at random from a cell's counts (exact multivariate hypergeometric, child
by child) and giving ``n`` children a need from a mix (exact multinomial, child by
child).  Each draw runs its own SplitMix64 stream (:func:`~.engine_numba.start_stream`)
started at a hash of the year's seed and the draw; no numba global RNG state is used.

Does not know: where the counts and mixes come from.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .engine_numba import INV, binomial, start_stream, uniform
from .sampling import NORMAL_VAR

__all__ = ["FEW", "need_year"]

FEW = 16  # up to this many children given a need one by one, else conditional binomials


@njit(cache=True, error_model="numpy")
def _sample(x, s, tot, st, out):
    """Move ``s`` children chosen at random, one by one, from ``x [N]`` (``tot`` of them)
    to ``out [N]``."""
    for _ in range(s):
        r = int(uniform(st) * tot)
        j = 0
        while r >= x[j]:
            r -= x[j]
            j += 1
        x[j] -= 1
        out[j] += 1
        tot -= 1


@njit(cache=True, error_model="numpy")
def _take(x, s, st, out):
    """Take ``s`` children at random (without replacement) from the counts ``x [N]``:
    ``x`` is decreased and ``out [N]`` increased by the children taken (exact
    multivariate hypergeometric; when more than half are taken, those who stay are the
    ones drawn)."""
    N = x.shape[0]
    tot = 0
    for j in range(N):
        tot += x[j]
    if s >= tot:  # all of them (the age-25 limit, emptied cells)
        for j in range(N):
            out[j] += x[j]
            x[j] = 0
    elif 2 * s > tot:
        stay = np.zeros(N, np.int64)
        _sample(x, tot - s, tot, st, stay)
        for j in range(N):
            out[j] += x[j]
            x[j] = stay[j]
    else:
        _sample(x, s, tot, st, out)


@njit(cache=True, error_model="numpy")
def _give(n, w, st, out):
    """Give ``n`` children a need drawn from the weights ``w [N]`` (any scale, > 0 in
    total): ``out [N]`` is increased by them (multinomial: child by child up to
    :data:`FEW` children, else conditional binomials, :func:`~.engine_numba.binomial`)."""
    N = w.shape[0]
    tot = 0.0
    for j in range(N):
        tot += w[j]
    if n > FEW:
        rem = n
        for j in range(N - 1):
            if rem == 0:
                break
            x = binomial(st, rem, min(w[j] / tot, 1.0), NORMAL_VAR, INV) if tot > 0 else 0
            out[j] += x
            rem -= x
            tot -= w[j]
        out[N - 1] += rem
        return
    for _ in range(n):
        r = uniform(st) * tot
        j = 0
        while j < N - 1 and r >= w[j]:
            r -= w[j]
            j += 1
        out[j] += 1


@njit(cache=True, error_model="numpy")
def need_year(seed, raw, leave, mv, tin, join, delta, jmix, fb,
              new, anchored, left, moved, tin_n, join_n):
    """One year of every draw.  ``raw [D, A, K, N]``: the unanchored stock of last
    January by need; ``leave``, ``mv`` ``[D, A, K]``: the unanchored leavers and net
    movers by age before ageing on; ``tin``, ``join`` ``[D, A, K]``: transfers in and
    joiners by age next January; ``delta [D, A, K]``: the anchoring's change of next
    January's stock; ``jmix``, ``fb`` ``[A, K, N]``: the joiners' need mix and the mix of
    a cell with nobody to copy.  Writes next January's unanchored ``new`` and anchored
    ``anchored`` stock and the flows by need (``left``, ``moved`` = in - out, ``tin_n``,
    ``join_n``), all ``[D, A, K, N]``."""
    D, A, K, N = raw.shape
    st = np.zeros(3, np.uint64)
    cont = np.zeros((A, K, N), np.int64)
    pool = np.zeros(N, np.int64)
    w = np.zeros(N)
    g = np.zeros(N, np.int64)
    for d in range(D):
        start_stream(st, seed, d)
        left[d] = 0
        moved[d] = 0
        tin_n[d] = 0
        join_n[d] = 0
        for a in range(A):
            for k in range(K):
                for j in range(N):
                    cont[a, k, j] = raw[d, a, k, j]
                if leave[d, a, k] > 0:
                    _take(cont[a, k], leave[d, a, k], st, left[d, a, k])
            pool[:] = 0
            for k in range(K):
                if mv[d, a, k] < 0:
                    g[:] = 0
                    _take(cont[a, k], -mv[d, a, k], st, g)
                    for j in range(N):
                        pool[j] += g[j]
                        moved[d, a, k, j] -= g[j]
            for k in range(K):
                if mv[d, a, k] > 0:
                    g[:] = 0
                    _take(pool, mv[d, a, k], st, g)
                    for j in range(N):
                        cont[a, k, j] += g[j]
                        moved[d, a, k, j] += g[j]
        for a in range(A):
            for k in range(K):
                for j in range(N):
                    new[d, a, k, j] = cont[a - 1, k, j] if a > 0 else 0
                if a > 0 and tin[d, a, k] > 0:
                    s = 0
                    for j in range(N):
                        s += cont[a - 1, k, j]
                    for j in range(N):
                        w[j] = cont[a - 1, k, j] if s > 0 else fb[a, k, j]
                    _give(tin[d, a, k], w, st, tin_n[d, a, k])
                if join[d, a, k] > 0:
                    _give(join[d, a, k], jmix[a, k], st, join_n[d, a, k])
                s = 0
                for j in range(N):
                    new[d, a, k, j] += tin_n[d, a, k, j] + join_n[d, a, k, j]
                    anchored[d, a, k, j] = new[d, a, k, j]
                    s += new[d, a, k, j]
                e = delta[d, a, k]
                if e < 0:
                    _take(anchored[d, a, k], -e, st, g)
                elif e > 0:
                    for j in range(N):
                        w[j] = new[d, a, k, j] if s > 0 else fb[a, k, j]
                    _give(e, w, st, anchored[d, a, k])
