"""The result of a cohort projection and its summaries.

Knows: the projected draws ``[draw, year, age, state]`` and flows of
:meth:`~.model.CohortModel.project` and how to summarise them - tidy tables of means and
quantiles of per-draw sums by year, age, phase, year group, placement and need
(:meth:`CohortProjection.table` and its views), costs at witan unit costs, and the DfE
SCAP specialist-place shape (:meth:`CohortProjection.specialist_places`) - plus the
witan need mix that splits a setting's count over needs (:func:`witan_need_mix`).

Does not know: how the draws were made (the model and engines) or any HNB cost model
beyond witan's unit costs (:mod:`sendforecast.finance`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sendforecast.data.taxonomy import phase_of_age, phases_of_ages

from .rates import NONSEND

__all__ = ["QUANTILES", "SCAP_PHASES", "YEAR_GROUPS", "CohortProjection", "witan_need_mix"]

QUANTILES = {"p10": 0.10, "p90": 0.90, "p2_5": 0.025, "p97_5": 0.975}
SCAP_PHASES = ("primary", "secondary", "post16")
#: Academic-year groups of witan.send's reports, by national curriculum year (NCY:
#: Reception = 0, Year 1 = 1, ...): ``(label, NCY range label, lowest NCY, highest NCY)``.
#: NCY = age on 31 August - 4 (SEN2 ages) or the witan ``academic-year`` itself.
YEAR_GROUPS = (("early_years", "<=0", None, 0), ("primary", "1-6", 1, 6),
               ("secondary", "7-11", 7, 11), ("post16", "12-14", 12, 14),
               ("post19", ">=15", 15, None))


@dataclass
class CohortProjection:
    """Result of :meth:`CohortModel.project`.

    ``draws`` is ``int32 [draw, year, age, state]`` (January stock of each projection
    year); ``flows`` (when kept) holds ``leavers`` (including net transfers out) and
    ``movers`` (net in - out, by age before ageing) ``[draw, year, age, state]`` indexed
    like the stock they leave, and ``joiners`` (new plans) and ``transfers_in`` (net
    transfers in, see :func:`draw_net_transfers`) by their age and placement the next
    January: ``stock(t+1) = stock(t) + joiners + transfers_in - leavers`` in every draw.
    ``initial`` is the base January.
    """

    draws: np.ndarray
    years: list[int]
    ages: list[int]
    states: list[str]
    initial: np.ndarray
    base_year: int
    age_offset: int = 0
    specialist: dict = field(default_factory=dict)
    joiner_totals: np.ndarray | None = None
    flows: dict = field(default_factory=dict)
    decomposition: pd.DataFrame | None = None
    settings: dict = field(default_factory=dict)
    #: wall-clock times, kept apart from ``settings`` so that outputs made from the same
    #: seed and settings are byte-identical
    timings: dict = field(default_factory=dict)

    # ---------------------------------------------------------------- helpers
    def _phase(self, age: int) -> str:
        return phase_of_age(min(max(age + self.age_offset, 0), 25))

    def ncy(self, age: int) -> int:
        """National curriculum year of an ``age`` of the model's age axis.

        SEN2 models (``age_offset`` 0) have ages on 31 August, NCY = age - 4 (Reception
        = age 4 = NCY 0); witan models (``age_offset`` 4) have the witan ``academic-year``
        (already an NCY) on their age axis.
        """
        return int(age) + self.age_offset - 4

    def _year_group(self, age: int) -> str:
        n = self.ncy(age)
        for label, _, lo, hi in YEAR_GROUPS:
            if (lo is None or n >= lo) and (hi is None or n <= hi):
                return label
        raise AssertionError(n)  # the groups cover every NCY

    def _keys(self, dims: Sequence[str], axis: str) -> tuple[list[tuple], np.ndarray]:
        labels = []
        for v in self.ages if axis == "age" else self.states:
            row = []
            for d in dims:
                if d == "age":
                    row.append(v)
                elif d == "phase":
                    row.append(self._phase(v))
                elif d == "year_group":
                    row.append(self._year_group(v))
                elif d == "placement":
                    row.append(v.split(":")[0])
                elif d == "need":
                    row.append(v.split(":")[1] if ":" in v else "all")
                elif d == "provision":
                    row.append(self.specialist.get(v.split(":")[0]))
            labels.append(tuple(row))
        uniq = list(dict.fromkeys(labels))
        m = np.zeros((len(labels), len(uniq)))
        for i, lab in enumerate(labels):
            m[i, uniq.index(lab)] = 1
        return uniq, m

    def _summarise(self, agg: np.ndarray) -> dict[str, np.ndarray]:
        q = np.quantile(agg, list(QUANTILES.values()), axis=0)
        return {"mean": agg.mean(axis=0), **{k: q[i] for i, k in enumerate(QUANTILES)}}

    def table(self, by: Sequence[str] = ("year", "age", "placement")) -> pd.DataFrame:
        """Tidy summary: one row per combination of ``by`` with ``mean`` and quantiles.

        ``by`` may contain ``year`` and any of ``age``/``phase``/``year_group`` (see
        :data:`YEAR_GROUPS`) and ``placement``/``need`` (``placement`` = group or setting
        letter); other dimensions are summed over, draw by draw, before the quantiles are
        taken (quantiles of sums, so the interval of a total is that total's interval, not
        a sum of cell quantiles).
        """
        return self._table(self.draws, by)

    def _table(self, values: np.ndarray, by: Sequence[str]) -> pd.DataFrame:
        """:meth:`table` of ``values [draw, year, age, state]`` (counts, or costs)."""
        by = list(by)
        unknown = set(by) - {"year", "age", "phase", "year_group", "placement", "need"}
        if unknown:
            raise ValueError(f"unknown dimensions {sorted(unknown)}")
        adims = [d for d in by if d in ("age", "phase", "year_group")]
        sdims = [d for d in by if d in ("placement", "need")]
        akeys, ma = self._keys(adims, "age")
        skeys, ms = self._keys(sdims, "state")
        agg = np.einsum("dyak,ag,ks->dygs", values, ma, ms, optimize=True)
        if "year" not in by:
            agg = agg.sum(axis=1, keepdims=True)
        stats = self._summarise(agg)
        years = self.years if "year" in by else [None]
        idx = pd.MultiIndex.from_product([range(len(years)), range(len(akeys)), range(len(skeys))])
        out = pd.DataFrame({k: v.ravel() for k, v in stats.items()})
        cols = {}
        if "year" in by:
            cols["year"] = [years[i] for i in idx.get_level_values(0)]
        for j, d in enumerate(adims):
            cols[d] = [akeys[i][j] for i in idx.get_level_values(1)]
        for j, d in enumerate(sdims):
            cols[d] = [skeys[i][j] for i in idx.get_level_values(2)]
        res = pd.concat([pd.DataFrame(cols), out], axis=1)
        return res[[*by, "mean", *QUANTILES]]

    def by_phase(self) -> pd.DataFrame:
        """:meth:`table` by ``year, phase, placement``."""
        return self.table(("year", "phase", "placement"))

    def totals(self) -> pd.DataFrame:
        """Total caseload per projection year (mean and quantiles)."""
        return self.table(("year",))

    def by_placement(self) -> pd.DataFrame:
        """Caseload per ``year`` x ``placement`` (SEN2: placement group; witan: setting)."""
        return self.table(("year", "placement"))

    def by_year_group(self) -> pd.DataFrame:
        """Caseload per ``year`` x ``year_group`` (:data:`YEAR_GROUPS`), with its ``ncy`` range.

        Groups as in witan.send's reports, by national curriculum year: early years
        (NCY <= 0, Reception included), primary (1-6), secondary (7-11), post-16
        (12-14), post-19 (15 and over).  SEN2's ``phase`` (:meth:`by_phase`) differs at
        Reception, which it counts as primary.
        """
        t = self.table(("year", "year_group"))
        t.insert(2, "ncy", t["year_group"].map({g[0]: g[1] for g in YEAR_GROUPS}))
        return t

    def has_need(self) -> bool:
        """True when the states carry a need (witan ``by_need``: ``setting:need``)."""
        return all(":" in s for s in self.states)

    def _need_weights(self, need_mix: pd.DataFrame | None) -> tuple[list[str], np.ndarray]:
        """``(needs, W [state, need])``: each state's split over needs."""
        if self.has_need():
            needs = list(dict.fromkeys(sorted(s.split(":")[1] for s in self.states)))
            w = np.zeros((len(self.states), len(needs)))
            for k, s in enumerate(self.states):
                w[k, needs.index(s.split(":")[1])] = 1.0
            return needs, w
        if need_mix is None:
            raise ValueError("the states carry no need: give need_mix (setting, need, share), "
                             "e.g. witan_need_mix(transitions)")
        needs = sorted(need_mix["need"].astype(str).unique())
        w = np.zeros((len(self.states), len(needs)))
        mix = need_mix.assign(setting=need_mix["setting"].astype(str),
                              need=need_mix["need"].astype(str))
        for k, s in enumerate(self.states):
            rows = mix[mix["setting"] == s]
            if rows.empty or rows["share"].sum() <= 0:
                raise ValueError(f"need_mix has no shares for setting {s!r}")
            for n, sh in zip(rows["need"], rows["share"], strict=True):
                w[k, needs.index(n)] += sh
            w[k] /= w[k].sum()
        return needs, w

    def by_need(self, need_mix: pd.DataFrame | None = None) -> pd.DataFrame:
        """Caseload per ``year`` x ``need`` (mean and quantiles of the per-draw sums).

        Models with need in the state (``from_transitions(..., by_need=True)``) count the
        draws' own needs.  Otherwise each draw's count of a setting is split over needs
        with that setting's fixed ``need_mix`` (``setting, need, share``; e.g.
        :func:`witan_need_mix`: the base January's mix) - means are then exact for that
        assumption, but the intervals carry no uncertainty of the need mix itself and
        no change of it over time or with age.
        """
        needs, w = self._need_weights(need_mix)
        agg = np.einsum("dyak,kn->dyn", self.draws, w, optimize=True)
        stats = self._summarise(agg)
        out = pd.DataFrame({"year": np.repeat(self.years, len(needs)),
                            "need": needs * len(self.years),
                            **{k: v.ravel() for k, v in stats.items()}})
        return out[["year", "need", "mean", *QUANTILES]]

    def unit_costs(self, costs: pd.DataFrame, need_mix: pd.DataFrame | None = None
                   ) -> pd.Series:
        """Annual cost per child of each state, from witan ``costs`` (need, setting, cost).

        A ``setting:need`` state costs its need x setting cost; a setting (no need in
        the state) costs the mean of its need x setting costs weighted by ``need_mix``
        (see :meth:`by_need`).  A need x setting pair without a cost takes the mean
        cost of the setting's listed needs; a setting without any cost is an error.
        """
        c = costs.assign(need=costs["need"].astype(str), setting=costs["setting"].astype(str))
        table = {(n, st): float(v) for n, st, v in zip(c["need"], c["setting"], c["cost"],
                                                      strict=True)}
        setting_mean = c.groupby("setting")["cost"].mean().to_dict()
        missing = sorted({s.split(":")[0] for s in self.states} - set(setting_mean))
        if missing:
            raise ValueError(f"costs has no cost for setting(s) {', '.join(missing)}")
        needs, w = self._need_weights(need_mix)
        vals = []
        for k, s in enumerate(self.states):
            st = s.split(":")[0]
            vals.append(sum(w[k, j] * table.get((n, st), setting_mean[st])
                            for j, n in enumerate(needs) if w[k, j] > 0))
        return pd.Series(vals, index=list(self.states), name="cost")

    def base_cost(self, costs: pd.DataFrame, need_mix: pd.DataFrame | None = None) -> float:
        """Cost of the base January's (observed) caseload at :meth:`unit_costs`."""
        uc = self.unit_costs(costs, need_mix).to_numpy()
        return float((np.asarray(self.initial).sum(axis=0) * uc).sum())

    def costs(self, costs: pd.DataFrame, need_mix: pd.DataFrame | None = None,
              by: Sequence[str] = ("year",)) -> pd.DataFrame:
        """Annual cost per ``year`` (or any :meth:`table` ``by``): mean and quantiles.

        Each draw's cost is the sum over cells of count x :meth:`unit_costs`; the
        quantiles are of those per-draw sums.  Prices of the cost file (no inflation).
        """
        uc = self.unit_costs(costs, need_mix).to_numpy()
        return self._table(self.draws * uc, by)

    def specialist_places(self) -> pd.DataFrame:
        """Specialist-place demand in the shape of the DfE SCAP specialist-provision forecast.

        One row per ``year`` x ``phase`` (primary = ages 4-10, Reception to Year 6;
        secondary = 11-15, Years 7-11; post16 = 16-18, Years 12-14) x ``provision``
        (state special school, independent / non-maintained special school,
        resourced provision / SEN unit, alternative provision), with ``placement``
        (the group or setting it counts) and ``mean`` and quantiles of children with
        an EHC plan placed there.  Witan mode maps setting letters with ``specialist``
        (by default each setting's ``setting_group``).
        """
        states = [s for s in self.states if self.specialist.get(s.split(":")[0])]
        rows = []
        phases = phases_of_ages(self.ages, self.age_offset)
        for ph in SCAP_PHASES:
            sel = phases == ph
            if not sel.any():
                continue
            provs = dict.fromkeys(self.specialist.get(s.split(":")[0]) for s in states)
            for prov in provs:
                ks = [k for k, s in enumerate(self.states) if s in states
                      and self.specialist.get(s.split(":")[0]) == prov]
                agg = self.draws[:, :, sel][..., ks].sum(axis=(2, 3))
                stats = self._summarise(agg)
                places = ",".join(dict.fromkeys(self.states[k].split(":")[0] for k in ks))
                for i, y in enumerate(self.years):
                    rows.append({"year": y, "phase": ph, "provision": prov, "placement": places,
                                 **{k: float(v[i]) for k, v in stats.items()}})
        return pd.DataFrame(rows, columns=["year", "phase", "provision", "placement", "mean",
                                           *QUANTILES])


