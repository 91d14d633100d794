"""The seeded stock-flow simulation of Exampleshire, year by year, as count arrays.

:func:`simulate` returns a :class:`Simulation`: per year, arrays of plans by single
year of age and detailed placement (:data:`~.example_params.PLACEMENTS`), requests
and assessments by outcome, timeliness bands and ceased plans by reason.  The
parameters are those of :mod:`.example_params`; :mod:`.example_files` writes the
arrays as release-shaped tables.  This process is independent of the library's
cohort model on purpose: the example is data to fit, not the model's own output.

Generative process (one calendar year at a time, all draws from
``numpy.random.default_rng(seed)``, all counts non-negative integers)

1. *Initial stock* (January 2019): ``INITIAL_STOCK`` plans, multinomial over
   single years of age 0-25 (``AGE_PROFILE``) x placement (phase mix
   ``STOCK_MIX`` split into detailed columns by ``_detail_split``).
2. *Requests* in year t: Poisson(``REQUESTS_2019 * REQUESTS_GROWTH**(t-2019)``)
   spread over ages 0-24 by ``START_AGE_WEIGHTS``; outcomes multinomial with
   ``P_REQUEST`` (assess / not assess / not made / withdrawn).  Decided-to-assess
   requests are assessed in the same year; outcomes multinomial with
   ``P_ASSESSMENT`` (issued / not issued / not made / withdrawn).
3. *New plans* = assessments issued (by age at request = age when plan started);
   placement multinomial by age from ``NEW_MIX`` (mostly mainstream, early years
   under 5, FE at 16+).  Timeliness splits the issued plans into exceptions
   (``P_EXCEPTION``) and 20-week / 20-52 week / over-52-week bands
   (``P_WITHIN_20_WEEKS`` by year).  Plans issued = new plans.
4. *Ceasing*: each plan in the January stock at age a ceases in the year with
   probability ``CEASE_HAZARD[a]`` (1 at 25); the reason is multinomial by age
   (``reason_probs``: transfers and moves at school age; needs met, higher
   education, employment, no longer engaging at 16+; maximum age at 24-25).
   Age when the plan ceased is a or a + 1 (equally likely).
5. *Age-on and moves*: survivors are one year older next January.  A survivor
   in placement group g at its new age re-draws its placement with probability
   and destination mix ``move_rule``: 12 % a year of primary and 8 % of
   secondary mainstream plans move (mostly to special, some to RP/units, AP,
   elsewhere), other placements 1-3 %, and large moves at phase transfer:
   early years -> school at 4-5, Year 7 (age 11: 28 % of mainstream), post-16
   (age 16: 80 % of
   mainstream, 30 % of special), post-19 (school placements end); school
   type (LA maintained -> academy) is re-drawn at 11.  Independent special
   destinations grow by ``INDEPENDENT_TREND`` a year (capacity pressure);
   UKRLP's share of FE grows from 5 %.
6. *Joiners*: the year's new plans join next January's stock at their start
   age or one year older (probability ``P_JOIN_OLDER``); plans transferred in
   from other LAs (not new plans in SEN2) arrive as Poisson(``TRANSFER_IN_RATE``
   x stock) spread like the stock.  Hence stock(t+1) = stock(t) + new(t) -
   ceased(t) + transfers in(t), with transfers in about 1 % of the stock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .example_params import (
    AGE_PROFILE,
    CEASE_HAZARD,
    CEASED_REASONS,
    CENSUS_YEARS,
    FLOW_YEARS,
    GROUP_INDEX,
    GROUPS,
    INITIAL_STOCK,
    MAX_AGE,
    NEW_MIX,
    P_ASSESSMENT,
    P_DECISION_WITHIN_6_WEEKS,
    P_EXCEPTION,
    P_JOIN_OLDER,
    P_OVER_52_WEEKS,
    P_REQUEST,
    P_WITHIN_20_WEEKS,
    PLACEMENTS,
    REDRAW_DETAIL,
    REQUESTS_2019,
    REQUESTS_GROWTH,
    START_AGE_WEIGHTS,
    STOCK_MIX,
    TRANSFER_IN_RATE,
    model_phase,
    move_rule,
    placement_probs,
    reason_probs,
)


@dataclass
class Simulation:
    stock: dict[int, np.ndarray] = field(default_factory=dict)  # census year -> (26, P)
    requests: dict[int, np.ndarray] = field(default_factory=dict)  # year -> (25, 11)
    assessments: dict[int, np.ndarray] = field(default_factory=dict)  # year -> (25, 12)
    new_plans: dict[int, np.ndarray] = field(default_factory=dict)  # year -> (25, P)
    timeliness: dict[int, np.ndarray] = field(default_factory=dict)  # year -> (25, 6)
    ceased: dict[int, np.ndarray] = field(default_factory=dict)  # year -> (27, P, 10)
    transfers_in: dict[int, int] = field(default_factory=dict)


def _normalise(p: np.ndarray) -> np.ndarray:
    return p / p.sum(axis=-1, keepdims=True)


def _apply_moves(stock: np.ndarray, year: int, rng: np.random.Generator) -> np.ndarray:
    """Placement moves of plans that have just reached their census age."""
    out = np.zeros_like(stock)
    for age in range(stock.shape[0]):
        row = stock[age]
        if not row.any():
            continue
        for g in GROUPS:
            idx = GROUP_INDEX[g]
            counts = row[idx]
            if not counts.any():
                continue
            prob, dest = move_rule(age, g)
            movers = rng.binomial(counts, prob) if prob > 0 else np.zeros_like(counts)
            stayers = counts - movers
            if (g, age) in REDRAW_DETAIL and stayers.any():  # new school type etc.
                out[age] += rng.multinomial(stayers.sum(), placement_probs({g: 1.0}, age, year))
            else:
                out[age, idx] += stayers
            if movers.any():
                out[age] += rng.multinomial(movers.sum(), placement_probs(dest, age, year))
    return out


def simulate(seed: int) -> Simulation:
    rng = np.random.default_rng(seed)
    sim = Simulation()
    n_ages = MAX_AGE + 1
    n_start = START_AGE_WEIGHTS.size  # ages 0..24
    # 1. initial stock
    cell = np.array([_normalise(AGE_PROFILE)[a] * placement_probs(STOCK_MIX[model_phase(a)], a, 2019)
                     for a in range(n_ages)])
    stock = rng.multinomial(INITIAL_STOCK, cell.ravel()).reshape(n_ages, len(PLACEMENTS))
    start_p = _normalise(START_AGE_WEIGHTS)
    new_place_p = np.array([[placement_probs(NEW_MIX[model_phase(a)], a, y) for a in range(n_start)]
                            for y in FLOW_YEARS])
    reason_p = np.array([reason_probs(a) for a in range(n_ages)])
    for k, year in enumerate(FLOW_YEARS):
        sim.stock[year] = stock
        # 2. requests and assessments
        n_req = rng.poisson(REQUESTS_2019 * REQUESTS_GROWTH ** (year - 2019))
        req_age = rng.multinomial(n_req, start_p)
        req_out = rng.multinomial(req_age, P_REQUEST)  # (25, 4)
        decided = req_out[:, 0] + req_out[:, 1]
        within6 = rng.binomial(decided, P_DECISION_WITHIN_6_WEEKS)
        mediation = rng.binomial(req_out[:, 1], 0.2)
        tribunal = rng.binomial(req_out[:, 1], 0.1)
        trib_after = rng.binomial(np.minimum(mediation, tribunal), 0.3)
        rya = rng.binomial(req_age, 0.0004)
        sim.requests[year] = np.column_stack(
            [req_age, rya, req_out, within6, decided - within6, mediation, tribunal, trib_after])
        ass_out = rng.multinomial(req_out[:, 0], P_ASSESSMENT)  # (25, 4)
        issued, not_issued = ass_out[:, 0], ass_out[:, 1]
        dec_within = rng.binomial(not_issued, 0.4)
        a_med = rng.binomial(not_issued, 0.3)
        a_trib = rng.binomial(not_issued, 0.2)
        a_med_trib = rng.binomial(np.minimum(a_med, a_trib), 0.3)
        o_med = rng.binomial(issued, 0.015)
        o_trib = rng.binomial(issued, 0.02)
        o_med_trib = rng.binomial(np.minimum(o_med, o_trib), 0.3)
        sim.assessments[year] = np.column_stack(
            [ass_out, dec_within, not_issued - dec_within, a_med, a_trib, a_med_trib, o_med,
             o_trib, o_med_trib])
        # 3. new plans and timeliness
        new = rng.multinomial(issued, new_place_p[k])  # (25, P)
        sim.new_plans[year] = new
        exc = rng.binomial(issued, P_EXCEPTION)
        p20 = P_WITHIN_20_WEEKS[year]
        band_ex = rng.multinomial(issued - exc, [p20, (1 - p20) * (1 - P_OVER_52_WEEKS),
                                                 (1 - p20) * P_OVER_52_WEEKS])
        band_exc = rng.multinomial(exc, [0.35, 0.6, 0.05])
        sim.timeliness[year] = np.column_stack([band_ex + band_exc, band_ex])  # (25, 6)
        # 4. ceasing
        ceased = rng.binomial(stock, CEASE_HAZARD[:, None])
        reasons = rng.multinomial(ceased, reason_p[:, None, :])  # (26, P, 10)
        older = rng.binomial(reasons, 0.5)
        by_cease_age = np.zeros((n_ages + 1, len(PLACEMENTS), len(CEASED_REASONS)), dtype=int)
        by_cease_age[:n_ages] += reasons - older
        by_cease_age[1:] += older
        sim.ceased[year] = by_cease_age
        # 5. age on and moves
        survivors = stock - ceased
        nxt = np.zeros_like(stock)
        nxt[1:] = survivors[:-1]
        nxt = _apply_moves(nxt, year, rng)
        # 6. joiners (start age or one older) and transfers in
        later = rng.binomial(new, P_JOIN_OLDER)
        nxt[:n_start] += new - later
        nxt[1:n_start + 1] += later
        n_in = rng.poisson(TRANSFER_IN_RATE * stock.sum())
        sim.transfers_in[year] = int(n_in)
        nxt += rng.multinomial(n_in, (nxt / nxt.sum()).ravel()).reshape(nxt.shape)
        stock = nxt
    sim.stock[CENSUS_YEARS[-1]] = stock
    return sim

