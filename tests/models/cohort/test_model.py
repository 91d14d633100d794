"""The cohort model (model): hand-checked steps, conservation, reproducibility, joiners,
witan mode."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sendforecast.models.cohort import CohortModel
from tests.models.cohort.conftest import check_conservation, random_model

# ------------------------------------------------------------------ hand-checked steps
CERTAIN = 1e9  # beta / Dirichlet concentration of a rate known for sure (posterior sd ~1e-5)
ENGINES = ["numba", "numpy"]


def certain_model(initial, leave, move=None, mix=None) -> CohortModel:
    """A model whose rates are (almost) certain, so its expected counts can be worked out
    by hand: ``initial [age, state]``, P(leave) ``leave`` (the top age always leaves),
    ``move [age, from, to]`` the chance of each destination given continuing (default:
    nobody moves), ``mix [age, state]`` the joiners' mix (default: all at age 0, evenly)."""
    initial = np.asarray(initial, float)
    A, K = initial.shape
    leave = np.broadcast_to(np.asarray(leave, float), (A, K))
    move = np.broadcast_to(np.eye(K), (A, K, K)) if move is None else np.asarray(move, float)
    if mix is None:
        mix = np.zeros((A, K))
        mix[0] = 1 / K
    return CohortModel(ages=list(range(A)), states=[f"s{k}" for k in range(K)], base_year=2024,
                       initial=initial, leave_a=CERTAIN * leave, leave_b=CERTAIN * (1 - leave),
                       move_conc=CERTAIN * move, joiner_conc=CERTAIN * np.asarray(mix, float),
                       joiner_history=pd.DataFrame({"year": [2023], "value": [0]}))


@pytest.mark.parametrize("engine", ENGINES)
def test_one_year_of_leaving_without_moves(engine):
    """Two ages x two states, 10% leave at age 0, nobody moves, 100 joiners a year split
    75 / 25 at age 0.  A year later, by hand: age 1 holds the 90% of age 0 who stay
    (900 and 450, binomial variance 1000 x 0.1 x 0.9 = 90), everyone at the top age
    (40 + 20) has left, age 0 is the joiners (75 and 25), and the total is 1,500 + 60 +
    100 joiners - (150 + 60) leavers = 1,450."""
    m = certain_model([[1000, 500], [40, 20]], leave=0.1, mix=[[0.75, 0.25], [0, 0]])
    p = m.project(horizon=1, draws=4000, seed=1, joiners=np.array([100]), engine=engine)
    jan = p.draws[:, 0]
    assert np.allclose(jan.mean(0), [[75, 25], [900, 450]], atol=1)
    assert jan[:, 0].sum(1).tolist() == [100] * 4000  # the supplied joiners, all at age 0
    assert jan[:, 0, 0].var() == pytest.approx(100 * 0.75 * 0.25, rel=0.1)
    assert jan[:, 1, 0].var() == pytest.approx(90, rel=0.1)
    assert np.allclose(p.flows["leavers"][:, 0].mean(0), [[100, 50], [40, 20]], atol=1)
    assert (p.flows["leavers"][:, 0, 1] == [40, 20]).all()  # the age-25 limit: all leave
    assert jan.sum((1, 2)).mean() == pytest.approx(1450, abs=1)
    assert (p.flows["movers"] == 0).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_cohort_ages_on_and_thins_out(engine):
    """One state, three ages, 10% leave a year, no joiners: 1,000 children aged 0 are 900
    aged 1 a year later and 810 aged 2 the year after (variance of Binomial(1000, 0.81):
    153.9); then they reach the top age and all leave."""
    m = certain_model([[1000], [0], [0]], leave=0.1)
    p = m.project(horizon=3, draws=4000, seed=2, joiners=np.zeros(3), engine=engine)
    ages = p.draws[..., 0]  # [draw, year, age]
    assert np.allclose(ages.mean(0), [[0, 900, 0], [0, 0, 810], [0, 0, 0]], atol=1.5)
    assert ages[:, 1, 2].var() == pytest.approx(1000 * 0.81 * 0.19, rel=0.1)


