"""Capacity scenarios for the statutory pipeline, compared with the baseline on paired draws.

The cohort scenarios act on joiners and placements (:mod:`.library`); these act on the
assessment queue (:mod:`sendforecast.models.statutory`), so they have their own types:

* :class:`AddStaff` - N educational psychologists (EPs) or casework officers from a month;
* :class:`BacklogClearance` - a time-limited project working extra assessments a month;
* :class:`ChangeAgreedShare` - the share of requests agreed for assessment moves by some
  percentage points from a month (threshold moderation, or a tighter/looser panel);
* :class:`ChangeRequests` - a stress test: requests up (or down) by a share from a month
  while capacity stays as in the baseline ("requests are up 20%: with the staff we have?").

:func:`compare_statutory` runs strategies (lists of them) against the baseline with the same
seed, so draw ``i`` of a strategy differs from draw ``i`` of the baseline only by what the
strategy changes; :meth:`StatutoryComparison.effects` gives the paired differences.
:func:`goal_seek_statutory` finds the smallest strength (e.g. EPs added) that gives
at least ``threshold`` % of plans within 20 weeks in a year with a given probability.
Run files: :func:`load_statutory_config` (YAML, schema on :class:`StatutoryRunConfig`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ..defaults import DEFAULT_SEED
from ..errors import InputError, Problem
from ..intervals import INTERVAL_COLUMNS
from ..models.statutory import Levers, StatutoryProjection, project_statutory, summarise_draws
from .base import Scenario
from .goal_seek import GoalSeekResult, bisect

__all__ = ["AddStaff", "BacklogClearance", "after_horizon", "as_strategy", "ChangeAgreedShare",
           "ChangeRequests", "PRODUCTIVITY",
           "STATUTORY_SCENARIO_TYPES", "StatutoryComparison", "StatutoryRunConfig",
           "compare_statutory", "goal_seek_statutory", "load_statutory_config",
           "statutory_scenario_from_dict"]

#: Assessments a month one full-time person adds when that role is the bottleneck.
#: Assumptions - no national figure is published; give the LA's own with ``productivity``:
#: an EP's statutory advice takes about 1.5-2 days of assessment and writing, and EPs spend
#: a large share of their time on statutory work (DfE, "Educational psychology services:
#: workforce insights and school perspectives on impact", 2023), so about 4 advices a month;
#: a casework officer coordinating assessments and drafting plans completes about 6 a month.
PRODUCTIVITY = {"ep": 4.0, "caseworker": 6.0}

_MONTH = re.compile(r"^(\d{4})(?:-(\d{1,2}))?$")


def _month_index(start: str, first_year: int) -> int:
    """Month of the projection (0 = January of ``first_year``) that ``start`` names."""
    m = _MONTH.match(str(start))
    year, month = int(m.group(1)), int(m.group(2) or 1)
    return (year - first_year) * 12 + month - 1


class _Dated(Scenario):
    start: str = Field(description="first month with any effect: 2026-01, or a year (January)")

    @field_validator("start", mode="before")
    @classmethod
    def _check_start(cls, v):
        m = _MONTH.match(str(v))
        if not m or not (2000 <= int(m.group(1)) <= 2100) or not (1 <= int(m.group(2) or 1) <= 12):
            raise ValueError("a month such as 2026-01, or a year such as 2026")
        return str(v)

    def active(self, first_year: int, months: int, length: int | None = None) -> np.ndarray:
        i = _month_index(self.start, first_year)
        t = np.arange(months)
        on = t >= i
        if length is not None:
            on &= t < i + length
        return on.astype(float)

    def apply(self, lv: Levers, first_year: int, agreed_share: np.ndarray) -> None:
        raise NotImplementedError


class AddStaff(_Dated):
    """``number`` full-time EPs or casework officers (``role``) from ``start``."""

    kind: ClassVar[str] = "add_staff"
    role: Literal["ep", "caseworker"] = "ep"
    number: float = Field(ge=0, le=1000)
    productivity: float | None = Field(default=None, gt=0, le=100,
                                       description="assessments a month per person")

    def describe(self) -> str:
        who = "EPs" if self.role == "ep" else "casework officers"
        return f"add {self.number:g} {who} from {self.start}"

    def apply(self, lv, first_year, agreed_share):
        per = self.productivity or PRODUCTIVITY[self.role]
        lv.capacity_add = lv.capacity_add + self.number * per * self.active(first_year, lv.months)


class BacklogClearance(_Dated):
    """A project working ``per_month`` extra assessments a month for ``months`` months."""

    kind: ClassVar[str] = "backlog_clearance"
    per_month: float = Field(gt=0, le=10_000)
    months: int = Field(default=6, ge=1, le=120)

    def describe(self) -> str:
        return f"backlog project: {self.per_month:g} more assessments a month for {self.months} " \
               f"months from {self.start}"

    def apply(self, lv, first_year, agreed_share):
        lv.capacity_add = lv.capacity_add + self.per_month * self.active(first_year, lv.months,
                                                                         self.months)


class ChangeAgreedShare(_Dated):
    """The share of requests agreed for assessment changes by ``points`` percentage points."""

    kind: ClassVar[str] = "change_agreed_share"
    points: float = Field(ge=-100, le=100)

    def describe(self) -> str:
        return f"share of requests agreed {self.points:+g} points from {self.start}"

    def apply(self, lv, first_year, agreed_share):
        share = np.clip(np.asarray(agreed_share, dtype=float), 0.01, 1.0)[:, None]
        scale = np.clip((share + self.points / 100) / share, 0.0, None)
        on = self.active(first_year, lv.months)[None, :]
        s = np.asarray(lv.agree_scale, dtype=float)
        lv.agree_scale = (s if s.ndim == 2 else s[None, :]) * (1 + on * (scale - 1))


class ChangeRequests(_Dated):
    """Requests for assessment change by ``by`` (0.2 = 20% more) from ``start``, with the
    capacity of the baseline (the staff the LA has): a stress test, not a lever."""

    kind: ClassVar[str] = "change_requests"
    by: float = Field(ge=-0.9, le=5.0)

    def describe(self) -> str:
        return f"requests {self.by:+.0%} from {self.start}, capacity as in the baseline"

    def apply(self, lv, first_year, agreed_share):
        lv.requests_scale = lv.requests_scale * (1 + self.by * self.active(first_year, lv.months))


STATUTORY_SCENARIO_TYPES: dict[str, type[_Dated]] = {
    c.__name__: c for c in (AddStaff, BacklogClearance, ChangeAgreedShare, ChangeRequests)}


def statutory_scenario_from_dict(d: dict) -> _Dated:
    """``{"type": "AddStaff", ...}`` -> the scenario (pydantic errors name the field)."""
    d = dict(d)
    name = d.pop("type", None)
    if name not in STATUTORY_SCENARIO_TYPES:
        raise ValueError(f"type must be one of {', '.join(STATUTORY_SCENARIO_TYPES)}, got {name!r}")
    return STATUTORY_SCENARIO_TYPES[name](**d)


def _agreed_share(proj: StatutoryProjection) -> np.ndarray:
    """Each LA's last published share of requests agreed (``statutory_wide``'s ``agreed``)."""
    h = proj.origin.history
    last = h[h.year == proj.origin.year].set_index("la_code")
    return (last.agreed / last.requests).reindex(proj.codes).fillna(
        pd.Series(proj.origin.p_agree, index=proj.codes)).to_numpy(float)


def as_strategy(name: str, strategy: _Dated | Sequence[_Dated]) -> list[_Dated]:
    """A strategy as a list of statutory scenarios: one scenario is the list of itself (a
    pydantic model is iterable, so ``list(AddStaff(...))`` gave its field tuples and the
    run stopped with AttributeError); anything else is a TypeError naming the strategy."""
    if isinstance(strategy, _Dated):
        return [strategy]
    if isinstance(strategy, Iterable) and not isinstance(strategy, str | bytes | dict | BaseModel):
        items = list(strategy)
        if all(isinstance(sc, _Dated) for sc in items):
            return items
        bad = next(sc for sc in items if not isinstance(sc, _Dated))
        found = f"a list holding {type(bad).__name__} {bad!r}"
    else:
        found = f"{type(strategy).__name__} {strategy!r}"
    raise TypeError(f"strategy {name!r}: expected a statutory scenario "
                    f"({', '.join(STATUTORY_SCENARIO_TYPES)}) or a list of them, got {found}"
                    " (from a dict, use statutory_scenario_from_dict)")


def after_horizon(strategies: dict[str, Sequence[_Dated]], years: Sequence[int]) -> list[str]:
    """The scenarios that start after the last projected month: they change nothing, so
    their effects are all 0 (a start mistyped, or a horizon too short), one line each."""
    last = f"{years[-1]}-12"
    return [f"strategy {name!r}: {sc.describe()} starts after the last projected month "
            f"({last}): it has no effect (raise --horizon or move the start)"
            for name, items in strategies.items() for sc in as_strategy(name, items)
            if _month_index(sc.start, years[0]) >= 12 * len(years)]


def levers_for(strategy: Sequence[_Dated], proj: StatutoryProjection) -> Levers:
    """The :class:`Levers` of a strategy on the months of a baseline projection."""
    M = proj.queue.worked.shape[-1]
    lv = Levers(M)
    share = _agreed_share(proj)
    for sc in strategy:
        sc.apply(lv, proj.years[0], share)
    return lv


class StatutoryComparison:
    """Baseline and strategies on paired draws (same seed, same random numbers)."""

    def __init__(self, baseline: StatutoryProjection, runs: dict[str, StatutoryProjection]):
        self.baseline = baseline
        self.runs = runs

    def table(self) -> pd.DataFrame:
        """``strategy, la_code, year, measure, mean, p10, p90, p2_5, p97_5``."""
        parts = [self.baseline.table().assign(strategy="baseline")]
        parts += [r.table().assign(strategy=k) for k, r in self.runs.items()]
        out = pd.concat(parts, ignore_index=True)
        return out[["strategy", *[c for c in out.columns if c != "strategy"]]]

    def effects(self, measures: Sequence[str] = ("within_20_weeks_pct", "backlog",
                                                  "plans_issued", "within_6_weeks_pct")
                ) -> pd.DataFrame:
        """Paired effects (strategy - baseline, draw by draw): ``strategy, la_code, year,
        measure, mean, p10, p90, p2_5, p97_5``."""
        base = self.baseline.yearly()
        rows = []
        for name, run in self.runs.items():
            ys = run.yearly()
            for m in measures:
                s = summarise_draws(np.moveaxis(ys[m] - base[m], 1, 0))
                L, H = s["mean"].shape
                rows.append(pd.DataFrame({
                    "strategy": name, "la_code": np.repeat(self.baseline.codes, H),
                    "year": np.tile(self.baseline.years, L), "measure": m,
                    **{k: s[k].ravel() for k in INTERVAL_COLUMNS}}))
        return pd.concat(rows, ignore_index=True)


def compare_statutory(data, la: str | list[str],
                      strategies: dict[str, _Dated | Sequence[_Dated]], *,
                      horizon: int = 3, draws: int = 1000, seed: int | None = DEFAULT_SEED,
                      capacity: dict[str, float] | None = None) -> StatutoryComparison:
    """Run each strategy and the baseline with the same seed (paired draws).  A strategy
    is a list of scenarios or one scenario; anything else is a TypeError naming it."""
    strategies = {name: as_strategy(name, s) for name, s in strategies.items()}
    seed = DEFAULT_SEED if seed is None else seed  # pairing needs a fixed seed
    kw = dict(horizon=horizon, draws=draws, seed=seed, capacity=capacity)
    base = project_statutory(data, la, **kw)
    runs = {name: project_statutory(data, la, levers=levers_for(s, base), **kw)
            for name, s in strategies.items()}
    return StatutoryComparison(base, runs)


def goal_seek_statutory(data, la: str, build: Callable[[float], Sequence[_Dated]], lo: float,
                        hi: float, *, year: int, threshold: float = 60.0,
                        measure: str = "within_20_weeks_pct", probability: float = 0.8,
                        tol: float = 1.0, integer: bool = True, max_iter: int = 25,
                        horizon: int = 3, draws: int = 1000, seed: int = DEFAULT_SEED,
                        capacity: dict[str, float] | None = None) -> GoalSeekResult:
    """Smallest strength in ``[lo, hi]`` with P(``measure`` >= ``threshold`` in ``year``) >=
    ``probability`` for LA ``la``, where ``build(strength)`` gives the strategy (e.g.
    ``lambda n: [AddStaff(role="ep", number=n, start="2025-01")]``).  Bisection on paired
    draws (every evaluation uses ``seed``); ``integer`` searches whole numbers.  A lever that
    works downward (P at ``hi`` below P at ``lo``: ``ChangeAgreedShare`` points,
    ``ChangeRequests`` by) gives the largest value that meets the target instead."""
    if not 0 < probability < 1:
        raise ValueError("probability must be between 0 and 1")
    if hi <= lo:
        raise ValueError(f"need lo < hi, got {lo}, {hi}")
    kw = dict(horizon=horizon, draws=draws, seed=seed, capacity=capacity)
    base = project_statutory(data, la, **kw)
    if int(year) not in base.years:
        from sendforecast.errors import UsageError

        raise UsageError(f"goal seek year {year} is not a projected year "
                         f"({base.years[0]}-{base.years[-1]}): raise --horizon or change the "
                         "year")
    target = f"{measure} >= {threshold:g} in {year} with probability >= {probability:.0%}"
    rows, seen = [], {}

    def evaluate(x: float) -> float:
        if x not in seen:  # each strength run once (one row each)
            run = project_statutory(data, la, levers=levers_for(list(build(x)), base), **kw)
            p = float(run.probability(measure, year, threshold)[0])
            rows.append({"strength": x, "probability": p, "met": p >= probability})
            seen[x] = p
        return seen[x]

    search = dict(probability=probability, tol=1.0 if integer else tol, integer=integer,
                  max_iter=max_iter, rows=rows)
    p_lo = evaluate(lo)
    if evaluate(hi) < p_lo:
        # a lever that works downward (a tighter panel: points < 0, fewer requests): the
        # value nearest hi that meets the target (the smallest answered lo, the strongest)
        res = bisect(lambda y: evaluate(0.0 - y), -hi, -lo, target=target, **search)
        return GoalSeekResult(None if res.strength is None else -res.strength, res.probability,
                              res.achievable, target, pd.DataFrame(rows), largest=True)
    return bisect(evaluate, lo, hi, target=target, **search)


# ------------------------------------------------------------------------- run files
class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Staff(_M):
    """The LA's own staff: capacity = the binding role (see ``capacity_from_staff``)."""

    eps: float = Field(default=0, ge=0)
    caseworkers: float = Field(default=0, ge=0)
    ep_productivity: float = Field(default=PRODUCTIVITY["ep"], gt=0)
    caseworker_productivity: float = Field(default=PRODUCTIVITY["caseworker"], gt=0)


