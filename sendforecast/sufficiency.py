"""Sufficiency: commissioned places against projected demand, with capacity-constrained placement.

Capacity comes from :func:`sendforecast.data.local.read_capacity` (``provision, phase,
need, name, year, places``).  A row is the number of places of one provision (school
or unit ``name``) from its ``year`` (January of the academic year) onward, until a
later row of the same ``provision, phase, need, name`` changes it: planned openings,
expansions and closures are simply later rows (a school opening in 2028 has its
first row in 2028 and adds nothing before).  Places are summed over names and needs
(need-specific places are added into their phase: the cohort states in SEN2 mode do
not carry need).  A provision's places are either for ``all`` phases or per phase,
not both.  Ages in a phase with no places listed - and years before a
provision/phase's first row - are not constrained (capacity unknown, ``NaN``).

:func:`allocate` applies capacity to projected demand ``draws[draw, year, age,
state]``, per draw and year: the demand of a capped provision beyond its places is
taken out, spread over ages in proportion to its demand at each age (integer
largest-remainder split), and moved to the routed provisions, so every draw keeps
exactly the same number of children at each age.  ``routing = {"state_special":
{"resourced_provision": 0.3, "independent_special": 0.7}}`` sends 30% of the
overflow to resourced provision and the rest to independent special.  A
destination that is itself capped (a key of ``routing``) takes at most its spare
places; whatever it cannot take goes to the last *uncapped* destination of the
rule, so every rule needs one.  Capped provisions are clipped first, then their
overflows are routed in the order of ``routing``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sendforecast.data.taxonomy import PLACEMENT_GROUPS, Phase, phases_of_ages
from sendforecast.errors import InputError, Problem

__all__ = ["Capacity", "Allocation", "allocate", "DEFAULT_ROUTING", "split_integer"]

ALL = "all"
PHASES = [p.value for p in Phase]
DEFAULT_ROUTING: dict[str, dict[str, float]] = {"state_special": {"independent_special": 1.0}}
_COLUMNS = ["provision", "phase", "need", "name", "year", "places"]


@dataclass
class Capacity:
    """Commissioned places (a :func:`~sendforecast.data.local.read_capacity` frame)."""

    frame: pd.DataFrame
    file: str = "<capacity>"
    #: the provisions allowed (default: the SEN2 placement groups; a witan.send model's
    #: settings for sufficiency by need on witan projections)
    allowed: Sequence[str] | None = None

    def __post_init__(self) -> None:
        missing = [c for c in _COLUMNS if c not in self.frame.columns]
        if missing:
            raise InputError([Problem(self.file, None, c, "a column of read_capacity output",
                                      ", ".join(map(str, self.frame.columns))) for c in missing])
        problems = []
        for p, g in self.frame.groupby("provision"):
            if p not in (self.allowed or PLACEMENT_GROUPS):
                problems.append(Problem(self.file, None, "provision", "a placement group"
                                        if self.allowed is None else "a setting", p))
            phases = set(g["phase"])
            if ALL in phases and len(phases) > 1:
                problems.append(Problem(
                    self.file, None, "phase",
                    f"places for {p} either for all phases or per phase, not both",
                    ", ".join(sorted(phases))))
        if problems:
            raise InputError(problems)

    @classmethod
    def from_file(cls, path: str | Path, provisions: Sequence[str] | None = None,
                  needs: Sequence[str] | None = None) -> Capacity:
        """Read ``path`` (:func:`~sendforecast.data.local.read_capacity`); ``provisions``
        and ``needs``: the allowed values when they are not SEN2's (witan settings, needs)."""
        from sendforecast.data.local import read_capacity

        return cls(read_capacity(path, provisions, needs), file=str(path), allowed=provisions)

    @property
    def provisions(self) -> list[str]:
        return [p for p in (self.allowed or PLACEMENT_GROUPS) if p in set(self.frame["provision"])]

    def phases(self, provision: str) -> list[str]:
        f = self.frame[self.frame["provision"] == provision]
        return list(dict.fromkeys(f.sort_values("year")["phase"]))

    def places(self, provision: str, phase: str, years: Sequence[int],
               need: str | None = None) -> np.ndarray:
        """Places of (provision, phase) in each January ``year`` (``NaN`` = not known);
        ``need``: only the places of that designation (``all``: general places)."""
        f = self.frame[(self.frame["provision"] == provision) & (self.frame["phase"] == phase)]
        if need is not None:
            f = f[f["need"] == need]
        out = np.full(len(years), np.nan)
        if f.empty:
            return out
        for _, g in f.groupby(["need", "name"], sort=False):
            g = g.sort_values("year")
            yrs, pl = g["year"].to_numpy(), g["places"].to_numpy(dtype=float)
            for i, y in enumerate(years):
                k = np.searchsorted(yrs, y, side="right") - 1
                if k >= 0:
                    out[i] = (0 if np.isnan(out[i]) else out[i]) + pl[k]
                # rows of this name start later: it adds nothing yet (0, not unknown)
        first = f["year"].min()
        for i, y in enumerate(years):
            if y >= first and np.isnan(out[i]):
                out[i] = 0.0
        return out