@pytest.mark.parametrize("engine", ENGINES)
def test_leavers_then_movers_split_the_cell(engine):
    """800 children in state 0 at age 0: 20% leave, and a quarter of those who continue
    move to state 1.  By hand: 160 leave, 640 continue, of whom 480 stay in state 0 and
    160 move to state 1 - and are a year older next January."""
    move = np.zeros((2, 2, 2))
    move[:, 0] = [0.75, 0.25]  # from state 0: stay 3/4, move to state 1 1/4
    move[:, 1, 1] = 1.0  # state 1: everyone stays
    m = certain_model([[800, 0], [0, 0]], leave=0.2, move=move)
    p = m.project(horizon=1, draws=4000, seed=3, joiners=np.zeros(1), engine=engine)
    assert np.allclose(p.draws[:, 0, 1].mean(0), [480, 160], atol=1)
    assert p.flows["leavers"][:, 0, 0, 0].mean() == pytest.approx(160, abs=1)
    assert np.allclose(p.flows["movers"][:, 0, 0].mean(0), [-160, 160], atol=1)
    assert p.draws[:, 0, 1, 1].var() == pytest.approx(800 * 0.2 * 0.8, rel=0.1)


# ------------------------------------------------------------------ conservation


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), A=st.integers(2, 8), K=st.integers(1, 5),
       years=st.integers(1, 4), draws=st.integers(1, 30), sd=st.sampled_from([0.0, 0.3, 1.5]),
       net=st.sampled_from([0.0, 0.05, 0.2]))
def test_conservation_property(seed, A, K, years, draws, sd, net):
    m = random_model(seed, A, K)
    # sd 1.5: probabilities pushed against 1; net: transfers out (extra leaving) and in
    m.year_effects = {"leave": sd, "intake": sd, "net": net}
    p = m.project(horizon=years, draws=draws, seed=seed)
    assert p.draws.shape == (draws, years, A, K)
    check_conservation(p)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), A=st.integers(2, 6), K=st.integers(1, 6),
       scale=st.sampled_from([1, 50, 2_000]), draws=st.integers(1, 20),
       param_draws=st.integers(1, 5), sd=st.sampled_from([0.0, 0.5]))
def test_conservation_large_stocks_and_shared_parameters(seed, A, K, scale, draws, param_draws,
                                                         sd):
    """Cells big enough for the normal approximation, and parameter sets shared by draws."""
    m = random_model(seed, A, K)
    m.year_effects = {"leave": sd, "intake": sd, "rho": 0.5, "net": sd / 10}
    m.initial = m.initial * scale
    m.move_conc[:, 0, 1:] = 0  # state 0 has no valid move: its children stay or leave
    p = m.project(horizon=3, draws=draws, seed=seed, param_draws=param_draws)
    check_conservation(p)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000), joiners=st.lists(st.integers(0, 500), min_size=3, max_size=3))
def test_supplied_joiner_array_is_used(seed, joiners):
    p = random_model(seed, 5, 3).project(horizon=3, draws=7, seed=seed,
                                          joiners=np.array(joiners))
    assert (p.flows["joiners"].sum((2, 3)) == np.array(joiners)[None]).all()
    check_conservation(p)


def test_same_seed_same_draws():
    m = random_model(1, 6, 3)
    a, b = m.project(horizon=3, draws=50, seed=7), m.project(horizon=3, draws=50, seed=7)
    assert np.array_equal(a.draws, b.draws)
    assert not np.array_equal(a.draws, m.project(horizon=3, draws=50, seed=8).draws)


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_a_longer_horizon_keeps_the_first_years(example, engine):
    """The same seed gives the same draws of the years both runs have, whatever the
    horizon: a 3-year run for a Cabinet paper and a 5-year run of the same LA agree on
    the first three years (each year's random numbers come after the previous year's,
    never after a later year's).  Anchored margins, year effects and net transfers on;
    the damped joiner trend and a forecast frame of joiners both."""
    m = CohortModel.from_sen2(example, "999")
    assert m.margins and m.year_effects and m.year_effects["net"] > 0
    frame = pd.DataFrame({"year": range(m.base_year, m.base_year + 5),
                          "mean": [100.0, 110, 120, 130, 140], "p10": [80.0, 85, 90, 95, 100],
                          "p90": [120.0, 135, 150, 165, 180]})
    for joiners in (None, frame):
        short = m.project(horizon=3, draws=200, seed=4, joiners=joiners, engine=engine)
        long = m.project(horizon=5, draws=200, seed=4, joiners=joiners, engine=engine)
        assert np.array_equal(short.draws, long.draws[:, :3])
        for k in ("leavers", "joiners", "transfers_in"):
            assert np.array_equal(short.flows[k], long.flows[k][:, :3]), k
    # and the seed still matters
    assert not np.array_equal(short.draws, m.project(horizon=3, draws=200, seed=5,
                                                     joiners=frame, engine=engine).draws)


