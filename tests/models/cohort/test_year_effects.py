"""Year effects and net transfers (year_effects): draws, variances, specs, real-LA effect."""

from __future__ import annotations

import numpy as np
import pytest

from sendforecast.data.taxonomy import PLACEMENT_GROUPS
from sendforecast.models.cohort import (
    NET_CLIP,
    SEN2_YEAR_EFFECTS,
    CohortModel,
    draw_net_transfers,
    draw_year_effects,
    year_effect_variance,
)
from tests.models.cohort.conftest import check_conservation, random_model


def test_year_effects_are_mean_one_random_walks():
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


def test_net_transfers_are_independent_normal_rates():
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


def test_year_effects_option_of_from_sen2(example):
    m = CohortModel.from_sen2(example, "999")
    assert m.year_effects == SEN2_YEAR_EFFECTS
    p = m.project(horizon=2, draws=20, seed=1, keep_flows=False)
    assert p.settings["year_effects"]["rho"] == SEN2_YEAR_EFFECTS["rho"]  # recorded
    off = CohortModel.from_sen2(example, "999", year_effects=None)
    assert off.project(horizon=2, draws=20, seed=1).settings["year_effects"] is None
    with pytest.raises(ValueError, match="year_effects"):
        CohortModel.from_sen2(example, "999", year_effects="wide")


def test_net_transfers_widen_the_total_and_keep_its_mean():
    """One year ahead, net transfers at rate e ~ Normal(0, s) add about (s * C)**2 to the
    variance of the total caseload (C: the children who continue, the base of both extra
    leaving and arrivals) and leave its mean (nearly) where it was."""
    m = random_model(3, 6, 4)
    m.initial = m.initial * 30
    m.year_effects = {"net": 0.0}
    b = m.project(horizon=1, draws=6000, seed=2)
    base = b.draws[:, 0].sum(axis=(1, 2))
    m.year_effects = {"net": 0.05}
    p = m.project(horizon=1, draws=6000, seed=2)
    check_conservation(p)
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


def test_year_effects_widen_intervals_and_keep_means(sen2):
    """On a real LA: year effects widen the 80% interval of big groups several-fold at
    horizon 1 and at every horizon; means move by < 3% (capping of rare large effects)."""
    m = CohortModel.from_sen2(sen2, "825", base_year=2023, margins=None)  # the dynamics
    assert m.year_effects is not None  # SEN2 models carry the calibrated defaults
    with_e = m.project(horizon=5, draws=2000, seed=4, keep_flows=False).draws.sum(2)
    spec, m.year_effects = m.year_effects, None
    without = m.project(horizon=5, draws=2000, seed=4, keep_flows=False).draws.sum(2)
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
    m = CohortModel.from_sen2(sen2, "825", base_year=2023, margins=None)  # the dynamics
    assert m.year_effects["net"] > 0
    full = m.project(horizon=3, draws=2000, seed=4, keep_flows=False).draws.sum(axis=(2, 3))
    m.year_effects = {k: v for k, v in m.year_effects.items() if k != "net"}
    no_net = m.project(horizon=3, draws=2000, seed=4, keep_flows=False).draws.sum(axis=(2, 3))
    w_full, w_no = (np.subtract(*np.quantile(x, [0.9, 0.1], axis=0)) for x in (full, no_net))
    assert w_full[0] > 1.2 * w_no[0] and (w_full > 1.05 * w_no).all()
    assert np.allclose(full.mean(0), no_net.mean(0), rtol=0.01)
