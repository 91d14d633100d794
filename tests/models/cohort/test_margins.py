"""Margin forecasts and the anchoring of cohort projections (issue 15)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sendforecast.data.taxonomy import PLACEMENT_GROUPS
from sendforecast.data.vintage import published_by
from sendforecast.models.cohort import CohortModel
from sendforecast.models.cohort.inputs import group_totals
from sendforecast.models.cohort.margins import (
    AGE_BANDS,
    ShareForecast,
    band_index,
    band_totals,
    group_elasticities,
    log_share_drift,
    pool_shares,
    rake,
)
from sendforecast.models.cohort.model import _fit_margins
from sendforecast.models.settings import PROJECTION_SETTINGS

from .conftest import check_conservation


def test_rake_meets_both_margins_and_keeps_zeros():
    r = np.random.default_rng(3)
    x = r.gamma(2.0, size=(26, 4))
    x[0, 2] = 0.0
    bands = band_index(range(26))
    st = np.array([100.0, 50.0, 30.0, 20.0])
    bt = np.array([10.0, 60.0, 70.0, 40.0, 20.0])
    y = rake(x, st, bt, bands)
    assert np.allclose(y.sum(0), st, rtol=1e-6)
    assert np.allclose(np.bincount(bands, weights=y.sum(1)), bt, rtol=1e-4)
    assert y[0, 2] == 0.0 and (y >= 0).all()


def test_log_share_drift_ignores_a_category_that_appears():
    h = pd.DataFrame({"a": [50.0, 55.0], "b": [50.0, 45.0], "not_recorded": [0.0, 20.0]},
                     index=[2020, 2021])
    d = log_share_drift(h, 2021)
    assert d[2] == 0.0  # not_recorded keeps its share
    # a and b share 100 of 120 in 2021; the drift moves shares between them only
    f = ShareForecast(("a", "b", "not_recorded"), h.loc[2021].to_numpy() / 120, d, 1.0)
    s = f.shares(1)
    assert s[2] == pytest.approx(20 / 120)
    assert s[0] / s[1] == pytest.approx((55 / 45) ** 2, rel=1e-9)  # one more year of it


def test_pool_shares_moves_each_share_part_way_to_the_reference():
    own, ref = np.array([60.0, 30.0, 10.0]), np.array([0.5, 0.3, 0.2])
    # equal weights on every category: exactly the convex combination
    assert np.allclose(pool_shares(own, ref, 0.25), 0.75 * own / 100 + 0.25 * ref)
    assert np.allclose(pool_shares(own, ref, 0.0), own / 100)
    # a category with weight 0 (not_recorded) keeps its share exactly; the pooled ones
    # keep their combined share and move toward the reference's ratio (5:3 from 2:1)
    s = pool_shares(own, ref, [0.5, 0.5, 0.0])
    assert s[2] == pytest.approx(0.1) and s.sum() == pytest.approx(1.0)
    assert 5 / 3 < s[0] / s[1] < 2.0
    # a reference with no counts, or a missing (NaN) category, is not pooled toward
    assert np.allclose(pool_shares(own, np.zeros(3), 0.3), own / 100)
    m = pool_shares(own, [0.5, 0.3, np.nan], 0.5)
    assert m[2] == pytest.approx(0.1)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        pool_shares(own, ref, 1.5)


def test_margins_start_from_the_mix_pooled_toward_england(sen2):
    """The group and band margins start from January T's mix with part of its distance
    from England's taken back, by the weights of PROJECTION_SETTINGS (mix_pooling.py)."""
    m = CohortModel.from_sen2(sen2, "825", base_year=2022, margins=None)
    marg = _fit_margins(sen2, "825", 2022, "national", "E92000001", m.initial)
    own = m.initial.sum(0)
    eng = group_totals(sen2, "national", "E92000001").loc[2022].to_numpy(float)
    w = PROJECTION_SETTINGS["groups"]["base_pool"]
    wg = [w.get(g, w["default"]) for g in PLACEMENT_GROUPS]
    assert wg[PLACEMENT_GROUPS.index("not_recorded")] == 0
    assert sorted(set(wg)) == [0.0, 0.05, 0.15, 0.2]
    base = np.asarray(marg["groups"].as_dict()["base"])
    assert np.allclose(base, pool_shares(own, eng, wg), atol=1e-6)
    k = PLACEMENT_GROUPS.index("early_years")
    moved = (base[k] - own[k] / own.sum()) / (eng[k] / eng.sum() - own[k] / own.sum())
    assert 0.15 < moved < 0.25  # about its weight, 0.2
    # 825's published bands of January 2022, pooled toward England's by their weights
    b_own = band_totals(sen2, "la", "825").loc[2022].to_numpy(float)
    b_eng = band_totals(sen2, "national", "E92000001").loc[2022].to_numpy(float)
    wb = [PROJECTION_SETTINGS["bands"]["base_pool"][b] for b in AGE_BANDS]
    assert np.allclose(marg["bands"].base, pool_shares(b_own, b_eng, wb))
    assert not np.allclose(marg["bands"].base, b_own / b_own.sum())


