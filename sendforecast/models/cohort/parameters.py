"""Posterior parameter sets of a projection, and everything else drawn before any count.

Knows: how a projection's ``P`` parameter sets are drawn from a model's posteriors -
leaving ~ Beta, moves ~ Dirichlet (as staying + the movers' destination cdf,
:func:`move_parameters`), the joiners' age x state mix ~ Dirichlet - then the year
effects and net transfers (:mod:`.year_effects`), in that order, from the projection's
generator (:func:`draw_plan`).  The result, a :class:`DrawPlan`, is all an engine needs
besides the stock and the joiner totals.  The age-25 limit (the top age always leaves)
is applied here, and only here (:func:`top_age_leaves`).

Does not know: engines, random streams of the counts, scenarios (a scenario's leaving
multipliers arrive as probabilities for :meth:`ParameterSets.leaving`), or where the
posteriors came from (:mod:`.identify`, :mod:`.rates`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .year_effects import draw_net_transfers, draw_year_effects, year_effect_variance

__all__ = ["PARAM_SETS", "DrawPlan", "ParameterSets", "cond_from_cdf", "draw_plan",
           "move_parameters", "top_age_leaves"]

# Parameter sets (posterior draws of the rates) of a projection by default: with 1,000
# draws each set serves 4 draws, each with its own year effects, joiner totals and
# binomial counts.  The Monte Carlo sd of a projection's quantiles is then 1.01-1.07
# times that of one set per draw, for a quarter of the parameter draws (measured with
# benchmarks/cohort_param_sets.py; docs/cohort.md).
PARAM_SETS = 250


@dataclass(frozen=True)
class ParameterSets:
    """``P`` posterior parameter sets, flat over the cells ``(age, state)`` (``A*K``).

    ``leave [P, A*K]`` (float32): P(leave), 1 at the top age; ``stay [P, A*K]``
    (float32): P(stay | continue); ``dest [A*K, R]``: each cell's valid destinations
    and ``cdf [P, A*K, R]`` (float32) the movers' cdf over them (see
    :func:`move_parameters`); ``mix [P, A*K]``: the joiners' age x state mix.
    """

    n_ages: int
    n_states: int
    leave: np.ndarray
    stay: np.ndarray
    dest: np.ndarray
    cdf: np.ndarray
    mix: np.ndarray

    def leave_or_move(self, pl: np.ndarray) -> np.ndarray:
        """P(leave or move) ``[P, A*K]`` of leaving probabilities ``pl [P, A*K]``."""
        ps = self.stay
        return np.where(ps >= 1, pl, np.maximum(1 - (1 - pl) * ps, pl)).clip(0, 1)

    def leaving(self, leave: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(q, pl)`` for other leaving probabilities ``leave [P, A*K]`` (a scenario's):
        P(leave or move) and P(leave) (float32), the age-25 limit kept."""
        pl = top_age_leaves(leave, self.n_ages, self.n_states)
        return self.leave_or_move(pl), pl


def top_age_leaves(p: np.ndarray, n_ages: int, n_states: int) -> np.ndarray:
    """Leaving probabilities ``p [P, A*K]`` (or ``[P, A, K]``) as float32 ``[P, A*K]`` with
    the age-25 limit: everyone at the top age leaves, under any scenario."""
    p = np.array(p).reshape(len(p), n_ages, n_states)
    p[:, -1, :] = 1.0
    return p.reshape(len(p), -1).astype(np.float32)


@dataclass(frozen=True)
class DrawPlan:
    """Everything a projection draws before any count: the parameter ``sets``, the set
    of each draw ``set_of_draw [D]`` (draw ``d`` uses set ``d % P``), the year effects
    ``effects [D, H, 2, K]`` (or ``None``) with their log variance ``effect_variance
    [H, 2, K]``, the net transfer rates ``net [D, H]`` (or ``None``), and the joiners'
    concentrations ``joiner_conc [A, K]`` (the numba engine orders ages by them)."""

    sets: ParameterSets
    set_of_draw: np.ndarray
    years: int
    effects: np.ndarray | None
    effect_variance: np.ndarray
    net: np.ndarray | None
    joiner_conc: np.ndarray

    @property
    def draws(self) -> int:
        return int(self.set_of_draw.size)


