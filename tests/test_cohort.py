"""Cohort stock-flow model: conservation, reproducibility, SEN2 and witan modes, CLI."""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sendforecast.data.taxonomy import PLACEMENT_GROUPS
from sendforecast.models.cohort import QUANTILES, CohortModel
from tests.conftest import WITAN

COLS = ["year", "age", "placement", "mean", "p10", "p90", "p2_5", "p97_5"]


def _random_model(seed: int, A: int, K: int) -> CohortModel:
    r = np.random.default_rng(seed)
    conc = r.gamma(0.5, size=(A, K, K)) * (r.random((A, K, K)) < 0.6)
    conc[:, np.arange(K), np.arange(K)] += 1.0
    return CohortModel(
        ages=list(range(A)), states=[f"s{k}" for k in range(K)], base_year=2020,
        initial=r.integers(0, 60, size=(A, K)).astype(float),
        leave_a=r.gamma(1.0, size=(A, K)) + 0.1, leave_b=r.gamma(5.0, size=(A, K)) + 0.1,
        move_conc=conc, joiner_conc=r.gamma(1.0, size=(A, K)) + 1e-3,
        joiner_history=pd.DataFrame({"year": [2017, 2018, 2019], "value": [50, 60, 70]}))


def _check_conservation(p):
    D, H, A, K = p.draws.shape
    f = p.flows
    prev = np.broadcast_to(p.initial.astype(np.int64), (D, A, K))
    for h in range(H):
        cur = p.draws[:, h].astype(np.int64)
        lv, mv, jn, ti = (f[k][:, h].astype(np.int64)
                          for k in ("leavers", "movers", "joiners", "transfers_in"))
        assert (cur >= 0).all() and (lv >= 0).all() and (jn >= 0).all() and (ti >= 0).all()
        assert (ti[:, 0] == 0).all()  # transfers in arrive with the continuers, a year older
        jn = jn + ti  # everyone who is there next January without being there this one
        # movers net to zero for every draw and age
        assert (mv.sum(-1) == 0).all()
        # stock(t+1) = stock(t) + joiners + transfers in - leavers, in every draw
        assert (cur.sum((1, 2)) == prev.sum((1, 2)) + jn.sum((1, 2)) - lv.sum((1, 2))).all()
        # cell by cell: age on after leaving and moving, then add joiners
        aged = np.zeros_like(prev)
        aged[:, 1:] = (prev - lv + mv)[:, :-1]
        assert (cur == aged + jn).all()
        assert (lv <= prev).all()
        prev = cur


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), A=st.integers(2, 8), K=st.integers(1, 5),
       years=st.integers(1, 4), draws=st.integers(1, 30), sd=st.sampled_from([0.0, 0.3, 1.5]),
       net=st.sampled_from([0.0, 0.05, 0.2]))
def test_conservation_property(seed, A, K, years, draws, sd, net):
    m = _random_model(seed, A, K)
    # sd 1.5: probabilities pushed against 1; net: transfers out (extra leaving) and in
    m.year_effects = {"leave": sd, "intake": sd, "net": net}
    p = m.project(years=years, draws=draws, seed=seed)
    assert p.draws.shape == (draws, years, A, K)
    _check_conservation(p)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000), joiners=st.lists(st.integers(0, 500), min_size=3, max_size=3))
def test_supplied_joiner_array_is_used(seed, joiners):
    p = _random_model(seed, 5, 3).project(years=3, draws=7, seed=seed,
                                          joiners=np.array(joiners))
    assert (p.flows["joiners"].sum((2, 3)) == np.array(joiners)[None]).all()
    _check_conservation(p)


def test_same_seed_same_draws():
    m = _random_model(1, 6, 3)
    a, b = m.project(years=3, draws=50, seed=7), m.project(years=3, draws=50, seed=7)
    assert np.array_equal(a.draws, b.draws)
    assert not np.array_equal(a.draws, m.project(years=3, draws=50, seed=8).draws)


def test_forecast_frame_and_callable_joiners():
    m = _random_model(2, 6, 3)
    fc = pd.DataFrame({"la_code": "999", "year": [2020, 2021], "mean": [100.0, 120.0],
                       "p10": [90.0, 100.0], "p90": [110.0, 140.0], "p2_5": 0, "p97_5": 0,
                       "method": "ets"})
    p = m.project(years=2, draws=2000, seed=1, joiners=fc)
    assert abs(p.joiner_totals[:, 1].mean() - 120) < 3
    p2 = m.project(years=2, draws=5, seed=1, joiners=lambda rng, d, y: np.full((d, len(y)), 9))
    assert (p2.joiner_totals == 9).all()


def test_table_and_quantile_columns():
    p = _random_model(3, 6, 3).project(years=2, draws=40, seed=1)
    t = p.table()
    assert list(t.columns) == COLS and len(t) == 2 * 6 * 3
    assert (t.p2_5 <= t.p10).all() and (t.p10 <= t.p90).all() and (t.p90 <= t.p97_5).all()
    tot = p.totals()
    assert np.allclose(tot["mean"], p.draws.sum((2, 3)).mean(0))
    assert list(tot.columns) == ["year", "mean", *QUANTILES]


# ------------------------------------------------------------------ real SEN2 data
@pytest.fixture(scope="module")
def bucks(sen2):
    m = CohortModel.from_sen2(sen2, "825")
    return m, m.project(years=5, draws=300, seed=1)


def test_sen2_buckinghamshire(bucks):
    m, p = bucks
    assert m.base_year == 2024 and p.years[0] == 2025
    assert m.initial.sum() == pytest.approx(6697)
    t25 = p.totals().set_index("year").loc[2025, "mean"]
    assert 6697 * 0.95 < t25 < 6697 * 1.3
    lp = m.leave_a / (m.leave_a + m.leave_b)
    assert ((lp > 0) & (lp < 1)).all()
    ages = lp.mean(1)
    assert ages[19] > ages[12] and ages[16] > ages[12]  # drops at 16 and 19
    _check_conservation(p)


