"""SEN2 identification (identify, through CohortModel.from_sen2) on real and example data."""

from __future__ import annotations

import numpy as np
import pytest

from sendforecast.data.taxonomy import PLACEMENT_GROUPS
from sendforecast.errors import SendForecastWarning
from sendforecast.models.cohort import CohortModel
from sendforecast.models.cohort.inputs import group_totals
from tests.models.cohort.conftest import check_conservation


def test_sen2_buckinghamshire(bucks):
    m, p = bucks
    assert m.base_year == 2024 and p.years[0] == 2025
    assert m.initial.sum() == pytest.approx(6697)
    t25 = p.totals().set_index("year").loc[2025, "mean"]
    assert 6697 * 0.95 < t25 < 6697 * 1.3
    lp = m.leave_a / (m.leave_a + m.leave_b)
    assert ((lp > 0) & (lp < 1)).all()
    ages = (lp * m.initial).sum(1) / m.initial.sum(1)  # leaving by age, over its placements
    assert ages[19] > ages[12] and ages[16] > ages[12]  # drops at 16 and 19

    check_conservation(p)


def test_sen2_backtest_origin_uses_past(sen2):
    m = CohortModel.from_sen2(sen2, "825", base_year=2023)
    assert m.base_year == 2023
    assert m.initial.sum() == pytest.approx(5890)
    assert m.joiner_history.year.max() <= 2023


def test_sen2_la_without_placement_breakdown_keeps_its_total(sen2):
    """Hackney's January 2024 return has a total (3,525) but no placements: the model
    keeps the total, takes the 2023 mix and England's age shape, and says so."""
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


def test_sen2_unrecorded_placements_kept_or_allocated(sen2):
    """Jan 2023 (first person-level SEN2) has many unrecorded placements: "keep" projects
    them as published, "allocate" shares them over recorded placements, same total."""
    nr = PLACEMENT_GROUPS.index("not_recorded")
    la = next(c for c in sen2.la_codes() if {2023, 2024} <= set((t := group_totals(
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
    check_conservation(alloc.project(horizon=2, draws=20, seed=1))
    with pytest.raises(ValueError, match="unrecorded"):
        CohortModel.from_sen2(sen2, la, unrecorded="drop")


def test_example_la_without_england_rows(example):
    """The synthetic example has one LA and no England/region rows: pool toward the LA."""
    m = CohortModel.from_sen2(example, "999")
    assert m.settings["reference"]["level"] == "la"
    assert "skipped" in m.settings["reference"]["note"]
    assert m.base_year == 2024 and m.initial.sum() == pytest.approx(6408)
    p = m.project(horizon=10, draws=200, seed=3)
    assert p.years[0] == 2025 and p.years[-1] == 2034
    check_conservation(p)
    tot = p.totals().set_index("year")["mean"]
    assert 6408 < tot[2025] < 6408 * 1.25  # the example grows ~11% a year to 2024
    assert tot[2034] < 6408 * 3
    assert (np.diff(tot.to_numpy()) > 0).all()


def test_minimal_flows_by_hand():
    """60 / 40 continuing children must become 50 / 50: the minimal flows move 10 from the
    group that shrinks to the one that grows and keep everyone else where they are."""
    from sendforecast.models.cohort.identify import transport

    assert np.allclose(transport(np.array([60.0, 40.0]), np.array([50.0, 50.0])),
                       [[50, 10], [0, 40]])
    # a target of another total is scaled to the continuing total first (100 here)
    assert np.allclose(transport(np.array([60.0, 40.0]), np.array([1.0, 3.0])),
                       [[25, 35], [0, 40]])


def test_reference_area_is_england_and_computed_once(sen2):
    """With England rows an LA pools toward England, whose parts are identified once per
    data object and origin (every LA of a batch shares them)."""
    from sendforecast.models.cohort.identify import reference_area, reference_parts
    from sendforecast.models.cohort.inputs import ENGLAND

    assert reference_area(sen2, "825", 2024) == ("national", ENGLAND, "pooled toward England")
    nat = reference_parts(sen2, "national", ENGLAND, 2024)
    assert reference_parts(sen2, "national", ENGLAND, 2024) is nat
    assert reference_parts(sen2, "national", ENGLAND, 2023) is not nat
    assert nat["initial"].sum() > 400_000  # England's caseload, not an LA's


def test_reference_area_can_prefer_the_region(sen2, monkeypatch):
    """``pool_toward="region"`` pools toward the LA's region (Hampshire 850: the South
    East), and the projection reads the setting; anything else is refused by name."""
    from sendforecast.models.cohort.identify import reference_area
    from sendforecast.models.settings import PROJECTION_SETTINGS

    level, code, note = reference_area(sen2, "850", 2022, "region")
    assert (level, code) == ("region", "E12000008") and "region E12000008" in note
    assert reference_area(sen2, "850", 2022)[0] == "national"
    with pytest.raises(ValueError, match="pool_toward.*'county'"):
        reference_area(sen2, "850", 2022, "county")
    import sendforecast.models.cohort.model as model_module

    seen = []
    fit = model_module._fit_margins

    def spy(data, la, T, ref_level, ref_code, initial):
        seen.append((ref_level, ref_code))
        return fit(data, la, T, ref_level, ref_code, initial)

    monkeypatch.setattr(model_module, "_fit_margins", spy)
    monkeypatch.setitem(PROJECTION_SETTINGS, "pool_toward", "region")
    m = CohortModel.from_sen2(sen2, "850", base_year=2022)
    assert m.settings["reference"]["code"] == "E12000008"
    assert seen == [("region", "E12000008")]  # the margins' reference too


@pytest.mark.parametrize("prefer, england, region, want", [
    ("england", False, True, "region"),   # no England rows: its region
    ("region", True, False, "national"),  # no rows for its region: England
    ("region", False, False, "la"),       # neither: the LA itself
    ("england", True, True, "national"),
])
def test_reference_area_falls_back_in_order(sen2, monkeypatch, prefer, england, region, want):
    import sendforecast.models.cohort.identify as identify

    monkeypatch.setattr(identify, "has_caseload",
                        lambda data, level, code, T: {"national": england,
                                                      "region": region}[level])
    assert identify.reference_area(sen2, "850", 2022, prefer)[0] == want


def test_plans_end_by_25_over_many_las(sen2):
    """January 2024 England: 2,100 children with a plan at 24, 325 at 25.  Projected a year
    on, the 25-year-olds of ten LAs are well under half of their 24-year-olds (an even
    split of the ceased "20 and over" had kept about 70%: issue 15's 1,517 against 371)."""
    at24 = at25 = 0.0
    for la in sen2.la_codes()[::16]:
        m = CohortModel.from_sen2(sen2, la)
        p = m.project(horizon=1, draws=40, seed=1, keep_flows=False)
        at24 += m.initial[24].sum()
        at25 += p.draws[:, 0, 25].sum(1).mean()
    assert at25 < 0.45 * at24
