"""Sufficiency by need: designated places, overflow rules, general places, unmet demand
(sendforecast/sufficiency_need.py) and capacity files by designation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sendforecast.data.local import read_capacity
from sendforecast.errors import InputError
from sendforecast.models.cohort import CohortProjection
from sendforecast.sufficiency import Capacity
from sendforecast.sufficiency_need import DEFAULT_OVERFLOW, sufficiency_by_need

NEEDS = ["ASD", "SLCN", "SEMH"]


def _proj(demand: dict[str, list[int]]) -> CohortProjection:
    """One age (8: primary), state_special and mainstream x NEEDS, 1 draw, 2 years;
    ``demand``: state_special's children of each need per year."""
    states = [f"{g}:{n}" for g in ("state_special", "mainstream") for n in NEEDS]
    draws = np.zeros((1, 2, 1, len(states)), np.int32)
    for n, v in demand.items():
        draws[0, :, 0, states.index(f"state_special:{n}")] = v
    draws[0, :, 0, states.index("mainstream:SEMH")] = 50  # never in special places
    return CohortProjection(draws=draws, years=[2025, 2026], ages=[8], states=states,
                            initial=draws[0, 0].astype(float), base_year=2024)


def _cap(rows) -> Capacity:
    return Capacity(pd.DataFrame(rows, columns=["provision", "phase", "need", "name", "year",
                                                "places"]))


CAP = [("state_special", "primary", "ASD", "", 2025, 10),
       ("state_special", "primary", "SLCN", "", 2025, 5),
       ("state_special", "primary", "all", "", 2025, 3)]


def _row(t, designation, year=2025):
    return t[(t.designation == designation) & (t.year == year)].iloc[0]


def test_designated_first_then_allowed_overflow_then_general():
    """ASD 12, SLCN 3, SEMH 4 against ASD 10, SLCN 5, general 3 places: ASD places take
    10 ASD; SLCN places take the 3 SLCN and then 2 ASD (same broad area); SEMH cannot use
    ASD/SLCN places: general places take 3 SEMH, 1 SEMH is unmet."""
    r = sufficiency_by_need(_proj({"ASD": [12, 12], "SLCN": [3, 3], "SEMH": [4, 9]}), _cap(CAP))
    t = r.table
    asd, slcn, semh, gen = (_row(t, d) for d in ("ASD", "SLCN", "SEMH", "all"))
    assert (asd.placed_mean, asd.shortfall_mean, asd.spare_mean) == (10, 0, 0)
    assert (slcn.placed_mean, slcn.shortfall_mean, slcn.spare_mean) == (5, 0, 0)
    assert (gen.placed_mean, gen.demand_mean, gen.shortfall_mean) == (3, 4, 1)
    assert (semh.capacity, semh.demand_mean, semh.shortfall_mean, semh.p_short) == (0, 4, 1, 1)
    assert _row(t, "SEMH", 2026).shortfall_mean == 6  # 9 SEMH, 3 general places
    assert asd.gap_mean == -2  # ASD demand 12 against 10 ASD places
    ffy = r.first_full_year.set_index("designation")["first_full_year"]
    assert ffy["ASD"] == 2025 and pd.isna(ffy["SLCN"]) and "SEMH" not in ffy.index


def test_overflow_only_where_the_rules_allow():
    p = _proj({"ASD": [12, 12], "SLCN": [3, 3], "SEMH": [0, 0]})
    strict = sufficiency_by_need(p, _cap(CAP), rules={}).table  # own need and general only
    assert _row(strict, "SLCN").placed_mean == 3 and _row(strict, "ASD").shortfall_mean == 0
    assert _row(strict, "all").placed_mean == 2  # ASD's 2 left over go to general places
    none = sufficiency_by_need(p, _cap(CAP[:2]), rules={}).table  # and without them: unmet
    assert _row(none, "ASD").shortfall_mean == 2 and _row(none, "ASD").p_short == 1
    assert set(none.designation) == {"ASD", "SLCN"}
    # a custom rule: SEMH places may take ASD
    cap = [("state_special", "primary", "SEMH", "", 2025, 4)]
    t = sufficiency_by_need(_proj({"ASD": [3, 3], "SEMH": [1, 1]}), _cap(cap),
                            rules={"SEMH": ["ASD"]}).table
    assert _row(t, "SEMH").placed_mean == 4 and _row(t, "ASD").shortfall_mean == 0
    # the default: the Code of Practice's broad areas
    assert DEFAULT_OVERFLOW["ASD"] == ["SLCN"] and DEFAULT_OVERFLOW["SEMH"] == []