def test_sen2_scap_table(bucks):
    _, p = bucks
    s = p.specialist_places()
    assert list(s.columns) == ["year", "phase", "provision", "placement", "mean", *QUANTILES]
    assert set(s.phase) == {"primary", "secondary", "post16"}
    assert set(s.placement) == {"state_special", "independent_special", "resourced_provision",
                                "ap_pru"}
    assert len(s) == 5 * 3 * 4
    bp = p.by_phase()
    assert {"year", "phase", "placement"} <= set(bp.columns)


def test_sen2_backtest_origin_uses_past(sen2):
    m = CohortModel.from_sen2(sen2, "825", base_year=2023)
    assert m.base_year == 2023
    assert m.initial.sum() == pytest.approx(5890)
    assert m.joiner_history.year.max() <= 2023


def test_impute_missing_mix_uses_nearest_earlier_breakdown():
    from sendforecast.models.cohort import _impute_missing_mix

    t = pd.DataFrame(0.0, index=[2022, 2023, 2024], columns=PLACEMENT_GROUPS)
    t.loc[2022, ["mainstream", "state_special"]] = [60, 40]
    t.loc[2023, ["mainstream", "state_special"]] = [50, 50]
    t.loc[2024, "not_recorded"] = 120  # published total, no placement breakdown
    out, imputed = _impute_missing_mix(t, 2024)
    assert imputed == {2024: 2023}
    assert out.loc[2024, "mainstream"] == pytest.approx(60) and out.loc[2024].sum() == 120
    assert out.loc[[2022, 2023]].equals(t.loc[[2022, 2023]])
    same, none = _impute_missing_mix(t.loc[[2022, 2023]], 2023)
    assert none == {} and same.equals(t.loc[[2022, 2023]])
    # at origin 2024 only a later January would have a breakdown: not used, kept as is
    late = t.loc[[2024, 2023]].rename(index={2024: 2021, 2023: 2025}).sort_index()
    kept, none = _impute_missing_mix(late, 2024)
    assert none == {} and kept.equals(late)


def test_sen2_la_without_placement_breakdown_keeps_its_total(sen2):
    """Hackney's January 2024 return has a total (3,525) but no placements: the model
    keeps the total, takes the 2023 mix and England's age shape, and says so."""
    from sendforecast.errors import SendForecastWarning

    with pytest.warns(SendForecastWarning) as rec:
        m = CohortModel.from_sen2(sen2, "204")
    msgs = " ".join(str(w.message) for w in rec)
    assert "no published placement breakdown" in msgs and "follow England" in msgs
    nr = PLACEMENT_GROUPS.index("not_recorded")
    assert m.initial.sum() == pytest.approx(3525)
    assert m.initial[:, nr].sum() < 0.1 * 3525
    assert m.settings["imputed_mix_years"] == {2024: 2023}
    assert str(m.settings["profile_years"]).startswith("England")
    assert (m.initial.sum(1)[5:16] > 0).all()  # children at every school age


def test_allocate_unrecorded_shares_out_by_row():
    from sendforecast.models.cohort import _allocate_unrecorded

    nr = PLACEMENT_GROUPS.index("not_recorded")
    x = np.zeros((2, len(PLACEMENT_GROUPS)))
    x[0, 0], x[0, 2], x[0, nr] = 30.0, 10.0, 8.0  # row with recorded children: 3:1
    x[1, nr] = 4.0  # nothing recorded in this row: the mix of all rows (3:1)
    y = _allocate_unrecorded(x)
    assert y[:, nr].sum() == 0 and y.sum() == pytest.approx(x.sum())
    assert y[0, 0] == pytest.approx(36.0) and y[0, 2] == pytest.approx(12.0)
    assert y[1, 0] == pytest.approx(3.0) and y[1, 2] == pytest.approx(1.0)


def test_sen2_unrecorded_placements_kept_or_allocated(sen2):
    """Jan 2023 (first person-level SEN2) has many unrecorded placements: "keep" projects
    them as published, "allocate" shares them over recorded placements, same total."""
    from sendforecast.models.cohort import _group_totals

    nr = PLACEMENT_GROUPS.index("not_recorded")
    la = next(c for c in sen2.la_codes() if {2023, 2024} <= set((t := _group_totals(
        sen2, "la", c)).index) and t.loc[2023, "not_recorded"] > 50
        and t.loc[2024, "not_recorded"] < 0.5 * t.loc[2024].sum())
    keep = CohortModel.from_sen2(sen2, la, base_year=2023)
    alloc = CohortModel.from_sen2(sen2, la, base_year=2023, unrecorded="allocate")
    assert keep.initial[:, nr].sum() == pytest.approx(t.loc[2023, "not_recorded"])
    assert alloc.initial[:, nr].sum() == 0
    assert alloc.initial.sum() == pytest.approx(keep.initial.sum())
    others = np.arange(len(PLACEMENT_GROUPS)) != nr
    assert (alloc.initial[:, others].sum(0) >= keep.initial[:, others].sum(0) - 1e-9).all()
    assert alloc.joiner_conc[:, nr].sum() == 0
    assert alloc.settings["unrecorded"] == "allocate"
    _check_conservation(alloc.project(years=2, draws=20, seed=1))
    with pytest.raises(ValueError, match="unrecorded"):
        CohortModel.from_sen2(sen2, la, unrecorded="drop")


# ------------------------------------------------------------------ witan demo
@pytest.fixture(scope="module")
def witan_model():
    if not WITAN.is_dir():
        pytest.skip(f"witan demo not found under {WITAN}")
    from sendforecast.data.local import (
        read_transitions,
        read_valid_states,
        read_witan_population,
    )

    vs = read_valid_states(WITAN / "valid-states.csv")
    tr = read_transitions(WITAN / "transitions.csv", vs)
    return tr, CohortModel.from_transitions(tr, read_witan_population(WITAN / "population.csv"),
                                            vs)


