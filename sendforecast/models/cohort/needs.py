"""The need layer: a cohort projection's draws split by primary need, child by child.

Knows: :func:`split_by_need` - given a projection made with ``keep_flows=True`` and the
:class:`~.need_inputs.NeedInputs` of its area, it follows every draw's flows year by
year with a need on every child: the base January's children carry their need; leavers
leave at random within their cell (multivariate hypergeometric: no need-specific leaving
rates are published); movers take their need with them; joiners and net transfers in
get a need from their cell's mix (the joiners' need mix of their age x placement; the
mix of the continuing children of the cell); the anchoring's change of a cell (see
:meth:`~.model.CohortModel._anchor`) removes children at random or adds them with the
cell's own need mix.  Summing over needs gives back the projection's draws exactly, cell
by cell; the result is a :class:`~.projection.CohortProjection` with ``state:need``
states, so every summary works on it.  And :func:`need_table`, the year x need x phase x
placement-group table.

The engine exposes each cell's *net* movers, not who went where, so movers are taken as
the minimal flows: at each age the children leaving a cell whose movers are negative are
drawn at random from its continuing children, pooled, and dealt at random to the cells
whose movers are positive (this is how :mod:`.identify` infers moves in the first place).

Does not know: how the draws were made (:mod:`.model`) or where the need shares come
from (:mod:`.need_inputs`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .need_inputs import NeedInputs
from .need_kernel import need_year
from .projection import QUANTILES, CohortProjection

__all__ = ["need_table", "split_by_need"]


def split_by_need(proj: CohortProjection, inputs: NeedInputs, seed=None,
                  keep_flows: bool = False) -> CohortProjection:
    """``proj``'s draws split by need: a projection with ``state:need`` states (see the
    module docstring).  ``proj`` must have been made with ``keep_flows=True`` and without
    need in its states; ``inputs`` must match its ages and states.  ``seed`` seeds the
    need draws (the same seed gives the same split; default: one derived from the
    projection's seed).  ``keep_flows``: keep the flows by
    need too (the identity ``stock(t+1) = aged-on stock(t) - leavers + movers + joiners +
    transfers in + calibration`` then holds need by need)."""
    f = proj.flows
    if not f or "leavers" not in f:
        raise ValueError("split_by_need needs a projection made with keep_flows=True")
    if proj.has_need():
        raise ValueError("the projection's states already carry a need")
    D, H, A, K = proj.draws.shape
    N = len(inputs.needs)
    if inputs.base.shape != (A, K, N):
        raise ValueError(f"need inputs are for {inputs.base.shape[:2]} age x state cells, "
                         f"the projection has {(A, K)}")
    if seed is None and proj.settings.get("seed") is not None:  # the projection's own
        # a plain integer, so that the recorded seed reproduces the split
        seed = int(np.random.SeedSequence(proj.settings["seed"], spawn_key=(17,))
                   .generate_state(1)[0])
    rng = np.random.default_rng(seed)
    cal = f.get("calibration")
    i32 = (D, A, K, N)
    raw = np.broadcast_to(inputs.base.astype(np.int32), i32).copy()
    new, anchored, left, moved, tin, join = (np.zeros(i32, np.int32) for _ in range(6))
    out = np.zeros((D, H, A, K, N), np.int32)
    kept = {k: np.zeros((D, H, A, K, N), np.int32) for k in f} if keep_flows else {}
    delta = np.zeros((D, A, K), np.int64)  # anchored - unanchored stock of last January
    dn_prev = np.zeros(i32, np.int32)
    for h in range(H):
        leave = f["leavers"][:, h].astype(np.int64)
        leave[:, -1] -= delta[:, -1]  # the unanchored leavers (see CohortModel.project)
        d_new = np.zeros_like(delta)
        if cal is not None:  # the anchoring's change, aged on like the stock
            d_new[:, 0] = cal[:, h, 0]
            d_new[:, 1:] = cal[:, h, 1:] + delta[:, :-1]
        need_year(np.uint64(rng.integers(2 ** 63)), raw, leave,
                  f["movers"][:, h].astype(np.int64), f["transfers_in"][:, h].astype(np.int64),
                  f["joiners"][:, h].astype(np.int64), d_new, inputs.joiner_mix,
                  inputs.fallback, new, anchored, left, moved, tin, join)
        out[:, h] = anchored
        if keep_flows:  # as the model's flows (CohortModel.project): the identity holds
            dn = anchored - new  # need by need
            kept["leavers"][:, h] = left
            kept["leavers"][:, h, -1] += dn_prev[:, -1]  # the age-25 limit
            kept["movers"][:, h] = moved
            kept["joiners"][:, h] = join
            kept["transfers_in"][:, h] = tin
            if cal is not None:
                kept["calibration"][:, h] = dn
                kept["calibration"][:, h, 1:] -= dn_prev[:, :-1]
            dn_prev = dn
        raw, new = new, raw
        delta = d_new
    states = [f"{s}:{n}" for s in proj.states for n in inputs.needs]
    return CohortProjection(
        draws=out.reshape(D, H, A, K * N), years=list(proj.years), ages=list(proj.ages),
        states=states, initial=inputs.base.reshape(A, K * N).astype(float),
        base_year=proj.base_year, age_offset=proj.age_offset, specialist=dict(proj.specialist),
        joiner_totals=proj.joiner_totals,
        flows={k: v.reshape(D, H, A, K * N) for k, v in kept.items()},
        settings={**proj.settings, "need": {"needs": list(inputs.needs), "seed": _jsonable(seed),
                                            "source": inputs.source}},
        timings=dict(proj.timings))


def need_table(proj: CohortProjection) -> pd.DataFrame:
    """Caseload per ``year, need, phase, placement_group`` (mean and quantiles of per-draw
    sums) of a projection with ``state:need`` states (:func:`split_by_need`, or a witan
    model ``by_need``).  ``placement_group``: the SEN2 placement group, or a witan setting's
    ``setting_group`` (the model's ``specialist`` map; the setting letter without one)."""
    if not proj.has_need():
        raise ValueError("the projection's states carry no need (see split_by_need)")
    t = proj.table(("year", "need", "phase", "placement"))
    if proj.settings.get("mode") == "witan":
        t["placement"] = t["placement"].map(lambda s: proj.specialist.get(s) or s)
    t = t.rename(columns={"placement": "placement_group"})
    if t.duplicated(["year", "need", "phase", "placement_group"]).any():  # settings pooled
        return _pool_groups(proj)
    return t[["year", "need", "phase", "placement_group", "mean", *QUANTILES]]


def _pool_groups(proj: CohortProjection) -> pd.DataFrame:
    """:func:`need_table` when several witan settings share a group: sums per draw."""
    groups = [proj.specialist.get(s.split(":")[0]) or s.split(":")[0] for s in proj.states]
    labels = [f"{g}:{s.split(':')[1]}" for g, s in zip(groups, proj.states, strict=True)]
    uniq = list(dict.fromkeys(labels))
    m = np.zeros((len(labels), len(uniq)))
    for i, lab in enumerate(labels):
        m[i, uniq.index(lab)] = 1
    pooled = CohortProjection(draws=np.einsum("dyak,kg->dyag", proj.draws, m),
                              years=proj.years, ages=proj.ages, states=uniq,
                              initial=proj.initial @ m, base_year=proj.base_year,
                              age_offset=proj.age_offset)
    t = pooled.table(("year", "need", "phase", "placement")).rename(
        columns={"placement": "placement_group"})
    return t[["year", "need", "phase", "placement_group", "mean", *QUANTILES]]


def _jsonable(seed):
    return seed.entropy if isinstance(seed, np.random.SeedSequence) else seed
