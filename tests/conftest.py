"""Shared fixtures: the real SEN2 releases (loaded once per session) and test switches."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
SEN2_2025 = SHARED_DATA / "sen2" / "release-2025"
SEN2_2022 = SHARED_DATA / "sen2" / "release-2022"
WITAN = SHARED_DATA / "witan-send-demo"


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="also run slow tests (full-size model fits, all notebooks)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def require_real_data() -> None:
    if not (SEN2_2025.is_dir() and SEN2_2022.is_dir()):
        pytest.skip(f"real SEN2 releases not found under {SHARED_DATA / 'sen2'} "
                    "(they live outside the repo in ../shared/data and are never committed)")


@pytest.fixture(scope="session")
def sen2():
    """Both real releases merged (2025 wins on overlaps)."""
    require_real_data()
    from sendforecast import load_sen2

    return load_sen2(SEN2_2025, SEN2_2022)


@pytest.fixture(scope="session")
def example():
    from sendforecast import load_example

    return load_example()
