"""The cohort model: posterior parameters of one area, built from data and projected.

Knows: :class:`CohortModel` - its fields (initial stock and the beta / Dirichlet
posteriors of leaving, moves and the joiners' mix), how to build one from witan.send
transitions (:meth:`~CohortModel.from_transitions`) or SEN2 aggregates
(:meth:`~CohortModel.from_sen2`, by way of :mod:`.identify`), the joiner totals
(:meth:`~CohortModel.joiner_draws`), and the projection's year loop
(:meth:`~CohortModel.project`): draw the plan, then each year an engine's step,
arrivals and joiners, scenario hooks, ageing on and the flows kept.

Does not know: how counts are sampled (the engines, :mod:`.engine`), how the rates were
identified (:mod:`.identify`, :mod:`.rates`), or how results are summarised
(:mod:`.projection`).  Scenarios are known only by duck typing (``adjust``).
"""

from __future__ import annotations

import hashlib
import time
import warnings
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from sendforecast.data.geography import reorganisation_of
from sendforecast.data.taxonomy import PLACEMENT_GROUPS, SPECIALIST_PROVISION
from sendforecast.defaults import DEFAULT_SEED
from sendforecast.errors import InputError, NotFoundError, Problem, SendForecastWarning
from sendforecast.models.settings import PROJECTION_SETTINGS

from .engine import DEFAULT_ENGINE, select_engine
from .identify import pooled_posteriors, reference_area, reference_parts, sen2_parts
from .inputs import ENGLAND, SEN2_AGES, group_totals, new_plan_totals, single_age_years
from .margins import (
    ElasticityForecast,
    ShareForecast,
    TotalForecast,
    band_index,
    band_totals,
    england_growth,
    group_elasticities,
    group_history,
    pool_shares,
    rake,
    total_history,
)
from .parameters import PARAM_SETS, draw_plan
from .projection import CohortProjection
from .rates import damped_trend, loglinear_trend, witan_counts, witan_rates
from .tails import tail_factors, widen_tails
from .year_effects import SEN2_YEAR_EFFECTS

__all__ = ["CohortModel"]

# The margins' level errors widen as a random walk (the total's growth error in proportion
# to the years after the first) for this many years (the horizons the backtests
# calibrated them on: benchmarks/results/cohort_backtest.md), then stay; the cohort
# dynamics' own fan keeps opening after that.  Random streams of a projection's seed, by
# spawn key: 15 the level errors, 16 the tails, 18 the total's growth error (17 is the
# need layer's, .needs; 20-21 the parameter sets).
_LEVEL_ERROR_YEARS = 3


def _streams(seed) -> tuple[np.random.Generator, ...]:
    """The projection's generators: the engine's (``seed`` itself, as before the others
    existed), the joiner totals' and the draw plan's (children of ``seed``; their own
    streams, so that the years one of them draws beyond another's do not shift it)."""
    ss = np.random.SeedSequence(seed)
    return (np.random.default_rng(ss), *(np.random.default_rng(
        np.random.SeedSequence(ss.entropy, spawn_key=(k,))) for k in (20, 21)))


