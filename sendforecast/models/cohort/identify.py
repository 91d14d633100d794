"""SEN2 identification: a cohort model's stock, leaving, joiners' mix and moves from aggregates.

Knows: the identification assumptions of :meth:`~.model.CohortModel.from_sen2`
(``docs/cohort.md`` states them in full) - the base January's stock by age x placement
group, leaving rates by age and group at the LA's net leaving level, the joiners' age x
group mix, and the minimal placement moves between consecutive ages
(:func:`sen2_parts`); the area the LA's rates are pooled toward (:func:`reference_area`,
England, else the region, else the LA itself; the region first with
``PROJECTION_SETTINGS["pool_toward"] = "region"``); and the beta / Dirichlet posteriors pooled
toward it (:func:`pooled_posteriors`, with :mod:`.rates`).

Does not know: how the tables are cut per area (:mod:`.inputs`) or how the posteriors
are sampled and projected (:mod:`.parameters`, the engines).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sendforecast.data.taxonomy import PLACEMENT_GROUPS, phase_of_age

from . import rates as R
from .inputs import (
    ENGLAND,
    SEN2_AGES,
    age_group_cube,
    age_group_matrix,
    allocate_unrecorded,
    area_rows,
    ceased_parts,
    data_cache,
    group_totals,
    impute_missing_mix,
    new_plan_totals,
    single_age_years,
)

__all__ = ["POOL_TOWARD", "has_caseload", "phase_list", "pooled_posteriors", "reference_area",
           "reference_parts", "sen2_parts", "transport"]


def phase_list(ages: Sequence[int]) -> list[str]:
    """The SEN2 phase of each age (the pooling groups of the rates)."""
    return [phase_of_age(a) for a in ages]


def transport(cont: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Minimal flows ``[from, to]`` turning composition ``cont`` into ``target`` (same total)."""
    K = len(cont)
    flows = np.zeros((K, K))
    tot = cont.sum()
    if tot <= 0 or target.sum() <= 0:
        np.fill_diagonal(flows, cont)
        return flows
    target = target * tot / target.sum()
    d = target - cont
    out = np.clip(-d, 0, None)
    inn = np.clip(d, 0, None)
    if inn.sum() > 0:
        flows = np.outer(out, inn / inn.sum())
    np.fill_diagonal(flows, cont - out)
    return flows


def has_caseload(data, level: str, code: str, T: int) -> bool:
    cl = area_rows(data, "caseload", level, code)
    return bool(((cl.year == T) & cl.value.notna()).any())


#: The areas an LA's rates can be pooled toward (``PROJECTION_SETTINGS["pool_toward"]``).
POOL_TOWARD = ("england", "region")


def reference_area(data, la: str, T: int, prefer: str = "england") -> tuple[str, str, str]:
    """Area whose rates the LA's are pooled toward: England, else its region, else itself
    (``prefer="region"``: its region, else England, else itself).

    Returns ``(level, code, note)``.  Synthetic or partial data (e.g.
    :func:`sendforecast.load_example`) may have no national or region rows; then the
    pooling level is skipped and the LA is its own reference (priors centred on its
    own rates, every placement move allowed), which the note records.
    """
    if prefer not in POOL_TOWARD:
        raise ValueError(f"pool_toward must be one of {POOL_TOWARD}, not {prefer!r}")
    las = getattr(data, "las", None)
    region = None
    if las is not None and "region_code" in las.columns:
        r = las.loc[(las.level == "la") & (las.la_code == la), "region_code"].dropna()
        region = str(r.iloc[0]) if len(r) else None

    def has_region() -> bool:
        return bool(region) and has_caseload(data, "region", region, T)

    if prefer == "region" and has_region():
        return "region", region, f"pooled toward region {region}"
    if has_caseload(data, "national", ENGLAND, T):
        return "national", ENGLAND, "pooled toward England" + (
            f" (no rows for its region in {T})" if prefer == "region" else "")
    if has_region():
        return "region", region, f"no England rows for {T}: pooled toward region {region}"
    return "la", la, (f"no England or region rows for {T}: England level skipped, "
                      "rates pooled toward the LA's own (all moves allowed)")