def test_witan_mode(witan_model):
    tr, m = witan_model
    last = tr[tr.calendar_year == tr.calendar_year.max()]
    assert m.initial.sum() == (last.setting_2 != "NONSEND").sum()
    p = m.project(years=3, draws=200, seed=1)
    assert p.years[0] == tr.calendar_year.max() + 2
    _check_conservation(p)
    d = p.decomposition
    assert np.allclose(d.population_effect + d.rate_effect, d.change)


# ------------------------------------------------------------------ CLI contract
def _parser():
    from sendforecast.cli.project import add_project_parser

    ap = argparse.ArgumentParser()
    add_project_parser(ap.add_subparsers(dest="command"))
    return ap


def test_cli_witan(tmp_path, witan_model):
    args = _parser().parse_args([
        "project", "--transitions", str(WITAN / "transitions.csv"),
        "--population", str(WITAN / "population.csv"),
        "--valid-states", str(WITAN / "valid-states.csv"), "--costs", str(WITAN / "costs.csv"),
        "--years", "2", "--draws", "50", "--seed", "1", "--out", str(tmp_path)])
    assert args.func(args) == 0
    out = pd.read_csv(tmp_path / "projection.csv")
    assert list(out.columns) == COLS
    tr, _ = witan_model
    assert out.year.min() == tr.calendar_year.max() + 2
    assert (tmp_path / "specialist_places.csv").exists()


def test_cli_sen2(tmp_path, sen2, monkeypatch):
    import sendforecast

    monkeypatch.setattr(sendforecast, "load_sen2", lambda *a: sen2)
    args = _parser().parse_args(["project", "--data", "x", "--la", "825", "--years", "2",
                                 "--draws", "50", "--seed", "1", "--out", str(tmp_path)])
    assert args.func(args) == 0
    out = pd.read_csv(tmp_path / "projection.csv")
    assert list(out.columns) == COLS and out.year.min() == 2025
    sp = pd.read_csv(tmp_path / "specialist_places.csv")
    assert {"year", "phase", "provision", "mean", "p97_5"} <= set(sp.columns)


# ------------------------------------------------------------- regressions / plausibility
def test_example_la_without_england_rows(example):
    """The synthetic example has one LA and no England/region rows: pool toward the LA."""
    m = CohortModel.from_sen2(example, "999")
    assert m.settings["reference"]["level"] == "la"
    assert "skipped" in m.settings["reference"]["note"]
    assert m.base_year == 2024 and m.initial.sum() == pytest.approx(6408)
    p = m.project(years=10, draws=200, seed=3)
    assert p.years[0] == 2025 and p.years[-1] == 2034
    _check_conservation(p)
    tot = p.totals().set_index("year")["mean"]
    assert 6408 < tot[2025] < 6408 * 1.25  # the example grows ~11% a year to 2024
    assert tot[2034] < 6408 * 3
    assert (np.diff(tot.to_numpy()) > 0).all()


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


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), A=st.integers(2, 6), K=st.integers(1, 6),
       scale=st.sampled_from([1, 50, 2_000]), draws=st.integers(1, 20),
       param_draws=st.integers(1, 5), sd=st.sampled_from([0.0, 0.5]))
def test_conservation_large_stocks_and_shared_parameters(seed, A, K, scale, draws, param_draws,
                                                         sd):
    """Cells big enough for the normal approximation, and parameter sets shared by draws."""
    m = _random_model(seed, A, K)
    m.year_effects = {"leave": sd, "intake": sd, "rho": 0.5, "net": sd / 10}
    m.initial = m.initial * scale
    m.move_conc[:, 0, 1:] = 0  # state 0 has no valid move: its children stay or leave
    p = m.project(years=3, draws=draws, seed=seed, param_draws=param_draws)
    _check_conservation(p)


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


def test_default_parameter_sets_are_shared_by_draws(example):
    """By default PARAM_SETS (250) posterior parameter sets serve all draws (fewer draws:
    one set each); draws sharing a set still differ (own effects, joiners and counts)."""
    from sendforecast.models.cohort import PARAM_SETS

    m = CohortModel.from_sen2(example, "999")
    p = m.project(years=2, draws=2 * PARAM_SETS, seed=5)
    assert PARAM_SETS == 250 and p.settings["param_draws"] == PARAM_SETS
    assert not np.array_equal(p.draws[0], p.draws[PARAM_SETS])  # same set, other draw
    _check_conservation(p)
    assert m.project(years=1, draws=40, seed=5).settings["param_draws"] == 40
    assert m.project(years=1, draws=40, seed=5, param_draws=7).settings["param_draws"] == 7


def test_binomial_sampler_moments():
    from sendforecast.models.cohort import _binomial

    rng = np.random.default_rng(0)
    n = np.repeat(np.array([0, 3, 40, 400, 5000], np.int32), 20_000)
    p = np.full(n.shape, 0.3, np.float32)
    x = _binomial(rng, n, p).reshape(5, -1)
    assert x.dtype == np.int32 and (x >= 0).all() and (x <= n.reshape(5, -1)).all()
    for i, nn in enumerate([0, 3, 40, 400, 5000]):
        assert abs(x[i].mean() - 0.3 * nn) < 0.02 * nn + 0.05
        assert abs(x[i].var() - nn * 0.21) < 0.06 * nn * 0.21 + 0.05


def test_move_probabilities_match_dirichlet_means():
    from sendforecast.models.cohort import _move_parameters

    conc = np.array([[[4.0, 1.0, 0.0, 5.0], [0.0, 2.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0],
                      [0.0, 0.0, 3.0, 1.0]]])
    ps, dest, cdf = _move_parameters(conc, 20_000, np.random.default_rng(1))
    mean = conc / conc.sum(-1, keepdims=True)
    assert np.allclose(ps.mean(0), mean[:, np.arange(4), np.arange(4)], atol=0.01)
    assert (ps[:, 0, 1] == 1).all()  # no valid move: always stays
    assert (np.diff(cdf, axis=-1) >= 0).all() and (cdf[..., -1] == 1).all()
    # probability of each destination = (1 - stay) * its step of the cdf
    step = np.diff(cdf, axis=-1, prepend=0)
    got = np.zeros((20_000, 1, 4, 4))
    for r in range(cdf.shape[-1]):
        for k in range(4):
            if k != 1 and r < (conc[0, k] > 0).sum() - (conc[0, k, k] > 0):
                got[:, 0, k, dest[0, k, r]] += (1 - ps[:, 0, k]) * step[:, 0, k, r]
    off = ~np.eye(4, dtype=bool)[None]
    assert np.allclose(got.mean(0)[off], mean[off], atol=0.01)


