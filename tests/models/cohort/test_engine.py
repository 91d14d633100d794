"""The engine seam: the numba engine against the numpy oracle, and choosing one by name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sendforecast.models.cohort.engine import ENGINES, select_engine
from sendforecast.models.cohort.engine_numba import INV, effect_leave, effect_moves, start_stream
from sendforecast.models.cohort.engine_numba import binomial as nb_binomial
from sendforecast.models.cohort.engine_numpy import apply_year_effects, largest_takes_rest
from sendforecast.models.cohort.engine_numpy import binomial as np_binomial
from sendforecast.models.cohort.parameters import cond_from_cdf
from sendforecast.models.cohort.sampling import NORMAL_VAR
from tests.models.cohort.conftest import check_conservation, random_model


@pytest.mark.parametrize("param_draws,sd,net", [(None, 0.0, 0.0), (3, 0.0, 0.0),
                                                (None, 0.4, 0.0), (3, 0.4, 0.0),
                                                (None, 0.0, 0.08), (3, 0.4, 0.08)])
def test_numba_and_numpy_engines_agree(param_draws, sd, net):
    """Same model through the numba engine and the numpy engine (the oracle), with and without year
    effects: conservation in both and the same distribution of the projected totals and
    of each state's count (different random streams)."""
    m = random_model(5, 6, 4)
    m.initial = m.initial * 20
    m.year_effects = {"leave": sd, "intake": sd, "net": net}
    res = {}
    for eng in ("numba", "numpy"):
        p = m.project(horizon=4, draws=3000, seed=11, param_draws=param_draws, engine=eng)
        check_conservation(p)
        res[eng] = np.concatenate([p.draws.sum(axis=(2, 3)), p.draws.sum(axis=2)[:, -1]], 1)
    a, b = res["numba"], res["numpy"]
    se = np.sqrt((a.var(0) + b.var(0)) / a.shape[0])
    assert (np.abs(a.mean(0) - b.mean(0)) < 5 * se + 1).all()
    assert np.allclose(a.std(0), b.std(0), rtol=0.12, atol=1)
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("n,p", [(211, 0.05), (80, 0.15), (160, 0.93)])
def test_big_binomials_follow_the_binomial_cdf(n, p):
    """Just above NORMAL_VAR both engines draw the skew-corrected normal: its cdf stays
    within 0.6% of the exact binomial's (Kolmogorov distance, 100,000 draws; the plain
    normal is ~2% off here, so this test would catch it)."""
    assert n * p * (1 - p) >= NORMAL_VAR
    N = 100_000
    exact = stats.binom.cdf(np.arange(n + 1), n, p)
    draws = {"numpy": np_binomial(np.random.default_rng(6), np.full(N, n), np.full(N, p))}
    st = np.zeros(3, np.uint64)
    start_stream(st, np.uint64(77), 0)
    draws["numba"] = np.array([nb_binomial(st, n, p, NORMAL_VAR, INV)
                               for _ in range(N)])
    for engine, x in draws.items():
        ecdf = np.cumsum(np.bincount(x, minlength=n + 1)) / N
        assert np.abs(ecdf - exact).max() < 0.006, engine


def test_kernel_and_numpy_year_effects_give_the_same_probabilities():
    """Cell by cell, the kernel's leave / move transforms (``_nb_effect_leave``,
    ``_nb_effect_moves``) and the numpy engine's ``_apply_year_effects`` give the same
    leaving and moving probabilities and destination cdf, including ties, certain
    leaving, no moves and extreme effects."""
    r = np.random.default_rng(0)
    D, A, K = 150, 3, 4
    AK, R = A * K, K - 1
    pl = r.uniform(0, 0.6, (D, AK)).astype(np.float32)
    pl[r.random((D, AK)) < 0.15] = 1.0
    pl[r.random((D, AK)) < 0.2] = 0.0
    ps = r.uniform(0, 1, (D, AK)).astype(np.float32)
    ps[r.random((D, AK)) < 0.2] = 1.0
    q = np.where(ps >= 1, pl, np.maximum(1 - (1 - pl) * ps, pl)).astype(np.float32)
    dest = np.array([[k for k in range(K) if k != c % K] for c in range(AK)], np.int64)
    g = r.gamma(0.5, size=(D, AK, R)).astype(np.float32)
    g[:, ::2, 0] = g[:, ::2, 1]  # ties
    cdf = (np.cumsum(g, -1) / g.sum(-1, keepdims=True)).astype(np.float32)
    cdf[..., -1] = 1.0
    e = np.exp(r.normal(-0.5, 1.0, (D, 2, K)))
    e[r.random((D, 2, K)) < 0.03] = 1e6
    lvar = np.full(K, 1.0)
    qn, pln, condn, _ = apply_year_effects(q, pl, cdf, dest, np.ones((D, AK)), e, lvar, K)
    lc = np.empty(R)
    for d in range(D):
        for c in range(AK):
            p0, q0 = float(pl[d, c]), float(q[d, c])
            mv = (q0 - p0) / (1 - p0) if p0 < 1 else 0.0
            ek, vk = e[d, 0, c % K], lvar[c % K]
            plk = (effect_leave(p0, ek, np.log(ek) + vk / 2, np.sqrt(1 + np.pi * vk / 8))
                   if p0 < 1 else p0)
            assert np.isclose(plk, pln[d, c], rtol=1e-9, atol=1e-12)
            if mv > 0:
                mv = effect_moves(lc, cdf, d, c, dest, mv, e, d, R)
            assert np.isclose(plk + (1 - plk) * mv, qn[d, c], rtol=1e-9, atol=1e-12)
            if mv > 0:  # destination cdf up to the first entry at 1
                condk = cond_from_cdf(lc.copy())
                last = int(np.argmax(lc >= 1.0))
                assert np.allclose(condk[: last + 1], condn[d, c, : last + 1], atol=1e-9)