def sen2_parts(data, level: str, code: str, T: int, unrecorded: str = "keep") -> dict:
    """Stock, leaving probabilities, joiner mix and inferred moves for one area at January T."""
    K = len(PLACEMENT_GROUPS)
    totals, imputed = impute_missing_mix(group_totals(data, level, code), T)
    # ---- age x group profiles: the area's own single-age Januaries whose placement
    # detail covers at least half of the published total; else England's shape
    sa_years = single_age_years(data, "caseload", level, code)
    cube = age_group_cube(data, "caseload", level, code)
    pub = totals.sum(axis=1)
    sa_years = [y for y in sa_years if y in cube
                and cube[y].sum() >= 0.5 * (pub[y] if y in pub.index else 0.0)]
    own = bool(sa_years)
    if own:
        profiles = age_group_matrix(cube, sa_years)
    else:  # no usable single age for this area: borrow England's shape
        sa_years = single_age_years(data, "caseload", "national", ENGLAND)
        profiles = age_group_matrix(age_group_cube(data, "caseload", "national", ENGLAND),
                                     sa_years)
    if not sa_years:
        raise ValueError(f"no caseload by single age x placement for {level} {code} or England")
    if unrecorded == "allocate":  # "placement not recorded" is missing data, not a placement
        profiles = allocate_unrecorded(profiles)
        totals = pd.DataFrame(allocate_unrecorded(totals.to_numpy(float)),
                              index=totals.index, columns=totals.columns)

    def stock_at(year: int) -> np.ndarray:
        if own and year in sa_years:  # published single age x placement
            return profiles[sa_years.index(year)]
        # the area's group totals spread over ages with the nearest profile's shape
        j = int(np.argmin([abs(y - year) for y in sa_years]))
        prof = profiles[j]
        shape = prof / np.maximum(prof.sum(0, keepdims=True), 1e-12)
        gt = totals.loc[year].to_numpy() if year in totals.index else prof.sum(0)
        missing = prof.sum(0) <= 0  # a group with no children in the profile year
        if missing.any():
            allage = prof.sum(1) / max(prof.sum(), 1e-12)
            shape[:, missing] = allage[:, None]
        return shape * gt[None, :]

    initial = stock_at(T)
    # ---- leaving
    ceased_age, ceased_group = ceased_parts(data, level, code)
    age_years = sorted(ceased_age)
    cy = max([y for y in age_years if y < T], default=max(age_years, default=None))
    leave_age = np.full(26, np.nan)
    ref_stock = stock_at(cy) if cy is not None else initial
    if cy is not None:
        ca = ceased_age[cy]
        n_age = ref_stock.sum(1)
        ca = _shape_top_band(ca, n_age)
        leave_age = np.where(n_age > 0, ca / np.maximum(n_age, 1e-9), np.nan)
    fill = np.nanmean(leave_age) if np.isfinite(leave_age).any() else 0.08
    leave_age = np.clip(np.nan_to_num(leave_age, nan=fill), 0.002, 0.95)
    p = np.broadcast_to(leave_age[:, None], (26, K)).copy()
    if cy in ceased_group:
        gl = ceased_group[cy]
        expected = (p * ref_stock).sum(0)
        f = np.where(expected > 5, (gl + 1) / (expected + 1), 1.0).clip(0.2, 5)
        p = p * f[None, :]
    # overall level: the *net* leaving rate of the last (up to) 3 years before T, from the
    # accounting identity  leavers = stock(t) + new plans(t) - stock(t+1), which nets off
    # flows SEN2 does not count as new plans or ceased (transfers in from other LAs)
    hist = new_plan_totals(data, level, code)
    newp = hist.set_index("year")["value"]
    ctot = totals.sum(axis=1)
    net = [(ctot[t] + newp[t] - ctot[t + 1]) / ctot[t] for t in range(T - 3, T)
           if t in ctot.index and t + 1 in ctot.index and t in newp.index and ctot[t] > 0]
    if net:
        level_now = max(float(np.mean(net)), 0.005)
        level_ref = (p * ref_stock).sum() / max(ref_stock.sum(), 1e-9)
        if level_ref > 0:
            p = p * (level_now / level_ref)
    p = p.clip(0.001, 0.95)
    p = _top_band_floor(p, initial, ctot, T)
    p[25] = 0.95
    # ---- joiners
    mix_cube = age_group_cube(data, "new_plans", level, code)
    mix_years = sorted(mix_cube)
    use = [y for y in mix_years if y < T] or mix_years[-1:]
    mix_counts = age_group_matrix(mix_cube, use).sum(0) if use else np.zeros((26, K))
    if unrecorded == "allocate":
        mix_counts = allocate_unrecorded(mix_counts)
    # ---- moves (minimal flows between consecutive ages)
    mix_p = mix_counts / max(mix_counts.sum(), 1e-9)
    recent = hist[hist.year < T]["value"]
    jmean = float(recent.iloc[-1]) if len(recent) else 0.0
    exp_j = jmean * mix_p
    moves = np.zeros((26, K, K))
    pairs = [(profiles[i], profiles[i + 1], True) for i in range(len(sa_years) - 1)
             if sa_years[i + 1] == sa_years[i] + 1 and sa_years[i + 1] <= max(T, sa_years[0] + 1)]
    if not pairs:
        pr = stock_at(T)
        pairs = [(pr, pr, False)]
    for s0, s1, _cohort in pairs:
        cont = s0 * (1 - p)
        for a in range(25):
            tgt = np.clip(s1[a + 1] - exp_j[a + 1], 0, None)
            moves[a] += transport(cont[a], tgt)
    moves /= len(pairs)
    return {"initial": initial, "stock": initial, "leave_p": p, "mix_counts": mix_counts,
            "moves": moves, "joiner_history": hist,
            "profile_years": sa_years if own else f"England {sa_years}",
            "imputed_mix_years": imputed,
            "ceased_age_year": cy, "mix_years": use}