def test_numba_binomial_sampler_moments():
    """The kernel's binomial (inversion; normal approximation for big cells) by moments."""
    from sendforecast.models import cohort as C

    if C._numba_kernel() is None:
        pytest.skip("numba not installed")
    st = np.zeros(1, np.uint64)  # the kernels' SplitMix64 stream state
    C._nb_seed(st, np.uint64(12345), 0)
    for nn, pp in [(3, 0.3), (40, 0.3), (60, 0.8), (400, 0.3), (5000, 0.02), (5000, 0.7)]:
        x = np.array([C._nb_binom(st, nn, pp, C.NORMAL_VAR, C._INV) for _ in range(20_000)])
        assert (x >= 0).all() and (x <= nn).all()
        v = nn * pp * (1 - pp)
        assert abs(x.mean() - nn * pp) < 4 * np.sqrt(v / 20_000) + 0.01
        assert abs(x.var() - v) < 0.06 * v + 0.05


def test_normal_quantile_is_as241():
    """The kernels' normal deviates: AS 241 quantiles agree with scipy's to ~1e-15 over
    the centre and both tails, and the kernel's draws are standard normal (KS)."""
    from scipy import special, stats

    from sendforecast.models import cohort as C

    u = np.concatenate([np.linspace(1e-6, 1 - 1e-6, 20_001), np.logspace(-300, -1, 500),
                        1 - np.logspace(-16, -1, 500)])
    z = np.array([C._normal_quantile(x) for x in u])
    ref = special.ndtri(u)
    assert np.all(np.abs(z - ref) <= 1e-14 * np.maximum(np.abs(ref), 1.0))
    assert C._normal_quantile(0.5) == 0.0 and C._normal_quantile(0.975) == pytest.approx(
        1.959963984540054, abs=1e-15)
    if C._numba_kernel() is not None:
        st = np.zeros(3, np.uint64)
        C._nb_seed(st, np.uint64(21), 0)
        x = np.array([C._nb_normal(st) for _ in range(100_000)])
        assert stats.kstest(x, "norm").pvalue > 1e-3


@pytest.mark.parametrize("n,p", [(211, 0.05), (80, 0.15), (160, 0.93)])
def test_big_binomials_follow_the_binomial_cdf(n, p):
    """Just above NORMAL_VAR both engines draw the skew-corrected normal: its cdf stays
    within 0.6% of the exact binomial's (Kolmogorov distance, 100,000 draws; the plain
    normal is ~2% off here, so this test would catch it)."""
    from scipy import stats

    from sendforecast.models import cohort as C

    assert n * p * (1 - p) >= C.NORMAL_VAR
    N = 100_000
    exact = stats.binom.cdf(np.arange(n + 1), n, p)
    draws = {"numpy": C._binomial(np.random.default_rng(6), np.full(N, n), np.full(N, p))}
    if C._numba_kernel() is not None:
        st = np.zeros(3, np.uint64)
        C._nb_seed(st, np.uint64(77), 0)
        draws["numba"] = np.array([C._nb_binom(st, n, p, C.NORMAL_VAR, C._INV)
                                   for _ in range(N)])
    for engine, x in draws.items():
        ecdf = np.cumsum(np.bincount(x, minlength=n + 1)) / N
        assert np.abs(ecdf - exact).max() < 0.006, engine


@pytest.mark.parametrize("param_draws,sd,net", [(None, 0.0, 0.0), (3, 0.0, 0.0),
                                                (None, 0.4, 0.0), (3, 0.4, 0.0),
                                                (None, 0.0, 0.08), (3, 0.4, 0.08)])
def test_numba_and_numpy_engines_agree(monkeypatch, param_draws, sd, net):
    """Same model through the numba kernel and the numpy fallback, with and without year
    effects: conservation in both and the same distribution of the projected totals and
    of each state's count (different random streams)."""
    from sendforecast.models import cohort as C

    if C._numba_kernel() is None:
        pytest.skip("numba not installed")
    m = _random_model(5, 6, 4)
    m.initial = m.initial * 20
    m.year_effects = {"leave": sd, "intake": sd, "net": net}
    res = {}
    for eng in ("numba", "numpy"):
        monkeypatch.setattr(C, "_ENGINE", eng)
        p = m.project(years=4, draws=3000, seed=11, param_draws=param_draws)
        _check_conservation(p)
        res[eng] = np.concatenate([p.draws.sum(axis=(2, 3)), p.draws.sum(axis=2)[:, -1]], 1)
    a, b = res["numba"], res["numpy"]
    se = np.sqrt((a.var(0) + b.var(0)) / a.shape[0])
    assert (np.abs(a.mean(0) - b.mean(0)) < 5 * se + 1).all()
    assert np.allclose(a.std(0), b.std(0), rtol=0.12, atol=1)
    assert not np.array_equal(a, b)


