"""Rate estimation with priors (beta-binomial, Dirichlet-multinomial) and witan counts."""

from __future__ import annotations

import numpy as np
import pytest

from sendforecast.models.cohort import rates as R
from tests.conftest import WITAN


def test_beta_posterior_hand_checkable():
    a, b = R.beta_posterior(3, 10, 0.5, strength=10)
    assert (a, b) == (8.0, 12.0)


def test_dirichlet_floor_gives_every_allowed_move_positive_mass():
    conc = R.dirichlet_posterior([10, 0, 0, 0], [1, 0, 0, 0], 5, allowed=[1, 1, 0, 1])
    assert conc[1] > 0 and conc[3] > 0 and conc[2] == 0 and conc[0] > 10


def test_pooled_beta_shrinks_sparse_cells():
    x = np.array([[0.0], [1.0], [50.0]])
    n = np.array([[1.0], [1.0], [500.0]])
    a, b = R.pooled_beta(x, n, ["g", "g", "g"], strength=10)
    m = a / (a + b)
    assert 0 < m[0, 0] < 0.2 and m[1, 0] < 0.3  # 0/1 and 1/1 pulled toward ~0.1
    assert abs(m[2, 0] - 0.1) < 0.01


@pytest.fixture(scope="module")
def witan():
    if not WITAN.is_dir():
        pytest.skip(f"witan demo not found under {WITAN}")
    from sendforecast.data.local import read_transitions, read_valid_states

    vs = read_valid_states(WITAN / "valid-states.csv")
    return read_transitions(WITAN / "transitions.csv", vs), vs


def test_witan_joiner_counts_equal_nonsend_rows(witan):
    tr, vs = witan
    c = R.witan_counts(tr)
    rows = tr[(tr.setting_1 == "NONSEND") & (tr.setting_2 != "NONSEND")]
    per_year = rows.groupby("calendar_year").size()
    assert list(c["joiners"].sum(axis=(1, 2))) == list(per_year.reindex(c["years"]))
    lv = tr[(tr.setting_1 != "NONSEND") & (tr.setting_2 == "NONSEND")]
    assert c["leavers"].sum() == len(lv)
    assert c["moves"].sum() + c["leavers"].sum() == c["stock"].sum()


def test_witan_rates_valid(witan):
    tr, vs = witan
    c = R.witan_counts(tr)
    r = R.witan_rates(c, vs)
    m = r["leave_a"] / (r["leave_a"] + r["leave_b"])
    assert np.all((m > 0) & (m < 1))
    conc = r["move_conc"]
    # every allowed move (valid destination at age + 1) has positive probability
    assert np.all(conc[r["allowed_move"]] > 0)
    # every observed move is kept
    assert np.all(conc[c["moves"] > 0] > 0)
    assert np.all(r["joiner_conc"][c["joiners"].sum(0) > 0] > 0)


def test_loglinear_trend_shapes_and_growth():
    rng = np.random.default_rng(0)
    d = R.loglinear_trend([2019, 2020, 2021, 2022], [100, 110, 121, 133], [2023, 2024], 2000, rng)
    assert d.shape == (2000, 2) and d.dtype == np.int64
    assert 135 < d[:, 0].mean() < 160


def test_damped_trend_bounds_growth():
    rng = np.random.default_rng(0)
    yrs = list(range(2014, 2024))
    vals = [100 * 1.15**i for i in range(10)]  # 15% a year
    fut = list(range(2024, 2034))
    und = R.loglinear_trend(yrs, vals, fut, 4000, rng)
    dmp = R.damped_trend(yrs, vals, fut, 4000, rng, phi=0.8)
    assert dmp.shape == (4000, 10) and dmp.dtype == np.int64
    last = vals[-1]
    # total further growth <= exp(b * phi / (1 - phi)) = exp(0.14 * 4) ~ 1.75
    assert 1.5 * last < np.median(dmp[:, -1]) < 1.95 * last
    assert np.median(und[:, -1]) > 3.5 * last
    # year-on-year growth shrinks
    g = np.diff(np.log(dmp.mean(0)))
    assert g[0] > g[-1] > -0.01
    # uncertainty in the growth rate: the spread widens with the horizon
    sd = np.log(dmp.clip(1)).std(0)
    assert sd[-1] > sd[0]


def test_damped_trend_flat_and_short_series():
    rng = np.random.default_rng(1)
    d = R.damped_trend([2020, 2021, 2022, 2023], [200, 200, 200, 200], [2024, 2025], 3000, rng)
    assert abs(d.mean() - 200) < 10
    d2 = R.damped_trend([2023], [50], [2024, 2025], 100, rng)
    assert d2.shape == (100, 2)
    with pytest.raises(ValueError):
        R.damped_trend([2023], [0], [2024], 10, rng)