def test_places_before_a_designations_first_row_are_unknown():
    cap = [*CAP, ("state_special", "primary", "SEMH", "new unit", 2026, 8)]
    t = sufficiency_by_need(_proj({"ASD": [0, 0], "SEMH": [9, 9]}), _cap(cap)).table
    assert np.isnan(_row(t, "SEMH", 2025).capacity) and _row(t, "SEMH", 2025).placed_mean == 0
    assert _row(t, "SEMH", 2026).placed_mean == 8
    assert _row(t, "SEMH", 2026).shortfall_mean == 0  # the 9th takes a general place


def test_bad_rules_and_unknown_designations():
    p = _proj({"ASD": [1, 1]})
    with pytest.raises(InputError, match="XYZ"):
        sufficiency_by_need(p, _cap(CAP), rules={"ASD": ["XYZ"]})
    with pytest.raises(InputError, match="PMLD"):  # a need the projection does not have
        sufficiency_by_need(p, _cap([("state_special", "primary", "PMLD", "", 2025, 5)]))
    with pytest.raises(ValueError, match="carry a need"):
        sufficiency_by_need(CohortProjection(
            draws=np.zeros((1, 1, 1, 1), np.int32), years=[2025], ages=[8],
            states=["state_special"], initial=np.zeros((1, 1)), base_year=2024), _cap(CAP))


def test_capacity_file_by_designation(tmp_path):
    f = tmp_path / "places.csv"
    f.write_text("provision,phase,designation,year,places\n"
                 "state_special,secondary,ASD,2025,40\n"
                 "state_special,secondary,,2025,10\n")
    c = read_capacity(f)
    assert list(c["need"]) == ["ASD", "all"]
    assert Capacity(c).places("state_special", "secondary", [2025], need="ASD")[0] == 40
    assert Capacity(c).places("state_special", "secondary", [2025])[0] == 50  # as before
    bad = tmp_path / "bad.csv"
    bad.write_text("provision,phase,designation,year,places\n"
                   "state_special,secondary,ASD,2025,40\n"
                   "state_special,secondary,autism please,2025,10\n")
    with pytest.raises(InputError) as e:
        read_capacity(bad)
    p = e.value.problems[0]
    assert (p.file, p.row, p.column) == (str(bad), 3, "designation")
    both = tmp_path / "both.csv"
    both.write_text("provision,need,designation,year,places\nstate_special,ASD,ASD,2025,4\n")
    with pytest.raises(InputError, match="not both"):
        read_capacity(both)


def test_bucks_sufficiency_by_need(sen2, tmp_path):
    """On Buckinghamshire's need layer: designated places never hold a need they may not
    take, and every child of the provision is placed or reported unmet."""
    from sendforecast.models.cohort import CohortModel, sen2_need_inputs, split_by_need

    m = CohortModel.from_sen2(sen2, "825")
    s = split_by_need(m.project(horizon=3, draws=100, seed=1), sen2_need_inputs(sen2, "825", m))
    cap = _cap([("state_special", "secondary", "SEMH", "", 2024, 150),
                ("state_special", "secondary", "ASD", "", 2024, 300)])
    t = sufficiency_by_need(s, cap).table
    sec = t[t.year == 2027].set_index("designation")
    assert sec.loc["SEMH", "placed_mean"] <= sec.loc["SEMH", "demand_mean"] + 1e-9  # SEMH only
    placed = sec.loc[["SEMH", "ASD"], "placed_mean"].sum()
    assert np.isclose(placed + sec["shortfall_mean"].sum(), sec["demand_mean"].sum())