def test_net_transfers_are_independent_normal_rates():
    from sendforecast.models.cohort import NET_CLIP, draw_net_transfers

    rng = np.random.default_rng(1)
    e = draw_net_transfers({"leave": [0.3, 0.2], "rho": 0.5, "net": 0.04}, 50_000, 3, rng)
    assert e.shape == (50_000, 3)
    assert abs(e.mean()) < 0.001 and np.allclose(e.std(0), 0.04, rtol=0.02)
    assert abs(np.corrcoef(e[:, 0], e[:, 1])[0, 1]) < 0.02  # independent over years
    assert draw_net_transfers({"leave": 0.3}, 10, 3, rng) is None
    assert draw_net_transfers(None, 10, 3, rng) is None
    big = draw_net_transfers({"net": 0.2}, 200_000, 1, rng)
    assert np.abs(big).max() <= NET_CLIP
    for bad in (-0.01, 0.5, float("nan"), [0.1, 0.2], "0.05", None, True):
        with pytest.raises(ValueError, match="net transfer"):
            draw_net_transfers({"net": bad}, 10, 3, rng)


def test_net_leave_formula():
    """Positive rates add a chance of leaving and keep P(move | continue); negative and
    zero rates change nothing; certain leaving stays certain."""
    from sendforecast.models.cohort import _net_leave

    q = np.array([0.5, 0.5, 0.5, 1.0])
    pl = np.array([0.2, 0.2, 0.2, 1.0])
    e = np.array([0.1, 0.0, -0.3, 0.1])
    q2, pl2 = _net_leave(q, pl, e)
    assert np.allclose(pl2, [1 - 0.8 * 0.9, 0.2, 0.2, 1.0])
    mv = (q[:3] - pl[:3]) / (1 - pl[:3])
    assert np.allclose((q2[:3] - pl2[:3]) / (1 - pl2[:3]), mv)
    assert np.allclose(q2[1:3], q[1:3]) and q2[3] == 1.0


def test_net_transfers_widen_the_total_and_keep_its_mean():
    """One year ahead, net transfers at rate e ~ Normal(0, s) add about (s * C)**2 to the
    variance of the total caseload (C: the children who continue, the base of both extra
    leaving and arrivals) and leave its mean (nearly) where it was."""
    m = _random_model(3, 6, 4)
    m.initial = m.initial * 30
    m.year_effects = {"net": 0.0}
    b = m.project(years=1, draws=6000, seed=2)
    base = b.draws[:, 0].sum(axis=(1, 2))
    m.year_effects = {"net": 0.05}
    p = m.project(years=1, draws=6000, seed=2)
    _check_conservation(p)
    tot = p.draws[:, 0].sum(axis=(1, 2))
    n = m.initial.sum()
    assert abs(tot.mean() - base.mean()) < 0.004 * n
    cont = n - b.flows["leavers"][:, 0].sum(axis=(1, 2)).mean()
    expected = np.sqrt(base.var() + (0.05 * cont) ** 2)
    assert tot.std() == pytest.approx(expected, rel=0.12)
    assert (p.flows["joiners"][:, 0].sum(axis=(1, 2)) == p.joiner_totals[:, 0]).all()
    arrivals = p.flows["transfers_in"][:, 0].sum(axis=(1, 2))
    assert arrivals.mean() > 0.01 * n  # transfers in happen (in about half of the draws)
    assert 0.4 < (arrivals > 0).mean() < 0.6


def test_year_effects_are_mean_one_random_walks():
    from sendforecast.models.cohort import draw_year_effects

    rng = np.random.default_rng(0)
    e = draw_year_effects({"leave": 0.2, "intake": [0.0, 0.1, 0.4]}, 40_000, 4, 3, rng)
    assert e.shape == (40_000, 4, 2, 3)
    assert np.allclose(e.mean(0), 1.0, atol=0.02)
    assert (e[:, :, 1, 0] == 1).all()  # sd 0: no effect
    v = np.log(e).var(0)  # random walk: variance grows linearly with the horizon
    assert np.allclose(v[:, 0, 0], 0.04 * np.arange(1, 5), rtol=0.05)
    assert np.allclose(v[:, 1, 2], 0.16 * np.arange(1, 5), rtol=0.05)
    e0 = draw_year_effects({"leave": 0.2, "intake": 0.2, "rho": 0.0}, 40_000, 4, 3, rng)
    assert np.allclose(np.log(e0).var(0), 0.04, rtol=0.05)  # independent years
    from sendforecast.models.cohort import year_effect_variance

    spec = {"leave": 0.3, "intake": [0.1, 0.2, 0.5], "rho": 0.5}  # AR(1)
    e5 = draw_year_effects(spec, 40_000, 4, 3, rng)
    assert np.allclose(e5.mean(0), 1.0, atol=0.02)
    assert np.allclose(np.log(e5).var(0), year_effect_variance(spec, 4, 3), rtol=0.05)
    assert np.allclose(year_effect_variance(spec, 4, 3)[-1, 0], 0.09 * (1 - 0.25**4) / 0.75)
    with pytest.raises(ValueError, match="unknown year effect keys"):
        draw_year_effects({"leaves": 0.3}, 5, 4, 3, rng)
    assert draw_year_effects(None, 5, 4, 3, rng) is None
    assert draw_year_effects({"leave": 0, "intake": 0}, 5, 4, 3, rng) is None
    with pytest.raises(ValueError, match="year effect"):
        draw_year_effects({"leave": -0.1, "intake": 0.1}, 5, 4, 3, rng)


def test_year_effects_widen_intervals_and_keep_means(sen2):
    """On a real LA: year effects widen the 80% interval of big groups several-fold at
    horizon 1 and at every horizon; means move by < 3% (capping of rare large effects)."""
    m = CohortModel.from_sen2(sen2, "825", base_year=2023)
    assert m.year_effects is not None  # SEN2 models carry the calibrated defaults
    with_e = m.project(years=5, draws=2000, seed=4, keep_flows=False).draws.sum(2)
    spec, m.year_effects = m.year_effects, None
    without = m.project(years=5, draws=2000, seed=4, keep_flows=False).draws.sum(2)
    m.year_effects = spec
    big = [PLACEMENT_GROUPS.index(g) for g in ("state_special", "post16_fe")]
    w1, w0 = (np.subtract(*np.quantile(x[:, :, big], [0.9, 0.1], axis=0)) for x in
              (with_e, without))
    assert (w1[0] > 2 * w0[0]).all()  # horizon 1: rates fixed -> far too narrow
    assert (w1 > w0).all() and (w1[4] > w1[0]).all()  # wider at every horizon; fans open
    assert np.allclose(with_e.mean(0)[:, big], without.mean(0)[:, big], rtol=0.03)


