"""Need inputs of the need layer (:mod:`.needs`): the base January's split of each age x
state cell over primary needs, and the joiners' need mix of each age x state.

Knows: how to build a :class:`NeedInputs` from SEN2's published need shares
(:func:`sen2_need_inputs`; ``data.need_shares``: percentages by single age and by
detailed placement, one-way margins only, no age x placement x need cross-table) by
raking (iterative proportional fitting) a cell x need array to three margins: the
model's own age x state counts, the published need shares by age, and the published need
shares by placement group (detailed placements weighted by the LA's counts in them); and
from witan.send person-level transitions (:func:`witan_need_inputs`), where the base
January's needs and the joiners' needs are counted child by child.

Does not know: how the projection is drawn or split (:mod:`.model`, :mod:`.needs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sendforecast.data.taxonomy import NEEDS, placement_group
from sendforecast.errors import NotFoundError

from .inputs import ENGLAND
from .rates import NONSEND

__all__ = ["NeedInputs", "largest_remainder", "rake_needs", "sen2_need_inputs",
           "witan_need_inputs"]

#: SEN2 publishes children whose primary need is not recorded as "unknown"; it is kept as
#: a need of its own (last).
UNKNOWN = "unknown"
_RAKE_ITERATIONS = 100


@dataclass
class NeedInputs:
    """What the need layer needs besides the projection's flows.

    ``base [age, state, need]``: integer split of the base January's stock (each cell sums
    to the model's ``initial``); ``joiner_mix [age, state, need]``: the need mix of that
    cell's joiners (rows sum to 1; every need keeps its own age x placement joiner
    pattern); ``fallback [age, state, need]``: the mix used to place children in a cell
    that has none to copy from (rows sum to 1).  ``source``: where the shares came from.
    """

    needs: list[str]
    base: np.ndarray
    joiner_mix: np.ndarray
    fallback: np.ndarray
    source: dict = field(default_factory=dict)


def largest_remainder(x: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Integers ``[..., n]`` proportional to ``x`` that sum to ``totals [...]`` (largest
    remainder; ties to the first position, so deterministic).  Rows of ``x`` summing to
    0 go to position 0 (callers pass rows with mass wherever totals are positive)."""
    x = np.asarray(x, float)
    t = np.rint(np.asarray(totals, float)).astype(np.int64)
    s = x.sum(-1, keepdims=True)
    w = np.divide(x, s, out=np.zeros_like(x), where=s > 0)
    w[..., 0] = np.where(s[..., 0] > 0, w[..., 0], 1.0)
    raw = w * t[..., None]
    fl = np.floor(raw).astype(np.int64)
    left = t - fl.sum(-1)
    order = np.argsort(-(raw - fl), axis=-1, kind="stable")
    rank = np.argsort(order, axis=-1, kind="stable")
    return fl + (rank < left[..., None])


def rake_needs(cells: np.ndarray, by_age: np.ndarray, by_state: np.ndarray,
               overall: np.ndarray, iterations: int = _RAKE_ITERATIONS) -> np.ndarray:
    """Cell x need array ``X [age, state, need]`` with ``X.sum(-1) == cells`` that follows
    the need shares ``by_age [age, need]`` and ``by_state [state, need]`` (rows of ``NaN``:
    no constraint) as closely as iterative proportional fitting gets (the two one-way
    margins of published shares need not agree exactly: rounding, and different Januaries;
    the last step of every iteration restores the cells exactly; the state margin comes
    after the age margin, so it wins where they disagree - designated places are by
    placement; measured over all LAs in ``docs/cohort.md``).  ``overall [need]`` seeds
    every cell."""
    cells = np.asarray(cells, float)
    X = cells[..., None] * overall[None, None, :] + 0.0
    ta = cells.sum(1)[:, None] * by_age  # [A, N]
    tk = cells.sum(0)[:, None] * by_state  # [K, N]
    okA = ~np.isnan(ta).any(1)
    okK = ~np.isnan(tk).any(1)
    for _ in range(iterations):
        s = X.sum(1)
        f = np.divide(ta, s, out=np.ones_like(s), where=(s > 0) & okA[:, None])
        X *= np.where(okA[:, None], f, 1.0)[:, None, :]
        s = X.sum(0)
        f = np.divide(tk, s, out=np.ones_like(s), where=(s > 0) & okK[:, None])
        X *= np.where(okK[:, None], f, 1.0)[None, :, :]
        s = X.sum(-1, keepdims=True)
        X = np.where(s > 0, X * np.divide(cells[..., None], s, out=np.zeros_like(s),
                                           where=s > 0), X)
    return X