def test_main_job_adds_need_tables(sen2, tmp_path):
    """The main job of an LA with published need shares adds projection_by_need, and
    sufficiency_by_need when capacity is given by designation."""
    from sendforecast.workflow import run_main_job

    cap = _cap([("state_special", "secondary", "SEMH", "", 2024, 150),
                ("state_special", "secondary", "all", "", 2024, 500)])
    res = run_main_job(sen2, "825", tmp_path, horizon=2, draws=30, seed=1, capacity=cap,
                       progress=False)
    t = res.tables["projection_by_need"]
    assert list(t.columns[:4]) == ["year", "need", "phase", "placement_group"]
    tot = res.tables["projection_totals"].set_index("year")["mean"]
    assert np.allclose(t.groupby("year")["mean"].sum(), tot)
    s = res.tables["sufficiency_by_need"]
    assert set(s.designation) >= {"SEMH", "all"} and (tmp_path / "sufficiency_by_need.csv").exists()


def test_overflow_rules_file(tmp_path):
    f = tmp_path / "overflow.csv"
    f.write_text("designation,need\nSEMH,ASD\nASD,asd\n")
    p = _proj({"ASD": [3, 3], "SEMH": [1, 1]})
    cap = _cap([("state_special", "primary", "SEMH", "", 2025, 4)])
    r = sufficiency_by_need(p, cap, rules=f)
    assert r.rules == {"SEMH": ["ASD"], "ASD": []}
    assert _row(r.table, "SEMH").placed_mean == 4
    bad = tmp_path / "bad.csv"
    bad.write_text("designation,need\nSEMH,ASD\nSEMH,autism\n")
    with pytest.raises(InputError) as e:
        sufficiency_by_need(p, cap, rules=bad)
    pr = e.value.problems[0]
    assert (pr.file, pr.row, pr.column) == (str(bad), 3, "need")


def test_witan_demo_sufficiency_by_designation(tmp_path):
    """On the witan.send demo (settings and needs are letters): a capacity file by setting x
    designation is read with the model's own settings and needs, and every draw's children
    of a designation's need are placed there up to its places, the rest reported unmet."""
    from sendforecast.data.local import read_transitions, read_valid_states, read_witan_population
    from sendforecast.models.cohort import CohortModel
    from tests.conftest import WITAN

    if not WITAN.is_dir():
        pytest.skip(f"witan demo not found under {WITAN}")
    vs = read_valid_states(WITAN / "valid-states.csv")
    tr = read_transitions(WITAN / "transitions.csv", vs)
    m = CohortModel.from_transitions(tr, read_witan_population(WITAN / "population.csv"), vs,
                                     by_need=True)
    p = m.project(horizon=3, draws=50, seed=3)
    settings = list(dict.fromkeys(s.split(":")[0] for s in p.states))
    needs = list(dict.fromkeys(s.split(":")[1] for s in p.states))
    # the setting x need cell with most children: give its need half of them as places
    tot = p.draws.sum(axis=2).mean(axis=(0, 1))
    setting, need = p.states[int(np.argmax(tot))].split(":")
    demand = p.draws[:, :, :, p.states.index(f"{setting}:{need}")].sum(-1)  # [D, H]
    half = int(demand.mean() // 2)
    f = tmp_path / "capacity.csv"
    f.write_text("provision,year,places,designation\n"
                 + "".join(f"{setting},{y},{half},{need}\n" for y in p.years))
    with pytest.raises(InputError, match="expected a placement group: one of"):
        Capacity.from_file(f)  # SEN2 placement groups expected: the letter is refused
    cap = Capacity.from_file(f, provisions=settings, needs=needs)
    r = sufficiency_by_need(p, cap, rules={})
    row = r.table[r.table.designation == need].set_index("year")
    assert np.allclose(row["demand_mean"].to_numpy(), demand.mean(0))
    assert np.allclose(row["placed_mean"].to_numpy(), np.minimum(demand, half).mean(0))
    assert np.allclose(row["shortfall_mean"].to_numpy(), np.maximum(demand - half, 0).mean(0))
    assert (row["capacity"] == half).all() and (row["p_short"] > 0.5).all()