def test_net_transfers_widen_the_total_on_a_real_la(sen2):
    """The calibrated net transfers (SEN2 default) widen the total caseload's 80% interval
    by over a fifth at horizon 1 (where the joiners' trend uncertainty is smallest), and at
    every horizon, and leave its mean within 1%."""
    m = CohortModel.from_sen2(sen2, "825", base_year=2023)
    assert m.year_effects["net"] > 0
    full = m.project(years=3, draws=2000, seed=4, keep_flows=False).draws.sum(axis=(2, 3))
    m.year_effects = {k: v for k, v in m.year_effects.items() if k != "net"}
    no_net = m.project(years=3, draws=2000, seed=4, keep_flows=False).draws.sum(axis=(2, 3))
    w_full, w_no = (np.subtract(*np.quantile(x, [0.9, 0.1], axis=0)) for x in (full, no_net))
    assert w_full[0] > 1.2 * w_no[0] and (w_full > 1.05 * w_no).all()
    assert np.allclose(full.mean(0), no_net.mean(0), rtol=0.01)


@pytest.mark.parametrize("n", [12, 80])
def test_joiners_kernel_is_the_multinomial_of_the_mix(n):
    """Two-stage joiners (groups, then ages within a group) without effects: the
    multinomial's means and variances of every age x group cell - ages by alias draws
    (n = 12) and by the chain of binomials (n = 80: more than CHAIN_PER_AGE per age)."""
    from sendforecast.models import cohort as C

    if C._numba_kernel() is None:
        pytest.skip("numba not installed")
    join_k = C._numba_kernel()[2]
    K, D = 2, 40_000
    mix = np.array([[0.1, 0.05], [0.3, 0.0], [0.2, 0.35]])  # [A, K], sums to 1
    gw = mix.sum(0)[None]
    # the group sizes pick the path: alias draws below CHAIN_PER_AGE * A per group
    assert (n * gw.max() < C.CHAIN_PER_AGE * 3) == (n == 12)
    assert (n * gw.min() > C.CHAIN_PER_AGE * 3) == (n == 80)
    cond = np.ascontiguousarray((mix / gw).T)  # [K, A]: each group's age distribution
    tables = C._joiner_tables(cond[None], mix)
    out = join_k(np.uint64(5), np.full(D, n, np.int64), np.zeros(D, np.int64), gw, *tables,
                 K, np.ones((0, K)), C.NORMAL_VAR, C._INV)
    assert (out.sum(1) == n).all()
    p = mix.ravel()
    v = n * p * (1 - p)
    assert (np.abs(out.mean(0) - n * p) < 5 * np.sqrt(v / D) + 1e-9).all()
    assert np.allclose(out.var(0), v, rtol=0.05, atol=1e-9)


def test_cell_streams_pair_unaffected_cells():
    """Common random numbers: a change in one cell's stock leaves the other cells' draws
    of that step unchanged (each draw x cell has its own stream)."""
    from sendforecast.models import cohort as C

    if C._numba_kernel() is None:
        pytest.skip("numba not installed")
    step = C._numba_kernel()[0]
    rng = np.random.default_rng(4)
    D, A, K = 30, 4, 3
    stock = rng.integers(0, 60, size=(D, A * K)).astype(np.int32)
    q = rng.uniform(0.05, 0.6, size=(D, A * K)).astype(np.float32)
    pl = (q * rng.uniform(0, 1, size=(D, A * K))).astype(np.float32)
    dest = np.tile(np.array([[1, 2]]), (A * K, 1)).astype(np.int64)
    cdf = np.tile(np.array([0.5, 1.0], np.float32), (D, A * K, 1))
    args = (cdf, np.arange(D), dest, K, C.NORMAL_VAR, C._INV, np.ones((0, 2, K)), np.zeros(K),
            np.zeros(0))
    lv1, st1, _ = step(np.uint64(99), stock, q, pl, *args)
    s2 = stock.copy()
    s2[:, 5] += 7
    lv2, st2, _ = step(np.uint64(99), s2, q, pl, *args)
    other = np.arange(A * K) != 5
    assert np.array_equal(lv1[:, other], lv2[:, other])
    assert np.array_equal(st1[:, other], st2[:, other])


def test_kernels_overwrite_reused_output_buffers():
    """The step and joiners kernels write into a caller's buffer (reused from step to
    step) exactly what they return without one, whatever the buffer held before."""
    from sendforecast.models import cohort as C

    if C._numba_kernel() is None:
        pytest.skip("numba not installed")
    step, _, join_k, _ = C._numba_kernel()
    rng = np.random.default_rng(8)
    D, A, K = 25, 4, 3
    stock = rng.integers(0, 40, size=(D, A * K)).astype(np.int32)
    stock[:, 4] = 0  # empty cells are skipped by the kernel: their slots must be zeroed
    q = rng.uniform(0.05, 0.6, size=(D, A * K)).astype(np.float32)
    pl = (q * rng.uniform(0, 1, size=(D, A * K))).astype(np.float32)
    dest = np.tile(np.array([[1, 2]]), (A * K, 1)).astype(np.int64)
    cdf = np.tile(np.array([0.5, 1.0], np.float32), (D, A * K, 1))
    args = (np.uint64(7), stock, q, pl, cdf, np.arange(D), dest, K, C.NORMAL_VAR, C._INV,
            np.ones((0, 2, K)), np.zeros(K), np.zeros(0))
    fresh = step(*args)
    buf = np.full((3, D, A * K), 12345, np.int32)
    reused = step(*args, buf)
    for x, y in zip(fresh, reused, strict=True):
        assert np.array_equal(x, y)
    assert np.array_equal(buf[0], fresh[0])  # written in place
    mix = np.array([[0.2, 0.1, 0.05], [0.3, 0.05, 0.1], [0.1, 0.0, 0.05], [0.0, 0.0, 0.05]])
    gw = mix.sum(0)[None]
    tables = C._joiner_tables(np.ascontiguousarray((mix / gw).T)[None], mix)
    jargs = (np.uint64(3), np.full(D, 30, np.int64), np.zeros(D, np.int64), gw, *tables, K,
             np.ones((0, K)), C.NORMAL_VAR, C._INV)
    jbuf = np.full((D, A * K), -9, np.int32)
    assert np.array_equal(join_k(*jargs), join_k(*jargs, jbuf))
    assert (jbuf.sum(1) == 30).all()
    arrive_k = C._numba_kernel()[3]
    net = np.where(np.arange(D) % 2 == 0, -0.3, 0.2)  # transfers in for even draws only
    abuf = np.full((D, A * K), 777, np.int32)
    fresh = arrive_k(np.uint64(4), stock, net)
    assert np.array_equal(fresh, arrive_k(np.uint64(4), stock, net, abuf))
    assert (fresh[1::2] == 0).all()  # positive rates: no arrivals
    assert (np.abs(fresh[::2] - 0.3 * stock[::2]) < 1).all()  # n * -net, rounded


