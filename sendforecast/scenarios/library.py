"""The interventions LAs run, each acting at a named point of the flow.

| scenario | acts on | typical strategy text |
|---|---|---|
| :class:`ReduceRequests` | joiners (requests x conversion) | stronger SEN support / Ordinarily Available Provision |
| :class:`ThresholdModeration` | joiners (P(assess), P(issue)) | consistent decision-making panels |
| :class:`MainstreamInclusion` | joiners and phase-transfer movers heading to special | outreach, inclusion funding |
| :class:`NewProvision` | capacity; new RP places fill from joiners heading to special | new resourced provision / special free school |
| :class:`ReduceIndependent` | joiners and movers heading to independent special | more state special places, fewer INMSS placements |
| :class:`Post16Pathways` | leaving rates at 16-25 | supported internships, preparing for adulthood |
| :class:`CostLever` | unit cost of a line from a financial year | banding, fee negotiation, transport policy |
| :class:`FeeInflationCap` | independent fee inflation | fee uplift cap |
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from ..data.taxonomy import PLACEMENT_GROUPS
from .base import FlowAdjustments, Phased, Redirect, Scenario, ramp

_PCT = "{:.0%}"
#: Ages (in the projection's January) at which phase-transfer moves are made: entry to
#: Reception (3-4), transfer to secondary (10-11) and to post-16 (15-16).
PHASE_TRANSFER_AGES = (3, 4, 10, 11, 15, 16)
SPECIAL = ("state_special", "independent_special")


def _group(v: str) -> str:
    if v not in PLACEMENT_GROUPS:
        raise ValueError(f"unknown placement group {v!r}; expected one of {PLACEMENT_GROUPS}")
    return v


def _ramp_text(start: int, ramp_years: int) -> str:
    return (f"from {start}" if ramp_years <= 1 else
            f"from {start}, phased in over {ramp_years} years (full strength {start + ramp_years - 1})")


class ReduceRequests(Phased):
    """Fewer requests for EHC needs assessment (stronger SEN support, early identification).

    New plans fall in proportion: conversion rates are unchanged, so ``by`` = 10%
    fewer requests means 10% fewer new plans in the same calendar year.
    """

    by: float = Field(ge=0, lt=1, description="fractional reduction in requests at full strength")

    def describe(self) -> str:
        return (f"Stronger SEN support and early identification: {self.by:.0%} fewer requests for "
                f"EHC needs assessment {_ramp_text(self.start, self.ramp_years)}; new plans fall in "
                "proportion (conversion unchanged).")

    def adjust(self, adj: FlowAdjustments) -> None:
        adj.joiner_scale *= 1 - self.by * ramp(self.start, self.ramp_years, adj.calendar_years)


class ThresholdModeration(Phased):
    """Change the probability of assessment and/or of issuing a plan (relative changes)."""

    assess_change: float = Field(default=0.0, gt=-1, le=1,
                                 description="relative change in P(decide to assess), e.g. -0.05")
    issue_change: float = Field(default=0.0, gt=-1, le=1,
                                description="relative change in P(plan issued | assessed)")

    def describe(self) -> str:
        return (f"Threshold moderation: P(assess) {self.assess_change:+.0%} and P(issue) "
                f"{self.issue_change:+.0%} {_ramp_text(self.start, self.ramp_years)}; new plans "
                f"change by {(1 + self.assess_change) * (1 + self.issue_change) - 1:+.1%} at full "
                "strength.")

    def adjust(self, adj: FlowAdjustments) -> None:
        r = ramp(self.start, self.ramp_years, adj.calendar_years)
        adj.joiner_scale *= (1 + self.assess_change * r) * (1 + self.issue_change * r)


class MainstreamInclusion(Phased):
    """Route a share of new plans and phase-transfer moves that would go to special into
    mainstream (with support) or resourced provision."""

    share: float = Field(ge=0, le=1)
    to: Literal["mainstream", "resourced_provision"] = "mainstream"
    from_placements: tuple[str, ...] = SPECIAL
    joiners: bool = True
    phase_transfer: bool = True

    _v = field_validator("from_placements")(lambda cls, v: tuple(_group(x) for x in v))

    def describe(self) -> str:
        where = " and ".join(w for w, on in (("new plans", self.joiners),
                                             ("phase-transfer moves", self.phase_transfer)) if on)
        return (f"Mainstream inclusion: {self.share:.0%} of {where} that would go to "
                f"{', '.join(self.from_placements)} stay in {self.to.replace('_', ' ')} "
                f"{_ramp_text(self.start, self.ramp_years)}.")

    def adjust(self, adj: FlowAdjustments) -> None:
        share = self.share * ramp(self.start, self.ramp_years, adj.calendar_years)
        src = tuple(adj.state(s) for s in self.from_placements)
        if self.joiners:
            adj.redirects.append(Redirect("joiners", src, adj.state(self.to), adj.age_mask(None),
                                          share, "inclusion"))
        if self.phase_transfer:
            ages = np.isin(np.asarray(adj.ages), PHASE_TRANSFER_AGES)
            adj.redirects.append(Redirect("movers", src, adj.state(self.to), ages, share,
                                          "inclusion"))


class NewProvision(Scenario):
    """Open ``places`` of a provision type in January ``opens``, filling over ``fill_years``.

    Places are added to commissioned capacity (so with capacity limits, fewer pupils
    overflow to independent special).  New resourced provision also takes its new
    places from *new plans* that would otherwise go to special schools (the realistic
    point of entry), up to the places opening each year.
    """

    provision: str
    places: int = Field(gt=0)
    opens: int = Field(ge=2000, le=2100, description="January the first places are available")
    fill_years: int = Field(default=1, ge=1, le=10)
    phase: Literal["primary", "secondary", "post16", "all"] = "all"
    name: str = "new provision"

    _v = field_validator("provision")(lambda cls, v: _group(v))

    def describe(self) -> str:
        return (f"New provision: {self.places} {self.provision.replace('_', ' ')} places "
                f"({self.phase}) opening January {self.opens}, filling over {self.fill_years} "
                f"year(s).")

    def fill(self, january_years: np.ndarray) -> np.ndarray:
        """Places in use in each January (linear fill)."""
        y = np.asarray(january_years, dtype=float)
        return self.places * np.clip((y - self.opens + 1) / self.fill_years, 0, 1)

    def adjust(self, adj: FlowAdjustments) -> None:
        jan = adj.base_year + 1 + np.arange(adj.horizon)
        filled = self.fill(jan)
        for y, p in zip(jan, filled, strict=True):
            if p > 0:
                adj.capacity.append({"provision": self.provision, "phase": self.phase,
                                     "need": "all", "name": f"{self.name} (scenario)",
                                     "year": int(y), "places": int(round(p))})
        if self.provision == "resourced_provision":
            new = np.diff(np.concatenate([[0.0], filled]))  # places opening each January
            phases = {"primary": (4, 10), "secondary": (11, 15), "post16": (16, 18),
                      "all": (4, 18)}[self.phase]
            adj.redirects.append(Redirect(
                "joiners", tuple(adj.state(s) for s in SPECIAL), adj.state("resourced_provision"),
                adj.age_mask(phases), np.zeros(adj.horizon), f"new RP {self.name}", count=new))
        elif not adj.notes or "capacity" not in adj.notes[-1]:
            adj.notes.append(f"{self.name}: {self.provision} places change outcomes only through "
                             "capacity limits (give commissioned places)")


class ReduceIndependent(Phased):
    """Divert joiners and phase-transfer movers from independent to state special
    (where capacity exists: with capacity limits, the excess still overflows)."""

    share: float = Field(ge=0, le=1)
    ages: tuple[int, int] | None = None

    @model_validator(mode="after")
    def _ages(self):
        if self.ages is not None and not (0 <= self.ages[0] <= self.ages[1] <= 25):
            raise ValueError(f"ages {self.ages} must be (first, last) within 0-25")
        return self

    def describe(self) -> str:
        who = "" if self.ages is None else f" aged {self.ages[0]}-{self.ages[1]}"
        return (f"Reduce independent placements: {self.share:.0%} of new and moving pupils{who} "
                f"heading to independent/non-maintained special go to state special instead "
                f"{_ramp_text(self.start, self.ramp_years)}, where places exist.")

    def adjust(self, adj: FlowAdjustments) -> None:
        share = self.share * ramp(self.start, self.ramp_years, adj.calendar_years)
        src, dst, ages = (adj.state("independent_special"),), adj.state("state_special"), \
            adj.age_mask(self.ages)
        adj.redirects.append(Redirect("joiners", src, dst, ages, share, "reduce independent"))
        adj.redirects.append(Redirect("movers", src, dst, ages, share, "reduce independent"))


class Post16Pathways(Phased):
    """Change the probability that plans cease at ages 16-25 (relative change)."""

    leave_change: float = Field(gt=-1, le=5, description="+0.2 = 20% more plans cease each year")
    ages: tuple[int, int] = (16, 25)

    def describe(self) -> str:
        return (f"Post-16 pathways: ceasing rates at ages {self.ages[0]}-{self.ages[1]} "
                f"{self.leave_change:+.0%} {_ramp_text(self.start, self.ramp_years)} (supported "
                "internships, employment, preparing for adulthood).")

    def adjust(self, adj: FlowAdjustments) -> None:
        r = ramp(self.start, self.ramp_years, adj.calendar_years)
        adj.leave_scale[:, adj.age_mask(self.ages), :] *= (1 + self.leave_change * r)[:, None, None]


class CostLever(Phased):
    """Change the unit cost of a cost line from a financial year (banding, fee negotiation,
    transport policy).  ``line`` is a placement group, a fixed line name, ``transport``
    (all transport lines) or ``transport:<group>``; ``start`` is the first financial
    year's starting calendar year (2027 = 2027-28)."""

    line: str
    change: float = Field(gt=-1, le=2, description="relative change in unit cost, -0.05 = 5% less")

    def describe(self) -> str:
        return (f"Cost lever: unit cost of '{self.line}' {self.change:+.0%} from financial year "
                f"{self.start}-{str(self.start + 1)[-2:]}"
                + (f", phased over {self.ramp_years} years" if self.ramp_years > 1 else "") + ".")

    def adjust(self, adj: FlowAdjustments) -> None:
        adj.cost_scale.append((self.line, ("level", self.start, self.ramp_years, self.change)))