@dataclass
class CohortModel:
    """Posterior parameters of a cohort stock-flow model (the model: ``docs/cohort.md``).

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
    #: margin forecasts the projection is raked to (see :mod:`.margins`), or None
    margins: dict | None = None
    _anchor_cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

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
        ``year_effects``: a spec for :func:`~.year_effects.draw_year_effects` (default
        ``None``: the witan rates are pooled over the transition years and the SEN2
        calibration is by placement group, not by setting letter; pass e.g. ``{"leave":
        0.3, "intake": 0.3, "rho": 0.5}`` for year-to-year variation of each setting's
        flows).
        """
        c = witan_counts(transitions, by_need=by_need)
        r = witan_rates(c, valid_states, **priors)
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
                  year_effects: dict | str | None = "calibrated",
                  margins: str | None = "calibrated") -> CohortModel:
        """Model of one LA from SEN2 aggregates (the assumptions: :mod:`.identify` and
        ``docs/cohort.md``).

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
        ``year_effects``: ``"calibrated"`` (default:
        :data:`~.year_effects.SEN2_YEAR_EFFECTS`, the year-to-year variation of each
        group's flows calibrated on backtests), a spec for
        :func:`~.year_effects.draw_year_effects`, or ``None`` (rates fixed over the years
        of a draw: intervals then cover far too little - 25-65% of outcomes at the 80%
        level on the backtests).
        ``margins``: ``"calibrated"`` (default) anchors the projection's mean total,
        placement-group mix and SEN2 age-band mix to the margin forecasts of
        :mod:`.margins` (from January ``base_year`` and earlier only, with the settings of
        :data:`~sendforecast.models.settings.PROJECTION_SETTINGS`); the cohort dynamics
        then distribute them over single ages and placements and give the spread.
        ``None``: the unanchored dynamics (they lost to carrying the placement shares
        forward on January 2025: ``benchmarks/results/cohort_backtest.md``).
        """
        la = str(la)
        if hasattr(data, "check_la_codes"):  # a name or a mistyped code: say which code (it
            data.check_la_codes([la])        # was 'no caseload by placement for LA ...')
        if margins not in ("calibrated", None):
            raise ValueError(f"margins must be 'calibrated' or None, not {margins!r}")
        if not (single_age_years(data, "caseload", "la", la)  # the age x placement shape
                or single_age_years(data, "caseload", "national", ENGLAND)):
            raise InputError(Problem(
                "SEN2 data", None, None,
                f"EHC plan caseload by single year of age with a placement breakdown for a "
                f"recent January, for LA {la} or England (the 2025 release's caseload.csv "
                "supplies it: load it too, e.g. --data release-2025/ release-2022/ on the "
                "command line, load_sen2(release_2025, release_2022) in Python)",
                "caseload by age band or by placement only"))
        totals = group_totals(data, "la", la)
        if totals.empty:
            raise NotFoundError(f"no caseload by placement for LA {la!r}")
        if new_plan_totals(data, "la", la).empty:  # the joiners (was a KeyError: 'age')
            raise InputError(Problem(
                "SEN2 data", None, None,
                f"new EHC plans by calendar year for LA {la} (the 2025 release's newplans.csv "
                "or the 2022 release's sen2_age_new_plans.csv: load it too, e.g. --data "
                "release-2025/ release-2022/ on the command line, load_sen2(release_2025, "
                "release_2022) in Python)",
                "no new plans"))
        T = int(totals.index.max()) if base_year is None else int(base_year)
        if T not in totals.index:
            raise NotFoundError(f"no caseload for LA {la} in January {T}")
        ref_level, ref_code, ref_note = reference_area(
            data, la, T, PROJECTION_SETTINGS.get("pool_toward", "england"))
        gone = reorganisation_of(str(la))
        if base_year is None and gone is not None and str(la) in gone.predecessors:
            warnings.warn(f"LA {la} no longer exists: {gone.note} Its projection starts from "
                          f"its last January ({T}), on the old footprint; the successors are "
                          f"{', '.join(gone.successors)}", SendForecastWarning, stacklevel=2)
        if isinstance(year_effects, str):
            if year_effects != "calibrated":
                raise ValueError(f"year_effects must be 'calibrated', a dict or None, not "
                                 f"{year_effects!r}")
            year_effects = dict(SEN2_YEAR_EFFECTS)
        if unrecorded not in ("allocate", "keep"):
            raise ValueError(f"unrecorded must be 'allocate' or 'keep', not {unrecorded!r}")
        loc = sen2_parts(data, "la", la, T, unrecorded)
        if T in loc["imputed_mix_years"]:
            warnings.warn(f"LA {la}: January {T} has no published placement breakdown; its "
                          f"total ({totals.loc[T].sum():,.0f}) is split with the placement mix "
                          f"of January {loc['imputed_mix_years'][T]}", SendForecastWarning,
                          stacklevel=2)
        if isinstance(loc["profile_years"], str):
            warnings.warn(f"LA {la}: no usable single-age x placement January; ages within "
                          f"each placement group follow {loc['profile_years']}",
                          SendForecastWarning, stacklevel=2)
        # no England / region rows: pool toward the LA itself
        ref = loc if ref_level == "la" else reference_parts(data, ref_level, ref_code, T,
                                                                unrecorded)
        post = pooled_posteriors(loc, ref, allow_all_moves=ref_level == "la",
                                 leave_strength=leave_strength, move_strength=move_strength,
                                 mix_strength=mix_strength)
        pop = None
        if population is not None:
            p = population
            if "la_code" in p.columns:
                p = p[p["la_code"].astype(str) == la]
            pop = p.groupby("year")["population"].sum().rename_axis("year").reset_index()
        marg = (_fit_margins(data, la, T, ref_level, ref_code, loc["initial"])
                if margins else None)
        return cls(ages=SEN2_AGES, states=list(PLACEMENT_GROUPS), base_year=T,
                   initial=loc["initial"], leave_a=post["leave_a"], leave_b=post["leave_b"],
                   move_conc=post["move_conc"], joiner_conc=post["joiner_conc"],
                   joiner_history=loc["joiner_history"], population=pop,
                   age_offset=0, specialist=dict(SPECIALIST_PROVISION),
                   year_effects=year_effects, margins=marg,
                   settings={"mode": "sen2", "la": la, "base_year": T,
                             "reference": {"level": ref_level, "code": ref_code,
                                           "note": ref_note},
                             "profile_years": loc["profile_years"],
                             "imputed_mix_years": loc["imputed_mix_years"],
                             "ceased_age_year": loc["ceased_age_year"],
                             "mix_years": loc["mix_years"], "unrecorded": unrecorded,
                             "margins": _describe_margins(marg),
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
            trend = damped_trend if kind == "damped" else loglinear_trend
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
            return rng.poisson(lam.T).T.astype(np.int64)  # year by year
        if callable(joiners):
            out = np.asarray(joiners(rng, draws, fyears))
        else:
            out = np.asarray(joiners)
        out = np.broadcast_to(out, (draws, years)) if out.ndim == 1 else out
        if out.shape != (draws, years):
            raise ValueError(f"joiner draws must have shape ({draws}, {years}), got {out.shape}")
        return np.rint(out).astype(np.int64)

    def project(self, horizon: int = 10, draws: int = 1000, seed: int | None = DEFAULT_SEED,
                joiners=None,
                param_draws: int | None = None, keep_flows: bool = True,
                adjust=None, *, engine: str = DEFAULT_ENGINE) -> CohortProjection:
        """Monte Carlo projection of the Januaries ``base_year+1 .. base_year+horizon``.

        Each year of each draw: leavers ~ Binomial (the top age always leaves), the
        continuing children move ~ Multinomial over their cell's destinations, everyone
        who continues ages on, net transfers in arrive, and the year's joiners are spread
        over age x state ~ Multinomial(mix); in every draw ``stock(t+1) = stock(t) +
        joiners + transfers in - leavers``.
        ``param_draws``: number of parameter sets (posterior draws of the leaving, moving
        and joiners' mix rates; default :data:`~.parameters.PARAM_SETS` = 250, or
        ``draws`` if fewer); draw ``d`` uses set ``d % param_draws`` and has its own year
        effects, joiner totals and binomial counts (the rates' posterior is a small part
        of a projection's spread: ``docs/cohort.md``).
        ``keep_flows``: keep the ``leavers``, ``movers``, ``joiners`` and
        ``transfers_in`` arrays (see :class:`CohortProjection`).
        ``adjust``: a :class:`sendforecast.scenarios.base.FlowAdjustments` (scenarios):
        joiner multipliers, leaving multipliers and redirects of joiners/movers between
        placements.  Parameter draws and joiner totals use the same random numbers with
        or without it (paired draws); the redirects draw from a separate stream.
        ``engine``: ``"numba"`` (compiled kernels with one random stream per draw x cell,
        so scenarios pair cell by cell) or ``"numpy"`` (the test oracle: the same
        distributions, other random numbers); see :mod:`.engine`.
        """
        t0 = time.perf_counter()
        make_engine = select_engine(engine)
        # one stream each for the joiner totals, the draw plan and the engine, and every
        # year's numbers drawn before the next year's: a longer horizon keeps the first
        # years' draws (a 3- and a 5-year run of the same seed agree on years 1-3)
        rng, rng_j, rng_p = _streams(seed)
        A, K, D, H = len(self.ages), len(self.states), int(draws), int(horizon)
        AK = A * K
        P = min(PARAM_SETS, D) if param_draws is None else max(1, min(int(param_draws), D))
        jt = self.joiner_draws(H, D, rng_j, joiners)
        if adjust is not None and adjust.is_null:
            adjust = None
        rng_s = None
        if adjust is not None:
            if adjust.horizon < H or list(adjust.states) != list(self.states):
                raise ValueError("flow adjustments were built for another model or horizon")
            jt = np.rint(jt * adjust.joiner_scale[None, :H]).astype(jt.dtype)
            rng_s = np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0])
        # every rate of every draw, then the engine (which may take seeds): before any count
        plan = draw_plan(self.leave_a, self.leave_b, self.move_conc, self.joiner_conc,
                         self.year_effects, n_ages=A, n_states=K, draws=D, years=H,
                         param_sets=P, rng=rng_p)
        sampler = make_engine(plan, rng)
        sets = plan.sets
        q = sets.leave_or_move(sets.leave)

        out = np.zeros((D, H, A, K), np.int32)
        flows = {k: np.zeros((D, H, A, K), np.int32)
                 for k in ("leavers", "movers", "joiners", "transfers_in")} if keep_flows else {}
        stock = np.broadcast_to(np.rint(self.initial).astype(np.int32).ravel(), (D, AK)).copy()
        for h in range(H):
            q_h, pl_h, redirect = q, sets.leave, None
            if adjust is not None:  # scenarios: leaving multipliers, movers' redirects
                if not np.all(adjust.leave_scale[h] == 1):
                    q_h, pl_h = sets.leaving(adjust.leave_probability(h, sets.leave))
                redirect = partial(adjust.apply_redirects, "movers", h, rng=rng_s)
            leave, nxt = sampler.step(h, stock, q_h, pl_h, redirect)
            arrive = sampler.arrivals(h, nxt)  # net transfers in, placed like the continuers
            join = sampler.joiners(h, jt[:, h])
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
        if self.margins is not None:  # the margin forecasts set the levels
            # the joiners object itself is in the key when it is a callable (an id could
            # be reused by another one once it is gone)
            key = (H, D, seed, P, engine, self._fingerprint(joiners),
                   joiners if callable(joiners) else None)
            if adjust is not None and key not in self._anchor_cache:  # the baseline's
                self.project(horizon=H, draws=D, seed=seed, joiners=joiners,
                             param_draws=param_draws, keep_flows=False, engine=engine)
            raw = out
            out = self._anchor(out, seed, key)
            if seed is None:  # fresh randomness: another run is another baseline
                self._anchor_cache.pop(key, None)
            if keep_flows:  # what the anchoring added, as a flow: the identity holds
                delta = out.astype(np.int64) - raw  # cell by cell with it (see _anchor)
                aged = np.zeros_like(delta)
                aged[:, 1:, 1:] = delta[:, :-1, :-1]
                flows["calibration"] = (delta - aged).astype(np.int32)
                # the age-25 limit: whoever the anchoring put at the top age leaves too
                flows["leavers"][:, 1:, -1] += delta[:, :-1, -1].astype(np.int32)
        proj_years = list(range(self.base_year + 1, self.base_year + H + 1))
        settings = {**self.settings, "horizon": H, "draws": D, "seed": seed,
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

    def _fingerprint(self, joiners) -> str:
        """A digest of everything besides the seed and sizes that makes an unadjusted
        projection's draws (the key of the kept anchoring factors)."""
        h = hashlib.sha1()
        for a in (self.initial, self.leave_a, self.leave_b, self.move_conc, self.joiner_conc,
                  self.joiner_history.to_numpy(float)):
            h.update(np.ascontiguousarray(a, dtype=float).tobytes())
        h.update(repr((_jsonable(self.year_effects), self.base_year,
                       None if joiners is None or isinstance(joiners, str) or callable(joiners)
                       else np.asarray(joiners if not isinstance(joiners, pd.DataFrame)
                                       else joiners.select_dtypes("number")).tobytes(),
                       joiners if isinstance(joiners, str) else None,
                       None if self.population is None
                       else self.population.to_numpy(float).tobytes(),
                       self.age_offset)).encode())
        return h.hexdigest()

    def _anchor(self, out: np.ndarray, seed, key: tuple) -> np.ndarray:
        """Draws ``[D, H, A, K]`` scaled cell by cell so that their mean total, group and
        age-band totals are the margin forecasts (raking, :func:`.margins.rake`), their
        spread about the mean scaled by ``spread``, times a log-normal level error per
        draw of the total, each group and each band (sd ``PROJECTION_SETTINGS["interval"]``
        x sqrt(min(h, 3)), from a stream of its own) and, for the total, an error of its
        growth (sd ``total_growth`` x (min(h, 3) - 1)).  With ``follow_total`` the mix
        gives way to the mix errors (each draw keeps its total), and takes the total's
        level error, as the group forecast's mix responds to the total's growth
        (``level_response``: state special, whose count the places hold, moves about half
        as far as the total), not in proportion; each cell's mean over the draws is then
        put back to its value before the errors (the raked margins).  The
        factors of a model, horizon, seed and draw count are kept, so a scenario run
        (``adjust``) is scaled exactly as its baseline and the pair stays comparable.

        ``project`` records the change as ``flows["calibration"]`` (this year's change
        less last year's, aged on), so that cell by cell ``stock(t+1) = aged-on stock(t)
        - leavers + movers + joiners + transfers in + calibration``."""
        m = self.margins
        D, H, A, K = out.shape
        bi = band_index(self.ages)
        if key not in self._anchor_cache:
            mean = out.mean(0)
            fac, growth = np.ones_like(mean), np.zeros(H)
            for h in range(H):
                tot = mean[h].sum()  # the cohort total, blended with the pooled growth
                if m["total"] is not None:
                    tot += m["total_weight"] * (m["total"].total(h + 1) - tot)
                g = growth[h] = np.log(max(tot, 1e-9) / max(self.initial.sum(), 1e-9))
                r = rake(mean[h], tot * m["groups"].shares(h + 1, g),
                         tot * m["bands"].shares(h + 1, g), bi)
                np.divide(r, mean[h], out=fac[h], where=mean[h] > 0)
            self._anchor_cache[key] = fac, growth
        fac, growth = self._anchor_cache[key]
        sd = m["interval"]
        # the cohort draws' own spread about their mean, scaled (per group where given)
        groups, bands = m["groups"].categories, m["bands"].categories
        spread = np.array([sd.get("spread_by_group", {}).get(g, sd.get("spread", 1.0))
                           for g in groups])
        x = out if (spread == 1.0).all() else np.maximum(
            (1 - spread) * out.mean(0, keepdims=True) + spread * out, 0.0)
        x = x * fac[None]
        if follow := sd.get("follow_total", False):
            means = x.mean(0)  # [H, A, K]: the raked margins (spread clipped at 0), kept
        sg = np.array([sd["groups"].get(g, 0.0) for g in groups])
        sb = np.array([sd["bands"].get(b, 0.0) for b in bands])
        sgr = sd.get("total_growth", 0.0)
        if sd["total"] > 0 or sgr > 0 or (sg > 0).any() or (sb > 0).any():
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(15,)))
            zt = sd["total"] * rng.standard_normal(D)
            # the total's growth error: a level error growing in proportion to the years
            # after the first (a stream of its own, so runs without it are unchanged)
            zg = sgr * np.random.default_rng(np.random.SeedSequence(
                seed, spawn_key=(18,))).standard_normal(D) if sgr > 0 else 0.0
            z = (sg[None, None, :] * rng.standard_normal((D, 1, K))
                 + (sb[None, :, None] * rng.standard_normal((D, len(sb), 1)))[:, bi])
            var = sg[None, :] ** 2 + (sb ** 2)[bi][:, None]  # [A, K]
            for h in range(H):  # grows over the backtested horizons only
                t = min(h + 1, _LEVEL_ERROR_YEARS)
                before = x[:, h].sum(axis=(1, 2))
                x[:, h] *= np.exp(np.sqrt(t) * z - t * var[None] / 2)
                # the groups' and bands' errors are of the mix: each draw keeps its total,
                # which has a level error of its own
                after = x[:, h].sum(axis=(1, 2))
                if follow:  # the rest of the mix gives way as it follows a total's change
                    back = np.log(np.divide(before, after, out=np.ones_like(after),
                                            where=(after > 0) & (before > 0)))
                    x[:, h] *= m["groups"].level_response(h + 1, float(growth[h]),
                                                          back)[:, None]
                    after = x[:, h].sum(axis=(1, 2))
                scale = np.divide(before, after, out=np.ones_like(after), where=after > 0)
                e = np.sqrt(t) * zt + (t - 1) * zg - (t * sd["total"] ** 2
                                                      + (t - 1) ** 2 * sgr ** 2) / 2
                if follow:  # the total's level error reaches the groups as the mix follows
                    x[:, h] *= (scale[:, None] * m["groups"].level_response(
                        h + 1, float(growth[h]), e))[:, None, :]
                else:
                    scale *= np.exp(e)
                    x[:, h] *= scale[:, None, None]
        if follow:  # each cell keeps its mean: the margin forecasts stay the point forecasts
            now = x.mean(0)
            x *= np.divide(means, now, out=np.ones_like(now), where=now > 0)[None]
        tails = sd.get("tails") or {}
        if tails.get("p", 0) > 0:  # heavier tails, the 80% intervals kept (.tails)
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(16,)))
            x = widen_tails(x, tail_factors(tails["p"], tails["k"], D, K, rng))
        return np.rint(x).astype(np.int32)

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