@pytest.mark.parametrize("n", [1, 10, 24, 25, 60, 5000])
def test_numba_step_is_a_multinomial_over_leave_destinations_stay(n):
    """Every path of the step kernel (a uniform per child up to SMALL_CELL children;
    above, leave-or-move ~ Binomial and then a uniform each for up to FEW_MOVERS of them
    - n = 10 to 25 - or binomials - n = 60, 5000) gives the multinomial's means and
    variances of leave / each destination / stay, and conserves every child."""
    from sendforecast.models import cohort as C

    if C._numba_kernel() is None:
        pytest.skip("numba not installed")
    step = C._numba_kernel()[0]
    D, K = 20_000, 4
    q = np.full((1, K), 0.55, np.float32)
    pl = np.full((1, K), 0.15, np.float32)
    dest = np.tile(np.array([[1, 2, 3]]), (K, 1)).astype(np.int64)
    cdf = np.tile(np.array([0.5, 0.8, 1.0], np.float32), (1, K, 1))
    stock = np.zeros((D, K), np.int32)
    stock[:, 0] = n
    lv, sy, inflow = step(np.uint64(3), stock, q, pl, cdf, np.zeros(D, np.int64), dest, K,
                          C.NORMAL_VAR, C._INV, np.ones((0, 2, K)), np.zeros(K), np.zeros(0))
    assert (lv[:, 0] + sy[:, 0] + inflow.sum(1) == n).all()
    probs = {"leave": 0.15, "stay": 0.45, 1: 0.4 * 0.5, 2: 0.4 * 0.3, 3: 0.4 * 0.2}
    got = {"leave": lv[:, 0], "stay": sy[:, 0], 1: inflow[:, 1], 2: inflow[:, 2],
           3: inflow[:, 3]}
    for k, p in probs.items():
        v = n * p * (1 - p)
        assert abs(got[k].mean() - n * p) < 5 * np.sqrt(v / D) + 1e-9, k
        assert abs(got[k].var() - v) < 0.08 * v + 0.02, k


def test_year_effect_transforms_keep_the_flows_means():
    """The effects are mean-one; the bounded transforms must keep each flow's mean at the
    variances the defaults reach (log variance <= 0.6): leaving (multiplier up to
    LOGIT_FROM, corrected logit above) and the largest-outcome-takes-the-rest rule."""
    from sendforecast.models import cohort as C

    rng = np.random.default_rng(1)
    for v in (0.1, 0.36, 0.6):
        e = np.exp(rng.normal(-v / 2, np.sqrt(v), 200_000))
        for p in (0.03, 0.1, 0.1001, 0.3, 0.7):
            _, pl = C._apply_year_effects(
                np.full((e.size, 1), p), np.full((e.size, 1), p), np.ones((e.size, 1, 1)),
                np.zeros((1, 1), np.int64), np.ones((e.size, 1)),
                np.stack([e, np.ones_like(e)], 1)[:, :, None], np.array([v]), 1)[:2]
            assert abs(pl.mean() / p - 1) < 0.02, (p, v, pl.mean())
            if C._numba_kernel() is not None:  # the kernel's scalar version agrees
                kf = np.sqrt(1 + np.pi * v / 8)
                for i in (0, 7):
                    assert np.isclose(C._nb_effect_leave(p, e[i], np.log(e[i]) + v / 2, kf),
                                      pl[i, 0])
    # moves / joiners: a staying probability of 0.5 and a destination of 0.45 (the move to
    # FE at 16): the multiplied outcomes overflow only when 0.45 e + 0.05 e' > 1
    p = np.array([0.5, 0.45, 0.05])
    f = np.exp(rng.normal(-0.18, 0.6, (200_000, 3)))
    n = C._largest_takes_rest(np.broadcast_to(p, f.shape), f)
    assert np.allclose(n.sum(1), 1.0) and (n >= 0).all()
    over = (p[1:] * f[:, 1:]).sum(1) > 1
    assert 0 < over.mean() < 0.08
    assert np.allclose(n.mean(0), p, rtol=0.05)  # the overflow costs < 5% of the mean
    assert np.allclose(n[~over].mean(0)[1:] / f[~over, 1:].mean(0), p[1:], rtol=0.01)


