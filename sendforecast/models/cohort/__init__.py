"""Cohort stock-flow projection by age x placement (x need) with Monte Carlo uncertainty.

State: children with an EHC plan at each January, by age (SEN2: age 0-25; witan.send:
academic year) x *state* (a placement group, a witan setting letter, or
``setting:need``).  One projection year, for every draw at once (numpy, no loop per
child or per cell):

1. **leavers** ~ Binomial(stock[age, state], p_leave[age, state]); the top age
   always leaves (the age-25 limit);
2. **movers**: the children who continue go to a destination state ~
   Multinomial(p_move[age, state, :]) (staying included); drawn as a binomial for
   staying and a multinomial over the other destinations for the non-zero cells;
3. **ageing on**: everyone who continues is one year older next January;
4. **joiners**: the year's joiner total (by default a damped log-linear trend -
   see :meth:`CohortModel.joiner_draws` - or a supplied forecast) split over
   age x state by Multinomial(mix).

Sampling engine: steps 1, 2 and 4 run in numba kernels (``cache=True``; compiled once
per checkout in ~6 s, then loaded in ~1 s) looping over draws x cells; a vectorised
numpy fallback (``_step_numpy``) is used when numba is missing or ``_ENGINE = "numpy"``.
Random numbers in the kernels: every step takes three seeds from the projection's
``numpy.random.Generator`` (so a seed fixes every draw and different seeds differ), and
each (draw, cell) of the step - each draw, for the joiners - runs its own SplitMix64
stream started at a hash of the seed and the cell.  No numba global RNG state is used.
The per-cell streams are common random numbers: a scenario that changes some cells'
counts leaves every other cell's draws unchanged, so baseline-vs-strategy differences
carry far less process noise than with one shared stream.  Binomials are exact
(inversion, numpy's algorithm) where ``n p (1-p) < 10`` and a clipped rounded
skew-corrected (Cornish-Fisher) normal above (the normal deviate: the AS 241 quantile
of one uniform), within 0.25% total variation of the binomial (as in the numpy path);
cells of at most ``SMALL_CELL`` (8) children draw each
child's fate (leave, move to a destination, stay) from one uniform; in bigger cells
those who leave or move ~ Binomial, and up to ``FEW_MOVERS`` (16) of them each get
their fate (leave or a destination) from one uniform, else leavers ~ Binomial and the
movers' destinations mover by mover or by conditional binomials; joiners by placement
group with sequential binomials, then by age from Walker alias tables (32-bit
uniforms, probabilities resolved to 2**-32) or, for large groups, conditional binomials.
All are exact multinomials: the two engines have the same distributions but not the
same random streams.

Parameter uncertainty: each draw uses its own ``p_leave`` ~ Beta, ``p_move`` ~
Dirichlet and ``mix`` ~ Dirichlet (posteriors of :mod:`sendforecast.models.rates`)
and its own joiner-trend coefficients; process uncertainty: the binomial and
multinomial counts.  Year-to-year variation of the rates (``year_effects``, see
:func:`draw_year_effects`): in each draw and projection year, each placement group's
leaving probabilities and its *intake* (the joiners' mix weight of the group and every
move into it) are multiplied by mean-one log-normal effects, AR(1) over the years; the
most likely outcome of each choice (usually staying put; among joiners the largest
group, usually mainstream) is not multiplied but takes what the others leave, so every
flow keeps its mean in each step (that outcome varies through the others' effects).
One more year effect acts on the whole LA (``year_effects["net"]``, see
:func:`draw_net_transfers`): a net transfer rate per draw and year, independent over
the years - positive, every child has that extra chance of leaving; negative, every
cell gains children in that proportion (transfers in, placed like the cell's
continuing children) - the year-to-year noise of SEN2's *net* leaving (transfers
between LAs, late or corrected records), which per-group effects average away in the
total caseload.
Without them the rates of a draw are fixed over time and the intervals were far too
narrow on backtests (the 80% interval covered 25-65% of published counts at horizon 1);
SEN2 models carry effects calibrated on rolling-origin backtests of all LAs
(:data:`SEN2_YEAR_EFFECTS`).  The effects are drawn from the projection's generator
before any count, so scenarios with the same seed share them (paired draws).  By
construction, in every draw ``stock(t+1) = stock(t) + joiners + transfers in -
leavers`` and movers net to zero.

Identification from SEN2 aggregates (:meth:`CohortModel.from_sen2`) - the
assumptions, stated plainly:

- *Stock by age x group at the base January*: taken as published when the SEN2
  release has single age x placement for that year (real data: January 2024 only);
  otherwise each group's published total is spread over ages with that group's age
  profile from the nearest year that has one (for the real data, 2024 - so the age
  split of earlier Januaries borrows the 2024 shape; group totals are exact).
  ``"0-2"`` is split evenly over ages 0, 1, 2.  A January whose published placement
  breakdown is missing (more than half of the total in no placement: Hackney and
  Peterborough 2024, Redcar and Cleveland 2023, Stockton-on-Tees 2016, Darlington
  2013) keeps its published total with the mix of the nearest January up to the base
  January that has one (none: kept as published), and a single-age profile without
  a breakdown is replaced by
  England's shape (``settings["imputed_mix_years"]``, ``settings["profile_years"]``).
  Children whose placement is "not recorded" are a state of their own by default
  (``unrecorded="allocate"`` shares them over the recorded placements instead).
- *Leaving*: the age shape of leaving is ceased-by-age / stock-by-age in the
  latest year with ceased by age (real data: calendar 2023, with stock by age for
  January 2023 approximated by the age profile above scaled to the 2023 total);
  the placement shape is ceased-by-placement / group stock the same year
  (``p[a, g] = r[a] * f[g]``); the overall level is the ceased total of the last
  calendar year before the base January over the caseload of the January before.
  Leavers are counted from the January stock (within-year joiners who cease in
  the same year are ignored).  Rates are beta posteriors pooled toward the phase,
  the LA and England's rate for the same cell.
- *Joiners*: new plans in calendar year y join the stock of January y + 1 at their
  age at the start of the plan (``"20-25"`` split evenly); their age x group mix is
  the LA's new plans by age x placement (real data: 2022-2023), a Dirichlet
  posterior pooled toward England's mix.
- *Movers*: from each pair of consecutive single-age Januaries (or, when the data
  have only one, the cross-section read as a pseudo-cohort, i.e. assuming
  the placement mix by age is stable over time), the children continuing from age a
  (stock minus expected leavers) must become the stock at age a + 1 minus expected
  joiners; the *minimal* flows doing that are inferred (groups whose share falls
  send to groups whose share rises, in proportion to the rises).  Net placement
  shifts are identified, gross two-way moves are not.  These flows are the counts
  of a Dirichlet posterior pooled toward the phase, the LA's all-age mix and
  England's flows, so every move seen anywhere in England keeps a non-zero
  probability.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sendforecast.data.taxonomy import PLACEMENT_GROUPS, SPECIALIST_PROVISION, phase_of_age
from sendforecast.defaults import DEFAULT_SEED
from sendforecast.errors import InputError, NotFoundError, Problem, SendForecastWarning
from . import rates as R

__all__ = ["PARAM_SETS", "YEAR_GROUPS", "CohortModel", "CohortProjection", "QUANTILES",
           "SEN2_YEAR_EFFECTS", "draw_net_transfers", "draw_year_effects", "witan_need_mix"]

QUANTILES = {"p10": 0.10, "p90": 0.90, "p2_5": 0.025, "p97_5": 0.975}
SEN2_AGES = list(range(26))
ENGLAND = "E92000001"
# Year effects of SEN2 models (see :func:`draw_year_effects` and :func:`draw_net_transfers`):
# sd of the log multiplier of each placement group's leaving and intake (PLACEMENT_GROUPS
# order; both flows of a group share it), their AR(1) coefficient over years, and the sd
# of the LA-wide net transfer rate.  Chosen by benchmarks/cohort_calibration.py on
# rolling-origin backtests of all LAs (origins January 2018-2023; results in
# benchmarks/results/cohort_calibration.md): first the net transfer sd makes the mean of
# the total caseload's 80% and 95% horizon-1 coverage 87.5% (it was 62 / 78 without it,
# 80 / 94 with it; 71 / 89 and 68 / 84 at horizons 2 and 3, from 55 / 71 and 56 / 73);
# then each group's sd does the same for the group, capped at 0.6 (a mean-one log-normal
# with a larger sd has most of its mean in rare huge multipliers); rho is the most
# stationary of 0 / 0.5 / 0.75 / 1 within 0.5 points of the best coverage gap at
# horizons 2-3 (state and independent special, the groups below the cap).  Horizon-1
# coverage of the chosen values (80% / 95%): state special 83 / 94, independent special
# 82 / 93, mainstream 77 / 88, resourced provision 72 / 82; post-16 FE (58 / 74),
# specialist post-16, educated elsewhere and not recorded stay too narrow at the cap -
# their published counts jump with reporting changes.  Out of sample (values chosen on
# origins 2018-2021 - net sd 0.041, state special 0.30, independent special 0.52 -
# benchmarks/results/cohort_calibration_fit2018-2021.md), the horizon-1 coverage of the
# January 2023 and 2024 outcomes was total caseload 76 / 91, state special 83 / 94,
# independent special 77 / 91, mainstream 65 / 80, resourced provision 66 / 77 (without
# year effects 56 / 75, 40 / 57, 47 / 65, 54 / 69, 34 / 49).
_SD = (0.6, 0.6, 0.28, 0.56, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6)
SEN2_YEAR_EFFECTS = {"leave": _SD, "intake": _SD, "rho": 0.5, "net": 0.043}
SCAP_PHASES = ("primary", "secondary", "post16")
#: Academic-year groups of witan.send's reports, by national curriculum year (NCY:
#: Reception = 0, Year 1 = 1, ...): ``(label, NCY range label, lowest NCY, highest NCY)``.
#: NCY = age on 31 August - 4 (SEN2 ages) or the witan ``academic-year`` itself.
YEAR_GROUPS = (("early_years", "<=0", None, 0), ("primary", "1-6", 1, 6),
               ("secondary", "7-11", 7, 11), ("post16", "12-14", 12, 14),
               ("post19", ">=15", 15, None))
# Parameter sets (posterior draws of the rates) of a projection by default: with 1,000
# draws each set serves 4 draws, each with its own year effects, joiner totals and
# binomial counts.  Measured with benchmarks/cohort_param_sets.py (results/
# cohort_param_sets.md; 5 LAs, 1,000 draws, 20 seeds): the Monte Carlo sd of the projected
# mean and quantiles (2.5% to 97.5%, total and placement groups, horizons 1, 5, 10) is,
# in the median over those statistics, 1.01-1.07 times that of one set per draw (single
# statistics scatter more: 10th-90th percentiles 0.76-1.62, mostly the sampling error of
# 20 seeds) - the rates' posterior is a small part of a projection's spread - while a
# quarter of the sets are drawn and held (when this default came in, all LAs x 1,000
# draws x 10 years went from 420 to 291 ms of CPU per LA, -31%).
PARAM_SETS = 250
_NATIONAL_CACHE: dict = {}


# ===================================================================== projection
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
        for i, v in enumerate(self.ages if axis == "age" else self.states):
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
            labels.append(tuple(row) if axis == "age" or True else i)
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
        phases = np.array([self._phase(a) for a in self.ages])
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
    allc = allc[allc["setting"].astype(str) != R.NONSEND].astype({"setting": str, "need": str})
    last = t["calendar_year"].max()
    base = t[(t["calendar_year"] == last) & (t["setting_2"].astype(str) != R.NONSEND)]
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


# ========================================================================= model
@dataclass
class CohortModel:
    """Posterior parameters of a cohort stock-flow model; see the module docstring.

    Build with :meth:`from_sen2` or :meth:`from_transitions`; run :meth:`project`.
    Arrays: ``initial [age, state]``, ``leave_a/leave_b [age, state]`` (beta),
    ``move_conc [age, from, to]`` (Dirichlet), ``joiner_conc [age, state]``
    (Dirichlet over the joiners' mix).  ``joiner_history`` has ``year`` (calendar
    year of the flow, joining the next January) and ``value`` (and ``population``).
    """

    ages: list[int]
    states: list[str]
    base_year: int
    initial: np.ndarray
    leave_a: np.ndarray
    leave_b: np.ndarray
    move_conc: np.ndarray
    joiner_conc: np.ndarray
    joiner_history: pd.DataFrame
    population: pd.DataFrame | None = None  # year, population (exposure of joiners)
    age_offset: int = 0
    specialist: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    year_effects: dict | None = None  # see draw_year_effects; None: rates fixed over years

    # ------------------------------------------------------------------ witan
    @classmethod
    def from_transitions(cls, transitions: pd.DataFrame, population: pd.DataFrame | None = None,
                         valid_states: pd.DataFrame | None = None, by_need: bool = False,
                         specialist: dict | None = None, year_effects: dict | None = None,
                         **priors) -> CohortModel:
        """Model from witan.send person-level transitions (``read_transitions`` output).

        ``population`` (``read_witan_population`` output) makes joiners a rate per
        population of the modelled academic years.  The base January is the side-2
        census of the last calendar year.  ``specialist`` maps setting letters to a
        provision label (default: the ``setting_group`` of ``valid_states``).
        ``year_effects``: a spec for :func:`draw_year_effects` (default ``None``: the
        witan rates are pooled over the transition years and the SEN2 calibration is by
        placement group, not by setting letter; pass e.g. ``{"leave": 0.3, "intake":
        0.3, "rho": 0.5}`` for year-to-year variation of each setting's flows).
        """
        c = R.witan_counts(transitions, by_need=by_need)
        r = R.witan_rates(c, valid_states, **priors)
        years = c["years"]
        hist = pd.DataFrame({"year": years, "value": c["joiners"].sum(axis=(1, 2))})
        pop = None
        if population is not None:
            p = population[population["academic_year"].between(c["ages"][0], c["ages"][-1])]
            pop = (p.groupby("calendar_year")["population"].sum().rename_axis("year")
                   .reset_index())
            pop["year"] = pop["year"] - 1  # flow year y joins the January of y + 1
        if specialist is None and valid_states is not None:
            specialist = dict(zip(valid_states["setting"], valid_states["setting_group"],
                                  strict=True))
        return cls(ages=c["ages"], states=c["states"], base_year=years[-1] + 1,
                   initial=c["last_stock"], leave_a=r["leave_a"], leave_b=r["leave_b"],
                   move_conc=r["move_conc"], joiner_conc=r["joiner_conc"], joiner_history=hist,
                   population=pop, age_offset=4, specialist=specialist or {},
                   year_effects=year_effects,
                   settings={"mode": "witan", "by_need": by_need, "priors": priors,
                             "transition_years": years})

    # ------------------------------------------------------------------- SEN2
    @classmethod
    def from_sen2(cls, data, la: str, base_year: int | None = None,
                  population: pd.DataFrame | None = None, *, leave_strength: float = 10.0,
                  move_strength: float = 5.0, mix_strength: float = 50.0,
                  unrecorded: str = "keep",
                  year_effects: dict | str | None = "calibrated") -> CohortModel:
        """Model of one LA from SEN2 aggregates (see the module docstring for assumptions).

        ``base_year`` is the last January used (default: the LA's latest caseload);
        data after it are not used except for the *shapes* that exist only in later
        years (age x placement stock and ceased by age), as documented.
        ``population``: ``read_population`` output (``age, year, population``; rows of
        other LAs dropped when it has ``la_code``) - joiners become a rate per
        population aged 0-25.
        ``unrecorded``: ``"keep"`` (default) projects children whose placement is not
        recorded as a state of their own, as published; ``"allocate"`` shares them out
        over the recorded placements of the same age (and year) in proportion, before
        any rate is estimated - for place planning, where every child needs a place.
        On the backtests ``"allocate"`` was *not* more accurate (origin 2018, the other
        year with many unrecorded placements: state special WAPE 6.5% vs 5.4%,
        independent special 16.5% vs 16.3%), so it is not the default.
        ``year_effects``: ``"calibrated"`` (default: :data:`SEN2_YEAR_EFFECTS`, the
        year-to-year variation of each group's flows calibrated on backtests), a spec
        for :func:`draw_year_effects`, or ``None`` (rates fixed over the years of a
        draw: intervals then cover far too little - 25-65% of outcomes at the 80%
        level on the backtests).
        """
        la = str(la)
        if not (_single_age_years(data, "caseload", "la", la)  # the age x placement shape
                or _single_age_years(data, "caseload", "national", ENGLAND)):
            raise InputError(Problem(
                "SEN2 data", None, None,
                f"EHC plan caseload by single year of age with a placement breakdown for a "
                f"recent January, for LA {la} or England (the 2025 release's caseload.csv "
                "supplies it: load it too, e.g. load_sen2(release_2025, release_2022))",
                "caseload by age band or by placement only"))
        totals = _group_totals(data, "la", la)
        if totals.empty:
            raise NotFoundError(f"no caseload by placement for LA {la!r}")
        T = int(totals.index.max()) if base_year is None else int(base_year)
        if T not in totals.index:
            raise NotFoundError(f"no caseload for LA {la} in January {T}")
        ref_level, ref_code, ref_note = _reference_area(data, la, T)
        if isinstance(year_effects, str):
            if year_effects != "calibrated":
                raise ValueError(f"year_effects must be 'calibrated', a dict or None, not "
                                 f"{year_effects!r}")
            year_effects = dict(SEN2_YEAR_EFFECTS)
        if unrecorded not in ("allocate", "keep"):
            raise ValueError(f"unrecorded must be 'allocate' or 'keep', not {unrecorded!r}")
        loc = _sen2_parts(data, "la", la, T, unrecorded)
        if T in loc["imputed_mix_years"]:
            warnings.warn(f"LA {la}: January {T} has no published placement breakdown; its "
                          f"total ({totals.loc[T].sum():,.0f}) is split with the placement mix "
                          f"of January {loc['imputed_mix_years'][T]}", SendForecastWarning,
                          stacklevel=2)
        if isinstance(loc["profile_years"], str):
            warnings.warn(f"LA {la}: no usable single-age x placement January; ages within "
                          f"each placement group follow {loc['profile_years']}",
                          SendForecastWarning, stacklevel=2)
        if ref_level == "la":  # no England / region rows: pool toward the LA itself
            nat = loc
        else:
            key = (id(data), ref_level, ref_code, T, unrecorded)
            if key not in _NATIONAL_CACHE:
                _NATIONAL_CACHE.clear()
                _NATIONAL_CACHE[key] = _sen2_parts(data, ref_level, ref_code, T, unrecorded)
            nat = _NATIONAL_CACHE[key]
        groups = _phase_list(SEN2_AGES)
        # leaving: beta pooled toward England's cell rate
        la_, lb_ = R.pooled_beta(loc["leave_p"] * loc["stock"], loc["stock"], groups,
                                 prior_mean=nat["leave_p"], strength=leave_strength)
        # joiners' mix: Dirichlet toward England's mix
        valid = (nat["stock"] > 0) | (nat["mix_counts"] > 0)
        nmix = nat["mix_counts"] / nat["mix_counts"].sum()
        jconc = R.dirichlet_posterior(loc["mix_counts"].ravel(), nmix.ravel(), mix_strength,
                                      allowed=valid.ravel(), floor=1e-6).reshape(valid.shape)
        # moves: Dirichlet toward the LA's phase and all-age flows and England's flows
        dest_ok = np.vstack([valid[1:], valid[-1:]])
        allowed = (nat["moves"] > 0) | np.eye(len(PLACEMENT_GROUPS), dtype=bool)[None]
        if ref_level == "la":  # no wider area to say which moves happen: allow all of them
            allowed = np.ones_like(allowed)
        allowed &= dest_ok[:, None, :] | np.eye(len(PLACEMENT_GROUPS), dtype=bool)[None]
        nat_mix = nat["moves"].sum(0, keepdims=True)
        nat_mix = nat_mix / np.maximum(nat_mix.sum(-1, keepdims=True), 1e-12)
        mconc = R.pooled_dirichlet(loc["moves"], groups, allowed=allowed, prior_probs=nat_mix,
                                   strength=move_strength)
        pop = None
        if population is not None:
            p = population
            if "la_code" in p.columns:
                p = p[p["la_code"].astype(str) == la]
            pop = p.groupby("year")["population"].sum().rename_axis("year").reset_index()
        return cls(ages=SEN2_AGES, states=list(PLACEMENT_GROUPS), base_year=T,
                   initial=loc["initial"], leave_a=la_, leave_b=lb_, move_conc=mconc,
                   joiner_conc=jconc, joiner_history=loc["joiner_history"], population=pop,
                   age_offset=0, specialist=dict(SPECIALIST_PROVISION),
                   year_effects=year_effects,
                   settings={"mode": "sen2", "la": la, "base_year": T,
                             "reference": {"level": ref_level, "code": ref_code,
                                           "note": ref_note},
                             "profile_years": loc["profile_years"],
                             "imputed_mix_years": loc["imputed_mix_years"],
                             "ceased_age_year": loc["ceased_age_year"],
                             "mix_years": loc["mix_years"], "unrecorded": unrecorded,
                             "priors": {"leave_strength": leave_strength,
                                        "move_strength": move_strength,
                                        "mix_strength": mix_strength}})

    # ---------------------------------------------------------------- project
    def joiner_draws(self, years: int, draws: int, rng: np.random.Generator,
                     joiners=None) -> np.ndarray:
        """Total joiners ``[draw, year]`` for flow years ``base_year .. base_year+years-1``.

        ``joiners``: ``None`` or ``"damped"`` (default: damped log-linear trend of
        :func:`~sendforecast.models.rates.damped_trend`, growth estimated on the last 6
        years and damped by ``phi = 0.8`` a year toward zero growth, per population when
        there is one - an undamped trend compounds the 2018-2023 growth of new plans
        into implausible 10-year caseloads); ``"loglinear"`` (the undamped trend of
        :func:`~sendforecast.models.rates.loglinear_trend`); a forecast frame with
        ``year`` (calendar year of new plans), ``mean``, ``p10``, ``p90`` (log-normal
        draws matching the mean and the 80% interval; rows of other LAs dropped when
        it has ``la_code``); a callable ``f(rng, draws, years) -> [draw, year]``; or
        an array ``[draw, year]`` / ``[year]``.
        """
        fyears = list(range(self.base_year, self.base_year + years))
        if joiners is None or isinstance(joiners, str):
            kind = joiners or "damped"
            if kind not in ("damped", "loglinear"):
                raise ValueError(f"unknown joiner trend {joiners!r} (damped or loglinear)")
            trend = R.damped_trend if kind == "damped" else R.loglinear_trend
            h = self.joiner_history
            h = h[h["year"] < self.base_year]
            if self.population is not None:
                pop = self.population.set_index("year")["population"]
                h = h[h["year"].isin(pop.index)]
                fut = [pop.get(y, pop.iloc[-1]) for y in fyears]
                return trend(h["year"], h["value"], fyears, draws, rng,
                             exposure=pop.reindex(h["year"]).to_numpy(), future_exposure=fut)
            return trend(h["year"], h["value"], fyears, draws, rng)
        if isinstance(joiners, pd.DataFrame):
            f = joiners
            if "la_code" in f.columns and "la" in self.settings:
                f = f[f["la_code"].astype(str) == self.settings["la"]]
            f = f.set_index("year").reindex(fyears)
            if f["mean"].isna().any():
                missing = [y for y, m in zip(fyears, f["mean"], strict=True) if pd.isna(m)]
                raise ValueError(f"joiner forecast has no rows for years {missing}")
            mean = f["mean"].to_numpy(float).clip(1e-9)
            sig = (np.log(f["p90"].to_numpy(float).clip(1e-9))
                   - np.log(f["p10"].to_numpy(float).clip(1e-9))) / (2 * 1.2815515655446004)
            sig = np.maximum(sig, 0)
            z = rng.standard_normal((draws, 1))  # persistent over years (a level error)
            lam = mean * np.exp(sig * z - sig**2 / 2)
            return rng.poisson(lam).astype(np.int64)
        if callable(joiners):
            out = np.asarray(joiners(rng, draws, fyears))
        else:
            out = np.asarray(joiners)
        out = np.broadcast_to(out, (draws, years)) if out.ndim == 1 else out
        if out.shape != (draws, years):
            raise ValueError(f"joiner draws must have shape ({draws}, {years}), got {out.shape}")
        return np.rint(out).astype(np.int64)

    def project(self, years: int = 10, draws: int = 1000, seed: int | None = DEFAULT_SEED,
                joiners=None,
                param_draws: int | None = None, keep_flows: bool = True,
                adjust=None) -> CohortProjection:
        """Monte Carlo projection of the Januaries ``base_year+1 .. base_year+years``.

        ``param_draws``: number of parameter sets (posterior draws of the leaving, moving
        and joiners' mix rates; default :data:`PARAM_SETS` = 250, or ``draws`` if fewer);
        draw ``d`` uses set ``d % param_draws`` and has its own year effects, joiner
        totals and binomial counts.  The rates' posterior is a small part of the spread
        of a projection: with 250 sets the Monte Carlo sd of the quantiles is, in the
        median over statistics, 1.01-1.07 times that of one set per draw
        (benchmarks/results/cohort_param_sets.md), with a quarter of the parameter draws.
        ``keep_flows``: keep the ``leavers``, ``movers``, ``joiners`` and
        ``transfers_in`` arrays (see :class:`CohortProjection`).
        ``adjust``: a :class:`sendforecast.scenarios.base.FlowAdjustments` (scenarios):
        joiner multipliers, leaving multipliers and redirects of joiners/movers between
        placements.  Parameter draws and joiner totals use the same random numbers with
        or without it (paired draws); the redirects draw from a separate stream.
        """
        t0 = time.perf_counter()
        rng = np.random.default_rng(seed)
        A, K, D, H = len(self.ages), len(self.states), int(draws), int(years)
        AK = A * K
        P = min(PARAM_SETS, D) if param_draws is None else max(1, min(int(param_draws), D))
        jt = self.joiner_draws(H, D, rng, joiners)
        if adjust is not None and adjust.is_null:
            adjust = None
        rng_s = None
        if adjust is not None:
            if adjust.horizon < H or list(adjust.states) != list(self.states):
                raise ValueError("flow adjustments were built for another model or horizon")
            jt = np.rint(jt * adjust.joiner_scale[None, :H]).astype(jt.dtype)
            rng_s = np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0])
        pidx = np.arange(D) % P
        p_leave = rng.beta(np.maximum(self.leave_a, 1e-9), np.maximum(self.leave_b, 1e-9),
                           size=(P, A, K))
        p_leave[:, -1, :] = 1.0  # everyone at the top age leaves (age 25 limit)
        p_stay, dest, cdf = _move_parameters(self.move_conc, P, rng)
        # joiners' mix: Dirichlet over the cells with positive concentration (gamma
        # variates for those cells only, largest concentration first)
        jc = self.joiner_conc.ravel()
        jcols = np.argsort(-jc, kind="stable")[: int((jc > 0).sum())]
        m = rng.standard_gamma(jc[jcols], size=(P, jcols.size), dtype=np.float32)
        tot = m.sum(-1, keepdims=True)
        m = np.where(tot > 0, m / np.where(tot > 0, tot, 1), jc[jcols] / jc[jcols].sum())
        # per-parameter-set arrays, flat over (age, state): leaving (pl), leaving or
        # moving (q)
        pl = p_leave.reshape(P, AK).astype(np.float32)
        ps = p_stay.reshape(P, AK)

        def leave_or_move(pl_):
            return np.where(ps >= 1, pl_, np.maximum(1 - (1 - pl_) * ps, pl_)).clip(0, 1)

        dest_f = dest.reshape(AK, -1)
        cdf_f = cdf.reshape(P, AK, -1)
        mfull = np.zeros((P, AK))
        mfull[:, jcols] = m
        eff = draw_year_effects(self.year_effects, D, H, K, rng)  # [D, H, 2, K] or None
        evar = year_effect_variance(self.year_effects, H, K)  # [H, 2, K]
        net = draw_net_transfers(self.year_effects, D, H, rng)  # [D, H] or None
        kernel = _numba_kernel() if _ENGINE == "numba" else None
        if kernel is not None:  # the kernels index the parameter sets: no per-draw copies
            step_k, _, join_k, arrive_k = kernel
            gw = mfull.reshape(P, A, K).sum(1)  # joiners' group weights [P, K]
            cond = mfull.reshape(P, A, K).transpose(0, 2, 1) / np.where(gw > 0, gw, 1)[..., None]
            cond[gw <= 0] = 1.0 / A  # never used (the group gets no joiners)
            j_tables = _joiner_tables(cond, self.joiner_conc)
            # the kernels' random streams: hashes of these seeds and the cell / draw
            seeds = rng.integers(0, 2**63, size=(H, 3), dtype=np.uint64)
            no_eff, no_net = np.ones((0, 2, K)), np.zeros(0)
            # output buffers reused from step to step: fresh pages are dear on virtual
            # machines (all LAs in two processes: ~10% less CPU); the joiners' two
            # buffers alternate, as one of them is the stock of the next step
            step_buf = np.empty((3, D, AK), np.int32)
            join_buf = np.empty((2, D, AK), np.int32)
            arrive_buf = np.empty((D, AK), np.int32) if net is not None else None
        else:
            age_of = np.repeat(np.arange(A), K)
            cond_f = _cond_from_cdf(cdf_f) if eff is None else None  # else per draw and year

        out = np.zeros((D, H, A, K), np.int32)
        flows = {k: np.zeros((D, H, A, K), np.int32)
                 for k in ("leavers", "movers", "joiners", "transfers_in")} if keep_flows else {}
        stock = np.broadcast_to(np.rint(self.initial).astype(np.int32).ravel(), (D, AK)).copy()
        q = leave_or_move(pl)
        for h in range(H):
            q_h, pl_h = q, pl
            if adjust is not None and not np.all(adjust.leave_scale[h] == 1):
                pl_h = adjust.leave_probability(h, pl).reshape(P, A, K).copy()
                pl_h[:, -1, :] = 1.0  # the age-25 limit holds under any scenario
                pl_h = pl_h.reshape(P, AK).astype(np.float32)
                q_h = leave_or_move(pl_h)
            arrive = None  # net transfers in (net[:, h] < 0), placed like the continuers
            if kernel is not None:
                eff_h = no_eff if eff is None else np.ascontiguousarray(eff[:, h])
                net_h = no_net if net is None else np.ascontiguousarray(net[:, h])
                leave, nxt, inflow = step_k(seeds[h, 0], stock, q_h, pl_h, cdf_f, pidx, dest_f,
                                            K, NORMAL_VAR, _INV, eff_h, evar[h, 0], net_h,
                                            step_buf)
                if adjust is not None:  # scenarios: movers heading to X go to Y instead
                    inflow = adjust.apply_redirects("movers", h, inflow, rng_s)
                nxt += inflow
                if net is not None:
                    arrive = arrive_k(seeds[h, 2], nxt, net_h, arrive_buf)
                join = join_k(seeds[h, 1], np.ascontiguousarray(jt[:, h], dtype=np.int64), pidx,
                              gw, *j_tables, K, np.ascontiguousarray(eff_h[:, 1]),
                              NORMAL_VAR, _INV, join_buf[h % 2])
            else:
                q_d, pl_d, m_d = q_h[pidx], pl_h[pidx], mfull[pidx]
                if eff is None:
                    cond_d = cond_f[pidx]
                else:
                    q_d, pl_d, cond_d, m_d = _apply_year_effects(q_d, pl_d, cdf_f[pidx], dest_f,
                                                                 m_d, eff[:, h], evar[h, 0], K)
                if net is not None:
                    q_d, pl_d = _net_leave(q_d, pl_d, net[:, h, None])
                r_h = np.divide(pl_d, q_d, out=np.zeros_like(q_d), where=q_d > 0).clip(0, 1)
                leave, _, nxt = _step_numpy(rng, stock, q_d, r_h, np.arange(D), age_of, dest_f,
                                            cond_d, h, adjust, rng_s)
                if net is not None:  # as the kernel: n * -net rounded stochastically
                    x = nxt * np.clip(-net[:, h, None], 0.0, None)
                    arrive = _stochastic_round(x, rng.random(x.shape)).astype(np.int32)
                join = rng.multinomial(jt[:, h], m_d / m_d.sum(-1, keepdims=True)
                                       ).astype(np.int32)
            if adjust is not None:  # scenarios: joiners heading to X go to Y instead
                join = adjust.apply_redirects("joiners", h, join, rng_s)
            if keep_flows:
                flows["leavers"][:, h] = leave.reshape(D, A, K)
                flows["movers"][:, h] = (nxt - stock + leave).reshape(D, A, K)
                flows["joiners"][:, h] = join.reshape(D, A, K)
                if arrive is not None:  # transfers in are there next January, a year older
                    flows["transfers_in"][:, h, 1:] = arrive.reshape(D, A, K)[:, :-1]
            if arrive is not None:
                nxt += arrive
            stock = join  # ageing on: this January's joiners + last January's continuers
            stock[:, K:] += nxt[:, :-K]
            out[:, h] = stock.reshape(D, A, K)
        proj_years = list(range(self.base_year + 1, self.base_year + H + 1))
        settings = {**self.settings, "years": H, "draws": D, "seed": seed,
                    "param_draws": P, "joiners": _describe(joiners),
                    "year_effects": _jsonable(self.year_effects),
                    "adjusted": adjust is not None}
        return CohortProjection(draws=out, years=proj_years, ages=list(self.ages),
                                states=list(self.states), initial=np.rint(self.initial),
                                base_year=self.base_year, age_offset=self.age_offset,
                                specialist=dict(self.specialist), joiner_totals=jt, flows=flows,
                                decomposition=self._decompose(jt, proj_years),
                                settings=settings,
                                timings={"seconds": round(time.perf_counter() - t0, 3)})

    def _decompose(self, jt: np.ndarray, proj_years: list[int]) -> pd.DataFrame | None:
        """Joiners vs the base year: population effect + rate effect (exact, additive)."""
        if self.population is None:
            return None
        pop = self.population.set_index("year")["population"]
        h = self.joiner_history.set_index("year")["value"]
        y0 = self.base_year - 1
        if y0 not in h.index or y0 not in pop.index:
            return None
        r0, p0 = h[y0] / pop[y0], pop[y0]
        rows = []
        for i, y in enumerate(proj_years):
            fy = y - 1
            pt = float(pop.get(fy, pop.iloc[-1]))
            jm = float(jt[:, i].mean())
            rt = jm / pt
            rows.append({"year": y, "flow_year": fy, "joiners": jm, "population": pt,
                         "rate_per_1000": 1000 * rt, "change": jm - h[y0],
                         "population_effect": r0 * (pt - p0), "rate_effect": (rt - r0) * pt})
        return pd.DataFrame(rows)


def _jsonable(spec: dict | None) -> dict | None:
    return None if spec is None else {k: np.asarray(v).tolist() for k, v in spec.items()}


def _describe(joiners) -> str:
    if joiners is None or (isinstance(joiners, str) and joiners == "damped"):
        return "damped log-linear trend (phi 0.8)"
    if isinstance(joiners, str):
        return "log-linear trend"
    if isinstance(joiners, pd.DataFrame):
        return "forecast frame" + (f" ({joiners['method'].iloc[0]})" if "method" in joiners
                                   and len(joiners) else "")
    return "callable" if callable(joiners) else "array"


# ====================================================================== sampling
NORMAL_VAR = 10.0  # n p (1 - p) from which a binomial is drawn by its skew-corrected
# normal approximation (``_cornish_fisher``): total variation distance from the exact
# binomial <= 0.25% from here on (the plain normal: ~4% here, still ~2% at 25; tested)
TWO_M32 = 1.0 / 4294967296.0  # 32-bit uniforms: fates and destinations (float32 parameters)
MASK32 = np.uint64(0xFFFFFFFF)
FEW_MOVERS = 16  # up to this many movers of a cell: each mover's destination drawn directly
CHAIN_PER_AGE = 8  # joiners of a group per age from which ages are drawn as binomials
SMALL_CELL = 8  # cells of at most this many children: each child's fate drawn directly
LOGIT_FROM = 0.1  # leave effects act on the logit scale above this leaving probability


def _cornish_fisher(n, p, z):
    """Binomial(n, p) quantile of the standard normal ``z`` by the Cornish-Fisher
    expansion to the skewness term: ``n p + sd (z + g (z**2 - 1) / 6)``, with
    ``sd = sqrt(n p (1-p))`` and skewness ``g = (1 - 2p) / sd`` (unrounded).  Rounded,
    it is within 0.25% total variation of the binomial where ``sd**2 >= 10``; the plain
    normal (no ``g`` term) is 10 times further off for the small ``p`` of leaving and
    moving.  The numba kernel (``_nb_binom``) compiles this same function."""
    return n * p + np.sqrt(n * p * (1.0 - p)) * z + (1.0 - 2.0 * p) * (z * z - 1.0) / 6.0


# Wichura's algorithm AS 241 (PPND16; Applied Statistics 37(3), 477-484, 1988): the
# standard normal quantile to about 1 part in 1e16 by rational functions - near the
# median (85% of uniforms) without any transcendental function, which makes a normal
# deviate 17-20 ns in the kernels, against 42-44 ns for Box-Muller (log, sqrt and cosine).
# Coefficients in increasing powers; the denominators' constant terms are 1.
_AS241 = (
    ((3.3871328727963666080, 1.3314166789178437745e2, 1.9715909503065514427e3,
      1.3731693765509461125e4, 4.5921953931549871457e4, 6.7265770927008700853e4,
      3.3430575583588128105e4, 2.5090809287301226727e3),
     (1.0, 4.2313330701600911252e1, 6.8718700749205790830e2, 5.3941960214247511077e3,
      2.1213794301586595867e4, 3.9307895800092710610e4, 2.8729085735721942674e4,
      5.2264952788528545610e3)),
    ((1.42343711074968357734, 4.63033784615654529590, 5.76949722146069140550,
      3.64784832476320460504, 1.27045825245236838258, 2.41780725177450611770e-1,
      2.27238449892691845833e-2, 7.74545014278341407640e-4),
     (1.0, 2.05319162663775882187, 1.67638483018380384940, 6.89767334985100004550e-1,
      1.48103976427480074590e-1, 1.51986665636164571966e-2, 5.47593808499534494600e-4,
      1.05075007164441684324e-9)),
    ((6.65790464350110377720, 5.46378491116411436990, 1.78482653991729133580,
      2.96560571828504891230e-1, 2.65321895265761230930e-2, 1.24266094738807843860e-3,
      2.71155556874348757815e-5, 2.01033439929228813265e-7),
     (1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1, 1.48753612908506148525e-2,
      7.86869131145613259100e-4, 1.84631831751005468180e-5, 1.42151175831644588870e-7,
      2.04426310338993978564e-15)),
)


def _normal_quantile(u):
    """Standard normal quantile of ``u`` in (0, 1) by AS 241 (see ``_AS241``): a ratio
    of degree-7 polynomials of ``0.180625 - (u - 1/2)**2`` near the median, else of
    ``sqrt(-log(min(u, 1 - u)))`` shifted by 1.6 (up to 5) or 5.  The numba kernels
    compile this same function to turn one uniform into a normal deviate."""
    q = u - 0.5
    if abs(q) <= 0.425:
        x = 0.180625 - q * q
        k = 0
    else:
        x = np.sqrt(-np.log(u if q < 0 else 1.0 - u))
        k = 1 if x <= 5.0 else 2
        x -= 1.6 if k == 1 else 5.0
    a, b = _AS241[k]
    num = den = 0.0
    for i in range(7, -1, -1):  # Horner
        num = num * x + a[i]
        den = den * x + b[i]
    z = num / den
    if k == 0:
        return q * z
    return -z if q < 0 else z


def _stochastic_round(x, u):
    """``x`` rounded down, plus one where the uniform ``u`` falls below the fractional
    part: an integer with mean exactly ``x`` (transfers in; both engines use this)."""
    k = np.floor(x)
    return k + (u < x - k)


def _binomial(rng: np.random.Generator, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Binomial(n, p) counts (int32), exact where ``n p (1-p) < NORMAL_VAR``.

    Where ``n p (1-p) >= NORMAL_VAR``: a rounded skew-corrected normal draw
    (:func:`_cornish_fisher`) with the binomial's mean, variance and skewness, clipped to
    ``[0, n]`` - still an integer between 0 and ``n``, so the children taken from a
    stock never exceed it and conservation stays exact (total variation distance from
    the binomial <= 0.25%).  Elsewhere :meth:`numpy.random.Generator.binomial` (one
    call over the whole array: numpy's per-element cost is lowest that way, cells with
    ``n = 0`` are nearly free).
    """
    n = np.asarray(n)
    p = np.asarray(p)
    if n.size == 0 or n.max() < 4 * NORMAL_VAR:  # p (1-p) <= 1/4: no cell can be "big"
        nz = n > 0
        if np.count_nonzero(nz) > n.size // 2:
            return rng.binomial(n, p).astype(np.int32)
        out = np.zeros(n.shape, np.int32)  # mostly empty cells: draw the others only
        i = np.flatnonzero(nz)
        out.ravel()[i] = rng.binomial(n.ravel()[i], p.ravel()[i])
        return out
    var = n.astype(np.float32) * p * (1 - p)
    big = var >= NORMAL_VAR
    if not big.any():
        return rng.binomial(n, p).astype(np.int32)
    out = np.zeros(n.shape, np.int32)
    ib = np.flatnonzero(big)
    nb = n.ravel()[ib]
    x = _cornish_fisher(nb, p.ravel()[ib].astype(np.float64),
                        rng.standard_normal(ib.size))
    out.ravel()[ib] = np.clip(np.rint(x), 0, nb)
    sm = np.flatnonzero(~big)
    out.ravel()[sm] = rng.binomial(n.ravel()[sm], p.ravel()[sm])
    return out


def _step_numpy(rng, stock, q_h, r_h, pidx, age_of, dest_f, cond_f, h, adjust, rng_s):
    """One step's leavers and movers with numpy (fallback when numba is unavailable).

    ``q_h``, ``r_h`` are per draw ``[D, A*K]``; returns ``leave``, ``cont`` (stock minus
    leavers) and ``nxt`` (stayers + movers' inflow, after any mover redirects).
    """
    D, AK = stock.shape
    K = AK // (age_of.max() + 1)
    R_ = dest_f.shape[1]
    out_ = _binomial(rng, stock, q_h)  # leave or move: Multinomial(n; leave, move, stay)
    leave = _binomial(rng, out_, r_h)
    cont = stock - leave
    nxt = stock - out_  # stayers
    movers = (out_ - leave).ravel()
    idx = np.flatnonzero(movers)
    if idx.size:  # destinations: conditional binomials over valid destinations only
        rem = movers[idx]
        d, ak = np.divmod(idx, AK)
        pi = pidx[d]
        base = idx - ak + age_of[ak] * K  # flat index of (draw, age, state 0)
        tgt, cnt = [], []
        for r in range(R_):
            live = np.flatnonzero(rem > 0)
            if not live.size:
                break
            dj = dest_f[ak[live], r]
            x = _binomial(rng, rem[live], cond_f[pi[live], ak[live], r])
            rem[live] -= x
            tgt.append(base[live] + dj)
            cnt.append(x)
        inflow = np.bincount(np.concatenate(tgt), np.concatenate(cnt),
                             minlength=D * AK).astype(np.int32).reshape(D, AK)
        if adjust is not None:  # scenarios: movers heading to X go to Y instead
            inflow = adjust.apply_redirects("movers", h, inflow, rng_s)
        nxt = nxt + inflow
    return leave, cont, nxt


# numba engine: one compiled pass over draws x cells per projection step.  It draws
# from the *same* numpy Generator as the rest of :meth:`CohortModel.project` (numba
# supports ``np.random.Generator`` arguments and reproduces numpy's algorithms), so a
# seed fixes every draw and no global numba RNG state is used or touched.
_INV = 1.0 / np.maximum(np.arange(256), 1)  # reciprocals for the inversion sampler
_ENGINE = "numba"  # "numpy" forces the vectorised numpy fallback


def _numba_kernel():
    """The compiled kernels ``(step, alias_tables, joiners, arrivals)``, or ``None``
    without numba."""
    return _NB_KERNELS


try:  # numba kernels (module level, so that ``cache=True`` keeps them across processes)
    from numba import njit
except ImportError:  # pragma: no cover - numba is a declared dependency
    njit = None

if njit is not None:
    @njit(cache=True, error_model="numpy")
    def _nb_mix(z):
        """SplitMix64 finaliser (a bijection of uint64)."""
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))

    @njit(cache=True, error_model="numpy")
    def _nb_seed(st, seed, key):
        """Start the stream of ``key`` (a cell or a draw) in ``st[0]``: a hash of both
        (the seed plus ``key`` steps of the SplitMix64 increment, mixed - so distinct
        keys of one seed start at distinct, unrelated states)."""
        st[0] = _nb_mix(seed + np.uint64(key) * np.uint64(0x9E3779B97F4A7C15))

    @njit(cache=True, error_model="numpy")
    def _nb_next(st):
        """Next 64 bits of the SplitMix64 stream in ``st[0]``."""
        st[0] += np.uint64(0x9E3779B97F4A7C15)
        return _nb_mix(st[0])

    @njit(cache=True, error_model="numpy")
    def _nb_unif(st):
        """Uniform on [0, 1) with 53 bits (numpy's conversion of 64 random bits)."""
        return (_nb_next(st) >> np.uint64(11)) * (1.0 / 9007199254740992.0)

    @njit(cache=True, error_model="numpy")
    def _nb_unif32(st):
        """Uniform on [0, 1) with 32 bits: the two halves of each 64-bit output in turn
        (``st[1]`` keeps the unused half, ``st[2]`` says whether there is one)."""
        if st[2]:
            st[2] = 0
            return (st[1] & MASK32) * TWO_M32
        bits = _nb_next(st)
        st[1] = bits
        st[2] = 1
        return (bits >> np.uint64(32)) * TWO_M32

    @njit(cache=True, error_model="numpy")
    def _nb_destination(lc, v, nv):
        """Index of the destination a mover with uniform ``v`` goes to (inversion of the
        cell's destination cdf ``lc``, whose entry ``nv - 1`` - the last valid one - is
        exactly 1): the number of valid entries before the last that ``v`` reaches.
        Branch-free: a search loop's unpredictable exit cost ~4x more."""
        j = 0
        for i in range(nv - 1):
            j += v >= lc[i]
        return j

    @njit(cache=True, error_model="numpy")
    def _nb_zeroed(out, shape):
        """The kernels' result array: the caller's buffer ``out`` (reused from step to
        step: fresh pages are dear) cleared, or a new one of ``shape`` (int32)."""
        if out is None:
            return np.zeros(shape, np.int32)
        out[:] = 0
        return out

    _nb_normal_quantile = njit(cache=True, error_model="numpy")(_normal_quantile)
    _nb_stochastic_round = njit(cache=True, error_model="numpy")(_stochastic_round)

    @njit(cache=True, error_model="numpy")
    def _nb_normal(st):
        """Standard normal: the AS 241 quantile (:func:`_normal_quantile`) of one uniform
        on (0, 1) with 53 bits (the midpoints of numpy's grid: never 0 or 1)."""
        return _nb_normal_quantile(((_nb_next(st) >> np.uint64(11)) + 0.5)
                                   * (1.0 / 9007199254740992.0))

    @njit(cache=True, error_model="numpy")
    def _nb_inversion(st, n, p, inv):
        """Binomial(n, p) by inversion (numpy's algorithm) for p <= 1/2;
        ``inv[x] = 1 / x``.  ``(1-p)**n`` by repeated squaring and one dependent
        multiplication per step (the pmf ratio is formed off the critical path)."""
        qq = 1.0 - p
        ratio = p / qq
        qn = qq ** n
        bound = min(n, n * p + 10.0 * np.sqrt(n * p * qq + 1.0))
        x = 0
        px = qn
        u = _nb_unif(st)
        while u > px:
            x += 1
            if x > bound:
                x = 0
                px = qn
                u = _nb_unif(st)
            else:
                u -= px
                px = px * ((n - x + 1) * ratio * (inv[x] if x < inv.size else 1.0 / x))
        return x

    _nb_cornish_fisher = njit(cache=True, error_model="numpy")(_cornish_fisher)

    @njit(cache=True, error_model="numpy")
    def _nb_binom(st, n, p, big_var, inv):
        """Binomial(n, p): the clipped rounded skew-corrected normal (``_cornish_fisher``)
        where n p (1-p) >= big_var, else exact by inversion (there n min(p, 1-p) <
        2 big_var, so the inversion's expected steps stay small and (1 - p)**n >=
        2**(-4 big_var) is far from underflow)."""
        if n <= 0 or p <= 0.0:
            return 0
        if p >= 1.0:
            return n
        var = n * p * (1.0 - p)
        if var >= big_var:
            x = np.rint(_nb_cornish_fisher(n, p, _nb_normal(st)))
            return int(min(max(x, 0.0), n))
        if p <= 0.5:
            return _nb_inversion(st, n, p, inv)
        return n - _nb_inversion(st, n, 1.0 - p, inv)

    @njit(cache=True, error_model="numpy")
    def _nb_effect_leave(p, e, x, kf):
        """Leaving probability ``p`` after a leave effect ``e`` (mean one, log variance
        ``v``; ``x = log(e) + v / 2``, ``kf = sqrt(1 + pi v / 8)``): ``p e`` where
        ``p <= LOGIT_FROM`` (a cap at 1 binds very rarely there); above, on the logit
        scale with the probit-approximation correction, ``logit p' = kf logit(p) + x``,
        which keeps the mean (within 2% for ``v <= 0.6``) where capping ``p e`` at 1 would
        shrink it."""
        if p <= LOGIT_FROM:
            return min(p * e, 1.0)
        return 1.0 / (1.0 + np.exp(-(np.log(p / (1.0 - p)) * kf + x)))

    @njit(cache=True, error_model="numpy")
    def _nb_effect_moves(lc, cdf, pi, c, dest, mv, eff, d, nv):
        """Year effects on the moves of cell ``c`` in draw ``d``: fills ``lc`` with the
        destinations' cdf and returns the probability of moving (given continuing).

        Outcomes of a continuing child: stay (``1 - mv``) or destination ``j`` (``mv``
        times its share).  Each destination's probability is multiplied by the intake
        effect of its group, except the *most likely* outcome, which takes what is left
        (staying, the usual case, is never multiplied) - so every multiplied flow keeps
        its mean (the effects have mean 1), unlike a renormalisation, which would
        shrink the large flows.  Should the multiplied outcomes exceed 1 they are
        scaled down to 1 (rare: they are the less likely outcomes).  ``nv``: the cell's
        number of valid destinations (the rest of ``dest`` is padding)."""
        prev = 0.0
        big = 1.0 - mv
        bj = -1  # the most likely outcome (-1: staying)
        for j in range(nv):  # branch-free: selects, not jumps
            cj = np.float64(cdf[pi, c, j])
            pj = mv * (cj - prev)
            lc[j] = pj
            bj = j if pj > big else bj
            big = max(big, pj)
            prev = cj
        other = 0.0 if bj == -1 else 1.0 - mv  # staying is never multiplied
        for j in range(nv):
            pj = lc[j] * eff[d, 1, dest[c, j]]
            pj = 0.0 if j == bj else pj
            lc[j] = pj
            other += pj
        if other > 1.0:  # rare: the multiplied outcomes are the less likely ones
            sc = 1.0 / other
            for j in range(nv):
                lc[j] *= sc
            stay_p = 0.0 if bj == -1 else (1.0 - mv) * sc
        elif bj == -1:
            stay_p = 1.0 - other
        else:
            stay_p = 1.0 - mv
            lc[bj] = 1.0 - other
        mv = 1.0 - stay_p
        if mv <= 0.0:
            return 0.0
        acc = 0.0
        im = 1.0 / mv
        for j in range(nv):  # exactly 1 from where the drawn cdf reaches 1
            acc += lc[j]
            lc[j] = 1.0 if cdf[pi, c, j] >= 1.0 else min(acc * im, 1.0)
        return mv

    @njit(cache=True, error_model="numpy")
    def _nb_step(seed, stock, q, pl, cdf, pidx, dest, K, big_var, inv, eff, lvar, net,
                 out=None):
        """Leavers, stayers and movers' inflow ``[D, A*K]`` (int32) for one step.

        Per cell of each draw, a multinomial over (leave, each valid destination,
        stay): with few children (``<= SMALL_CELL``) each child's fate from one uniform
        ``u`` (leave if ``u < pl``, move if ``pl <= u < q`` - the destination from the
        same uniform rescaled to the destinations' ``cdf`` - else stay); otherwise
        leave-or-move ~ Binomial(n, q); up to ``FEW_MOVERS`` of them each leave (``u <
        pl / q``) or move to the destination of the rescaled ``u``; more: leavers among
        them ~ Binomial(., pl / q) and the movers' destinations mover by mover from the
        cdf (up to ``FEW_MOVERS``) or by conditional binomials.  The last valid destination has cdf exactly 1, so every
        mover is placed.  Parameters (float32) ``q, pl [P, A*K]`` and ``cdf [P, A*K, R]``
        are indexed by the draw's parameter set ``pidx[d]``.  ``eff [D, 2, K]`` (or
        ``[0, 2, K]``: none) are the draw's year effects of this step, ``lvar [K]`` the
        variance of the log leave effects: leaving probabilities of group ``k`` after
        ``eff[d, 0, k]`` (``_nb_effect_leave``) and every move *into* group ``k`` times
        ``eff[d, 1, k]`` (``_nb_effect_moves``), both keeping the flows' means.  Only
        the valid destinations of a cell (before the padding of ``dest``) are visited.
        ``net [D]`` (or ``[0]``: none): the draw's net transfer rate this step (see
        :func:`draw_net_transfers`); where positive, every child's leaving probability
        becomes ``1 - (1 - pl) (1 - net)`` after the year effects, with the chance of
        moving given continuing kept (as :func:`_net_leave`).  Each (draw, cell) has its
        own random stream, a hash of the step's ``seed`` and the cell: a cell's draws
        do not depend on any other cell's counts (common random numbers across
        scenarios).  ``out [3, D, A*K]`` (int32), when given, holds the three results
        (overwritten; reusing it from step to step saves fresh pages each step).
        """
        D, AK = stock.shape
        R = dest.shape[1]
        use_eff = eff.shape[0] == D
        use_net = net.shape[0] == D
        st = np.zeros(3, np.uint64)  # SplitMix64 state, spare 32-bit half, has-spare flag
        lc = np.ones(R)  # the cell's destination cdf (after any year effects)
        nval = np.ones(AK, np.int64)  # valid destinations per cell: dest repeats the last
        kof = np.arange(AK) % K  # each cell's group (no integer division per cell-draw)
        for c in range(AK):
            for j in range(1, R):
                if dest[c, j] != dest[c, j - 1]:
                    nval[c] = j + 1
        kf = np.sqrt(1.0 + np.pi * lvar / 8.0)  # logit-scale leave effects: correction
        lx = np.zeros(K)  # log leave effect + v / 2 of the current draw, per group
        out = _nb_zeroed(out, (3, D, AK))
        leave, stay, inflow = out[0], out[1], out[2]
        for d in range(D):
            pi = pidx[d]
            if use_eff:
                for k in range(K):
                    lx[k] = np.log(eff[d, 0, k]) + lvar[k] / 2.0
            en = max(net[d], 0.0) if use_net else 0.0  # extra leaving: net transfers out
            for c in range(AK):
                n = stock[d, c]
                if n == 0:
                    continue
                qc = np.float64(q[pi, c])
                plc = np.float64(pl[pi, c])
                if use_eff:
                    mv = (qc - plc) / (1.0 - plc) if plc < 1.0 else 0.0  # P(move | continue)
                    if plc < 1.0:  # certain leaving (the age-25 limit) stays certain
                        k = kof[c]
                        plc = _nb_effect_leave(plc, eff[d, 0, k], lx[k], kf[k])
                    if mv > 0.0:
                        mv = _nb_effect_moves(lc, cdf, pi, c, dest, mv, eff, d, nval[c])
                    qc = plc + (1.0 - plc) * mv
                if en > 0.0 and plc < 1.0:  # as _net_leave: P(move | continue) kept
                    mv = (qc - plc) / (1.0 - plc)
                    plc = 1.0 - (1.0 - plc) * (1.0 - en)
                    qc = plc + (1.0 - plc) * mv
                if not use_eff and qc > 0.0:
                    for j in range(nval[c]):
                        lc[j] = cdf[pi, c, j]
                if qc <= 0.0:  # nobody leaves or moves: no random numbers needed
                    stay[d, c] = n
                    continue
                _nb_seed(st, seed, d * AK + c)
                st[2] = 0  # no 32-bit half left over from another cell
                base = c - kof[c]
                if n <= SMALL_CELL:  # each child's fate from one uniform
                    span = qc - plc
                    lv = sy = 0
                    for _ in range(n):
                        u = _nb_unif32(st)
                        if u >= qc:
                            sy += 1
                        elif u < plc:
                            lv += 1
                        else:  # u uniform on [pl, q): rescaled, it picks the destination
                            j = _nb_destination(lc, (u - plc) / span, nval[c])
                            inflow[d, base + dest[c, j]] += 1
                    leave[d, c] = lv
                    stay[d, c] = sy
                    continue
                o = _nb_binom(st, n, qc, big_var, inv)
                stay[d, c] = n - o
                if o == 0:
                    continue
                r = min(plc / qc, 1.0)  # P(leave | leave or move)
                if o <= FEW_MOVERS:  # few leave or move: each one's fate from one uniform
                    nv = nval[c]
                    ir = 1.0 / (1.0 - r) if r < 1.0 else 0.0
                    lv = 0
                    for _ in range(o):  # branch-free: u < r leaves, else u rescaled to
                        u = _nb_unif32(st)  # [0, 1) picks the destination
                        gone = u < r
                        lv += gone
                        j = _nb_destination(lc, (u - r) * ir, nv)
                        inflow[d, base + dest[c, j]] += 1 - gone
                    leave[d, c] = lv
                    continue
                lv = _nb_binom(st, o, r, big_var, inv)
                leave[d, c] = lv
                rem = o - lv
                if rem <= FEW_MOVERS:  # few movers: each by inversion of the destinations' cdf
                    for _ in range(rem):
                        j = _nb_destination(lc, _nb_unif32(st), nval[c])
                        inflow[d, base + dest[c, j]] += 1
                    continue
                prev = 0.0  # conditional binomials: P(j | not an earlier destination)
                for j in range(R):
                    if rem == 0:
                        break
                    cj = lc[j]
                    if j == R - 1 or cj >= 1.0:
                        x = rem
                    else:
                        x = _nb_binom(st, rem, min(max((cj - prev) / (1.0 - prev), 0.0), 1.0),
                                      big_var, inv)
                    prev = cj
                    inflow[d, base + dest[c, j]] += x
                    rem -= x
        return leave, stay, inflow

    @njit(cache=True, error_model="numpy")
    def _nb_arrivals(seed, cont, net, out=None):
        """Transfers in ``[D, A*K]`` (int32): where the draw's net transfer rate ``net[d]``
        is negative, cell ``c`` gains ``cont[d, c] * -net[d]`` children (``cont``: the
        children continuing in the cell this step, after moves), rounded stochastically -
        down, plus one with probability the fractional part - so a cell's expected
        arrivals are exactly proportional to it.  (A binomial per cell would add noise of
        about the square root of the arrivals, nothing next to the spread of ``net``
        itself, at 6-10 times the cost: 2.2-4.0 ms a step for 1,000 draws of a large LA,
        against 0.2-0.45 ms.)  Each (draw, cell) draws from its own stream, a hash of
        ``seed`` and the cell."""
        D, AK = cont.shape
        out = _nb_zeroed(out, (D, AK))
        st = np.zeros(3, np.uint64)
        for d in range(D):
            e = -net[d]
            if e <= 0.0:
                continue
            for c in range(AK):
                n = cont[d, c]
                if n > 0:
                    _nb_seed(st, seed, d * AK + c)
                    st[2] = 0
                    out[d, c] = np.int32(_nb_stochastic_round(n * e, _nb_unif32(st)))
        return out

    @njit(cache=True, error_model="numpy")
    def _nb_alias_tables(m):
        """Walker alias tables of each row of ``m [P, J]`` (rows sum to 1): ``(thr, alias)``,
        with the probability of keeping column ``j`` resolved to 2**-32 as the integer
        threshold ``thr`` for 32 random bits."""
        P, J = m.shape
        prob = np.ones((P, J))
        alias = np.zeros((P, J), np.int64)
        small = np.empty(J, np.int64)
        large = np.empty(J, np.int64)
        for i in range(P):
            s = m[i] * J
            ns = nl = 0
            for j in range(J):
                alias[i, j] = j
                if s[j] < 1.0:
                    small[ns] = j
                    ns += 1
                else:
                    large[nl] = j
                    nl += 1
            while ns > 0 and nl > 0:
                ns -= 1
                sm = small[ns]
                lg = large[nl - 1]
                prob[i, sm] = s[sm]
                alias[i, sm] = lg
                s[lg] = (s[lg] + s[sm]) - 1.0
                if s[lg] < 1.0:
                    nl -= 1
                    small[ns] = lg
                    ns += 1
            # leftovers (rounding): probability 1 of themselves (prob already 1)
        # the thresholds the joiners kernel compares 32 random bits with (computed here,
        # once per projection, not at every step)
        thr = np.minimum(prob * 4294967296.0, 4294967296.0).astype(np.uint64)
        return thr, alias

    @njit(cache=True, error_model="numpy")
    def _nb_joiners(seed, n, pidx, gw, thr, alias, order, chain, K, eff, big_var, inv,
                    out=None):
        """Multinomial joiners ``[D, A*K]`` (int32) in two stages: the draw's total
        ``n[d]`` over groups with weights ``gw[pidx[d]]`` (sequential binomials; with
        year effects ``eff [D, K]`` - ``[0, K]``: none - every group's weight but the
        largest's is multiplied by its effect and the largest group takes the rest, so
        the expected joiners of every group are kept),
        then each group's joiners over ages one by one from the Walker alias tables
        ``thr, alias [P*K, A]`` of the group's age distribution (two per 64 random
        bits; probabilities resolved to 2**-32) - or, for more than ``CHAIN_PER_AGE``
        joiners per age, by conditional binomials over the ages in decreasing order of
        mean share (``order [K, A]``; ``chain [P*K, A]``: P(age | not an earlier one),
        see :func:`_age_chains`), whose cost does not grow with the count.
        Without effects this is exactly Multinomial(n, mix) of the age x group mix.
        ``out [D, A*K]`` (int32), when given, is overwritten with the result."""
        D = n.shape[0]
        A = thr.shape[1]
        AK = A * K
        use_eff = eff.shape[0] == D
        out = _nb_zeroed(out, (D, AK))
        st = np.zeros(3, np.uint64)
        w = np.empty(K)
        mask = np.uint64(0xFFFFFFFF)
        for d in range(D):
            pi = pidx[d]
            _nb_seed(st, seed, d)  # one stream per draw
            st[2] = 0
            tot = 0.0
            best = 0
            for k in range(K):
                w[k] = gw[pi, k]
                tot += w[k]
                if w[k] > w[best]:
                    best = k
            if use_eff:  # the largest group takes what the multiplied others leave
                other = 0.0
                for k in range(K):
                    if k != best:
                        w[k] *= eff[d, k]
                        other += w[k]
                if other > tot:
                    for k in range(K):
                        w[k] = 0.0 if k == best else w[k] * tot / other
                else:
                    w[best] = tot - other
            lastk = -1
            for k in range(K):
                if w[k] > 0.0:
                    lastk = k
            rem = n[d]
            for k in range(lastk + 1):
                if rem <= 0:
                    break
                if k == lastk:  # the last group with any weight takes the rest
                    x = rem
                else:
                    x = _nb_binom(st, rem, min(w[k] / tot, 1.0), big_var, inv)
                tot -= w[k]
                rem -= x
                row = pi * K + k
                if x > CHAIN_PER_AGE * A:
                    for r in range(A):
                        cp = chain[row, r]
                        y = x if cp >= 1.0 else _nb_binom(st, x, cp, big_var, inv)
                        out[d, order[k, r] * K + k] += y
                        x -= y
                        if x == 0:
                            break
                    continue
                while x > 0:  # two alias draws per 64 random bits: the column from the
                    bits = _nb_next(st)  # high bits of u * A, the alias test on the low 32
                    for half in range(2 if x > 1 else 1):
                        v = ((bits >> np.uint64(32 * half)) & mask) * np.uint64(A)
                        j = np.int64(v >> np.uint64(32))
                        if (v & mask) >= thr[row, j]:
                            j = alias[row, j]
                        out[d, j * K + k] += 1
                    x -= 2
        return out

    _NB_KERNELS = (_nb_step, _nb_alias_tables, _nb_joiners, _nb_arrivals)
else:  # pragma: no cover
    _NB_KERNELS = None


def _joiner_tables(cond: np.ndarray, conc: np.ndarray) -> tuple[np.ndarray, ...]:
    """The joiners kernel's age tables ``(thr, alias, order, chain)`` of each group's age
    distribution ``cond [P, K, A]`` (joiners' concentrations ``conc [A, K]``): Walker alias
    tables (:func:`_nb_alias_tables`) and the chain of conditional binomials
    (:func:`_age_chains`).  Needs the numba kernels."""
    P, K, A = cond.shape
    return (*_numba_kernel()[1](np.ascontiguousarray(cond.reshape(P * K, A))),
            *_age_chains(cond, conc))


def _age_chains(cond: np.ndarray, conc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each group's age distribution ``cond [P, K, A]`` as a chain of conditional
    binomials: ``order [K, A]``, the ages by decreasing mean share (from the joiners'
    concentrations ``conc [A, K]``; any fixed order is exact, this one ends the chain
    soonest), and ``chain [P*K, A]``, P(age ``order[k, r]`` | not an earlier age) -
    exactly 1 at the last age with a positive share."""
    order = np.argsort(-conc.T, axis=1, kind="stable")
    cs = np.take_along_axis(cond, order[None], axis=2)
    rest = np.cumsum(cs[..., ::-1], axis=-1)[..., ::-1]  # includes the age itself
    chain = np.divide(cs, rest, out=np.ones_like(cs), where=cs < rest)
    return order, np.ascontiguousarray(chain.reshape(-1, cond.shape[2]))


def _effect_sds(spec: dict, K: int) -> tuple[np.ndarray, float]:
    """``(sd [2, K] of the leave and intake effects, rho)``; clear errors for bad specs."""
    unknown = set(spec) - {"leave", "intake", "rho", "net"}
    if unknown:
        raise ValueError(f"unknown year effect keys {sorted(unknown)} (leave, intake, rho, "
                         "net)")
    _net_sd(spec)
    sd = np.stack([np.broadcast_to(np.asarray(spec.get(k, 0.0), float), (K,))
                   for k in ("leave", "intake")])  # [2, K]
    rho = float(spec.get("rho", 1.0))
    if np.any(sd < 0) or not np.all(np.isfinite(sd)) or not -1 <= rho <= 1:
        raise ValueError(f"year effect sds must be finite and >= 0 and rho in [-1, 1], "
                         f"got {spec}")
    return sd, rho


def draw_year_effects(spec: dict | None, draws: int, years: int, K: int,
                      rng: np.random.Generator) -> np.ndarray | None:
    """Year effects ``[draw, year, 2, state]``: multipliers of leaving (``[..., 0, :]``)
    and of the intake - joiners' and movers' flows *into* a state - (``[..., 1, :]``).

    ``spec``: ``{"leave": sd, "intake": sd, "rho": r}`` with ``sd`` a number or one per
    state.  Log effects follow an AR(1) over the projection years, ``x_h = r x_{h-1} +
    sd z_h`` (``r = 1``: a random walk, the default), and each multiplier is
    ``exp(x_h - var(x_h) / 2)`` so its mean is 1.  ``None`` or all-zero sds: ``None``.
    Keep ``var(x_h)`` moderate (the SEN2 defaults stay below 0.6): a mean-one log-normal
    with a large variance puts most of its mean in rare huge values (median
    ``exp(-var / 2)``), which is not how rates vary and which the bounded flows cannot
    follow.
    """
    if not spec:
        return None
    sd, rho = _effect_sds(spec, K)
    if not np.any(sd > 0):
        return None
    z = rng.standard_normal((draws, years, 2, K))
    v = year_effect_variance(spec, years, K)
    out = np.empty_like(z)
    x = np.zeros((draws, 2, K))
    for h in range(years):
        x = rho * x + sd * z[:, h]
        out[:, h] = np.exp(x - v[h] / 2)
    return out


NET_CLIP = 0.5  # net transfer rates are clipped to [-0.5, 0.5]: 11 sd at the calibrated
# 0.043 (never binding); 1% of draws at the largest sd allowed (0.2)


def _net_sd(spec: dict) -> float:
    """The net transfer sd of a year effect spec (0 without one); a clear error if bad."""
    net = spec.get("net", 0.0)
    ok = isinstance(net, int | float | np.number) and not isinstance(net, bool)
    if not (ok and np.isfinite(net) and 0 <= net <= 0.2):
        raise ValueError(f"the net transfer sd ('net') must be one number in [0, 0.2], got "
                         f"{net!r}")
    return float(net)


def draw_net_transfers(spec: dict | None, draws: int, years: int,
                       rng: np.random.Generator) -> np.ndarray | None:
    """Net transfer rates ``[draw, year]``: the LA-wide year effect ``spec["net"]``.

    SEN2's accounting identity ``caseload(T+1) = caseload(T) + new plans(T) - leavers``
    defines the *net* leavers of a year, which also count plans transferred to and from
    other LAs and late or corrected records.  Their rate varies from year to year around
    an LA's level far more than binomial leaving (2018-2023: sd 4.2 points of the
    caseload, robust sd 2.9, heavy-tailed; year-to-year changes correlated -0.50, as
    independent shocks around a stable level give; benchmarks/results/
    cohort_calibration.md).  SEN2 models use sd 0.043, calibrated on backtests of the
    total caseload (:data:`SEN2_YEAR_EFFECTS`).  Each draw and year gets one rate
    ``e ~ Normal(0, net)`` (independent over years, clipped to +-NET_CLIP): with ``e >
    0`` every child has an extra chance ``e`` of leaving; with ``e < 0`` every cell gains
    ``-e`` times its continuing children, rounded stochastically (transfers in, placed
    like them; they are there the next January, one year older).  ``None`` or no ``"net"``:
    ``None``.  Drawn after :func:`draw_year_effects`, from the same generator.
    """
    sd = _net_sd(spec) if spec else 0.0
    if sd == 0:
        return None
    return np.clip(sd * rng.standard_normal((draws, years)), -NET_CLIP, NET_CLIP)


def _net_leave(q, pl, e):
    """Leave-or-move ``q`` and leaving ``pl`` probabilities after a net transfer rate
    ``e`` (broadcastable; only ``e > 0`` acts): every child leaves with an extra chance
    ``e``, ``pl' = 1 - (1 - pl) (1 - e)``, and the chance of moving given continuing is
    kept.  The numba kernel applies the same formula per cell."""
    e = np.clip(e, 0.0, None)
    pl = np.asarray(pl, float)
    mv = np.divide(q - pl, 1 - pl, out=np.zeros_like(pl), where=pl < 1)
    pl2 = np.where(pl < 1, 1 - (1 - pl) * (1 - e), pl)
    return pl2 + (1 - pl2) * mv, pl2


def year_effect_variance(spec: dict | None, years: int, K: int) -> np.ndarray:
    """Variance ``[year, 2, state]`` of the log year effects of :func:`draw_year_effects`
    (zeros without effects)."""
    v = np.zeros((years, 2, K))
    if not spec:
        return v
    sd, rho = _effect_sds(spec, K)
    acc = np.zeros((2, K))
    for h in range(years):
        acc = rho**2 * acc + sd**2
        v[h] = acc
    return v


def _largest_takes_rest(p: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Outcome probabilities ``p [..., O]`` after multipliers ``f``: every outcome but the
    most likely (first on ties) is multiplied and the most likely takes the rest; if the
    multiplied ones exceed the total they are scaled down to it (as in the kernels)."""
    dom = np.arange(p.shape[-1]) == p.argmax(-1)[..., None]
    n = np.where(dom, 0.0, p * f)
    other = n.sum(-1)
    tot = p.sum(-1)
    over = other > tot
    n = np.where(over[..., None], n * (tot / np.where(over, other, 1.0))[..., None], n)
    return np.where(dom, np.where(over, 0.0, tot - other)[..., None], n)


def _apply_year_effects(q, pl, cdf, dest, m, e, lvar, K):
    """Numpy engine: per-draw ``q, pl [D, AK]``, destination conditionals ``[D, AK, R]``
    and joiners' mix ``[D, AK]`` after year effects ``e [D, 2, K]`` (as in the kernels)."""
    D, AK = q.shape
    g = np.arange(AK) % K
    pl = pl.astype(float)
    mv = np.divide(q - pl, 1 - pl, out=np.zeros_like(pl), where=pl < 1)
    el, v = e[:, 0][:, g], lvar[g]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.log(pl / (1 - pl)) * np.sqrt(1 + np.pi * v / 8) + np.log(el) + v / 2)
    pl2 = np.where(pl <= LOGIT_FROM, np.minimum(pl * el, 1.0), 1 / (1 + np.exp(-z)))
    pl2 = np.where(pl < 1, pl2, pl)  # the age-25 limit is kept
    inc = np.diff(cdf.astype(float), axis=-1, prepend=0.0)
    p = np.concatenate([(1 - mv)[..., None], mv[..., None] * inc], -1)
    f = np.concatenate([np.ones((D, AK, 1)), e[:, 1][:, dest]], -1)
    n = np.where((mv > 0)[..., None], _largest_takes_rest(p, f), p)
    mv2 = np.clip(1 - n[..., 0], 0.0, 1.0)
    cdf2 = np.divide(np.cumsum(n[..., 1:], -1), mv2[..., None],
                     out=np.ones_like(inc), where=mv2[..., None] > 0).clip(0, 1)
    cdf2[cdf >= 1] = 1.0
    q2 = pl2 + (1 - pl2) * mv2
    gw = m.reshape(D, -1, K).sum(1)  # joiners' group weights
    gw2 = _largest_takes_rest(gw, e[:, 1])
    ratio = np.divide(gw2, gw, out=np.zeros_like(gw2), where=gw > 0)
    return q2, pl2, _cond_from_cdf(cdf2), m * ratio[:, g]


def _move_parameters(conc: np.ndarray, P: int, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dirichlet draws of the moves as staying + the movers' destination cdf.

    Returns ``p_stay [P, age, state]``, ``dest [age, state, R]`` (the valid - non-zero
    concentration - destinations other than staying, largest concentration first and
    padded by repeating the last one) and ``cdf [P, age, state, R]`` (float32): the
    probability that a mover goes to ``dest[..., 0..r]``; it is exactly 1 from the
    last valid destination on, so every mover is placed.  Cells with no valid move
    stay with probability 1 (and their ``dest`` is the cell itself, with ``cdf`` 1,
    should a mover arise).  Gamma variates are drawn for the valid entries only
    (float32).
    """
    A, K, _ = conc.shape
    eye = np.eye(K, dtype=bool)
    others = np.where(eye[None], 0.0, conc)
    valid = others > 0
    nval = valid.sum(-1)
    R_ = max(int(nval.max()), 1)
    order = np.argsort(-others, axis=-1, kind="stable")[..., :R_]  # valid ones first
    last = np.maximum(nval - 1, 0)[..., None]
    dest = np.take_along_axis(order, np.minimum(np.arange(R_)[None, None], last), -1)
    dest[nval == 0] = np.nonzero(nval == 0)[1][:, None]  # no valid move: "move" = stay put
    live = np.arange(R_)[None, None] < nval[..., None]  # [A, K, R]
    cval = np.take_along_axis(others, dest, -1)[live].astype(np.float32)
    go = np.zeros((P, A * K * R_), np.float32)
    go[:, np.flatnonzero(live)] = rng.standard_gamma(cval, size=(P, cval.size),
                                                     dtype=np.float32)
    go = go.reshape(P, A, K, R_)
    sc = conc[:, eye].astype(np.float32)  # [A, K] staying
    stay = np.zeros((P, A, K), np.float32)
    stay[:, sc > 0] = rng.standard_gamma(sc[sc > 0], size=(P, int((sc > 0).sum())),
                                         dtype=np.float32)
    cdf = go  # cumulative sum over the (few) destinations, in place: faster than
    for j in range(1, R_):  # np.cumsum along a short last axis
        cdf[..., j] += cdf[..., j - 1]
    moving = cdf[..., -1].copy()  # total of the destinations' gammas
    tot = stay + moving
    p_stay = np.divide(stay, tot, out=np.ones_like(stay), where=tot > 0)
    p_stay[:, nval == 0] = 1.0
    cdf /= np.where(moving > 0, moving, 1)[..., None]
    # from the last valid destination on (with the padding) exactly 1 (a masked copy:
    # faster than boolean indexing)
    np.copyto(cdf, np.float32(1.0), where=(np.arange(R_)[None, None] >= last)[None])
    return p_stay, dest, cdf


def _cond_from_cdf(cdf: np.ndarray) -> np.ndarray:
    """Stick-breaking conditionals ``P(r | not an earlier destination)`` from the cdf."""
    prev = np.concatenate([np.zeros_like(cdf[..., :1]), cdf[..., :-1]], -1)
    den = 1 - prev
    return np.divide(cdf - prev, den, out=np.ones_like(cdf), where=den > 0).clip(0, 1)


# ============================================================ SEN2 identification
def _phase_list(ages: Sequence[int]) -> list[str]:
    return [phase_of_age(a) for a in ages]


_AREA_CACHE: dict = {}


def _store(data) -> dict:
    """Per-data-object cache (holding the last object only) of frames split by area and
    of arrays built for all areas at once, so fitting many LAs does not rescan the
    national frames."""
    ent = _AREA_CACHE.get(id(data))
    if ent is None or ent[0] is not data:
        _AREA_CACHE.clear()
        ent = _AREA_CACHE[id(data)] = (data, {})
    return ent[1]


def _area(data, frame: str, level: str, code: str) -> pd.DataFrame:
    """Rows of ``data.<frame>`` for one area (``frame="groups"``: placement-group totals).

    The frames are split by ``(level, la_code)`` once per data object (a cache holding
    the last object), so fitting many LAs does not rescan the national frames.
    """
    store = _store(data)
    if frame not in store:
        f = (data.placement_groups("caseload", age="all") if frame == "groups"
             else getattr(data, frame))
        parts = {(str(lv), str(c)): g for (lv, c), g in
                 f.groupby(["level", "la_code"], observed=True, sort=False)}
        store[frame] = (parts, f.iloc[:0])
    parts, empty = store[frame]
    return parts.get((level, code), empty)


def _group_totals(data, level: str, code: str) -> pd.DataFrame:
    """Caseload by placement group (columns) and January (index) of one area."""
    store = _store(data)
    if "group_totals" not in store:  # all areas at once: one pivot, split by area
        pg = data.placement_groups("caseload", age="all")
        t = pg.groupby(["level", "la_code", "year", "placement_group"], observed=True,
                       sort=False)["value"].sum(min_count=1).unstack("placement_group")
        t = t.reindex(columns=PLACEMENT_GROUPS)
        store["group_totals"] = {(str(lv), str(c)): g.droplevel([0, 1]).sort_index()
                                 for (lv, c), g in t.groupby(level=[0, 1], sort=False)}
    t = store["group_totals"].get((level, code))
    if t is None:
        return pd.DataFrame(columns=PLACEMENT_GROUPS, dtype=float).rename_axis("year")
    return t.fillna(0.0)


def _age_index(label: str) -> list[int] | None:
    """Single ages a label stands for (``0-2`` -> 0, 1, 2; ``20-25`` -> 20..25)."""
    if label.isdigit():
        return [int(label)] if 0 <= int(label) <= 25 else None
    if label in ("0-2", "20-25", "under 3"):
        lo, hi = (0, 2) if label != "20-25" else (20, 25)
        return list(range(lo, hi + 1))
    return None


def _ceased_parts(data, level: str, code: str) -> tuple[dict, dict]:
    """Plans ceased (any reason) of one area: ``({year: [age] counts}, {year: [group]
    counts})`` from the rows by single age (``0-2`` / ``20-25`` split evenly; labels of no
    single age count their year but no child) and by placement (a year with placement rows
    but no value has zeros).  Built for every area at once, once per data object."""
    store = _store(data)
    if "ceased_parts" not in store:
        from sendforecast.data.taxonomy import PLACEMENT_TO_GROUP

        ce = data.ceased
        ce = ce[ce.reason == "total"]
        by_age: dict = {}
        rows = ce[(ce.placement == "total") & (ce.age != "all")].dropna(subset=["value"])
        for (lv, c, y, age), v in rows.groupby(["level", "la_code", "year", "age"],
                                               observed=True)["value"].sum().items():
            ca = by_age.setdefault((str(lv), str(c)), {}).setdefault(int(y), np.zeros(26))
            ages = _age_index(str(age))
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


def _new_plan_totals(data, level: str, code: str) -> pd.DataFrame:
    """New plans (all ages and placements) by calendar year of one area: ``year, value``
    (missing values dropped).  Built for every area at once, once per data object."""
    store = _store(data)
    if "new_plan_totals" not in store:
        f = data.new_plans
        f = f[(f.placement == "total") & (f.age == "all")].dropna(subset=["value"])
        store["new_plan_totals"] = (
            {(str(lv), str(c)): g.groupby("year")["value"].sum().reset_index()
             for (lv, c), g in f.groupby(["level", "la_code"], observed=True, sort=False)},
            f.groupby("year")["value"].sum().reset_index().iloc[:0])
    parts, empty = store["new_plan_totals"]
    return parts.get((level, code), empty).copy()  # the model keeps it: not the cache's


def _age_group_cube(data, frame: str, level: str, code: str) -> dict[int, np.ndarray]:
    """``{year: [age, group] counts}`` from the single-age x placement rows of
    ``data.<frame>`` for one area (NaN -> 0; ``0-2`` / ``20-25`` split evenly over their
    ages).  Built for every area at once, once per data object."""
    store = _store(data)
    key = ("age_group_cube", frame)
    if key not in store:
        from sendforecast.data.taxonomy import PLACEMENT_TO_GROUP

        f = getattr(data, frame)
        f = f[(f.placement != "total") & (f.age != "all")]
        if frame == "ceased" and "reason" in f.columns:
            f = f[f.reason == "total"]
        f = f.assign(g=f.placement.map(PLACEMENT_TO_GROUP)).dropna(subset=["g", "value"])
        agg = (f.groupby(["level", "la_code", "year", "age", "g"], observed=True,
                         sort=False)["value"].sum().reset_index())
        amap = {lab: _age_index(lab) for lab in agg["age"].astype(str).unique()}
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


def _age_group_matrix(cube: dict[int, np.ndarray], years: Sequence[int]) -> np.ndarray:
    """``[year, age, group]`` counts of ``years`` from an :func:`_age_group_cube`."""
    out = np.zeros((len(years), 26, len(PLACEMENT_GROUPS)))
    for i, y in enumerate(years):
        if y in cube:
            out[i] = cube[y]
    return out


def _single_age_years(data, frame: str, level: str, code: str) -> list[int]:
    """Januaries with caseload by single year of age x placement for one area."""
    store = _store(data)
    key = ("single_age_years", frame)
    if key not in store:
        f = getattr(data, frame)
        digits = [a for a in f.age.unique() if str(a).isdigit()]
        f = f[f.age.isin(digits) & (f.placement != "total")]
        store[key] = {(str(lv), str(c)): sorted(int(y) for y in g.year.unique())
                      for (lv, c), g in f.groupby(["level", "la_code"], observed=True)}
    return store[key].get((level, code), [])


def _breakdown_missing(totals: pd.DataFrame) -> pd.Series:
    """Januaries (index of group totals) whose placement breakdown is missing: more than
    half of a non-zero published total in no placement (see :func:`_impute_missing_mix`)."""
    tot = totals.sum(axis=1)
    return (totals["not_recorded"] > 0.5 * tot) & (tot > 0)


def _impute_missing_mix(totals: pd.DataFrame, T: int) -> tuple[pd.DataFrame, dict[int, int]]:
    """Group totals with the placement mix of Januaries whose breakdown is missing (more
    than half of the published total not in any placement, e.g. Hackney and
    Peterborough 2024: see :meth:`SEN2Data.placement_groups`) taken from the nearest
    January with a breakdown (an earlier one first, and none after ``T`` for years up to
    ``T``); the published total is kept.  Returns the totals and ``{imputed year: the
    January whose mix it took}``."""
    tot = totals.sum(axis=1)
    broken = _breakdown_missing(totals)
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


def _allocate_unrecorded(x: np.ndarray) -> np.ndarray:
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


def _transport(cont: np.ndarray, target: np.ndarray) -> np.ndarray:
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


def _has_caseload(data, level: str, code: str, T: int) -> bool:
    cl = _area(data, "caseload", level, code)
    return bool(((cl.year == T) & cl.value.notna()).any())


def _reference_area(data, la: str, T: int) -> tuple[str, str, str]:
    """Area whose rates the LA's are pooled toward: England, else its region, else itself.

    Returns ``(level, code, note)``.  Synthetic or partial data (e.g.
    :func:`sendforecast.load_example`) may have no national or region rows; then the
    pooling level is skipped and the LA is its own reference (priors centred on its
    own rates, every placement move allowed), which the note records.
    """
    if _has_caseload(data, "national", ENGLAND, T):
        return "national", ENGLAND, "pooled toward England"
    las = getattr(data, "las", None)
    region = None
    if las is not None and "region_code" in las.columns:
        r = las.loc[(las.level == "la") & (las.la_code == la), "region_code"].dropna()
        region = str(r.iloc[0]) if len(r) else None
    if region and _has_caseload(data, "region", region, T):
        return "region", region, f"no England rows for {T}: pooled toward region {region}"
    return "la", la, (f"no England or region rows for {T}: England level skipped, "
                      "rates pooled toward the LA's own (all moves allowed)")


def _sen2_parts(data, level: str, code: str, T: int, unrecorded: str = "keep") -> dict:
    """Stock, leaving probabilities, joiner mix and inferred moves for one area at January T."""
    K = len(PLACEMENT_GROUPS)
    totals, imputed = _impute_missing_mix(_group_totals(data, level, code), T)
    # ---- age x group profiles: the area's own single-age Januaries whose placement
    # detail covers at least half of the published total; else England's shape
    sa_years = _single_age_years(data, "caseload", level, code)
    cube = _age_group_cube(data, "caseload", level, code)
    pub = totals.sum(axis=1)
    sa_years = [y for y in sa_years if y in cube
                and cube[y].sum() >= 0.5 * (pub[y] if y in pub.index else 0.0)]
    own = bool(sa_years)
    if own:
        profiles = _age_group_matrix(cube, sa_years)
    else:  # no usable single age for this area: borrow England's shape
        sa_years = _single_age_years(data, "caseload", "national", ENGLAND)
        profiles = _age_group_matrix(_age_group_cube(data, "caseload", "national", ENGLAND),
                                     sa_years)
    if not sa_years:
        raise ValueError(f"no caseload by single age x placement for {level} {code} or England")
    if unrecorded == "allocate":  # "placement not recorded" is missing data, not a placement
        profiles = _allocate_unrecorded(profiles)
        totals = pd.DataFrame(_allocate_unrecorded(totals.to_numpy(float)),
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
    ceased_age, ceased_group = _ceased_parts(data, level, code)
    age_years = sorted(ceased_age)
    cy = max([y for y in age_years if y < T], default=max(age_years, default=None))
    leave_age = np.full(26, np.nan)
    ref_stock = stock_at(cy) if cy is not None else initial
    if cy is not None:
        ca = ceased_age[cy]
        n_age = ref_stock.sum(1)
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
    hist = _new_plan_totals(data, level, code)
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
    p[25] = 0.95
    # ---- joiners
    mix_cube = _age_group_cube(data, "new_plans", level, code)
    mix_years = sorted(mix_cube)
    use = [y for y in mix_years if y < T] or mix_years[-1:]
    mix_counts = _age_group_matrix(mix_cube, use).sum(0) if use else np.zeros((26, K))
    if unrecorded == "allocate":
        mix_counts = _allocate_unrecorded(mix_counts)
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
            moves[a] += _transport(cont[a], tgt)
    moves /= len(pairs)
    return {"initial": initial, "stock": initial, "leave_p": p, "mix_counts": mix_counts,
            "moves": moves, "joiner_history": hist,
            "profile_years": sa_years if own else f"England {sa_years}",
            "imputed_mix_years": imputed,
            "ceased_age_year": cy, "mix_years": use}