def _mix(X: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Rows of ``X`` normalised; rows without mass take ``fallback`` (broadcast)."""
    s = X.sum(-1, keepdims=True)
    fb = np.broadcast_to(fallback, X.shape)
    return np.where(s > 0, np.divide(X, s, out=np.zeros_like(X), where=s > 0), fb)


def _shares(ns: pd.DataFrame, needs: list[str]) -> pd.DataFrame:
    """Wide shares (rows: (age, placement), columns: needs), rows normalised to 1; rows
    with a missing (suppressed) share or no mass are dropped."""
    w = ns.pivot_table(index=["age", "placement"], columns="need", values="value",
                       aggfunc="first", dropna=False).reindex(columns=needs)
    w = w[w.notna().all(axis=1) & (w.sum(axis=1) > 0)]
    return w.div(w.sum(axis=1), axis=0)


def _age_shares(w: pd.DataFrame, ages: list[int]) -> np.ndarray:
    """``[age, need]`` from the rows of ``w`` with placement ``total`` (a band label such
    as ``0-2`` or ``20-25`` gives its shares to every age in it); ``NaN`` where none."""
    out = np.full((len(ages), w.shape[1]), np.nan)
    rows = w.xs("total", level="placement") if "total" in w.index.get_level_values(1) else w[:0]
    for label, v in rows.iterrows():
        if label == "all":
            continue
        lo, _, hi = str(label).partition("-")
        for a in range(int(lo), int(hi or lo) + 1):
            if a in ages:
                out[ages.index(a)] = v.to_numpy()
    return out


def _state_shares(w: pd.DataFrame, counts: pd.Series, states: list[str]) -> np.ndarray:
    """``[state, need]``: each placement group's shares, its detailed placements' shares
    weighted by the LA's counts in them (``counts``: detailed placement -> count; equal
    weights where no count); ``NaN`` for a group without published shares."""
    out = np.full((len(states), w.shape[1]), np.nan)
    rows = w.xs("all", level="age") if "all" in w.index.get_level_values(0) else w[:0]
    acc: dict[str, list] = {}
    for code, v in rows.iterrows():
        if code == "total":
            continue
        try:
            g = placement_group(code)
        except NotFoundError:
            continue
        c = counts.get(code, np.nan)
        acc.setdefault(g, []).append((1.0 if np.isnan(c) else float(c), v.to_numpy()))
    for g, parts in acc.items():
        if g not in states:
            continue
        wt = np.array([p[0] for p in parts])
        if wt.sum() <= 0:
            wt = np.ones_like(wt)
        out[states.index(g)] = (wt[:, None] * np.array([p[1] for p in parts])).sum(0) / wt.sum()
    return out


def _overall(w: pd.DataFrame, ref: pd.DataFrame | None) -> np.ndarray:
    for frame in (w, ref):
        if frame is not None and ("all", "total") in frame.index:
            return frame.loc[("all", "total")].to_numpy()
    return np.full(w.shape[1], 1.0 / w.shape[1])


def _placement_counts(frame: pd.DataFrame, la: str, year: int) -> pd.Series:
    f = frame[(frame["level"] == "la") & (frame["la_code"] == la) & (frame["year"] == year)
              & (frame["age"] == "all")]
    return f.dropna(subset=["value"]).set_index("placement")["value"]


def sen2_need_inputs(data, la: str, model) -> NeedInputs:
    """:class:`NeedInputs` of LA ``la`` for a SEN2 ``model`` (:meth:`CohortModel.from_sen2`).

    Base: the model's initial stock (January ``base_year``) raked to the LA's published
    need shares of all EHC plans by single age and by placement (the newest January that
    has them: in the 2025 release January 2025 only, so a January 2024 base borrows the
    2025 shares - a shape borrowed from a later year, as the single-age x placement shape
    is for earlier bases), then split into integers by largest remainder.  Joiners: the
    model's mean joiner mix (age x placement) raked to the need shares of new plans by
    age and by placement (newest calendar year: 2024), detailed placements weighted by the
    LA's new plans in them (latest year published).  Missing (suppressed) shares: that age
    or group is left to the other margin; an LA without any share of a scope takes
    England's.  Raises ``NotFoundError`` if the data has no need shares at all.
    """
    la = str(la)
    ns = data.need_shares
    if ns is None or ns.empty:
        raise NotFoundError("the SEN2 data has no need shares (sen_needs_all_plans.csv and "
                            "sen_need_newplans.csv of the 2025 release)")
    ns = ns[ns["need"].notna()]
    needs = [n for n in [*NEEDS, UNKNOWN] if n in set(ns["need"])]
    ages, states = list(model.ages), list(model.states)
    out, source = {}, {}
    for scope in ("all_plans", "new_plans"):
        s = ns[ns["scope"] == scope]
        own = s[(s["level"] == "la") & (s["la_code"] == la)]
        ref = s[(s["level"] == "national") & (s["la_code"] == ENGLAND)]
        use = own if not own.empty else ref
        if use.empty:
            raise NotFoundError(f"no {scope.replace('_', ' ')} need shares for LA {la} or "
                                "England")
        year = int(use["year"].max())
        w = _shares(use[use["year"] == year], needs)
        wr = _shares(ref[ref["year"] == ref["year"].max()], needs) if not ref.empty else None
        source[scope] = {"year": year, "area": la if not own.empty else ENGLAND}
        out[scope] = (w, wr)
    T = int(model.base_year)
    w, wr = out["all_plans"]
    overall = _overall(w, wr)
    base_x = rake_needs(model.initial, _age_shares(w, ages),
                        _state_shares(w, _placement_counts(data.caseload, la, T), states),
                        overall)
    wj, wjr = out["new_plans"]
    conc = np.asarray(model.joiner_conc, float)
    cells = conc / conc.sum() * 1000.0  # the mean mix (the scale does not matter)
    ny = data.new_plans
    ny = ny[(ny["la_code"] == la) & (ny["level"] == "la")]
    jyear = int(ny["year"].max()) if not ny.empty else T - 1
    join_x = rake_needs(cells, _age_shares(wj, ages),
                        _state_shares(wj, _placement_counts(data.new_plans, la, jyear), states),
                        _overall(wj, wjr))
    fallback = _mix(base_x + join_x, overall)
    return NeedInputs(needs=needs, base=largest_remainder(base_x, model.initial),
                      joiner_mix=_mix(join_x, fallback), fallback=fallback,
                      source={**source, "method": "raked to need shares by age and by "
                                                  "placement (iterative proportional fitting)"})


def witan_need_inputs(transitions: pd.DataFrame, model) -> NeedInputs:
    """:class:`NeedInputs` of a witan model without need in its states
    (:meth:`CohortModel.from_transitions`, ``by_need=False``), counted child by child:
    the base January (side 2 of the last calendar year) by academic year x setting x need,
    and the joiners of every transition year (``NONSEND`` on side 1) by the same."""
    t = transitions
    needs = sorted({str(n) for n in pd.concat([t["need_1"], t["need_2"]]).astype(str)}
                   - {NONSEND})
    ages, states = list(model.ages), list(model.states)
    A, K, N = len(ages), len(states), len(needs)

    def count(rows: pd.DataFrame) -> np.ndarray:
        x = np.zeros((A, K, N))
        for (a, s, n), v in rows.groupby(["academic_year_2", "setting_2", "need_2"]).size().items():
            if a in ages and str(s) in states and str(n) in needs:
                x[ages.index(a), states.index(str(s)), needs.index(str(n))] += v
        return x

    last = t["calendar_year"].max()
    base = count(t[(t["calendar_year"] == last) & (t["setting_2"].astype(str) != NONSEND)])
    join = count(t[(t["setting_1"].astype(str) == NONSEND)
                   & (t["setting_2"].astype(str) != NONSEND)])
    overall = (base.sum((0, 1)) + join.sum((0, 1)))
    overall = overall / max(overall.sum(), 1.0)
    fallback = _mix(base + join, _mix(base.sum(0) + join.sum(0), overall)[None])
    return NeedInputs(needs=needs, base=base.astype(np.int64),
                      joiner_mix=_mix(join, fallback), fallback=fallback,
                      source={"method": "witan.send transitions, child by child"})