def draw_plan(leave_a: np.ndarray, leave_b: np.ndarray, move_conc: np.ndarray,
              joiner_conc: np.ndarray, year_effects: dict | None, *, n_ages: int,
              n_states: int, draws: int, years: int, param_sets: int,
              rng: np.random.Generator) -> DrawPlan:
    """Draw a projection's :class:`DrawPlan` from ``rng``, in a fixed order (leaving,
    moves, joiners' mix; then year effects and net transfers from two child streams), so
    that a seed fixes it and scenarios with the same seed share it (paired draws).

    ``leave_a, leave_b [A, K]``: beta posteriors of leaving; ``move_conc [A, K, K]``
    and ``joiner_conc [A, K]``: Dirichlet concentrations; ``year_effects``: a spec for
    :func:`~.year_effects.draw_year_effects` (or ``None``).
    """
    A, K, D, H, P = n_ages, n_states, draws, years, param_sets
    AK = A * K
    set_of_draw = np.arange(D) % P
    p_leave = rng.beta(np.maximum(leave_a, 1e-9), np.maximum(leave_b, 1e-9), size=(P, A, K))
    p_stay, dest, cdf = move_parameters(move_conc, P, rng)
    # joiners' mix: Dirichlet over the cells with positive concentration (gamma
    # variates for those cells only, largest concentration first)
    jc = joiner_conc.ravel()
    jcols = np.argsort(-jc, kind="stable")[: int((jc > 0).sum())]
    m = rng.standard_gamma(jc[jcols], size=(P, jcols.size), dtype=np.float32)
    tot = m.sum(-1, keepdims=True)
    m = np.where(tot > 0, m / np.where(tot > 0, tot, 1), jc[jcols] / jc[jcols].sum())
    mix = np.zeros((P, AK))
    mix[:, jcols] = m
    sets = ParameterSets(n_ages=A, n_states=K, leave=top_age_leaves(p_leave, A, K),
                         stay=p_stay.reshape(P, AK), dest=dest.reshape(AK, -1),
                         cdf=cdf.reshape(P, AK, -1), mix=mix)
    # their own streams, year by year: a longer horizon keeps the first years' numbers
    fx_rng, net_rng = rng.spawn(2)
    effects = draw_year_effects(year_effects, D, H, K, fx_rng)  # [D, H, 2, K] or None
    net = draw_net_transfers(year_effects, D, H, net_rng)  # [D, H] or None
    return DrawPlan(sets=sets, set_of_draw=set_of_draw, years=H, effects=effects,
                    effect_variance=year_effect_variance(year_effects, H, K), net=net,
                    joiner_conc=joiner_conc)


def move_parameters(conc: np.ndarray, P: int, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dirichlet draws of the moves as staying + the movers' destination cdf.

    Returns ``p_stay [P, age, state]``, ``dest [age, state, R]`` (the valid - non-zero
    concentration - destinations other than staying, largest concentration first and
    padded by repeating the last one) and ``cdf [P, age, state, R]`` (float32): the
    probability that a mover goes to ``dest[..., 0..r]``; it is exactly 1 from the
    last valid destination on, so every mover is placed.  Cells with no valid move
    stay with probability 1 (and their ``dest`` is the cell itself, with ``cdf`` 1,
    should a mover arise).  Gamma variates are drawn for the valid entries only
    (float32).
    """
    A, K, _ = conc.shape
    eye = np.eye(K, dtype=bool)
    others = np.where(eye[None], 0.0, conc)
    valid = others > 0
    nval = valid.sum(-1)
    R_ = max(int(nval.max()), 1)
    order = np.argsort(-others, axis=-1, kind="stable")[..., :R_]  # valid ones first
    last = np.maximum(nval - 1, 0)[..., None]
    dest = np.take_along_axis(order, np.minimum(np.arange(R_)[None, None], last), -1)
    dest[nval == 0] = np.nonzero(nval == 0)[1][:, None]  # no valid move: "move" = stay put
    live = np.arange(R_)[None, None] < nval[..., None]  # [A, K, R]
    cval = np.take_along_axis(others, dest, -1)[live].astype(np.float32)
    go = np.zeros((P, A * K * R_), np.float32)
    go[:, np.flatnonzero(live)] = rng.standard_gamma(cval, size=(P, cval.size),
                                                     dtype=np.float32)
    go = go.reshape(P, A, K, R_)
    sc = conc[:, eye].astype(np.float32)  # [A, K] staying
    stay = np.zeros((P, A, K), np.float32)
    stay[:, sc > 0] = rng.standard_gamma(sc[sc > 0], size=(P, int((sc > 0).sum())),
                                         dtype=np.float32)
    cdf = go  # cumulative sum over the (few) destinations, in place: faster than
    for j in range(1, R_):  # np.cumsum along a short last axis
        cdf[..., j] += cdf[..., j - 1]
    moving = cdf[..., -1].copy()  # total of the destinations' gammas
    tot = stay + moving
    p_stay = np.divide(stay, tot, out=np.ones_like(stay), where=tot > 0)
    p_stay[:, nval == 0] = 1.0
    cdf /= np.where(moving > 0, moving, 1)[..., None]
    # from the last valid destination on (with the padding) exactly 1 (a masked copy:
    # faster than boolean indexing)
    np.copyto(cdf, np.float32(1.0), where=(np.arange(R_)[None, None] >= last)[None])
    return p_stay, dest, cdf


def cond_from_cdf(cdf: np.ndarray) -> np.ndarray:
    """Stick-breaking conditionals ``P(r | not an earlier destination)`` from the cdf."""
    prev = np.concatenate([np.zeros_like(cdf[..., :1]), cdf[..., :-1]], -1)
    den = 1 - prev
    return np.divide(cdf - prev, den, out=np.ones_like(cdf), where=den > 0).clip(0, 1)