def _top_band_floor(p: np.ndarray, stock: np.ndarray, totals: pd.Series, T: int,
                    min_children: float = 20.0) -> np.ndarray:
    """Leaving at ages 20-24 at least what the January stock's fall from one age to the
    next implies: of ``n(a)`` children at age a, at most ``n(a+1) * (1 + g)`` are there a
    year later (``g``: the caseload's last yearly growth, 0-20%, as younger cohorts are
    larger), so ``P(leave) >= 1 - n(a+1) (1 + g) / n(a)`` where ``n(a) >= min_children``.
    The net-leaving scaling spreads one level over every age and had left three in four
    children of 24 in place for age 25 (issue 15)."""
    n = stock.sum(1)
    g = 0.0
    if T in totals.index and T - 1 in totals.index and totals[T - 1] > 0:
        g = float(np.clip(totals[T] / totals[T - 1] - 1, 0.0, 0.2))
    out = p.copy()
    for a in range(20, 25):
        if n[a] >= min_children:
            floor = 1 - min(1.0, n[a + 1] * (1 + g) / n[a])
            out[a] = np.maximum(out[a], min(floor, 0.95))
    return out


def _shape_top_band(ca: np.ndarray, n_age: np.ndarray) -> np.ndarray:
    """Plans ceased at 20-25, published only as "20 and over" (split evenly by
    :func:`~.inputs.ceased_parts`), shared over the single ages by the January stock's
    fall from each age to the next (everyone left at 25 ceases): January 2024 England
    has 2,100 at 24 and 325 at 25, so most plans that reach 24 end there, while an even
    split had let three in four go on to 25 (issue 15: 1,517 projected at 25 against 371
    published)."""
    top = ca[20:26]
    n = n_age[20:26]
    if n.sum() <= 0 or top.sum() <= 0 or np.ptp(top) > 1e-9 * max(top.max(), 1.0):
        return ca  # published by single age (or nothing to share)
    drop = np.append(np.clip(n[:-1] - n[1:], 0, None), n[-1])
    if drop.sum() <= 0:
        return ca
    out = ca.copy()
    out[20:26] = top.sum() * drop / drop.sum()
    return out


def reference_parts(data, level: str, code: str, T: int, unrecorded: str = "keep") -> dict:
    """:func:`sen2_parts` of a reference area (England or a region), cached on ``data``:
    every LA of a batch pools toward the same one."""
    store = data_cache(data)
    key = ("reference_parts", level, code, T, unrecorded)
    if key not in store:
        store[key] = sen2_parts(data, level, code, T, unrecorded)
    return store[key]


def pooled_posteriors(loc: dict, ref: dict, *, allow_all_moves: bool, leave_strength: float,
                      move_strength: float, mix_strength: float) -> dict[str, np.ndarray]:
    """Posterior parameters of an LA from its :func:`sen2_parts` ``loc``, pooled toward
    those of its reference area ``ref``: ``leave_a, leave_b [age, group]`` (beta, toward
    the reference's rate of the same cell), ``joiner_conc [age, group]`` (Dirichlet
    toward the reference's mix) and ``move_conc [age, from, to]`` (Dirichlet toward the
    LA's phase and all-age flows and the reference's flows; only moves seen in the
    reference area - all moves with ``allow_all_moves`` - and into cells that exist)."""
    groups = phase_list(SEN2_AGES)
    # leaving: beta pooled toward the reference area's (usually England's) cell rate
    la_, lb_ = R.pooled_beta(loc["leave_p"] * loc["stock"], loc["stock"], groups,
                             prior_mean=ref["leave_p"], strength=leave_strength)
    # joiners' mix: Dirichlet toward the reference area's mix
    valid = (ref["stock"] > 0) | (ref["mix_counts"] > 0)
    nmix = ref["mix_counts"] / ref["mix_counts"].sum()
    jconc = R.dirichlet_posterior(loc["mix_counts"].ravel(), nmix.ravel(), mix_strength,
                                  allowed=valid.ravel(), floor=1e-6).reshape(valid.shape)
    # moves: Dirichlet toward the LA's phase and all-age flows and the reference's flows
    dest_ok = np.vstack([valid[1:], valid[-1:]])
    eye = np.eye(len(PLACEMENT_GROUPS), dtype=bool)[None]
    allowed = (ref["moves"] > 0) | eye
    if allow_all_moves:  # no wider area to say which moves happen: allow all of them
        allowed = np.ones_like(allowed)
    allowed &= dest_ok[:, None, :] | eye
    ref_mix = ref["moves"].sum(0, keepdims=True)
    ref_mix = ref_mix / np.maximum(ref_mix.sum(-1, keepdims=True), 1e-12)
    mconc = R.pooled_dirichlet(loc["moves"], groups, allowed=allowed, prior_probs=ref_mix,
                               strength=move_strength)
    return {"leave_a": la_, "leave_b": lb_, "move_conc": mconc, "joiner_conc": jconc}
