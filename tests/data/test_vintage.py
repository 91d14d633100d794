"""published_by: a backtest origin sees only what had been published by then."""

from __future__ import annotations

from sendforecast.data.vintage import FLOW_FRAMES, published_by


def test_published_by_cuts_caseload_at_the_origin_and_flows_a_year_before(sen2):
    v = published_by(sen2, 2021)
    assert v.caseload.year.max() == 2021
    for name in FLOW_FRAMES:
        f = getattr(v, name)
        if len(getattr(sen2, name)):
            assert f.year.max() <= 2020, name
    # nothing of the origin's own year or before is lost
    assert len(v.caseload) == int((sen2.caseload.year <= 2021).sum())
    assert len(v.new_plans) == int((sen2.new_plans.year <= 2020).sum())
    # the single-age x placement caseload (first published for January 2024) is not there
    assert not v.caseload.age.astype(str).str.isdigit().any()
    assert "as published by January 2021" in v.sources[-1]


def test_need_shares_of_new_plans_are_flows(sen2):
    v = published_by(sen2, 2025)
    assert set(v.need_shares.year) == {2024, 2025}
    # January 2025 shares and calendar 2024 new plans came out together, in June 2025
    assert published_by(sen2, 2024).need_shares.empty
