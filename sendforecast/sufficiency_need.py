"""Sufficiency by need: places designated for a primary need against projected demand by need.

Special schools and resourced provisions are designated by need (ASD, SEMH, SLCN ...).
:func:`sufficiency_by_need` takes a projection whose states carry a need (``group:need``:
:func:`sendforecast.models.cohort.split_by_need`, or a witan model ``by_need``) and a
:class:`~sendforecast.sufficiency.Capacity` whose ``need`` column gives each row's
designation (``all`` = general places), and fills the places per draw and year, for each
provision and phase that lists places by designation:

1. designated places take children of their own need;
2. places left over take other needs the overflow rules allow (``rules``: designation ->
   the needs it may also take, in order, or a CSV file of them read by
   :func:`~sendforecast.data.local.read_overflow_rules`; default :data:`DEFAULT_OVERFLOW`);
3. general (``all``) places take any need still unplaced (shared in proportion);
4. whatever is left is unmet demand (reported, never placed somewhere it is not allowed).

A designation's places before its first row in the file are not known (``NaN``) and
take nobody.  The result has one row per year x provision x phase x designation (each
need with demand there but no designated places too, capacity 0) and the first year each
is full (mean demand of its need >= its places).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sendforecast.data.taxonomy import phases_of_ages
from sendforecast.errors import InputError, Problem
from sendforecast.sufficiency import ALL, Capacity, split_integer

__all__ = ["BROAD_AREAS", "DEFAULT_OVERFLOW", "NeedSufficiency", "overflow_rules",
           "sufficiency_by_need"]

#: The four broad areas of need of the SEND Code of Practice 0-25 (DfE/DHSC, January 2015,
#: paragraphs 6.28-6.35): communication and interaction; cognition and learning; social,
#: emotional and mental health; sensory and/or physical needs.
BROAD_AREAS = {
    "communication_and_interaction": ["ASD", "SLCN"],
    "cognition_and_learning": ["MLD", "SLD", "PMLD", "SpLD"],
    "semh": ["SEMH"],
    "sensory_and_physical": ["HI", "VI", "MSI", "PD"],
}
#: Default overflow rules (an assumption, editable: pass ``rules``): places designated
#: for a need may also take the other needs of its broad area of need (Code of Practice
#: 2015, 6.28-6.35), e.g. ASD places take SLCN and SLCN places take ASD; SEMH places take
#: no other need; OTH and unknown have no area.
DEFAULT_OVERFLOW: dict[str, list[str]] = {
    n: [m for m in area if m != n] for area in BROAD_AREAS.values() for n in area}

_COLUMNS = ["year", "provision", "phase", "designation", "capacity", "demand_mean",
            "demand_p10", "demand_p90", "placed_mean", "spare_mean", "gap_mean",
            "shortfall_mean", "shortfall_p90", "p_short"]


@dataclass
class NeedSufficiency:
    """Result of :func:`sufficiency_by_need`: ``table`` (columns ``_COLUMNS``: capacity,
    demand of the designation's need, children placed there, spare places, gap = capacity
    - mean demand, shortfall = that need's demand left unmet after every allowed place -
    for ``all``: every need's -, p_short = its probability of being above 0),
    ``first_full_year`` and the ``rules`` used.  For ``all`` (general places) the demand is
    what reaches them: every need's demand less the children placed in designated places."""

    table: pd.DataFrame
    first_full_year: pd.DataFrame
    rules: dict = field(default_factory=dict)


def overflow_rules(rules: Mapping[str, Sequence[str]] | str | Path | None,
                   needs: Sequence[str], source: str = "<overflow rules>"
                   ) -> dict[str, list[str]]:
    """Checked overflow rules (designation -> needs it may also take, or a CSV file of
    them: :func:`~sendforecast.data.local.read_overflow_rules`); every name must be a need
    of the projection (an unknown one is an error naming it)."""
    if isinstance(rules, (str, Path)):  # a file: read_overflow_rules
        from sendforecast.data.local import read_overflow_rules

        source, rules = str(rules), read_overflow_rules(rules)
    rules = DEFAULT_OVERFLOW if rules is None else rules
    problems, out = [], {}
    for des, take in rules.items():
        if des not in needs:
            if rules is DEFAULT_OVERFLOW:
                continue
            problems.append(Problem(source, None, str(des), "a need of the projection: "
                                    + ", ".join(needs), str(des)))
        ok = []
        for n in take:
            if n in needs and n != des:
                ok.append(n)
            elif rules is not DEFAULT_OVERFLOW:
                problems.append(Problem(source, None, f"{des}", "another need of the "
                                        "projection: " + ", ".join(needs), str(n)))
        out[str(des)] = ok
    if problems:
        raise InputError(problems)
    return out


def _demand(proj, provision: str, phase: str, needs: list[str]) -> np.ndarray:
    """``[need, draw, year]`` children of ``provision`` in ``phase`` by need."""
    ph = phases_of_ages(proj.ages, proj.age_offset)
    mask = np.ones(len(proj.ages), bool) if phase == ALL else ph == phase
    out = np.zeros((len(needs), proj.draws.shape[0], proj.draws.shape[1]), np.int64)
    for k, s in enumerate(proj.states):
        st, _, n = s.partition(":")
        if st == provision and n in needs:
            out[needs.index(n)] += proj.draws[:, :, mask, k].sum(-1)
    return out


def _fill(demand: np.ndarray, caps: dict[str, np.ndarray], needs: list[str],
          rules: dict[str, list[str]]):
    """One provision x phase, every draw and year at once: ``placed [des] [D, H]`` and
    ``unmet [need, D, H]`` (steps 1-4 of the module docstring)."""
    rem = demand.copy()
    spare = {d: np.nan_to_num(c)[None, :].astype(np.int64) + np.zeros_like(rem[0])
             for d, c in caps.items()}
    placed = {d: np.zeros_like(rem[0]) for d in caps}
    designated = [d for d in needs if d in caps]
    for d in designated:  # 1. own need
        x = np.minimum(rem[needs.index(d)], spare[d])
        placed[d] += x
        spare[d] -= x
        rem[needs.index(d)] -= x
    for d in designated:  # 2. other needs the rules allow, in their order
        for n in rules.get(d, []):
            x = np.minimum(rem[needs.index(n)], spare[d])
            placed[d] += x
            spare[d] -= x
            rem[needs.index(n)] -= x
    if ALL in caps:  # 3. general places: any need, shared in proportion
        r = np.moveaxis(rem, 0, -1)
        x = split_integer(r, np.minimum(r.sum(-1), spare[ALL]))
        rem -= np.moveaxis(x, -1, 0)
        placed[ALL] += x.sum(-1)
    return placed, rem


def sufficiency_by_need(proj, capacity: Capacity,
                        rules: Mapping[str, Sequence[str]] | str | Path | None = None
                        ) -> NeedSufficiency:
    """Designated places against demand by need (see the module docstring).  ``proj``:
    a projection whose states are ``group:need``; ``capacity``: places by provision x
    phase x designation (``need``); only provisions and phases with a designated row are
    analysed (all their places then count, general ones too)."""
    if not proj.has_need():
        raise ValueError("sufficiency by need needs a projection whose states carry a need "
                         "(split_by_need, or a witan model by_need)")
    needs = list(dict.fromkeys(s.split(":")[1] for s in proj.states))
    rules = overflow_rules(rules, needs)
    fr = capacity.frame
    unknown = sorted(set(fr["need"]) - {ALL} - set(needs))
    if unknown:
        raise InputError([Problem(capacity.file, None, "need", "a need the projection has: "
                                  + ", ".join(needs), u) for u in unknown])
    years = list(proj.years)
    rows = []
    pp = fr[fr["need"] != ALL][["provision", "phase"]].drop_duplicates()
    for prov, ph in pp.itertuples(index=False):
        sub = fr[(fr["provision"] == prov) & (fr["phase"] == ph)]
        caps = {d: capacity.places(prov, ph, years, need=d) for d in dict.fromkeys(sub["need"])}
        dem = _demand(proj, prov, ph, needs)
        placed, unmet = _fill(dem, caps, needs, rules)
        shown = [*[d for d in needs if d in caps or dem[needs.index(d)].any()],
                 *([ALL] if ALL in caps else [])]
        for d in shown:
            cap = caps.get(d, np.zeros(len(years)))
            own = (dem.sum(0) - sum(placed[x] for x in caps if x != ALL)  # what reaches
                   if d == ALL else dem[needs.index(d)])  # the general places
            short = unmet.sum(0) if d == ALL else unmet[needs.index(d)]
            pl = placed.get(d, np.zeros_like(own))
            for i, y in enumerate(years):
                rows.append({
                    "year": y, "provision": prov, "phase": ph, "designation": d,
                    "capacity": cap[i], "demand_mean": own[:, i].mean(),
                    "demand_p10": np.quantile(own[:, i], 0.1),
                    "demand_p90": np.quantile(own[:, i], 0.9),
                    "placed_mean": pl[:, i].mean(),
                    "spare_mean": (np.nan_to_num(cap[i]) - pl[:, i]).mean(),
                    "gap_mean": cap[i] - own[:, i].mean(),
                    "shortfall_mean": short[:, i].mean(),
                    "shortfall_p90": np.quantile(short[:, i], 0.9),
                    "p_short": float((short[:, i] > 0).mean())})
    table = pd.DataFrame(rows, columns=_COLUMNS)
    return NeedSufficiency(table=table, first_full_year=_first_full(table), rules=rules)


def _first_full(t: pd.DataFrame) -> pd.DataFrame:
    """First year each provision x phase x designation with places is full (mean demand
    of its need >= its places; ``<NA>`` if never in the projection years)."""
    rows = []
    for (p, ph, d), g in t.groupby(["provision", "phase", "designation"], sort=False):
        if not (g["capacity"] > 0).any():  # needs without places of their own: see shortfall
            continue
        full = g[g["gap_mean"] <= 0]
        rows.append({"provision": p, "phase": ph, "designation": d,
                     "first_full_year": int(full["year"].iloc[0]) if len(full) else pd.NA,
                     "places_that_year": full["capacity"].iloc[0] if len(full) else np.nan,
                     "demand_mean_that_year": full["demand_mean"].iloc[0] if len(full)
                     else np.nan})
    out = pd.DataFrame(rows, columns=["provision", "phase", "designation", "first_full_year",
                                      "places_that_year", "demand_mean_that_year"])
    out["first_full_year"] = out["first_full_year"].astype("Int64")
    return out