def test_keeping_flows_does_not_change_the_draws(example):
    """keep_flows only records the flows: the same seed gives the same stock, with or
    without them, and a second call gives the same numbers again."""
    m = CohortModel.from_sen2(example, "999")
    a = m.project(horizon=4, draws=300, seed=12, keep_flows=True)
    b = m.project(horizon=4, draws=300, seed=12, keep_flows=False)
    assert m.year_effects and m.year_effects["net"] > 0  # transfers in and out happen
    assert a.flows["transfers_in"].sum() > 0
    assert np.array_equal(a.draws, b.draws) and b.flows == {}
    assert np.array_equal(a.draws, m.project(horizon=4, draws=300, seed=12).draws)


def test_forecast_frame_and_callable_joiners():
    m = random_model(2, 6, 3)
    fc = pd.DataFrame({"la_code": "999", "year": [2020, 2021], "mean": [100.0, 120.0],
                       "p10": [90.0, 100.0], "p90": [110.0, 140.0], "p2_5": 0, "p97_5": 0,
                       "method": "ets"})
    p = m.project(horizon=2, draws=2000, seed=1, joiners=fc)
    assert abs(p.joiner_totals[:, 1].mean() - 120) < 3
    p2 = m.project(horizon=2, draws=5, seed=1, joiners=lambda rng, d, y: np.full((d, len(y)), 9))
    assert (p2.joiner_totals == 9).all()


def test_bucks_ten_year_projection_is_damped(sen2):
    m = CohortModel.from_sen2(sen2, "825")
    p = m.project(horizon=10, draws=300, seed=2, keep_flows=False)
    tot = p.totals().set_index("year")["mean"]
    assert tot[2034] < 2.5 * 6697  # an undamped trend gave ~22,000 (3.3 x)
    assert tot[2034] > 6697
    assert p.settings["joiners"].startswith("damped")
    # the undamped log-linear trend stays available
    old = m.project(horizon=10, draws=300, seed=2, keep_flows=False, joiners="loglinear")
    assert old.totals()["mean"].iloc[-1] > tot[2034]


def test_witan_mode(witan_model):
    tr, m = witan_model
    last = tr[tr.calendar_year == tr.calendar_year.max()]
    assert m.initial.sum() == (last.setting_2 != "NONSEND").sum()
    p = m.project(horizon=3, draws=200, seed=1)
    assert p.years[0] == tr.calendar_year.max() + 2
    check_conservation(p)
    d = p.decomposition
    assert np.allclose(d.population_effect + d.rate_effect, d.change)


@pytest.mark.realdata
def test_an_abolished_la_is_projected_with_a_warning(sen2):
    """Cumbria (909, split in April 2023) was projected from January 2023 to 2033 without a
    word that the LA no longer exists; a continuing LA gets no such warning."""
    import warnings

    from sendforecast.errors import SendForecastWarning

    with pytest.warns(SendForecastWarning, match=r"LA 909 no longer exists.*942, 943"):
        CohortModel.from_sen2(sen2, "909")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        CohortModel.from_sen2(sen2, "825")
    assert not [x for x in w if "no longer exists" in str(x.message)]


def test_caseload_without_new_plans_is_an_input_error():
    """Only the caseload file loaded (--data caseload.csv): the joiners are missing; this
    was 'unexpected error (KeyError): not found: age ... looks like a bug'."""
    from sendforecast import load_sen2
    from sendforecast.data.example import EXAMPLE_DIR
    from sendforecast.errors import InputError

    data = load_sen2(EXAMPLE_DIR / "exampleshire_caseload.csv")
    with pytest.raises(InputError, match="new EHC plans by calendar year for LA 999"):
        CohortModel.from_sen2(data, "999")
