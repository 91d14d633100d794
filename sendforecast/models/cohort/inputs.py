"""SEN2 tables reshaped per area for the cohort model, cached on the data object.

Knows: how to read a :class:`~sendforecast.data.sen2.SEN2Data` (or any object with its
frames and ``placement_groups``) one area at a time - caseload by placement group and
January (:func:`group_totals`), age x placement-group cubes (:func:`age_group_cube`),
plans ceased by age and by group (:func:`ceased_parts`), new plans by year
(:func:`new_plan_totals`), the Januaries with single-age detail
(:func:`single_age_years`) - and the fixes for missing detail that the data force
(:func:`impute_missing_mix`, :func:`allocate_unrecorded`).  Each table is built for
every area at once, the first time it is asked for, and kept in a private cache on the
data object itself (:func:`data_cache`), so fitting many LAs does not rescan the
national frames and the cache goes when the data object goes.

Does not know: rates, posteriors or the model; turning these tables into the model's
parameters is :mod:`.identify`'s job.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sendforecast.data.taxonomy import PLACEMENT_GROUPS, PLACEMENT_TO_GROUP

__all__ = ["ENGLAND", "SEN2_AGES", "age_group_cube", "age_group_matrix", "age_index",
           "allocate_unrecorded", "area_rows", "breakdown_missing", "ceased_parts",
           "data_cache", "group_tables", "group_totals", "impute_missing_mix", "new_plan_totals",
           "single_age_years"]

SEN2_AGES = list(range(26))
ENGLAND = "E92000001"
_CACHE_ATTR = "_sendforecast_cohort_cache"


class _Cache(dict):
    """The tables of one data object (``owner``: its ``id``).  Copies and pickles of the
    data object start without it: a shallow copy shares the attribute but not the owner,
    and pickling (e.g. to batch workers) gives an empty cache."""

    def __init__(self, owner: int | None = None) -> None:
        super().__init__()
        self.owner = owner

    def __reduce__(self):
        return (_Cache, ())


def data_cache(data) -> dict:
    """The cache of per-area tables kept on ``data`` (a private attribute, made on first
    use): frames split by area and arrays built for all areas at once."""
    store = getattr(data, _CACHE_ATTR, None)
    if not isinstance(store, _Cache) or store.owner != id(data):
        store = _Cache(id(data))
        setattr(data, _CACHE_ATTR, store)
    return store


def area_rows(data, frame: str, level: str, code: str) -> pd.DataFrame:
    """Rows of ``data.<frame>`` for one area (``frame="groups"``: placement-group totals).

    The frames are split by ``(level, la_code)`` once per data object (cached on it), so
    fitting many LAs does not rescan the national frames.
    """
    store = data_cache(data)
    if frame not in store:
        f = (data.placement_groups("caseload", age="all") if frame == "groups"
             else getattr(data, frame))
        parts = {(str(lv), str(c)): g for (lv, c), g in
                 f.groupby(["level", "la_code"], observed=True, sort=False)}
        store[frame] = (parts, f.iloc[:0])
    parts, empty = store[frame]
    return parts.get((level, code), empty)


def group_tables(data) -> dict[tuple[str, str], pd.DataFrame]:
    """Caseload by placement group and January of every area, ``{(level, code): frame}``
    (unpublished cells NaN), built once per data object: one pivot, split by area."""
    store = data_cache(data)
    if "group_totals" not in store:
        pg = data.placement_groups("caseload", age="all")
        t = pg.groupby(["level", "la_code", "year", "placement_group"], observed=True,
                       sort=False)["value"].sum(min_count=1).unstack("placement_group")
        t = t.reindex(columns=PLACEMENT_GROUPS)
        store["group_totals"] = {(str(lv), str(c)): g.droplevel([0, 1]).sort_index()
                                 for (lv, c), g in t.groupby(level=[0, 1], sort=False)}
    return store["group_totals"]


def group_totals(data, level: str, code: str) -> pd.DataFrame:
    """Caseload by placement group (columns) and January (index) of one area."""
    t = group_tables(data).get((level, code))
    if t is None:
        return pd.DataFrame(columns=PLACEMENT_GROUPS, dtype=float).rename_axis("year")
    return t.fillna(0.0)


def age_index(label: str) -> list[int] | None:
    """Single ages a label stands for (``0-2`` -> 0, 1, 2; ``20-25`` -> 20..25)."""
    if label.isdigit():
        return [int(label)] if 0 <= int(label) <= 25 else None
    if label in ("0-2", "20-25", "under 3"):
        lo, hi = (0, 2) if label != "20-25" else (20, 25)
        return list(range(lo, hi + 1))
    return None


def ceased_parts(data, level: str, code: str) -> tuple[dict, dict]:
    """Plans ceased (any reason) of one area: ``({year: [age] counts}, {year: [group]
    counts})`` from the rows by single age (``0-2`` / ``20-25`` split evenly; labels of no
    single age count their year but no child) and by placement (a year with placement rows
    but no value has zeros).  Built for every area at once, once per data object."""
    store = data_cache(data)
    if "ceased_parts" not in store:
        ce = data.ceased
        ce = ce[ce.reason == "total"]
        by_age: dict = {}
        rows = ce[(ce.placement == "total") & (ce.age != "all")].dropna(subset=["value"])
        for (lv, c, y, age), v in rows.groupby(["level", "la_code", "year", "age"],
                                               observed=True)["value"].sum().items():
            ca = by_age.setdefault((str(lv), str(c)), {}).setdefault(int(y), np.zeros(26))
            ages = age_index(str(age))
            if ages:
                ca[ages] += v / len(ages)
        by_group: dict = {}
        gi = {g: i for i, g in enumerate(PLACEMENT_GROUPS)}
        rows = ce[(ce.placement != "total") & (ce.age == "all")]
        for (lv, c, y), _ in rows.groupby(["level", "la_code", "year"], observed=True):
            by_group.setdefault((str(lv), str(c)), {})[int(y)] = np.zeros(len(gi))
        rows = rows.assign(g=rows.placement.map(PLACEMENT_TO_GROUP)).dropna(subset=["value"])
        for (lv, c, y, g), v in rows.groupby(["level", "la_code", "year", "g"],
                                             observed=True)["value"].sum().items():
            if g in gi:
                by_group[(str(lv), str(c))][int(y)][gi[g]] += v
        store["ceased_parts"] = (by_age, by_group)
    by_age, by_group = store["ceased_parts"]
    return by_age.get((level, code), {}), by_group.get((level, code), {})


def new_plan_totals(data, level: str, code: str) -> pd.DataFrame:
    """New plans (all ages and placements) by calendar year of one area: ``year, value``
    (missing values dropped).  Built for every area at once, once per data object."""
    store = data_cache(data)
    if "new_plan_totals" not in store:
        f = data.new_plans
        f = f[(f.placement == "total") & (f.age == "all")].dropna(subset=["value"])
        store["new_plan_totals"] = (
            {(str(lv), str(c)): g.groupby("year")["value"].sum().reset_index()
             for (lv, c), g in f.groupby(["level", "la_code"], observed=True, sort=False)},
            f.groupby("year")["value"].sum().reset_index().iloc[:0])
    parts, empty = store["new_plan_totals"]
    return parts.get((level, code), empty).copy()  # the model keeps it: not the cache's


def age_group_cube(data, frame: str, level: str, code: str) -> dict[int, np.ndarray]:
    """``{year: [age, group] counts}`` from the single-age x placement rows of
    ``data.<frame>`` for one area (NaN -> 0; ``0-2`` / ``20-25`` split evenly over their
    ages).  Built for every area at once, once per data object."""
    store = data_cache(data)
    key = ("age_group_cube", frame)
    if key not in store:
        f = getattr(data, frame)
        f = f[(f.placement != "total") & (f.age != "all")]
        if frame == "ceased" and "reason" in f.columns:
            f = f[f.reason == "total"]
        f = f.assign(g=f.placement.map(PLACEMENT_TO_GROUP)).dropna(subset=["g", "value"])
        agg = (f.groupby(["level", "la_code", "year", "age", "g"], observed=True,
                         sort=False)["value"].sum().reset_index())
        amap = {lab: age_index(lab) for lab in agg["age"].astype(str).unique()}
        agg = agg[agg["age"].astype(str).map(lambda lab: amap[lab] is not None)]
        labs = agg["age"].astype(str).to_numpy()
        lens = np.array([len(amap[lab]) for lab in labs], dtype=np.int64)
        row = np.repeat(np.arange(len(agg)), lens)  # one row per single age
        ages = np.concatenate([amap[lab] for lab in labs]) if len(labs) else row
        area, areas = pd.factorize(agg["level"].astype(str) + "|" + agg["la_code"].astype(str))
        yi, yrs = pd.factorize(agg["year"].astype(int))
        gidx = agg["g"].map({g: i for i, g in enumerate(PLACEMENT_GROUPS)}).to_numpy(int)
        cube = np.zeros((len(areas), len(yrs), 26, len(PLACEMENT_GROUPS)))
        np.add.at(cube, (area[row], yi[row], ages, gidx[row]),
                  (agg["value"].to_numpy(float) / lens)[row])
        present = pd.unique(pd.Series(area * len(yrs) + yi))
        cubes: dict = {}
        for k in present:
            a, y = divmod(int(k), len(yrs))
            lv, c = areas[a].split("|", 1)
            cubes.setdefault((lv, c), {})[int(yrs[y])] = cube[a, y]
        store[key] = cubes
    return store[key].get((level, code), {})


def age_group_matrix(cube: dict[int, np.ndarray], years: Sequence[int]) -> np.ndarray:
    """``[year, age, group]`` counts of ``years`` from an :func:`age_group_cube`."""
    out = np.zeros((len(years), 26, len(PLACEMENT_GROUPS)))
    for i, y in enumerate(years):
        if y in cube:
            out[i] = cube[y]
    return out


def single_age_years(data, frame: str, level: str, code: str) -> list[int]:
    """Januaries with caseload by single year of age x placement for one area."""
    store = data_cache(data)
    key = ("single_age_years", frame)
    if key not in store:
        f = getattr(data, frame)
        digits = [a for a in f.age.unique() if str(a).isdigit()]
        f = f[f.age.isin(digits) & (f.placement != "total")]
        store[key] = {(str(lv), str(c)): sorted(int(y) for y in g.year.unique())
                      for (lv, c), g in f.groupby(["level", "la_code"], observed=True)}
    return store[key].get((level, code), [])


def breakdown_missing(totals: pd.DataFrame) -> pd.Series:
    """Januaries (index of group totals) whose placement breakdown is missing: more than
    half of a non-zero published total in no placement (see :func:`impute_missing_mix`)."""
    tot = totals.sum(axis=1)
    return (totals["not_recorded"] > 0.5 * tot) & (tot > 0)


def impute_missing_mix(totals: pd.DataFrame, T: int) -> tuple[pd.DataFrame, dict[int, int]]:
    """Group totals with the placement mix of Januaries whose breakdown is missing (more
    than half of the published total not in any placement, e.g. Hackney and
    Peterborough 2024: see :meth:`SEN2Data.placement_groups`) taken from the nearest
    January with a breakdown (an earlier one first, and none after ``T`` for years up to
    ``T``); the published total is kept.  Returns the totals and ``{imputed year: the
    January whose mix it took}``."""
    tot = totals.sum(axis=1)
    broken = breakdown_missing(totals)
    good = [int(y) for y in totals.index[~broken & (tot > 0)]]
    if not broken.any() or not good:
        return totals, {}
    out = totals.copy()
    imputed = {}
    for y in (int(v) for v in totals.index[broken]):
        cand = [g for g in good if g <= T] if y <= T else good
        if not cand:  # only later Januaries have a breakdown: do not use them at origin T
            continue
        src = min(cand, key=lambda g: (abs(g - y), g > y))
        out.loc[y] = totals.loc[src].to_numpy() / tot[src] * tot[y]
        imputed[y] = src
    return out, imputed


def allocate_unrecorded(x: np.ndarray) -> np.ndarray:
    """Counts ``[..., group]`` with the ``not_recorded`` group shared out over the recorded
    groups of the same row (age, year) in proportion to them; a row with no recorded
    child uses the recorded mix of all rows.  Totals are unchanged."""
    nr = PLACEMENT_GROUPS.index("not_recorded")
    x = np.array(x, dtype=float)
    lost = x[..., nr].copy()
    if not (lost > 0).any():
        return x
    x[..., nr] = 0.0
    overall = x.reshape(-1, x.shape[-1]).sum(0)
    if overall.sum() == 0:  # nothing recorded anywhere: keep them as they are
        x[..., nr] = lost
        return x
    rec = x.sum(-1, keepdims=True)
    share = np.where(rec > 0, x / np.where(rec > 0, rec, 1.0), overall / overall.sum())
    return x + lost[..., None] * share