def _fit_margins(data, la: str, T: int, ref_level: str, ref_code: str,
                 initial: np.ndarray) -> dict:
    """The margin forecasts of LA ``la`` from January ``T`` (years <= T only): total,
    placement-group shares and SEN2 age-band shares, pooled toward the reference area
    as :data:`~sendforecast.models.settings.PROJECTION_SETTINGS` says."""
    S = PROJECTION_SETTINGS
    ref = ref_level != "la"
    gs = dict(S["groups"])
    # January T's group mix, part of its distance from the reference's taken back
    ref_g = group_history(data, ref_level, ref_code, T) if ref else None
    base_g = _pooled_base(initial.sum(0), ref_g, T, gs.pop("base_pool", {}), PLACEMENT_GROUPS)
    if gs.pop("method") == "elasticity":
        beta, gamma = group_elasticities(data, T, gs["years"])
        sh = gs.get("shrink", {})  # toward carrying the shares forward (beta 1, gamma 0)
        lam = np.array([sh.get(g, sh.get("default", 1.0)) for g in PLACEMENT_GROUPS])
        groups = ElasticityForecast(tuple(PLACEMENT_GROUPS), base_g,
                                    1 + lam * (beta - 1), lam * gamma, gs["phi"])
    else:
        groups = ShareForecast.fit(group_history(data, "la", la, T), ref_g, T, base=base_g,
                                   **gs)
    own_b = band_totals(data, "la", la)
    ref_b = band_totals(data, ref_level, ref_code) if ref else None
    # the published bands of January T where there are any (the initial stock's bands
    # may come from another January's age shape), else the initial stock's
    base_b = (own_b.loc[T].to_numpy(float) if T in own_b.index else
              np.bincount(band_index(SEN2_AGES), weights=initial.sum(1),
                          minlength=len(own_b.columns)))
    bs = dict(S["bands"])
    base_b = _pooled_base(base_b, ref_b, T, bs.pop("base_pool", {}), list(own_b.columns))
    bands = ShareForecast.fit(own_b[own_b.index <= T],
                              None if ref_b is None else ref_b[ref_b.index <= T], T,
                              base=base_b, **bs)
    ts = dict(S["total"])
    method, weight = ts.pop("method"), ts.pop("weight")
    total = (None if method == "cohort" else
             TotalForecast.fit(total_history(data, "la", la), T, england_growth(data, T),
                               base=float(initial.sum()), **ts))
    return {"total": total, "total_weight": 1.0 if method == "pooled_growth" else weight,
            "groups": groups, "bands": bands,
            "interval": dict(S["interval"]), "version": S["version"]}


def _pooled_base(own: np.ndarray, reference: pd.DataFrame | None, T: int, weights: dict,
                 categories) -> np.ndarray:
    """``own`` (January T's counts of ``categories``) as shares pooled toward the
    reference area's January T shares by ``weights`` (per category, ``"default"``, else
    0: :func:`.margins.pool_shares`); ``own``'s shares when the reference has no January
    T (bands at origin 2023) or is the LA itself."""
    unknown = set(weights) - set(categories) - {"default"}
    if unknown:
        raise ValueError(f"base_pool names unknown categories {sorted(unknown)}; "
                         f"expected some of {list(categories)} or 'default'")
    w = np.array([weights.get(c, weights.get("default", 0.0)) for c in categories], float)
    ref = (reference.loc[T].reindex(categories).to_numpy(float)
           if reference is not None and T in reference.index else np.zeros(len(w)))
    return pool_shares(own, ref, w)


def _describe_margins(m: dict | None) -> dict | None:
    if m is None:
        return None
    return {"version": m["version"],
            "total": "cohort" if m["total"] is None else
            {**m["total"].as_dict(), "weight": m["total_weight"]},
            "groups": m["groups"].as_dict(), "bands": m["bands"].as_dict(),
            "interval": m["interval"]}


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

