"""Margin forecasts of a cohort projection: the total, the placement-group mix and the
SEN2 age-band mix one to ``H`` years ahead, and the raking that makes a projection's
draws agree with them.

Why: the cohort dynamics identified from SEN2 aggregates (:mod:`.identify`) put children
in the right cells only roughly - scored on a January it had never seen (2025), the
unanchored projection lost to carrying the January placement shares forward in every
placement group and age band (issue 15).  The margins are what SEN2 publishes every
year, so their forecasts can be backtested honestly at many origins
(``benchmarks/cohort_backtest.py``); the cohort model then only distributes each
margin over single ages and placements, and gives the spread.

Knows (pure functions on one area's history, years <= the origin only):

- :func:`band_totals`: caseload by SEN2 age band (``0-4 ... 20-25``) and January;
- :func:`log_share_drift`: the yearly change of log shares between the origin and an
  earlier January, redistributing only among categories above 0.5% (``not_recorded``
  and other excluded categories keep their share);
- :class:`ShareForecast` (shares ``h`` years ahead under a damped drift) and
  :class:`TotalForecast` (the total under damped growth pooled toward England's median
  LA growth);
- :func:`rake`: iterative proportional fitting of an ``[age, state]`` array to
  state and band totals.

The settings (pooling weights, damping, which years) are
:data:`sendforecast.models.settings.PROJECTION_SETTINGS`, chosen on backtests.
Does not know: the cohort model or its engines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .inputs import (
    age_index,
    area_rows,
    breakdown_missing,
    data_cache,
    group_tables,
    group_totals,
    impute_missing_mix,
)

__all__ = ["AGE_BANDS", "ElasticityForecast", "ShareForecast", "TotalForecast", "band_index",
           "band_totals", "damping", "england_growth", "group_elasticities", "group_history",
           "log_share_drift", "pool_shares", "rake", "total_history"]

#: SEN2's published age bands (the caseload by age of every January to 2022) and ages.
AGE_BANDS: dict[str, range] = {"0-4": range(0, 5), "5-10": range(5, 11),
                               "11-15": range(11, 16), "16-19": range(16, 20),
                               "20-25": range(20, 26)}
_MIN_SHARE = 0.005


def band_index(ages) -> np.ndarray:
    """Index into :data:`AGE_BANDS` of each age."""
    out = np.empty(len(ages), int)
    for i, a in enumerate(ages):
        out[i] = next(j for j, r in enumerate(AGE_BANDS.values()) if a in r)
    return out


def _band_of_label(label: str) -> str | None:
    """The band of a caseload age label: a band itself, or the band of the single ages
    :func:`~.inputs.age_index` reads it as (``0-2``, ``under 3``, ``7``, ...)."""
    if label in AGE_BANDS:
        return label
    ages = age_index(label)
    return list(AGE_BANDS)[band_index(ages[:1])[0]] if ages else None


def band_totals(data, level: str, code: str) -> pd.DataFrame:
    """Caseload by SEN2 age band (columns) and January (index) of one area; Januaries
    without an age breakdown (2023 in the 2025 release) are absent, and ``20-25`` is 0
    before plans could run past 19 (2015)."""
    store = data_cache(data)
    if "band_totals" not in store:
        c = data.caseload
        c = c[(c.placement == "total") & (c.age != "all")].dropna(subset=["value"])
        labels = c.age.astype(str)
        bands = labels.map({lab: _band_of_label(lab) for lab in labels.unique()})
        c = c.assign(band=bands).dropna(subset=["band"])
        t = (c.groupby(["level", "la_code", "year", "band"], observed=True)["value"].sum()
             .unstack("band").reindex(columns=list(AGE_BANDS)).fillna(0.0))
        store["band_totals"] = {(str(lv), str(cd)): g.droplevel([0, 1]).sort_index()
                                for (lv, cd), g in t.groupby(level=[0, 1], sort=False)}
    t = store["band_totals"].get((level, code))
    return (pd.DataFrame(columns=list(AGE_BANDS), dtype=float).rename_axis("year")
            if t is None else t)


def total_history(data, level: str, code: str) -> pd.Series:
    """Published total caseload by January of one area."""
    cl = area_rows(data, "caseload", level, code)
    cl = cl[(cl.placement == "total") & (cl.age == "all")].dropna(subset=["value"])
    return cl.groupby("year")["value"].sum().astype(float).sort_index()


def england_growth(data, origin: int) -> float:
    """Median over LAs of the log growth of the total caseload into January ``origin``
    (the pooling target of :class:`TotalForecast`), cached on ``data``."""
    store = data_cache(data)
    key = ("england_growth", int(origin))
    if key not in store:
        c = data.caseload
        c = c[(c.level == "la") & (c.placement == "total") & (c.age == "all")
              & c.year.isin([origin - 1, origin])].dropna(subset=["value"])
        w = c.pivot_table(index="la_code", columns="year", values="value", aggfunc="sum",
                          observed=True)
        g = np.log(w[origin] / w[origin - 1]) if {origin - 1, origin} <= set(w.columns) \
            else pd.Series(dtype=float)
        g = g.replace([np.inf, -np.inf], np.nan).dropna()
        store[key] = float(g.median()) if len(g) else 0.0
    return store[key]


def damping(h: int, phi: float) -> float:
    """``phi + phi**2 + ... + phi**h``: how many years of drift ``h`` years ahead carry."""
    return float(sum(phi ** i for i in range(1, int(h) + 1)))


def log_share_drift(history: pd.DataFrame, origin: int, years: int = 1,
                    exclude: tuple[str, ...] = ("not_recorded",)) -> np.ndarray:
    """Yearly change of the log share of each column between January ``origin`` and the
    available January nearest to ``origin - years`` (before it), or zeros.

    Only columns above 0.5% of the total in both Januaries and not in ``exclude`` drift,
    and their drift is centred so that together they keep their combined share: a
    category that appears or disappears in the recording (e.g. ``not_recorded``) does
    not move the others.
    """
    h = history[history.index <= origin]
    cols = list(history.columns)
    if origin not in h.index:
        return np.zeros(len(cols))
    prev = [int(y) for y in h.index if y < origin]
    if not prev:
        return np.zeros(len(cols))
    y1 = min(prev, key=lambda y: (abs(origin - y - years), -y))
    s1, s2 = (_shares(h.loc[y]) for y in (y1, origin))
    ok = (s1 > _MIN_SHARE) & (s2 > _MIN_SHARE) & ~np.isin(cols, list(exclude))
    d = np.zeros(len(cols))
    if ok.any():
        d[ok] = (np.log(s2[ok]) - np.log(s1[ok])) / (origin - y1)
        d[ok] -= np.log(np.sum(s2[ok] * np.exp(d[ok])) / np.sum(s2[ok]))
    return d


def _shares(row) -> np.ndarray:
    v = np.nan_to_num(np.asarray(row, float)).clip(0)
    return v / max(v.sum(), 1e-12)


def pool_shares(own, reference, weight) -> np.ndarray:
    """Each category with a weight ``w > 0`` takes ``(1 - w) x own's share + w x the
    reference's``; together these are rescaled to keep their combined own share, so a
    category with weight 0 (e.g. ``not_recorded``, a recording artefact) keeps its own
    share exactly.  ``own`` and ``reference``: counts or shares of the same categories
    (a missing reference category, NaN, is not pooled); ``weight``: one per category, or
    one for all, in [0, 1].  Own's shares as they are when the reference has no counts
    or own has none.

    Why: an LA's January share of a small category is partly chance (a few children
    placed or recorded differently) that does not last; pooling part of its distance from
    England's share lowers the one-year-ahead error of the mix
    (``benchmarks/mix_pooling.py``)."""
    s = _shares(own)
    w = np.array(np.broadcast_to(np.asarray(weight, float), s.shape))
    if np.any(~np.isfinite(w) | (w < 0) | (w > 1)):
        raise ValueError(f"pooling weights must lie in [0, 1], got {w.tolist()}")
    raw = np.asarray(reference, float)
    w[~np.isfinite(raw)] = 0.0
    r = np.nan_to_num(raw).clip(0)
    if r.sum() <= 0 or s.sum() <= 0:
        return s
    pooled = w > 0
    x = np.where(pooled, (1 - w) * s + w * r / r.sum(), s)
    mass, new = s[pooled].sum(), x[pooled].sum()
    if new > 0:
        x[pooled] *= mass / new
    return x


@dataclass(frozen=True)
class ShareForecast:
    """Shares of ``categories`` ``h`` years after the origin: ``base * exp(drift *
    damping(h, phi))``, renormalised (drift per year, log scale)."""

    categories: tuple[str, ...]
    base: np.ndarray
    drift: np.ndarray
    phi: float

    @classmethod
    def fit(cls, own: pd.DataFrame, reference: pd.DataFrame | None, origin: int, *,
            base: np.ndarray | None = None, pool: float = 0.0, years: int = 1,
            phi: float = 0.5) -> ShareForecast:
        """From an area's history ``own`` (and its reference area's): the drift is
        ``pool * own drift + (1 - pool) * reference drift``; ``base`` defaults to the
        shares of January ``origin`` in ``own``."""
        d_own = log_share_drift(own, origin, years)
        d_ref = d_own if reference is None or reference.empty else \
            log_share_drift(reference, origin, years)
        b = _shares(own.loc[origin]) if base is None else _shares(base)
        return cls(tuple(own.columns), b, pool * d_own + (1 - pool) * d_ref, float(phi))

    def shares(self, h: int, growth: float = 0.0) -> np.ndarray:
        """Shares ``h`` years ahead (``growth``, the total's log growth, is not used)."""
        s = self.base * np.exp(self.drift * damping(h, self.phi))
        return s / max(s.sum(), 1e-12)

    def level_response(self, h: int, growth: float, error) -> np.ndarray:
        """Factors ``[draw, category]`` of each category's count when the total is off
        its forecast by the log ``error`` of each draw: the shares do not follow the
        total, so every category moves with it (``exp(error)``).  ``error``: one per draw
        (a scalar is one draw)."""
        e = np.atleast_1d(np.asarray(error, float))[:, None]
        return np.broadcast_to(np.exp(e), (len(e), len(self.categories))).copy()

    def as_dict(self) -> dict:
        return {"method": "drift", "categories": list(self.categories),
                "base": self.base.round(6).tolist(), "drift": self.drift.round(6).tolist(),
                "phi": self.phi}


@dataclass(frozen=True)
class ElasticityForecast:
    """Shares of ``categories`` when each category's count grows with the total:
    ``log c(h) = log c(0) + gamma * damping(h, phi) + beta * log(total(h) / total(0))``,
    renormalised.  ``beta`` (elasticity) and ``gamma`` (drift) are fitted across LAs
    (:func:`group_elasticities`): state special schools, bound by places, grew about a
    fifth as fast as an LA's caseload (beta 0.19-0.24 at origins 2020 and 2023), so
    their share falls fastest where the caseload grows fastest."""

    categories: tuple[str, ...]
    base: np.ndarray
    beta: np.ndarray
    gamma: np.ndarray
    phi: float

    def shares(self, h: int, growth: float = 0.0) -> np.ndarray:
        """Shares ``h`` years ahead when the total has grown by ``growth`` (log)."""
        s = _shares(self.base) * np.exp(self.gamma * damping(h, self.phi)
                                        + self.beta * growth)
        return s / max(s.sum(), 1e-12)

    def level_response(self, h: int, growth: float, error) -> np.ndarray:
        """Factors ``[draw, category]`` of each category's count when the total is off
        its forecast by the log ``error`` of each draw, as the mix responds to the
        total's growth: ``exp(error) x shares(h, growth + error) / shares(h, growth)``,
        to first order ``exp((1 + beta - sum(shares x beta)) x error)``: a state special
        count (beta 0.2-0.44 at origins 2018-2024) moves about half as far as the total.
        Weighted by the shares, the factors add up to ``exp(error)`` exactly.  ``error``:
        one per draw (a scalar is one draw)."""
        e = np.atleast_1d(np.asarray(error, float))[:, None]
        s = _shares(self.base)[None] * np.exp(self.gamma * damping(h, self.phi)
                                              + self.beta * (growth + e))
        s /= np.maximum(s.sum(1, keepdims=True), 1e-12)
        s0 = self.shares(h, growth)[None]
        return np.exp(e) * np.divide(s, s0, out=np.ones_like(s), where=s0 > 0)

    def as_dict(self) -> dict:
        return {"method": "elasticity", "categories": list(self.categories),
                "base": _shares(self.base).round(6).tolist(),
                "beta": self.beta.round(4).tolist(), "gamma": self.gamma.round(5).tolist(),
                "phi": self.phi}


def group_elasticities(data, origin: int, years: int = 1, min_count: float = 20.0,
                       level: str = "la") -> tuple[np.ndarray, np.ndarray]:
    """``(beta, gamma)`` per placement group: weighted least squares across LAs of the
    group's log growth on the LA total's log growth, over the changes into Januaries
    ``origin - years + 1 .. origin`` (weights: the group's earlier count; counts below
    ``min_count`` and Januaries with no placement breakdown left out; growth clipped to
    +-0.5).  ``not_recorded`` and groups with fewer than 20 usable LAs get ``(1, 0)``:
    their share is carried forward.  Cached on ``data``."""
    from sendforecast.data.taxonomy import PLACEMENT_GROUPS

    store = data_cache(data)
    key = ("group_elasticities", level, int(origin), int(years), float(min_count))
    if key in store:
        return store[key]
    tables = {c: t for (lv, c), t in group_tables(data).items() if lv == level}
    K = len(PLACEMENT_GROUPS)
    beta, gamma = np.ones(K), np.zeros(K)
    xs, ys, ws = [[] for _ in range(K)], [[] for _ in range(K)], [[] for _ in range(K)]
    for t in tables.values():
        t = t.fillna(0.0)
        ok = ~breakdown_missing(t)
        tot = t.sum(axis=1)
        for y in range(origin - years + 1, origin + 1):
            if y not in t.index or y - 1 not in t.index or not (ok[y] and ok[y - 1]):
                continue
            if tot[y] <= 0 or tot[y - 1] <= 0:
                continue
            g_t = np.clip(np.log(tot[y] / tot[y - 1]), -0.5, 0.5)
            a, b = t.loc[y].to_numpy(float), t.loc[y - 1].to_numpy(float)
            for k in np.nonzero((a >= min_count) & (b >= min_count))[0]:
                xs[k].append(g_t)
                ys[k].append(np.clip(np.log(a[k] / b[k]), -0.5, 0.5))
                ws[k].append(b[k])
    for k, g in enumerate(PLACEMENT_GROUPS):
        if g == "not_recorded" or len(xs[k]) < 20:
            continue
        x, yv, w = (np.asarray(v, float) for v in (xs[k], ys[k], ws[k]))
        X = np.column_stack([np.ones_like(x), x]) * np.sqrt(w)[:, None]
        coef, *_ = np.linalg.lstsq(X, yv * np.sqrt(w), rcond=None)
        gamma[k], beta[k] = coef
    store[key] = (beta, gamma)
    return store[key]


@dataclass(frozen=True)
class TotalForecast:
    """Total caseload ``h`` years after the origin: ``base * exp(growth * damping(h,
    phi))`` with ``growth = pool * own last growth + (1 - pool) * median LA growth``."""

    base: float
    growth: float
    phi: float

    @classmethod
    def fit(cls, totals: pd.Series, origin: int, reference_growth: float, *,
            base: float | None = None, pool: float = 0.5, phi: float = 1.0
            ) -> TotalForecast:
        """From an area's published totals to January ``origin``; ``base`` (default
        the January ``origin`` total) is the level the growth applies to."""
        t = totals[totals.index <= origin]
        own = (np.log(t[origin] / t[origin - 1]) if {origin - 1, origin} <= set(t.index)
               and t[origin - 1] > 0 and t[origin] > 0 else reference_growth)
        b = float(t[origin]) if base is None else float(base)
        return cls(b, float(pool * own + (1 - pool) * reference_growth), float(phi))

    def total(self, h: int) -> float:
        return self.base * float(np.exp(self.growth * damping(h, self.phi)))

    def as_dict(self) -> dict:
        return {"base": self.base, "growth": round(self.growth, 6), "phi": self.phi}


def rake(x: np.ndarray, state_totals: np.ndarray, band_totals_: np.ndarray,
         bands: np.ndarray, iterations: int = 50, tol: float = 1e-9) -> np.ndarray:
    """``x [age, state]`` scaled by iterative proportional fitting so that its state
    totals are ``state_totals`` and its age-band totals (``bands``: the band of each
    age) are ``band_totals_``.  Cells that are 0 stay 0; a state or band with no cell to
    scale keeps 0.  Both target vectors are rescaled to the same total first."""
    x = np.asarray(x, float).copy()
    st = np.asarray(state_totals, float).clip(0)
    bt = np.asarray(band_totals_, float).clip(0)
    tot = st.sum()
    if tot <= 0 or x.sum() <= 0:
        return x
    use_bands = bt.sum() > 0  # no band targets (no children with an age): states only
    bt = bt * tot / max(bt.sum(), 1e-12)
    nb = len(bt)
    for _ in range(iterations):
        cs = x.sum(0)
        x *= np.divide(st, cs, out=np.ones_like(cs), where=cs > 0)[None, :]
        if not use_bands:
            break
        bs = np.bincount(bands, weights=x.sum(1), minlength=nb)
        f = np.divide(bt, bs, out=np.ones_like(bs), where=bs > 0)
        x *= f[bands][:, None]
        if np.abs(x.sum(0) - st).max() <= tol * max(tot, 1.0):
            break
    return x


def group_history(data, level: str, code: str, origin: int) -> pd.DataFrame:
    """Placement-group totals of one area to January ``origin``, with the mix of
    Januaries whose breakdown is missing taken from the nearest earlier one."""
    t = group_totals(data, level, code)
    t = t[t.index <= origin]
    return impute_missing_mix(t, origin)[0] if len(t) else t
