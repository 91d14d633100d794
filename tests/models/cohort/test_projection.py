"""Projection results (projection): tidy tables, quantile columns, the SCAP shape."""

from __future__ import annotations

import numpy as np

from sendforecast.models.cohort import QUANTILES
from tests.models.cohort.conftest import COLS, random_model


def test_table_and_quantile_columns():
    p = random_model(3, 6, 3).project(horizon=2, draws=40, seed=1)
    t = p.table()
    assert list(t.columns) == COLS and len(t) == 2 * 6 * 3
    assert (t.p2_5 <= t.p10).all() and (t.p10 <= t.p90).all() and (t.p90 <= t.p97_5).all()
    tot = p.totals()
    assert np.allclose(tot["mean"], p.draws.sum((2, 3)).mean(0))
    assert list(tot.columns) == ["year", "mean", *QUANTILES]


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