@dataclass
class Allocation:
    """Result of :func:`allocate`."""

    draws: np.ndarray  # constrained demand [draw, year, age, state]
    years: list[int]
    ages: list[int]
    states: list[str]
    overflow: dict[str, np.ndarray]  # children moved out of each capped provision [draw, year]
    sufficiency: pd.DataFrame
    first_full_year: pd.DataFrame
    routing: dict = field(default_factory=dict)


def split_integer(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Integer ``y <= x`` with ``y.sum(-1) == n``, proportional to ``x`` (largest remainder).

    ``x[..., k] >= 0`` integers, ``0 <= n <= x.sum(-1)``.  Exact integer arithmetic;
    ties go to the first position, so the result is deterministic.
    """
    x = np.asarray(x, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    tot = x.sum(-1)
    if np.any(n < 0) or np.any(n > tot):
        raise ValueError("split_integer: need 0 <= n <= x.sum(-1)")
    safe = np.maximum(tot, 1)[..., None]
    prod = x * n[..., None]
    fl, rem = prod // safe, prod % safe
    left = n - fl.sum(-1)
    order = np.argsort(-rem, axis=-1, kind="stable")
    rank = np.argsort(order, axis=-1, kind="stable")
    return fl + (rank < left[..., None])


def _check_routing(routing: Mapping[str, Mapping[str, float]], states: Sequence[str]) -> None:
    problems = []
    for src, rule in routing.items():
        where = f"routing[{src!r}]"
        if src not in states:
            problems.append(Problem("<routing>", None, where, "a state of the projection", src))
        if not rule:
            problems.append(Problem("<routing>", None, where, "at least one destination", "{}"))
            continue
        for dest, share in rule.items():
            if dest not in states or dest == src:
                problems.append(Problem("<routing>", None, f"{where}[{dest!r}]",
                                        "another state of the projection", dest))
            if not (0 <= share <= 1):
                problems.append(Problem("<routing>", None, f"{where}[{dest!r}]",
                                        "a share between 0 and 1", str(share)))
        if abs(sum(rule.values()) - 1) > 1e-9:
            problems.append(Problem("<routing>", None, where, "shares summing to 1",
                                    f"{sum(rule.values()):g}"))
        if not [d for d in rule if d not in routing]:
            problems.append(Problem(
                "<routing>", None, where,
                "at least one destination that is not itself capped (not a routing key)",
                ", ".join(rule)))
    if problems:
        raise InputError(problems)


def allocate(draws: np.ndarray, states: Sequence[str], ages: Sequence[int],
             years: Sequence[int], capacity: Capacity,
             routing: Mapping[str, Mapping[str, float]] | None = None,
             age_offset: int = 0) -> Allocation:
    """Capacity-constrained placement of projected demand (see the module docstring).

    ``draws[draw, year, age, state]`` are January stocks (integer counts) for
    ``years``; states must be placement groups (SEN2 mode).  Returns the constrained
    draws (totals by draw, year and age unchanged; capped provisions never above
    their places), the overflow moved out of each capped provision, the sufficiency
    table and the first year each provision (x phase) is full.
    """
    routing = {k: dict(v) for k, v in (DEFAULT_ROUTING if routing is None else routing).items()}
    states, ages, years = list(states), list(ages), [int(y) for y in years]
    demand = np.asarray(draws)
    if demand.ndim != 4 or demand.shape[1:] != (len(years), len(ages), len(states)):
        raise ValueError(f"draws shape {demand.shape} does not match [draw, {len(years)} years, "
                         f"{len(ages)} ages, {len(states)} states]")
    _check_routing(routing, states)
    phase = phases_of_ages(ages, age_offset)
    x = demand.astype(np.int64).copy()

    def buckets(p: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """(phase, age mask, places per year); uncovered ages as a NaN-capacity bucket."""
        out, covered = [], np.zeros(len(ages), bool)
        for ph in capacity.phases(p):
            mask = np.ones(len(ages), bool) if ph == ALL else phase == ph
            covered |= mask
            out.append((ph, mask, capacity.places(p, ph, years)))
        if not covered.all():
            out.append(("(none)", ~covered, np.full(len(years), np.nan)))
        return out

    # pass 1: clip every capped provision to its places
    excess: dict[str, np.ndarray] = {}
    for p in routing:
        j = states.index(p)
        ex = np.zeros(x.shape[:3], np.int64)
        for _, mask, cap in buckets(p):
            d = x[:, :, mask, j]
            tot = d.sum(-1)
            e = np.where(np.isnan(cap), 0, np.maximum(tot - np.nan_to_num(cap), 0)).astype(np.int64)
            take = split_integer(d, e)
            x[:, :, mask, j] -= take
            ex[:, :, mask] += take
        excess[p] = ex

    # pass 2: route each overflow
    for p, rule in routing.items():
        r = excess[p].copy()
        e_total = r.sum(-1)
        last = [d for d in rule if d not in routing][-1]
        for dest, share in rule.items():
            if dest == last:
                continue
            jd = states.index(dest)
            n = np.minimum(np.floor(share * e_total + 1e-9).astype(np.int64), r.sum(-1))
            parts = buckets(dest) if dest in routing else [("", np.ones(len(ages), bool),
                                                            np.full(len(years), np.nan))]
            for _, mask, cap in parts:
                sub = np.where(mask, r, 0)
                room = sub.sum(-1)
                if not np.isnan(cap).all():
                    spare = np.maximum(cap - x[:, :, mask, jd].sum(-1), 0)
                    room = np.where(np.isnan(cap), room, np.minimum(room, spare)).astype(np.int64)
                y = split_integer(sub, np.minimum(n, room))
                x[:, :, :, jd] += y
                r -= y
                n -= y.sum(-1)
        x[:, :, :, states.index(last)] += r

    overflow = {p: excess[p].sum(-1) for p in routing}
    suff = _sufficiency(demand, x, states, years, capacity, overflow, buckets)
    return Allocation(draws=x.astype(demand.dtype, copy=False), years=years, ages=ages,
                      states=states, overflow=overflow, sufficiency=suff,
                      first_full_year=first_full_year(suff), routing=routing)


def _sufficiency(demand, placed, states, years, capacity, overflow, buckets) -> pd.DataFrame:
    rows = []
    for p in capacity.provisions:
        if p not in states:
            continue
        j = states.index(p)
        for ph, mask, cap in buckets(p):
            if ph == "(none)":
                continue
            d = demand[:, :, mask, j].sum(-1).astype(float)  # [draw, year]
            pl = placed[:, :, mask, j].sum(-1).astype(float)
            q = np.quantile(d, [0.1, 0.9], axis=0)
            for i, y in enumerate(years):
                c = cap[i]
                rows.append({
                    "year": y, "provision": p, "phase": ph, "capacity": c,
                    "demand_mean": d[:, i].mean(), "demand_p10": q[0, i], "demand_p90": q[1, i],
                    "placed_mean": pl[:, i].mean(),
                    "gap_mean": c - d[:, i].mean(),
                    "p_short": float(np.mean(d[:, i] > c)) if not np.isnan(c) else np.nan,
                })
    cols = ["year", "provision", "phase", "capacity", "demand_mean", "demand_p10", "demand_p90",
            "placed_mean", "gap_mean", "p_short"]
    out = pd.DataFrame(rows, columns=cols)
    ov = pd.DataFrame([{"year": y, "provision": p, "overflow_total_mean": o[:, i].mean()}
                       for p, o in overflow.items() for i, y in enumerate(years)],
                      columns=["year", "provision", "overflow_total_mean"])
    out = out.merge(ov, on=["year", "provision"], how="left")
    return out.sort_values(["provision", "phase", "year"], key=_order, ignore_index=True)


def _order(s: pd.Series) -> pd.Series:
    if s.name == "provision":
        return s.map({p: i for i, p in enumerate(PLACEMENT_GROUPS)})
    if s.name == "phase":
        return s.map({p: i for i, p in enumerate([ALL, *PHASES])})
    return s


def first_full_year(sufficiency: pd.DataFrame) -> pd.DataFrame:
    """First year each (provision, phase) is full: mean demand >= places (``<NA>`` if never)."""
    rows = []
    for (p, ph), g in sufficiency.groupby(["provision", "phase"], sort=False):
        full = g[g["gap_mean"] <= 0]
        rows.append({"provision": p, "phase": ph,
                     "first_full_year": int(full["year"].iloc[0]) if len(full) else pd.NA,
                     "places_that_year": full["capacity"].iloc[0] if len(full) else np.nan,
                     "demand_mean_that_year": full["demand_mean"].iloc[0] if len(full) else np.nan})
    out = pd.DataFrame(rows, columns=["provision", "phase", "first_full_year", "places_that_year",
                                      "demand_mean_that_year"])
    out["first_full_year"] = out["first_full_year"].astype("Int64")
    return out