def test_no_pooling_without_a_reference_january(sen2):
    """No England bands for January 2023, and no reference beyond the LA itself: the
    LA's own mix, as published; a misspelt category in the settings is an error."""
    from sendforecast.models.cohort.model import _pooled_base

    m = CohortModel.from_sen2(sen2, "825", base_year=2023, margins=None)
    marg = _fit_margins(sen2, "825", 2023, "national", "E92000001", m.initial)
    b = np.bincount(band_index(m.ages), weights=m.initial.sum(1), minlength=5)
    assert np.allclose(marg["bands"].base, b / b.sum())
    alone = _fit_margins(sen2, "825", 2023, "la", "825", m.initial)
    assert np.allclose(alone["groups"].as_dict()["base"],
                       (m.initial.sum(0) / m.initial.sum()).round(6))
    with pytest.raises(ValueError, match="early_yeras"):
        _pooled_base(m.initial.sum(0), None, 2023, {"early_yeras": 0.2}, PLACEMENT_GROUPS)


def test_bands_of_the_real_data(sen2):
    b = band_totals(sen2, "national", "E92000001")
    assert list(b.columns) == list(AGE_BANDS)
    assert 2023 not in b.index and {2022, 2024} <= set(b.index)
    # published England figures: 0-4 in January 2022 and the January 2024 single ages
    assert b.loc[2022, "0-4"] == 18054
    # the single ages of January 2024 add up to 572,829: 3,645 of the 576,474 plans
    # have no age in the table, so bands are shares of the children with an age
    assert b.loc[2024].sum() == 572829


def test_state_special_grows_slower_than_the_caseload(sen2):
    beta, gamma = group_elasticities(sen2, 2023)
    k = {g: i for i, g in enumerate(PLACEMENT_GROUPS)}
    assert 0 < beta[k["state_special"]] < 0.6  # places bind: about a fifth (0.19)
    assert beta[k["mainstream"]] > 0.9
    assert beta[k["not_recorded"]] == 1 and gamma[k["not_recorded"]] == 0


def test_margins_use_only_what_was_published_by_the_origin(sen2):
    """The margins of an origin are the same from all the data and from what had been
    published by then (the single-age shape aside, which only the initial stock uses)."""
    m = CohortModel.from_sen2(sen2, "825", base_year=2021, margins=None)
    full = _fit_margins(sen2, "825", 2021, "national", "E92000001", m.initial)
    cut = _fit_margins(published_by(sen2, 2021), "825", 2021, "national", "E92000001",
                       m.initial)
    for part in ("groups", "bands", "total"):
        assert full[part].as_dict() == cut[part].as_dict(), part


@pytest.fixture(scope="module")
def anchored(sen2):
    m = CohortModel.from_sen2(sen2, "825")
    return m, m.project(horizon=3, draws=400, seed=2)


def _margin_errors(m, p, h):
    x = p.draws[:, h].astype(float)
    bands = band_index(m.ages)
    tot = x.sum(axis=(1, 2)).mean()
    g = np.log(tot / m.initial.sum())
    groups = x.sum(1).mean(0) / tot - m.margins["groups"].shares(h + 1, g)
    bt = np.stack([x[:, bands == j].sum((1, 2)) for j in range(5)], 1).mean(0) / tot
    return np.abs(groups).max(), np.abs(bt - m.margins["bands"].shares(h + 1, g)).max()


def _project_with(sen2, horizon, draws, seed, **interval):
    """LA 825's default model with ``interval`` settings changed, projected (no flows):
    ``(model, projection)``."""
    m = CohortModel.from_sen2(sen2, "825")
    m.margins["interval"] = {**m.margins["interval"], **interval}
    return m, m.project(horizon=horizon, draws=draws, seed=seed, keep_flows=False)