class StatutoryGoalSeek(_M):
    scenario: dict
    parameter: str
    lo: float = 0
    hi: float
    year: int
    threshold: float = Field(default=60.0, ge=0, le=100)  # % of plans within 20 weeks
    probability: float = Field(default=0.8, gt=0, lt=1)
    integer: bool = True
    tol: float | None = Field(default=None, gt=0,
                              description="precision with integer: false (default (hi - lo) / 100)")

    @model_validator(mode="after")
    def _bracket(self):
        if not self.lo < self.hi:  # the search needs a bracket (was a 'bug' message)
            raise ValueError(f"lo < hi (the range searched), got lo {self.lo:g}, hi {self.hi:g}")
        return self


class StatutoryRunConfig(_M):
    """Schema of a statutory scenario file (version 1)::

        version: 1
        statutory:
          staff: {eps: 12, caseworkers: 20}       # optional: capacity from staff
          strategies:
            more_eps: [{type: AddStaff, role: ep, number: 3, start: 2025-01}]
            backlog_project: [{type: BacklogClearance, per_month: 20, months: 6, start: 2025-01}]
            tighter_panel: [{type: ChangeAgreedShare, points: -5, start: 2025-01}]
          goal_seek:                                # optional
            scenario: {type: AddStaff, role: ep, start: 2025-01}
            parameter: number
            hi: 50
            year: 2026
            threshold: 60
            probability: 0.8
    """

    staff: Staff | None = None
    strategies: dict[str, list[dict]] = Field(default_factory=dict)
    goal_seek: StatutoryGoalSeek | None = None


