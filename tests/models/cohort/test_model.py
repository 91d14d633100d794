"""The cohort model (model): conservation, reproducibility, joiners, witan mode."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sendforecast.models.cohort import CohortModel
from tests.models.cohort.conftest import check_conservation, random_model


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), A=st.integers(2, 8), K=st.integers(1, 5),
       years=st.integers(1, 4), draws=st.integers(1, 30), sd=st.sampled_from([0.0, 0.3, 1.5]),
       net=st.sampled_from([0.0, 0.05, 0.2]))
def test_conservation_property(seed, A, K, years, draws, sd, net):
    m = random_model(seed, A, K)
    # sd 1.5: probabilities pushed against 1; net: transfers out (extra leaving) and in
    m.year_effects = {"leave": sd, "intake": sd, "net": net}
    p = m.project(years=years, draws=draws, seed=seed)
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
    p = m.project(years=3, draws=draws, seed=seed, param_draws=param_draws)
    check_conservation(p)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000), joiners=st.lists(st.integers(0, 500), min_size=3, max_size=3))
def test_supplied_joiner_array_is_used(seed, joiners):
    p = random_model(seed, 5, 3).project(years=3, draws=7, seed=seed,
                                          joiners=np.array(joiners))
    assert (p.flows["joiners"].sum((2, 3)) == np.array(joiners)[None]).all()
    check_conservation(p)


def test_same_seed_same_draws():
    m = random_model(1, 6, 3)
    a, b = m.project(years=3, draws=50, seed=7), m.project(years=3, draws=50, seed=7)
    assert np.array_equal(a.draws, b.draws)
    assert not np.array_equal(a.draws, m.project(years=3, draws=50, seed=8).draws)


def test_keeping_flows_does_not_change_the_draws(example):
    """keep_flows only records the flows: the same seed gives the same stock, with or
    without them, and a second call gives the same numbers again."""
    m = CohortModel.from_sen2(example, "999")
    a = m.project(years=4, draws=300, seed=12, keep_flows=True)
    b = m.project(years=4, draws=300, seed=12, keep_flows=False)
    assert m.year_effects and m.year_effects["net"] > 0  # transfers in and out happen
    assert a.flows["transfers_in"].sum() > 0
    assert np.array_equal(a.draws, b.draws) and b.flows == {}
    assert np.array_equal(a.draws, m.project(years=4, draws=300, seed=12).draws)


def test_forecast_frame_and_callable_joiners():
    m = random_model(2, 6, 3)
    fc = pd.DataFrame({"la_code": "999", "year": [2020, 2021], "mean": [100.0, 120.0],
                       "p10": [90.0, 100.0], "p90": [110.0, 140.0], "p2_5": 0, "p97_5": 0,
                       "method": "ets"})
    p = m.project(years=2, draws=2000, seed=1, joiners=fc)
    assert abs(p.joiner_totals[:, 1].mean() - 120) < 3
    p2 = m.project(years=2, draws=5, seed=1, joiners=lambda rng, d, y: np.full((d, len(y)), 9))
    assert (p2.joiner_totals == 9).all()


def test_bucks_ten_year_projection_is_damped(sen2):
    m = CohortModel.from_sen2(sen2, "825")
    p = m.project(years=10, draws=300, seed=2, keep_flows=False)
    tot = p.totals().set_index("year")["mean"]
    assert tot[2034] < 2.5 * 6697  # an undamped trend gave ~22,000 (3.3 x)
    assert tot[2034] > 6697
    assert p.settings["joiners"].startswith("damped")
    # the undamped log-linear trend stays available
    old = m.project(years=10, draws=300, seed=2, keep_flows=False, joiners="loglinear")
    assert old.totals()["mean"].iloc[-1] > tot[2034]


def test_witan_mode(witan_model):
    tr, m = witan_model
    last = tr[tr.calendar_year == tr.calendar_year.max()]
    assert m.initial.sum() == (last.setting_2 != "NONSEND").sum()
    p = m.project(years=3, draws=200, seed=1)
    assert p.years[0] == tr.calendar_year.max() + 2
    check_conservation(p)
    d = p.decomposition
    assert np.allclose(d.population_effect + d.rate_effect, d.change)