def test_anchored_means_are_the_margin_forecasts(sen2, anchored):
    m, p = anchored
    # the level errors are mean one: the means agree within Monte Carlo error
    assert max(_margin_errors(m, p, 0)) < 0.006
    assert p.settings["margins"]["version"] == PROJECTION_SETTINGS["version"]
    # without them, exactly (up to rounding each cell to whole children)
    exact = CohortModel.from_sen2(sen2, "825")
    exact.margins["interval"] = {"spread": 1.0, "total": 0.0, "groups": {}, "bands": {}}
    q = exact.project(horizon=3, draws=100, seed=2)
    for h in range(3):
        assert max(_margin_errors(exact, q, h)) < 2e-3


def test_anchored_projection_keeps_the_stock_identity(anchored):
    check_conservation(anchored[1])


def test_anchoring_is_reproducible_and_moves_state_special_as_the_places_say(sen2, anchored):
    m, p = anchored
    again = CohortModel.from_sen2(sen2, "825").project(horizon=3, draws=400, seed=2)
    assert (again.draws == p.draws).all()
    raw = CohortModel.from_sen2(sen2, "825", margins=None).project(horizon=3, draws=400,
                                                                  seed=2)
    k = PLACEMENT_GROUPS.index("state_special")
    share = p.draws[:, 0].sum(1)[:, k].mean() / p.draws[:, 0].sum((1, 2)).mean()
    # the share of state special falls (beta < 1 while the caseload grows)
    assert share < m.initial.sum(0)[k] / m.initial.sum()
    assert raw.draws.shape == p.draws.shape


def test_a_scenario_is_anchored_like_its_baseline(sen2):
    """Scenario runs take their baseline's anchoring factors: no scenario = the baseline
    draw for draw, and fewer independent placements stay fewer after anchoring."""
    from sendforecast.scenarios.compare import adjustments
    from sendforecast.scenarios.library import ReduceIndependent

    m = CohortModel.from_sen2(sen2, "825")
    base = m.project(horizon=3, draws=200, seed=4)
    scen = [ReduceIndependent(share=0.5, start=m.base_year, ramp_years=0)]
    fresh = CohortModel.from_sen2(sen2, "825")  # no baseline run cached: it makes one
    for model in (m, fresh):
        cut = model.project(horizon=3, draws=200, seed=4, adjust=adjustments(model, scen, 3))
        k = PLACEMENT_GROUPS.index("independent_special")
        ib, ic = (p.draws[:, 2, :, k].sum(1).mean() for p in (base, cut))
        assert ic < ib * 0.97
        # the other placements take the children: the total moves little
        assert abs(cut.draws[:, 2].sum((1, 2)).mean() / base.draws[:, 2].sum((1, 2)).mean()
                   - 1) < 0.02
    assert (m.project(horizon=3, draws=200, seed=4, adjust=adjustments(m, [], 3)).draws
            == base.draws).all()


def test_bad_margins_argument(sen2):
    with pytest.raises(ValueError, match="margins must be"):
        CohortModel.from_sen2(sen2, "825", margins="yes")


def test_rake_without_band_targets_keeps_the_states():
    y = rake(np.ones((26, 3)), np.array([10.0, 10.0, 5.0]), np.zeros(5), band_index(range(26)))
    assert np.allclose(y.sum(0), [10, 10, 5])


def test_unseeded_runs_are_not_anchored_with_another_runs_factors(sen2):
    m = CohortModel.from_sen2(sen2, "825")
    m.project(horizon=1, draws=50, seed=None, keep_flows=False)
    assert not m._anchor_cache  # fresh randomness: nothing kept for the next run
    m.project(horizon=1, draws=50, seed=5, keep_flows=False)
    assert len(m._anchor_cache) == 1


def test_total_growth_error_widens_the_total_only_after_the_first_year(sen2):
    """``total_growth`` adds a level error of sd x (h - 1): the first year's draws are
    those of a run without it, later years' totals spread wider about the same mean."""
    # the draws' totals exactly (follow_total moves children between groups after,
    # keeping each draw's total only to second order: tested on its own)
    a, b = (_project_with(sen2, 3, 400, 2, total_growth=sgr, follow_total=False)[1].draws
            for sgr in (0.0, 0.05))
    assert (a[:, 0] == b[:, 0]).all()
    # every other random number is shared: each draw's total is scaled by exactly
    # exp(h x zg - (0.05 h)^2 / 2), zg ~ N(0, 0.05) from the stream of spawn key 18
    zg = 0.05 * np.random.default_rng(np.random.SeedSequence(2, spawn_key=(18,))
                                      ).standard_normal(400)
    for h in (1, 2):
        ta, tb = (x[:, h].sum(axis=(1, 2)).astype(float) for x in (a, b))
        assert np.allclose(np.log(tb / ta), h * zg - (0.05 * h) ** 2 / 2, atol=3e-3)
        assert tb.mean() == pytest.approx(ta.mean(), rel=0.02)