def test_age_chains_rebuild_each_groups_age_distribution():
    """The chain of conditional binomials gives back every age's probability:
    P(age order[r]) = chain[r] * prod_{l < r} (1 - chain[l]), with zero-share ages
    (here age 3 of group 1) never reached, and is exactly 1 at the last positive age."""
    from sendforecast.models import cohort as C

    rng = np.random.default_rng(8)
    P, K, A = 50, 3, 6
    conc = rng.uniform(0.1, 5, (A, K))
    conc[3, 1] = 0.0
    cond = rng.dirichlet(np.ones(A), size=(P, K))
    cond[:, 1, 3] = 0.0
    cond /= cond.sum(-1, keepdims=True)
    order, chain = C._age_chains(cond, conc)
    assert (order == np.argsort(-conc.T, axis=1, kind="stable")).all()
    chain = chain.reshape(P, K, A)
    left = np.cumprod(np.concatenate([np.ones((P, K, 1)), 1 - chain[..., :-1]], -1), -1)
    rebuilt = np.take_along_axis(chain * left, np.argsort(order, axis=1)[None], axis=2)
    assert np.allclose(rebuilt, cond, atol=1e-12)
    assert (chain[:, 1, -2:] == 1).all()  # group 1: last positive age, then age 3 (unused)
    assert (chain[:, [0, 2], -1] == 1).all()


def test_joiners_kernel_with_effects_keeps_the_rule_means():
    """Joiners under effects: every group's expected joiners are n times the weights of
    the largest-takes-the-rest rule; ages within a group keep the group's age mix."""
    from sendforecast.models import cohort as C

    if C._numba_kernel() is None:
        pytest.skip("numba not installed")
    join_k = C._numba_kernel()[2]
    K, D, n = 3, 30_000, 40
    mix = np.array([[0.3, 0.1, 0.05], [0.3, 0.05, 0.2]])  # [A, K]
    gw = mix.sum(0)[None]
    cond = np.ascontiguousarray((mix / gw).T)  # [K, A]: each group's age distribution
    tables = C._joiner_tables(cond[None], mix)
    eff = np.exp(np.random.default_rng(2).normal(-0.125, 0.5, (D, K)))
    out = join_k(np.uint64(9), np.full(D, n, np.int64), np.zeros(D, np.int64), gw, *tables,
                 K, eff, C.NORMAL_VAR, C._INV).reshape(D, 2, K)
    assert (out.sum((1, 2)) == n).all()
    w = C._largest_takes_rest(np.broadcast_to(gw, (D, K)), eff)
    by_group = out.sum(1)
    se = by_group.std(0) / np.sqrt(D)
    assert (np.abs(by_group.mean(0) - n * w.mean(0)) < 5 * se).all()
    assert np.allclose(by_group.mean(0), n * gw[0], rtol=0.02)  # the mix's means kept
    assert np.allclose(out[:, 0].sum(0) / by_group.sum(0), mix[0] / gw[0], atol=0.01)


def test_year_effects_option_of_from_sen2(example):
    from sendforecast.models.cohort import SEN2_YEAR_EFFECTS

    m = CohortModel.from_sen2(example, "999")
    assert m.year_effects == SEN2_YEAR_EFFECTS
    p = m.project(years=2, draws=20, seed=1, keep_flows=False)
    assert p.settings["year_effects"]["rho"] == SEN2_YEAR_EFFECTS["rho"]  # recorded
    off = CohortModel.from_sen2(example, "999", year_effects=None)
    assert off.project(years=2, draws=20, seed=1).settings["year_effects"] is None
    with pytest.raises(ValueError, match="year_effects"):
        CohortModel.from_sen2(example, "999", year_effects="wide")


def test_kernel_and_numpy_year_effects_give_the_same_probabilities():
    """Cell by cell, the kernel's leave / move transforms (``_nb_effect_leave``,
    ``_nb_effect_moves``) and the numpy engine's ``_apply_year_effects`` give the same
    leaving and moving probabilities and destination cdf, including ties, certain
    leaving, no moves and extreme effects."""
    from sendforecast.models import cohort as C

    if C._numba_kernel() is None:
        pytest.skip("numba not installed")
    r = np.random.default_rng(0)
    D, A, K = 150, 3, 4
    AK, R = A * K, K - 1
    pl = r.uniform(0, 0.6, (D, AK)).astype(np.float32)
    pl[r.random((D, AK)) < 0.15] = 1.0
    pl[r.random((D, AK)) < 0.2] = 0.0
    ps = r.uniform(0, 1, (D, AK)).astype(np.float32)
    ps[r.random((D, AK)) < 0.2] = 1.0
    q = np.where(ps >= 1, pl, np.maximum(1 - (1 - pl) * ps, pl)).astype(np.float32)
    dest = np.array([[k for k in range(K) if k != c % K] for c in range(AK)], np.int64)
    g = r.gamma(0.5, size=(D, AK, R)).astype(np.float32)
    g[:, ::2, 0] = g[:, ::2, 1]  # ties
    cdf = (np.cumsum(g, -1) / g.sum(-1, keepdims=True)).astype(np.float32)
    cdf[..., -1] = 1.0
    e = np.exp(r.normal(-0.5, 1.0, (D, 2, K)))
    e[r.random((D, 2, K)) < 0.03] = 1e6
    lvar = np.full(K, 1.0)
    qn, pln, condn, _ = C._apply_year_effects(q, pl, cdf, dest, np.ones((D, AK)), e, lvar, K)
    lc = np.empty(R)
    for d in range(D):
        for c in range(AK):
            p0, q0 = float(pl[d, c]), float(q[d, c])
            mv = (q0 - p0) / (1 - p0) if p0 < 1 else 0.0
            ek, vk = e[d, 0, c % K], lvar[c % K]
            plk = (C._nb_effect_leave(p0, ek, np.log(ek) + vk / 2, np.sqrt(1 + np.pi * vk / 8))
                   if p0 < 1 else p0)
            assert np.isclose(plk, pln[d, c], rtol=1e-9, atol=1e-12)
            if mv > 0:
                mv = C._nb_effect_moves(lc, cdf, d, c, dest, mv, e, d, R)
            assert np.isclose(plk + (1 - plk) * mv, qn[d, c], rtol=1e-9, atol=1e-12)
            if mv > 0:  # destination cdf up to the first entry at 1
                condk = C._cond_from_cdf(lc.copy())
                last = int(np.argmax(lc >= 1.0))
                assert np.allclose(condk[: last + 1], condn[d, c, : last + 1], atol=1e-9)
