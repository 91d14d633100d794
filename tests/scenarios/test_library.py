"""Scenarios: right quantity, right direction, right size; composition; conservation; YAML."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sendforecast.data.taxonomy import PLACEMENT_GROUPS
from sendforecast.errors import InputError
from sendforecast.scenarios.base import FlowAdjustments, ramp
from sendforecast.scenarios.compare import adjustments
from sendforecast.scenarios.library import (
    CostLever,
    MainstreamInclusion,
    NewProvision,
    Post16Pathways,
    ReduceIndependent,
    ReduceRequests,
    ThresholdModeration,
    scenario_from_dict,
)

YEARS = 6
DRAWS = 200


@pytest.fixture(scope="module")
def model(example):
    from sendforecast.models.cohort import CohortModel

    return CohortModel.from_sen2(example, "999")


@pytest.fixture(scope="module")
def fixed_joiners(model):
    """Deterministic joiner totals (1,000 a year) so joiner effects are exact."""
    return np.full(YEARS, 1000)


def project(model, scen, joiners, seed=7):
    adj = adjustments(model, scen, YEARS)
    return model.project(horizon=YEARS, draws=DRAWS, seed=seed, joiners=joiners, adjust=adj), adj


def test_ramp_is_zero_before_start_and_linear_after():
    r = ramp(2027, 3, np.arange(2024, 2032))
    np.testing.assert_allclose(r, [0, 0, 0, 1 / 3, 2 / 3, 1, 1, 1])
    np.testing.assert_allclose(ramp(2026, 0, np.array([2025, 2026])), [0, 1])


def test_reduce_requests_cuts_joiners_from_start_year_only(model, fixed_joiners):
    base, _ = project(model, [], fixed_joiners)
    cut, adj = project(model, [ReduceRequests(by=0.10, start=model.base_year + 2, ramp_years=1)],
                       fixed_joiners)
    jb = base.flows["joiners"].sum(axis=(2, 3))
    jc = cut.flows["joiners"].sum(axis=(2, 3))
    # steps 0 and 1 (calendar years before the start) are untouched, draw for draw
    np.testing.assert_array_equal(jb[:, :2], jc[:, :2])
    np.testing.assert_array_equal(base.draws[:, :2], cut.draws[:, :2])
    # from the start year: exactly 10% fewer joiners (fixed 1,000 -> 900)
    assert (jc[:, 2:] == 900).all() and (jb[:, 2:] == 1000).all()


def test_threshold_moderation_multiplies_conversions(model, fixed_joiners):
    s = ThresholdModeration(assess_change=-0.10, issue_change=-0.05, start=model.base_year)
    res, _ = project(model, [s], fixed_joiners)
    j = res.flows["joiners"].sum(axis=(2, 3))
    assert (j == round(1000 * 0.9 * 0.95)).all()


def test_zero_strength_reproduces_baseline_draw_for_draw(model):
    base, _ = project(model, [], None)
    zero, adj = project(model, [ReduceRequests(by=0.0, start=2026),
                                MainstreamInclusion(share=0.0, start=2026),
                                Post16Pathways(leave_change=0.0, start=2026)], None)
    assert adj.is_null
    np.testing.assert_array_equal(base.draws, zero.draws)


def test_inclusion_moves_joiners_from_special_to_mainstream(model, fixed_joiners):
    base, _ = project(model, [], fixed_joiners)
    full, _ = project(model, [MainstreamInclusion(share=1.0, start=model.base_year,
                                                  phase_transfer=False)], fixed_joiners)
    k = {s: i for i, s in enumerate(model.states)}
    jb, jf = base.flows["joiners"], full.flows["joiners"]
    # every joiner heading to special goes to mainstream instead; totals unchanged
    assert jf[..., k["state_special"]].sum() == 0 and jf[..., k["independent_special"]].sum() == 0
    # in the first step the random streams are still identical: exact bookkeeping
    moved = jb[:, 0, :, k["state_special"]].sum() + jb[:, 0, :, k["independent_special"]].sum()
    assert moved > 0
    assert jf[:, 0, :, k["mainstream"]].sum() - jb[:, 0, :, k["mainstream"]].sum() == moved
    np.testing.assert_array_equal(jb.sum(axis=(2, 3)), jf.sum(axis=(2, 3)))
    # the special stock falls relative to baseline
    sp = [k["state_special"], k["independent_special"]]
    assert full.draws[:, -1][..., sp].sum() < base.draws[:, -1][..., sp].sum()


def test_reduce_independent_sign_and_conservation(model):
    base, _ = project(model, [], None)
    red, _ = project(model, [ReduceIndependent(share=0.5, start=model.base_year)], None)
    k = {s: i for i, s in enumerate(model.states)}
    ind_b = base.draws[..., k["independent_special"]].sum(axis=2).mean(0)
    ind_r = red.draws[..., k["independent_special"]].sum(axis=2).mean(0)
    st_b = base.draws[..., k["state_special"]].sum(axis=2).mean(0)
    st_r = red.draws[..., k["state_special"]].sum(axis=2).mean(0)
    assert (ind_r[1:] < ind_b[1:]).all() and (st_r[1:] > st_b[1:]).all()
    # conservation in every draw: stock(t+1) = stock(t) + joiners + transfers in
    # + the anchoring's calibration - leavers
    f = red.flows
    prev = np.concatenate([np.broadcast_to(red.initial.sum(), (DRAWS, 1)),
                           red.draws.sum(axis=(2, 3))[:, :-1]], axis=1)
    np.testing.assert_array_equal(red.draws.sum(axis=(2, 3)),
                                  prev + f["joiners"].sum(axis=(2, 3))
                                  + f["transfers_in"].sum(axis=(2, 3))
                                  + f["calibration"].sum(axis=(2, 3))
                                  - f["leavers"].sum(axis=(2, 3)))


def test_post16_pathways_raise_leavers_at_16_to_25_only(model):
    base, _ = project(model, [], None)
    p16, _ = project(model, [Post16Pathways(leave_change=0.5, start=model.base_year)], None)
    a = np.asarray(model.ages)
    old = (a >= 16)
    assert p16.flows["leavers"][:, :, old].sum() > base.flows["leavers"][:, :, old].sum() * 1.1
    assert p16.draws.sum() < base.draws.sum()
    # under-16s' leaving is unchanged (same expected count in the first step)
    young = a < 16
    lb, lp = base.flows["leavers"][:, 0, young].sum(), p16.flows["leavers"][:, 0, young].sum()
    assert abs(lp / lb - 1) < 0.03


def test_new_resourced_provision_fills_from_special_bound_joiners(model, fixed_joiners):
    s = NewProvision(provision="resourced_provision", places=60, opens=model.base_year + 2,
                     fill_years=2, phase="secondary")
    adj = adjustments(model, [s], YEARS)
    np.testing.assert_array_equal([r["places"] for r in adj.capacity],
                                  [30, 60, 60, 60, 60])
    base, _ = project(model, [], fixed_joiners)
    new, _ = project(model, [s], fixed_joiners)
    k = model.states.index("resourced_provision")
    extra = new.flows["joiners"][..., k].sum(axis=2) - base.flows["joiners"][..., k].sum(axis=2)
    assert (extra[:, 0] == 0).all()  # nothing before the opening (identical random streams)
    # about 30 new places a year for two years are filled by joiners (binomial thinning)
    assert 20 <= extra[:, 1].mean() <= 40 and 20 <= extra[:, 2].mean() <= 40
    # no further places open: the joiners' mix is back to the baseline's on average
    assert np.abs(extra[:, 3:].mean(axis=0)).max() < 8


def test_composition_order_does_not_matter(model):
    a = [ReduceRequests(by=0.1, start=2026), ReduceIndependent(share=0.3, start=2026),
         MainstreamInclusion(share=0.2, start=2027)]
    p1, _ = project(model, a, None)
    p2, _ = project(model, a[::-1], None)
    np.testing.assert_array_equal(p1.draws, p2.draws)


@settings(max_examples=15, deadline=None)
@given(by=st.floats(0, 0.9), share=st.floats(0, 1), leave=st.floats(-0.5, 1.0),
       seed=st.integers(0, 2**16))
def test_conservation_under_any_strategy(model, by, share, leave, seed):
    scen = [ReduceRequests(by=by, start=2025), MainstreamInclusion(share=share, start=2025),
            ReduceIndependent(share=share, start=2026), Post16Pathways(leave_change=leave, start=2025)]
    adj = adjustments(model, scen, 3)
    res = model.project(horizon=3, draws=20, seed=seed, adjust=adj)
    f = res.flows
    prev = np.concatenate([np.broadcast_to(res.initial.sum(), (20, 1)),
                           res.draws.sum(axis=(2, 3))[:, :-1]], axis=1)
    np.testing.assert_array_equal(res.draws.sum(axis=(2, 3)),
                                  prev + f["joiners"].sum(axis=(2, 3))
                                  + f["transfers_in"].sum(axis=(2, 3))
                                  + f["calibration"].sum(axis=(2, 3))
                                  - f["leavers"].sum(axis=(2, 3)))
    assert (res.draws >= 0).all()
    np.testing.assert_array_equal(f["movers"].sum(axis=(2, 3)), 0)


def test_invalid_values_raise_clear_errors():
    with pytest.raises(ValueError, match="less than 1"):
        ReduceRequests(by=1.5, start=2026)
    with pytest.raises(ValueError, match="greater than 0"):
        NewProvision(provision="state_special", places=-5, opens=2027)
    with pytest.raises(ValueError, match="unknown placement group"):
        NewProvision(provision="castle", places=5, opens=2027)
    with pytest.raises(ValueError, match="less than or equal to 1"):
        MainstreamInclusion(share=1.2, start=2026)
    adj = FlowAdjustments(2024, 5, list(range(26)), list(PLACEMENT_GROUPS))
    with pytest.raises(ValueError, match="not in this model"):
        adj.state("nowhere")
    with pytest.raises(ValueError, match="unknown scenario type"):
        scenario_from_dict({"type": "Magic", "by": 1})


def test_yaml_round_trip_and_schema_errors(tmp_path):
    from sendforecast.scenarios.config import EXAMPLE_YAML, load_run_config

    cfg, strategies = load_run_config(EXAMPLE_YAML)
    assert len(strategies) >= 3 and cfg.goal_seek is not None
    for name, scen in strategies.items():
        back = [scenario_from_dict(yaml.safe_load(yaml.safe_dump(s.to_dict()))) for s in scen]
        assert back == scen, name
        assert all(s.describe() for s in scen)
    bad = yaml.safe_load(EXAMPLE_YAML.read_text())
    bad["strategies"]["stronger_sen_support"][0]["by"] = 2
    bad["draws"] = -1
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(bad))
    with pytest.raises(InputError) as e:
        load_run_config(p)
    msg = str(e.value)
    assert "bad.yaml" in msg and "draws" in msg and "strategies.stronger_sen_support.0.by" in msg


def test_cost_lever_scales_the_named_line():
    s = CostLever(line="independent_special", change=-0.1, start=2026, ramp_years=1)
    adj = FlowAdjustments(2024, 3, list(range(26)), list(PLACEMENT_GROUPS))
    s.adjust(adj)
    assert adj.cost_scale == [("independent_special", ("level", 2026, 1, -0.1))]