class FeeInflationCap(Scenario):
    """Cap the annual uplift of independent/non-maintained special fees from a financial year."""

    cap: float = Field(ge=-0.1, le=0.5, description="maximum annual fee uplift, e.g. 0.02")
    start: int = Field(ge=2000, le=2100, description="first capped financial year's start")
    line: str = "independent_special"

    def describe(self) -> str:
        return (f"Fee inflation cap: '{self.line}' fees rise by at most {self.cap:.1%} a year from "
                f"{self.start}-{str(self.start + 1)[-2:]}.")

    def adjust(self, adj: FlowAdjustments) -> None:
        adj.cost_scale.append((self.line, ("cap", self.start, 0, self.cap)))


SCENARIO_TYPES: dict[str, type[Scenario]] = {c.__name__: c for c in (
    ReduceRequests, ThresholdModeration, MainstreamInclusion, NewProvision, ReduceIndependent,
    Post16Pathways, CostLever, FeeInflationCap)}


def scenario_from_dict(d: dict) -> Scenario:
    """Build a scenario from ``{"type": "ReduceRequests", "by": 0.1, "start": 2026, ...}``."""
    d = dict(d)
    t = d.pop("type", None)
    if t not in SCENARIO_TYPES:
        raise ValueError(f"unknown scenario type {t!r}; expected one of {sorted(SCENARIO_TYPES)}")
    return SCENARIO_TYPES[t](**d)
