"""The need layer: a projection's draws split by primary need (models/cohort/needs.py,
need_inputs.py, need_kernel.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sendforecast.models.cohort import (
    CohortModel,
    CohortProjection,
    NeedInputs,
    need_table,
    sen2_need_inputs,
    split_by_need,
    witan_need_inputs,
)
from sendforecast.models.cohort.need_inputs import largest_remainder, rake_needs
from tests.models.cohort.conftest import check_conservation, random_model


def _by_hand(initial, flows):
    """Draws ``[D, H, A, K]`` from ``initial`` and need-free flows (the model's identity)."""
    D, H, A, K = flows["leavers"].shape
    prev = np.broadcast_to(initial, (D, A, K)).astype(np.int64)
    out = np.zeros((D, H, A, K), np.int32)
    for h in range(H):
        nxt = prev - flows["leavers"][:, h] + flows["movers"][:, h]
        cur = flows["joiners"][:, h] + flows["transfers_in"][:, h] + flows["calibration"][:, h]
        cur[:, 1:] += nxt[:, :-1]
        out[:, h] = cur
        prev = cur
    return out


def _proj(initial, flows):
    D, H, A, K = flows["leavers"].shape
    return CohortProjection(draws=_by_hand(initial, flows), years=list(range(2025, 2025 + H)),
                            ages=list(range(A)), states=[f"s{k}" for k in range(K)],
                            initial=initial.astype(float), base_year=2024,
                            flows={k: v.astype(np.int32) for k, v in flows.items()},
                            settings={"seed": 1})


def test_hand_checked_case_need_fixed_and_joiner_mix():
    """3 ages x 2 states x needs (ASD, SEMH), 2 draws, 1 year.  Age 0 / s0 holds 4 ASD;
    age 1 / s0 holds 3 ASD and s1 2 SEMH.  One ASD child leaves age 0; at age 1 two
    children move from s0 to s1 (they can only be ASD); joiners at age 1 / s1 are all
    SEMH by their mix; the anchoring adds 2 to age 2 / s0 (whose only children are
    ASD) and takes 1 from age 1 / s1 of draw 1 (only SEMH there)."""
    base = np.zeros((3, 2, 2), np.int64)
    base[0, 0] = [4, 0]
    base[1, 0] = [3, 0]
    base[1, 1] = [0, 2]
    z = np.zeros((2, 1, 3, 2), np.int64)
    fl = {k: z.copy() for k in ("leavers", "movers", "joiners", "transfers_in", "calibration")}
    fl["leavers"][:, 0, 0, 0] = 1
    fl["movers"][:, 0, 1] = [-2, 2]
    fl["joiners"][:, 0, 1, 1] = 3
    fl["calibration"][:, 0, 2, 0] = 2
    fl["calibration"][1, 0, 1, 1] = -1
    jm = np.zeros((3, 2, 2))
    jm[..., 1] = 1.0  # every joiner SEMH
    fb = np.full((3, 2, 2), 0.5)
    inputs = NeedInputs(needs=["ASD", "SEMH"], base=base, joiner_mix=jm, fallback=fb)
    p = _proj(base.sum(-1), fl)
    s = split_by_need(p, inputs, seed=3, keep_flows=True)
    x = s.draws.reshape(2, 1, 3, 2, 2)
    assert (x.sum(-1) == p.draws).all()
    for d in range(2):
        assert list(x[d, 0, 1, 0]) == [3, 0]  # age 0's three continuing ASD children
        assert list(x[d, 0, 1, 1]) == [0, 3 - d]  # the joiners (SEMH), less draw 1's one
        assert list(x[d, 0, 2, 0]) == [3, 0]  # 1 ASD stayed + 2 added like the cell (ASD)
        assert list(x[d, 0, 2, 1]) == [2, 2]  # 2 SEMH aged on + the 2 ASD movers
    check_conservation(s)
    assert s.states == ["s0:ASD", "s0:SEMH", "s1:ASD", "s1:SEMH"]


@pytest.mark.parametrize("seed", [0, 1])
def test_random_unanchored_model_conserves_need_by_need(seed):
    m = random_model(seed, A=6, K=3)
    p = m.project(horizon=4, draws=50, seed=seed, keep_flows=True)
    r = np.random.default_rng(seed)
    N = 4
    mix = r.dirichlet(np.ones(N), size=(6, 3))
    inputs = NeedInputs(needs=list("ABCD"), base=largest_remainder(mix, m.initial),
                        joiner_mix=r.dirichlet(np.ones(N), size=(6, 3)), fallback=mix)
    s = split_by_need(p, inputs, seed=seed, keep_flows=True)
    assert (s.draws.reshape(50, 4, 6, 3, N).sum(-1) == p.draws).all()
    check_conservation(s)
    again = split_by_need(p, inputs, seed=seed)
    assert (again.draws == s.draws).all()  # same seed, same split
    assert (split_by_need(p, inputs, seed=seed + 7).draws != s.draws).any()


def test_rake_and_largest_remainder():
    cells = np.array([[10.0, 0.0], [5.0, 5.0]])
    X = rake_needs(cells, np.array([[0.5, 0.5], [np.nan, np.nan]]),
                   np.array([[0.6, 0.4], [0.2, 0.8]]), np.array([0.5, 0.5]))
    assert np.allclose(X.sum(-1), cells)
    assert np.allclose(X[0, 0], [5, 5])  # age 0 is all state 0: its shares rule
    n = largest_remainder(X, cells)
    assert (n.sum(-1) == cells).all() and n.dtype == np.int64


@pytest.fixture(scope="module")
def bucks_need(sen2):
    m = CohortModel.from_sen2(sen2, "825")
    p = m.project(horizon=5, draws=200, seed=1, keep_flows=True)
    inputs = sen2_need_inputs(sen2, "825", m)
    return m, p, inputs, split_by_need(p, inputs, seed=1, keep_flows=True)


def test_bucks_sums_over_needs_give_the_projection(bucks_need):
    m, p, inputs, s = bucks_need
    D, H, A, K = p.draws.shape
    assert (s.draws.reshape(D, H, A, K, -1).sum(-1) == p.draws).all()
    check_conservation(s)  # the identity holds need by need, calibration included
    plain = m.project(horizon=5, draws=200, seed=1)  # the flows change nothing
    assert (plain.draws == p.draws).all()
    t = need_table(s)
    assert list(t.columns) == ["year", "need", "phase", "placement_group", "mean", "p10",
                               "p90", "p2_5", "p97_5"]
    by = t.groupby(["year", "phase", "placement_group"])["mean"].sum()
    ref = p.table(("year", "phase", "placement")).set_index(["year", "phase", "placement"])
    assert np.allclose(by.sort_index().to_numpy(), ref["mean"].sort_index().to_numpy())


def test_bucks_base_reproduces_published_january_shares(sen2, bucks_need):
    """The base split follows Buckinghamshire's published January 2025 need shares (all
    EHC plans) within rounding: overall within 0.5 points, each school age within 1.25."""
    m, _, inputs, _ = bucks_need
    assert (inputs.base.sum(-1) == np.rint(m.initial)).all()
    ns = sen2.need_shares
    w = ns[(ns.la_code == "825") & (ns.scope == "all_plans")].pivot_table(
        index=["age", "placement"], columns="need", values="value")[inputs.needs]
    pub = w.loc[("all", "total")].to_numpy()
    got = inputs.base.sum((0, 1)) / inputs.base.sum()
    assert np.abs(got - pub / pub.sum()).max() < 0.005
    for a in range(4, 20):
        r = w.loc[(str(a), "total")].to_numpy()
        c = inputs.base[a].sum(0)
        assert np.abs(c / c.sum() - r / r.sum()).max() < 0.0125, a
    semh = inputs.needs.index("SEMH")
    assert 0.17 < got[semh] < 0.21  # published 19.1%


def test_bucks_joiners_follow_the_new_plans_need_mix(sen2, bucks_need):
    """Joiners get the new plans' needs: overall within 3 points of the published 2024
    shares, and SEMH's share of joiners (published 37%) far above its share of the stock
    (19%) - so SEMH's share of the caseload grows."""
    _, p, inputs, s = bucks_need
    D, H, A, K = p.draws.shape
    j = s.flows["joiners"].reshape(D, H, A, K, -1).sum((0, 1, 2, 3))
    ns = sen2.need_shares
    y = ns[(ns.la_code == "825") & (ns.scope == "new_plans") & (ns.age == "all")
           & (ns.placement == "total")].set_index("need")["value"].reindex(inputs.needs)
    assert np.abs(j / j.sum() - (y / y.sum()).to_numpy()).max() < 0.03
    semh = inputs.needs.index("SEMH")
    assert j[semh] / j.sum() > 0.33
    share = s.draws.reshape(D, H, A, K, -1).sum((0, 2, 3))
    share = share[:, semh] / share.sum(-1)
    assert (np.diff(share) > 0).all() and share[-1] > inputs.base[..., semh].sum() / inputs.base.sum() + 0.02


def test_split_needs_flows_and_matching_inputs(bucks_need):
    m, _, inputs, s = bucks_need
    with pytest.raises(ValueError, match="keep_flows"):
        split_by_need(m.project(horizon=2, draws=20, seed=1, keep_flows=False), inputs)
    with pytest.raises(ValueError, match="already carry a need"):
        split_by_need(s, inputs)
    other = random_model(0, A=4, K=2).project(horizon=2, draws=10, seed=1)
    with pytest.raises(ValueError, match="age x state cells"):
        split_by_need(other, inputs)


def test_witan_need_paths(witan_model):
    tr, m = witan_model
    p = m.project(horizon=4, draws=100, seed=2, keep_flows=True)
    inputs = witan_need_inputs(tr, m)
    assert (inputs.base.sum(-1) == np.rint(m.initial)).all()  # person-level base January
    s = split_by_need(p, inputs, seed=2, keep_flows=True)
    D, H, A, K = p.draws.shape
    assert (s.draws.reshape(D, H, A, K, -1).sum(-1) == p.draws).all()
    check_conservation(s)
    t = need_table(s)  # settings pooled into their setting groups
    assert set(t["placement_group"]) <= {"group1", "group2", "group3"}
    # the witan model with need in its states: the table sums to its phases
    from sendforecast.data.local import read_valid_states, read_witan_population
    from tests.conftest import WITAN

    mn = CohortModel.from_transitions(tr, read_witan_population(WITAN / "population.csv"),
                                      read_valid_states(WITAN / "valid-states.csv"),
                                      by_need=True)
    pn = mn.project(horizon=3, draws=100, seed=2)
    tn = need_table(pn)
    tot = tn.groupby(["year", "phase"])["mean"].sum().sort_index()
    ref = pn.table(("year", "phase")).set_index(["year", "phase"])["mean"].sort_index()
    assert np.allclose(tot.to_numpy(), ref.to_numpy())
    assert not tn.duplicated(["year", "need", "phase", "placement_group"]).any()
    assert isinstance(tn, pd.DataFrame)


def test_recorded_need_seed_reproduces_the_split(witan_model):
    """The seed recorded in the split's settings, passed back, gives the same split."""
    tr, m = witan_model
    p = m.project(horizon=2, draws=20, seed=5, keep_flows=True)
    inputs = witan_need_inputs(tr, m)
    first = split_by_need(p, inputs)
    again = split_by_need(p, inputs, seed=first.settings["need"]["seed"])
    assert (first.draws == again.draws).all()