def test_the_mix_takes_a_level_error_at_the_groups_elasticities():
    """``level_response``: when the total is off by a log error e, each group moves as the
    mix forecast says it moves with the total's growth, about (1 + beta - the
    share-weighted beta) x e, and the groups still add up to the total's error exactly;
    shares that do not follow the total (ShareForecast) all move by e."""
    from sendforecast.models.cohort.margins import ElasticityForecast

    base, beta = np.array([0.5, 0.3, 0.2]), np.array([1.3, 0.3, 1.0])
    groups = ElasticityForecast(("a", "b", "c"), base, beta, np.array([0.01, 0.0, -0.02]),
                                0.5)
    e = np.linspace(-0.2, 0.2, 41)
    f = groups.level_response(2, 0.05, e)
    s0 = groups.shares(2, 0.05)
    assert np.allclose(f @ s0, np.exp(e))  # the groups make up the total's error
    for k, ek in enumerate(e):  # the definition: the mix at growth + e
        assert np.allclose(f[k] * s0, np.exp(ek) * groups.shares(2, 0.05 + ek))
    slope = np.polyfit(e, np.log(f), 1)[0]
    assert slope == pytest.approx(1 + beta - s0 @ beta, abs=0.01)
    assert slope[1] < 0.6  # the group with beta 0.3 moves about half as far
    flat = ShareForecast(("a", "b", "c"), base, np.zeros(3), 0.5)
    assert np.allclose(flat.level_response(2, 0.05, e), np.exp(e)[:, None])


def test_follow_total_narrows_state_special_and_keeps_the_total_and_the_means(sen2):
    """With ``follow_total`` the mix errors' give-way and the total's level error reach
    state special at its elasticity (about half the total's), not in proportion: its fan
    narrows by a quarter, mainstream's widens; the total's fan and every group's mean (the
    margin forecasts) stay."""
    models, runs = zip(*(_project_with(sen2, 3, 1000, 6, follow_total=f)
                         for f in (False, True)), strict=True)
    k = PLACEMENT_GROUPS.index("state_special")

    def width(v):  # 80% interval / mean
        return np.subtract(*np.quantile(v, [0.9, 0.1])) / v.mean()

    for h in (0, 1, 2):
        off, on = (r.draws[:, h].sum(1).astype(float) for r in runs)
        assert width(on[:, k]) < 0.85 * width(off[:, k])
        assert width(on[:, 0]) > 1.03 * width(off[:, 0])  # mainstream gives way
        assert width(on.sum(1)) == pytest.approx(width(off.sum(1)), rel=0.05)
        # the means are the margin forecasts, closer than the mean-one errors leave them
        # without it (Monte Carlo error: educated elsewhere's sd is 0.65 a year)
        assert _margin_errors(models[1], runs[1], h)[0] < 2e-3
        assert on.sum(1).mean() == pytest.approx(off.sum(1).mean(), rel=0.01)


def test_the_totals_level_error_reaches_state_special_at_its_elasticity(sen2):
    """The total's level error alone (mix errors and tails off), same seed with and without
    it: state special's log change against the total's has slope ``1 + beta - the
    share-weighted beta`` (about half for Buckinghamshire), not 1 as with an error spread
    in proportion (``follow_total`` False)."""
    k = PLACEMENT_GROUPS.index("state_special")
    for follow, lo, hi in ((True, 0.35, 0.7), (False, 0.95, 1.05)):
        no_mix = {"follow_total": follow, "groups": {}, "bands": {}, "tails": {}}
        none, on = (_project_with(sen2, 2, 500, 6, **no_mix, **level)[1]
                    .draws[:, 1].astype(float)
                    for level in ({"total": 0.0, "total_growth": 0.0}, {}))
        e = np.log(on.sum((1, 2)) / none.sum((1, 2)))
        slope = np.polyfit(e, np.log(on[:, :, k].sum(1) / none[:, :, k].sum(1)), 1)[0]
        assert lo < slope < hi, (follow, slope)