def test_year_effect_transforms_keep_the_flows_means():
    """The effects are mean-one; the bounded transforms must keep each flow's mean at the
    variances the defaults reach (log variance <= 0.6): leaving (multiplier up to
    LOGIT_FROM, corrected logit above) and the largest-outcome-takes-the-rest rule."""
    rng = np.random.default_rng(1)
    for v in (0.1, 0.36, 0.6):
        e = np.exp(rng.normal(-v / 2, np.sqrt(v), 200_000))
        for p in (0.03, 0.1, 0.1001, 0.3, 0.7):
            _, pl = apply_year_effects(
                np.full((e.size, 1), p), np.full((e.size, 1), p), np.ones((e.size, 1, 1)),
                np.zeros((1, 1), np.int64), np.ones((e.size, 1)),
                np.stack([e, np.ones_like(e)], 1)[:, :, None], np.array([v]), 1)[:2]
            assert abs(pl.mean() / p - 1) < 0.02, (p, v, pl.mean())
            kf = np.sqrt(1 + np.pi * v / 8)
            for i in (0, 7):
                assert np.isclose(effect_leave(p, e[i], np.log(e[i]) + v / 2, kf),
                                  pl[i, 0])
    # moves / joiners: a staying probability of 0.5 and a destination of 0.45 (the move to
    # FE at 16): the multiplied outcomes overflow only when 0.45 e + 0.05 e' > 1
    p = np.array([0.5, 0.45, 0.05])
    f = np.exp(rng.normal(-0.18, 0.6, (200_000, 3)))
    n = largest_takes_rest(np.broadcast_to(p, f.shape), f)
    assert np.allclose(n.sum(1), 1.0) and (n >= 0).all()
    over = (p[1:] * f[:, 1:]).sum(1) > 1
    assert 0 < over.mean() < 0.08
    assert np.allclose(n.mean(0), p, rtol=0.05)  # the overflow costs < 5% of the mean
    assert np.allclose(n[~over].mean(0)[1:] / f[~over, 1:].mean(0), p[1:], rtol=0.01)


def test_engines_are_chosen_by_name():
    """``project(engine=...)`` picks the sampler; the two engines give different random
    numbers from the same seed, and an unknown name is a clear error before any work."""
    assert set(ENGINES) == {"numba", "numpy"}
    assert select_engine("numba").name == "numba" and select_engine("numpy").name == "numpy"
    m = random_model(2, 4, 3)
    a = m.project(horizon=2, draws=50, seed=1, engine="numba").draws
    assert np.array_equal(a, m.project(horizon=2, draws=50, seed=1).draws)  # numba: default
    assert not np.array_equal(a, m.project(horizon=2, draws=50, seed=1, engine="numpy").draws)
    with pytest.raises(ValueError, match="unknown engine 'gpu'"):
        m.project(horizon=2, draws=50, seed=1, engine="gpu")


def test_numba_cache_is_per_environment_not_in_the_source_tree():
    """CI runs the suite with two sets of dependency versions in one clone; numba's default cache
    (``__pycache__`` next to the source) let the lowest-version run load kernels compiled by the
    newest llvmlite. conftest.py must set NUMBA_CACHE_DIR before numba is imported."""
    import numba

    root = Path(__file__).resolve().parents[3]
    cache = Path(numba.config.CACHE_DIR).resolve()
    assert numba.config.CACHE_DIR, "NUMBA_CACHE_DIR was not set before numba was imported"
    assert root not in cache.parents and cache != root
    assert cache.name.startswith("sendforecast-numba-")
