"""The SCAP specialist-place table: layout, conservation against the projection, capacity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sendforecast.scap import SCAP_COLUMNS, academic_year, scap_table


@pytest.fixture(scope="module")
def example_projection():
    from sendforecast import load_example
    from sendforecast.data.example import EXAMPLE_CAPACITY, EXAMPLE_LA_CODE
    from sendforecast.models.cohort import CohortModel
    from sendforecast.sufficiency import Capacity

    proj = CohortModel.from_sen2(load_example(), EXAMPLE_LA_CODE).project(
        horizon=8, draws=60, seed=3)
    return proj, Capacity.from_file(EXAMPLE_CAPACITY)


def test_academic_year():
    assert academic_year(2026) == "2025/26" and academic_year(2030) == "2029/30"


def test_layout_and_horizons(example_projection):
    proj, cap = example_projection
    t = scap_table(proj, cap)
    assert list(t.columns) == SCAP_COLUMNS
    assert set(t.phase) == {"Primary", "Secondary", "Post-16", "Total"}
    assert set(t.provision_type) == {"State-funded special school", "SEN unit or resourced provision",
                                     "Independent or non-maintained special school",
                                     "Alternative provision"}
    assert t.years_ahead.min() == 1 and t.years_ahead.max() == 8
    assert (t.academic_year == t.census_january.map(academic_year)).all()
    # SCAP collects 5 years ahead for primary, 7 for secondary
    prim = t[t.phase == "Primary"]
    assert prim[prim.years_ahead <= 5].in_scap_horizon.all()
    assert not prim[prim.years_ahead > 5].in_scap_horizon.any()
    sec = t[t.phase == "Secondary"]
    assert sec[sec.years_ahead == 7].in_scap_horizon.all()
    assert not sec[sec.years_ahead == 8].in_scap_horizon.any()
    assert (t.p2_5 <= t.p10).all() and (t.p10 <= t["mean"]).all() and (t["mean"] <= t.p90).all()


def test_phases_match_the_projection_and_total_is_a_sum_of_draws(example_projection):
    proj, cap = example_projection
    t = scap_table(proj, cap)
    sp = proj.specialist_places()  # the projection's own phase x provision summary
    a = t[(t.phase == "Secondary") & (t.provision_type == "State-funded special school")]
    b = sp[(sp.phase == "secondary") & (sp.placement == "state_special")]
    assert np.allclose(a["mean"].to_numpy(), b["mean"].to_numpy())
    assert np.allclose(a["p90"].to_numpy(), b["p90"].to_numpy())
    # the Total's mean is the sum of the phases' means; its interval is from the draws
    for prov, g in t.groupby("provision_type"):
        parts = g[g.phase != "Total"].groupby("census_january")["mean"].sum()
        tot = g[g.phase == "Total"].set_index("census_january")["mean"]
        assert np.allclose(parts.to_numpy(), tot.loc[parts.index].to_numpy()), prov
    ss = [k for k, s in enumerate(proj.states) if s == "state_special"]
    ages = [i for i, a in enumerate(proj.ages) if 4 <= a <= 18]
    direct = proj.draws[:, :, ages][..., ss].sum(axis=(2, 3))
    tot = t[(t.phase == "Total") & (t.provision_type == "State-funded special school")]
    assert np.allclose(tot["p90"].to_numpy(), np.quantile(direct, 0.9, axis=0))


def test_places_available_from_capacity(example_projection):
    proj, cap = example_projection
    t = scap_table(proj, cap).set_index(["census_january", "phase", "provision_type"])
    ss = "State-funded special school"
    # exampleshire_capacity.csv: 575 primary places from 2025, +60 (new school) from 2028
    assert t.loc[(2025, "Primary", ss), "places_available"] == 575
    assert t.loc[(2028, "Primary", ss), "places_available"] == 635
    assert t.loc[(2028, "Total", ss), "places_available"] == 635 + 705 + 140 + 300
    r = t.loc[(2026, "Secondary", ss)]
    assert r.spare_places == pytest.approx(r.places_available - r["mean"])
    # SCAP does not collect independent or alternative provision capacity
    assert t.xs("Independent or non-maintained special school", level=2).places_available.isna().all()
    assert scap_table(proj, None).places_available.isna().all()
    assert isinstance(scap_table(proj), pd.DataFrame)
