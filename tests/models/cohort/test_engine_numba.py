"""The numba engine's kernels (engine_numba): exact multinomials, streams, reused buffers."""

from __future__ import annotations

import numpy as np
import pytest

from sendforecast.models.cohort.engine_numba import (
    CHAIN_PER_AGE,
    INV,
    age_chains,
    arrivals_kernel,
    joiner_tables,
    joiners_kernel,
    start_stream,
    step_kernel,
)
from sendforecast.models.cohort.engine_numba import binomial as nb_binomial
from sendforecast.models.cohort.engine_numpy import largest_takes_rest
from sendforecast.models.cohort.sampling import NORMAL_VAR


def test_numba_binomial_sampler_moments():
    """The kernel's binomial (inversion; normal approximation for big cells) by moments."""
    st = np.zeros(1, np.uint64)  # the kernels' SplitMix64 stream state
    start_stream(st, np.uint64(12345), 0)
    for nn, pp in [(3, 0.3), (40, 0.3), (60, 0.8), (400, 0.3), (5000, 0.02), (5000, 0.7)]:
        x = np.array([nb_binomial(st, nn, pp, NORMAL_VAR, INV) for _ in range(20_000)])
        assert (x >= 0).all() and (x <= nn).all()
        v = nn * pp * (1 - pp)
        assert abs(x.mean() - nn * pp) < 4 * np.sqrt(v / 20_000) + 0.01
        assert abs(x.var() - v) < 0.06 * v + 0.05


@pytest.mark.parametrize("n", [1, 10, 24, 25, 60, 5000])
def test_numba_step_is_a_multinomial_over_leave_destinations_stay(n):
    """Every path of the step kernel (a uniform per child up to SMALL_CELL children;
    above, leave-or-move ~ Binomial and then a uniform each for up to FEW_MOVERS of them
    - n = 10 to 25 - or binomials - n = 60, 5000) gives the multinomial's means and
    variances of leave / each destination / stay, and conserves every child."""
    D, K = 20_000, 4
    q = np.full((1, K), 0.55, np.float32)
    pl = np.full((1, K), 0.15, np.float32)
    dest = np.tile(np.array([[1, 2, 3]]), (K, 1)).astype(np.int64)
    cdf = np.tile(np.array([0.5, 0.8, 1.0], np.float32), (1, K, 1))
    stock = np.zeros((D, K), np.int32)
    stock[:, 0] = n
    lv, sy, inflow = step_kernel(np.uint64(3), stock, q, pl, cdf, np.zeros(D, np.int64), dest, K,
                                 NORMAL_VAR, INV, np.ones((0, 2, K)), np.zeros(K), np.zeros(0))
    assert (lv[:, 0] + sy[:, 0] + inflow.sum(1) == n).all()
    probs = {"leave": 0.15, "stay": 0.45, 1: 0.4 * 0.5, 2: 0.4 * 0.3, 3: 0.4 * 0.2}
    got = {"leave": lv[:, 0], "stay": sy[:, 0], 1: inflow[:, 1], 2: inflow[:, 2],
           3: inflow[:, 3]}
    for k, p in probs.items():
        v = n * p * (1 - p)
        assert abs(got[k].mean() - n * p) < 5 * np.sqrt(v / D) + 1e-9, k
        assert abs(got[k].var() - v) < 0.08 * v + 0.02, k


