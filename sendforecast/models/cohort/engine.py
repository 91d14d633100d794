"""The engine seam of the cohort projection: what an engine does, and choosing one by name.

Knows: the :class:`Engine` protocol - per projection year, :meth:`~Engine.step`
(leavers and movers), then :meth:`~Engine.arrivals` (net transfers in), then
:meth:`~Engine.joiners` (new plans over age x state) - and the engines there are:
``"numba"`` (:class:`~.engine_numba.NumbaEngine`, the runtime engine: compiled kernels,
one random stream per draw x cell) and ``"numpy"`` (:class:`~.engine_numpy.NumpyEngine`,
the vectorised test oracle: the same distributions from one generator).

Does not know: the year loop, ageing on, scenarios or the flows kept; those are
:meth:`~.model.CohortModel.project`'s.  An engine sees only the projection's
:class:`~.parameters.DrawPlan`, the stock of the year and the joiner totals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from .engine_numba import NumbaEngine
from .engine_numpy import NumpyEngine
from .parameters import DrawPlan

__all__ = ["DEFAULT_ENGINE", "ENGINES", "Engine", "select_engine"]


class Engine(Protocol):
    """One projection's sampler, built as ``Engine(plan, rng)`` from its
    :class:`~.parameters.DrawPlan` and the projection's generator (from which it may
    draw at construction and in every call).  Arrays are flat over the cells
    ``(age, state)``: ``[draw, A*K]`` counts (int32), ``[P, A*K]`` probabilities.
    Each year ``h`` the caller calls :meth:`step`, :meth:`arrivals` and :meth:`joiners`
    in that order (the order of their random numbers)."""

    name: str

    def step(self, h: int, stock: np.ndarray, q: np.ndarray, pl: np.ndarray,
             redirect: Callable[[np.ndarray], np.ndarray] | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
        """``(leave, nxt)``: the leavers of ``stock`` in year ``h`` (by the parameter sets'
        leave-or-move ``q`` and leaving ``pl`` probabilities, after the plan's year effects
        and net transfers out) and the continuing children's stock before ageing on
        (stayers + movers' inflow, the inflow passed through ``redirect`` if given)."""
        ...

    def arrivals(self, h: int, cont: np.ndarray) -> np.ndarray | None:
        """Net transfers in of year ``h``, placed like the continuing children ``cont``
        (``None`` when the plan has no net transfers)."""
        ...

    def joiners(self, h: int, totals: np.ndarray) -> np.ndarray:
        """The joiners of year ``h`` over age x state, ``totals [draw]`` of them."""
        ...


#: The engines by name; the numpy engine is the test oracle, not a runtime path.
ENGINES: dict[str, Callable[[DrawPlan, np.random.Generator], Engine]] = {
    "numba": NumbaEngine, "numpy": NumpyEngine}
DEFAULT_ENGINE = "numba"


def select_engine(name: str) -> Callable[[DrawPlan, np.random.Generator], Engine]:
    """The engine class called ``name`` (see :data:`ENGINES`)."""
    try:
        return ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown engine {name!r} (one of {', '.join(ENGINES)})") from None