class _File(_M):
    version: Literal[1] = 1
    statutory: StatutoryRunConfig


def _goal_seek_problems(gs: StatutoryGoalSeek, path: Path, node) -> list[Problem]:
    """The goal seek's scenario with its ``parameter`` at ``lo`` and at ``hi``: one problem
    per wrong field (line and field of the file, not pydantic's dump)."""
    from ..config import validation_problems, yaml_line

    loc = ["statutory", "goal_seek", "scenario"]
    for x in (gs.lo, gs.hi):
        try:
            statutory_scenario_from_dict({**gs.scenario, gs.parameter: x})
        except ValidationError as e:
            return validation_problems(e, path, node, loc,
                                       f" (with {gs.parameter} = {x:g}, an end of lo..hi)",
                                       model=STATUTORY_SCENARIO_TYPES.get(gs.scenario.get("type")))
        except (TypeError, ValueError) as e:
            return [Problem(str(path), yaml_line(node, loc), ".".join(loc), str(e))]
    return []


def load_statutory_config(path: str | Path) -> tuple[StatutoryRunConfig, dict[str, list[_Dated]]]:
    """Read a statutory scenario file; every problem is listed with its line and field."""
    import yaml

    from ..config import load_yaml_model, validation_problems, yaml_line

    path = Path(path)
    cfg = load_yaml_model(path, _File).statutory
    node = yaml.compose(path.read_text(encoding="utf-8-sig"))
    problems, strategies = [], {}
    for name, items in cfg.strategies.items():
        out = []
        for i, d in enumerate(items):
            loc = ["statutory", "strategies", name, i]
            try:
                out.append(statutory_scenario_from_dict(d))
            except ValidationError as e:  # the scenario type's own fields name a typo
                problems += validation_problems(e, path, node, loc,
                                                model=STATUTORY_SCENARIO_TYPES.get(d.get("type")))
            except (TypeError, ValueError) as e:
                problems.append(Problem(str(path), yaml_line(node, loc), ".".join(map(str, loc)),
                                        str(e)))
        strategies[name] = out
    gs = cfg.goal_seek
    if gs is not None:  # both ends of the search must be valid scenarios
        problems += _goal_seek_problems(gs, path, node)
    if problems:
        raise InputError(problems)
    return cfg, strategies