def test_cell_streams_pair_unaffected_cells():
    """Common random numbers: a change in one cell's stock leaves the other cells' draws
    of that step unchanged (each draw x cell has its own stream)."""
    step = step_kernel
    rng = np.random.default_rng(4)
    D, A, K = 30, 4, 3
    stock = rng.integers(0, 60, size=(D, A * K)).astype(np.int32)
    q = rng.uniform(0.05, 0.6, size=(D, A * K)).astype(np.float32)
    pl = (q * rng.uniform(0, 1, size=(D, A * K))).astype(np.float32)
    dest = np.tile(np.array([[1, 2]]), (A * K, 1)).astype(np.int64)
    cdf = np.tile(np.array([0.5, 1.0], np.float32), (D, A * K, 1))
    args = (cdf, np.arange(D), dest, K, NORMAL_VAR, INV, np.ones((0, 2, K)), np.zeros(K),
            np.zeros(0))
    lv1, st1, _ = step(np.uint64(99), stock, q, pl, *args)
    s2 = stock.copy()
    s2[:, 5] += 7
    lv2, st2, _ = step(np.uint64(99), s2, q, pl, *args)
    other = np.arange(A * K) != 5
    assert np.array_equal(lv1[:, other], lv2[:, other])
    assert np.array_equal(st1[:, other], st2[:, other])


def test_kernels_overwrite_reused_output_buffers():
    """The step and joiners kernels write into a caller's buffer (reused from step to
    step) exactly what they return without one, whatever the buffer held before."""
    step, join_k = step_kernel, joiners_kernel
    rng = np.random.default_rng(8)
    D, A, K = 25, 4, 3
    stock = rng.integers(0, 40, size=(D, A * K)).astype(np.int32)
    stock[:, 4] = 0  # empty cells are skipped by the kernel: their slots must be zeroed
    q = rng.uniform(0.05, 0.6, size=(D, A * K)).astype(np.float32)
    pl = (q * rng.uniform(0, 1, size=(D, A * K))).astype(np.float32)
    dest = np.tile(np.array([[1, 2]]), (A * K, 1)).astype(np.int64)
    cdf = np.tile(np.array([0.5, 1.0], np.float32), (D, A * K, 1))
    args = (np.uint64(7), stock, q, pl, cdf, np.arange(D), dest, K, NORMAL_VAR, INV,
            np.ones((0, 2, K)), np.zeros(K), np.zeros(0))
    fresh = step(*args)
    buf = np.full((3, D, A * K), 12345, np.int32)
    reused = step(*args, buf)
    for x, y in zip(fresh, reused, strict=True):
        assert np.array_equal(x, y)
    assert np.array_equal(buf[0], fresh[0])  # written in place
    mix = np.array([[0.2, 0.1, 0.05], [0.3, 0.05, 0.1], [0.1, 0.0, 0.05], [0.0, 0.0, 0.05]])
    gw = mix.sum(0)[None]
    tables = joiner_tables(np.ascontiguousarray((mix / gw).T)[None], mix)
    jargs = (np.uint64(3), np.full(D, 30, np.int64), np.zeros(D, np.int64), gw, *tables, K,
             np.ones((0, K)), NORMAL_VAR, INV)
    jbuf = np.full((D, A * K), -9, np.int32)
    assert np.array_equal(join_k(*jargs), join_k(*jargs, jbuf))
    assert (jbuf.sum(1) == 30).all()
    arrive_k = arrivals_kernel
    net = np.where(np.arange(D) % 2 == 0, -0.3, 0.2)  # transfers in for even draws only
    abuf = np.full((D, A * K), 777, np.int32)
    fresh = arrive_k(np.uint64(4), stock, net)
    assert np.array_equal(fresh, arrive_k(np.uint64(4), stock, net, abuf))
    assert (fresh[1::2] == 0).all()  # positive rates: no arrivals
    assert (np.abs(fresh[::2] - 0.3 * stock[::2]) < 1).all()  # n * -net, rounded