def witan_need_mix(transitions: pd.DataFrame) -> pd.DataFrame:
    """Each setting's need mix in the base January of witan transitions.

    From side 2 of the last calendar year (the base January of
    :meth:`CohortModel.from_transitions`); a setting with nobody there that January
    takes its mix over every census of the file (both sides, all years).  Returns
    ``setting, need, count, share`` (shares sum to 1 per setting).
    """
    t = transitions
    sides = [t[["setting_1", "need_1", "calendar_year"]].set_axis(["setting", "need", "y"], axis=1),
             t[["setting_2", "need_2", "calendar_year"]].set_axis(["setting", "need", "y"], axis=1)
             .assign(y=lambda d: d["y"] + 1)]
    allc = pd.concat(sides, ignore_index=True)
    allc = allc[allc["setting"].astype(str) != NONSEND].astype({"setting": str, "need": str})
    last = t["calendar_year"].max()
    base = t[(t["calendar_year"] == last) & (t["setting_2"].astype(str) != NONSEND)]
    base = base.astype({"setting_2": str, "need_2": str})
    cb = base.groupby(["setting_2", "need_2"]).size().rename_axis(["setting", "need"])
    call = allc.groupby(["setting", "need"]).size()
    rows = []
    for st in sorted(allc["setting"].unique()):
        src = cb if st in cb.index.get_level_values(0) else call
        part = src.loc[st]
        for n, v in part.items():
            rows.append({"setting": st, "need": n, "count": int(v),
                         "share": float(v) / float(part.sum())})
    return pd.DataFrame(rows, columns=["setting", "need", "count", "share"])
