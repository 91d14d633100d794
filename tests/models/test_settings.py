"""The versioned settings table and the benchmark results it names agree."""

from __future__ import annotations

from pathlib import Path

from sendforecast.data.taxonomy import PLACEMENT_GROUPS
from sendforecast.models.cohort.identify import POOL_TOWARD
from sendforecast.models.cohort.margins import AGE_BANDS
from sendforecast.models.settings import PROJECTION_SETTINGS as S

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_results_were_made_with_this_version():
    script, results = (p.strip() for p in S["benchmark"].split("->"))
    assert (ROOT / script).exists()
    text = (ROOT / results).read_text()
    assert f"settings version {S['version']}" in text, (
        "benchmarks/results/cohort_backtest.md was made with other settings: re-run "
        f"{script} after changing PROJECTION_SETTINGS")


def test_every_named_category_exists_and_origins_are_kept_apart():
    assert set(S["interval"]["groups"]) <= set(PLACEMENT_GROUPS)
    assert set(S["interval"]["bands"]) <= set(AGE_BANDS)
    assert set(S["groups"]["shrink"]) - {"default"} <= set(PLACEMENT_GROUPS)
    assert set(S["interval"]["spread_by_group"]) <= set(PLACEMENT_GROUPS)
    assert not set(S["tuned_on"]) & set(S["confirmed_on"])
    assert S["total"]["method"] in ("cohort", "pooled_growth", "blend")
    assert S["pool_toward"] in POOL_TOWARD
    assert 0 < S["interval"]["spread"] <= 1.5