@pytest.mark.parametrize("n", [12, 80])
def test_joiners_kernel_is_the_multinomial_of_the_mix(n):
    """Two-stage joiners (groups, then ages within a group) without effects: the
    multinomial's means and variances of every age x group cell - ages by alias draws
    (n = 12) and by the chain of binomials (n = 80: more than CHAIN_PER_AGE per age)."""
    join_k = joiners_kernel
    K, D = 2, 40_000
    mix = np.array([[0.1, 0.05], [0.3, 0.0], [0.2, 0.35]])  # [A, K], sums to 1
    gw = mix.sum(0)[None]
    # the group sizes pick the path: alias draws below CHAIN_PER_AGE * A per group
    assert (n * gw.max() < CHAIN_PER_AGE * 3) == (n == 12)
    assert (n * gw.min() > CHAIN_PER_AGE * 3) == (n == 80)
    cond = np.ascontiguousarray((mix / gw).T)  # [K, A]: each group's age distribution
    tables = joiner_tables(cond[None], mix)
    out = join_k(np.uint64(5), np.full(D, n, np.int64), np.zeros(D, np.int64), gw, *tables,
                 K, np.ones((0, K)), NORMAL_VAR, INV)
    assert (out.sum(1) == n).all()
    p = mix.ravel()
    v = n * p * (1 - p)
    assert (np.abs(out.mean(0) - n * p) < 5 * np.sqrt(v / D) + 1e-9).all()
    assert np.allclose(out.var(0), v, rtol=0.05, atol=1e-9)


def test_joiners_kernel_with_effects_keeps_the_rule_means():
    """Joiners under effects: every group's expected joiners are n times the weights of
    the largest-takes-the-rest rule; ages within a group keep the group's age mix."""
    join_k = joiners_kernel
    K, D, n = 3, 30_000, 40
    mix = np.array([[0.3, 0.1, 0.05], [0.3, 0.05, 0.2]])  # [A, K]
    gw = mix.sum(0)[None]
    cond = np.ascontiguousarray((mix / gw).T)  # [K, A]: each group's age distribution
    tables = joiner_tables(cond[None], mix)
    eff = np.exp(np.random.default_rng(2).normal(-0.125, 0.5, (D, K)))
    out = join_k(np.uint64(9), np.full(D, n, np.int64), np.zeros(D, np.int64), gw, *tables,
                 K, eff, NORMAL_VAR, INV).reshape(D, 2, K)
    assert (out.sum((1, 2)) == n).all()
    w = largest_takes_rest(np.broadcast_to(gw, (D, K)), eff)
    by_group = out.sum(1)
    se = by_group.std(0) / np.sqrt(D)
    assert (np.abs(by_group.mean(0) - n * w.mean(0)) < 5 * se).all()
    assert np.allclose(by_group.mean(0), n * gw[0], rtol=0.02)  # the mix's means kept
    assert np.allclose(out[:, 0].sum(0) / by_group.sum(0), mix[0] / gw[0], atol=0.01)


def test_age_chains_rebuild_each_groups_age_distribution():
    """The chain of conditional binomials gives back every age's probability:
    P(age order[r]) = chain[r] * prod_{l < r} (1 - chain[l]), with zero-share ages
    (here age 3 of group 1) never reached, and is exactly 1 at the last positive age."""
    rng = np.random.default_rng(8)
    P, K, A = 50, 3, 6
    conc = rng.uniform(0.1, 5, (A, K))
    conc[3, 1] = 0.0
    cond = rng.dirichlet(np.ones(A), size=(P, K))
    cond[:, 1, 3] = 0.0
    cond /= cond.sum(-1, keepdims=True)
    order, chain = age_chains(cond, conc)
    assert (order == np.argsort(-conc.T, axis=1, kind="stable")).all()
    chain = chain.reshape(P, K, A)
    left = np.cumprod(np.concatenate([np.ones((P, K, 1)), 1 - chain[..., :-1]], -1), -1)
    rebuilt = np.take_along_axis(chain * left, np.argsort(order, axis=1)[None], axis=2)
    assert np.allclose(rebuilt, cond, atol=1e-12)
    assert (chain[:, 1, -2:] == 1).all()  # group 1: last positive age, then age 3 (unused)
    assert (chain[:, [0, 2], -1] == 1).all()
