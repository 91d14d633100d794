"""Scenario building blocks: validated, serialisable interventions and the flow adjustments they make.

A scenario is a small frozen pydantic model that acts at a *named point* of the
model (joiners, movers at phase transfer, leavers, capacity, unit costs) and
phases in over years: it never moves existing pupils wholesale.  A *strategy*
is a list of scenarios; their adjustments compose:

* joiner and leaving multipliers multiply (so order never matters);
* redirects (a share of joiners or movers heading to one placement group sent
  to another instead) are applied one after another in a fixed canonical
  order (sorted by kind, source and destination), so the list order of a
  strategy does not change its result;
* capacity additions add; cost multipliers multiply.

Time convention: ``start`` is a calendar year (requests, assessments, new plans,
moves) or the January a provision opens; joiners of calendar year ``c`` join the
January ``c + 1`` stock (projection step ``c - base_year``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


def ramp(start: int, ramp_years: int, calendar_years: np.ndarray) -> np.ndarray:
    """Fraction of full strength in each calendar year: 0 before ``start``, then linear
    over ``ramp_years`` (reaching 1 in year ``start + ramp_years - 1``; 0 = immediately)."""
    c = np.asarray(calendar_years, dtype=float)
    n = max(int(ramp_years), 1)
    return np.clip((c - start + 1) / n, 0.0, 1.0) * (c >= start)


class Scenario(BaseModel):
    """Base class of all interventions (frozen, validated, serialisable)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: ClassVar[str] = "scenario"

    def describe(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def adjust(self, adj: FlowAdjustments) -> None:
        """Add this scenario's effect to ``adj`` (in place)."""

    def to_dict(self) -> dict:
        return {"type": type(self).__name__, **self.model_dump()}


class Phased(Scenario):
    """An intervention that starts in a calendar year and ramps up over some years."""

    start: int = Field(ge=2000, le=2100, description="first calendar year with any effect")
    ramp_years: int = Field(default=1, ge=0, le=20, description="years to reach full strength")


@dataclass
class Redirect:
    """Send ``share[h]`` of the flow into ``from_states`` (at ``ages``) to ``to_state`` instead."""

    flow: str  # "joiners" or "movers"
    from_states: tuple[int, ...]
    to_state: int
    ages: np.ndarray  # bool [A]
    share: np.ndarray  # [H] in 0..1
    label: str = ""
    count: np.ndarray | None = None  # [H] number to move instead of a share (new places)

    def sort_key(self) -> tuple:
        return (self.flow, self.from_states, self.to_state, self.label)

    def active(self, h: int | None = None) -> bool:
        v = self.share if self.count is None else self.count
        return bool(v.any() if h is None else v[h] > 0)


@dataclass
class FlowAdjustments:
    """What a strategy changes, on the projection's axes (H steps, A ages, K states).

    ``joiner_scale[h]`` multiplies the joiners of calendar year ``base_year + h``;
    ``leave_scale[h, a, k]`` multiplies the leaving probability in step ``h``;
    ``redirects`` move joiners/movers between placement groups; ``capacity`` rows
    (provision, phase, year, places, name) are added to commissioned places;
    ``cost_scale[(group_or_line, first_fy_start)]`` multiplies a cost line from a year.
    """

    base_year: int
    horizon: int
    ages: list[int]
    states: list[str]
    joiner_scale: np.ndarray = field(init=False)
    leave_scale: np.ndarray = field(init=False)
    redirects: list[Redirect] = field(default_factory=list)
    capacity: list[dict] = field(default_factory=list)
    cost_scale: list[tuple[str, np.ndarray]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.joiner_scale = np.ones(self.horizon)
        self.leave_scale = np.ones((self.horizon, len(self.ages), len(self.states)))

    # ---------------------------------------------------------------- axes
    @property
    def calendar_years(self) -> np.ndarray:
        """Calendar year of the flows in each projection step (joiners join next January)."""
        return self.base_year + np.arange(self.horizon)

    def state(self, name: str) -> int:
        if name not in self.states:
            raise ValueError(f"placement {name!r} is not in this model's states {self.states}")
        return self.states.index(name)

    def age_mask(self, ages: tuple[int, int] | None) -> np.ndarray:
        a = np.asarray(self.ages)
        if ages is None:
            return np.ones(len(a), bool)
        return (a >= ages[0]) & (a <= ages[1])

    @property
    def is_null(self) -> bool:
        """True when nothing is changed (the projection is then the baseline, draw for draw)."""
        return (np.all(self.joiner_scale == 1) and np.all(self.leave_scale == 1)
                and not any(r.active() for r in self.redirects) and not self.capacity
                and not self.cost_scale)

    # ------------------------------------------------------- hooks for the simulator
    def ordered_redirects(self, flow: str) -> list[Redirect]:
        return sorted((r for r in self.redirects if r.flow == flow and r.active()),
                      key=Redirect.sort_key)

    def apply_redirects(self, flow: str, h: int, counts: np.ndarray, rng: np.random.Generator
                        ) -> np.ndarray:
        """Move ``share[h]`` of ``counts[draw, age*state]`` in from-states to the to-state.

        Integer and conservative: what leaves a cell arrives in the same age's
        to-state cell, so totals are unchanged in every draw.
        """
        reds = [r for r in self.ordered_redirects(flow) if r.active(h)]
        if not reds:
            return counts
        K = len(self.states)
        c = counts.reshape(counts.shape[0], -1, K).copy()
        for r in reds:
            src = [k for k in r.from_states if k != r.to_state]
            if r.count is None:
                p = np.full((c.shape[0], 1), min(float(r.share[h]), 1.0))
            else:  # a number of places: the share of each draw's eligible flow it represents
                avail = c[:, r.ages][:, :, src].sum(axis=(1, 2))
                p = np.divide(r.count[h], avail, out=np.zeros(len(avail)), where=avail > 0)
                p = np.clip(p, 0.0, 1.0)[:, None]
            for k in src:
                n = c[:, r.ages, k]
                moved = rng.binomial(n, p).astype(c.dtype)
                c[:, r.ages, k] -= moved
                c[:, r.ages, r.to_state] += moved
        return c.reshape(counts.shape)

    def leave_probability(self, h: int, p_leave: np.ndarray) -> np.ndarray:
        """Leaving probability ``[..., A*K]`` in step ``h`` after the leaving multipliers."""
        s = self.leave_scale[h].ravel()
        if np.all(s == 1):
            return p_leave
        return np.clip(p_leave * s, 0.0, 1.0).astype(p_leave.dtype)
