"""Shared fixtures: the real SEN2 releases (loaded once per session) and test switches."""

from __future__ import annotations

from pathlib import Path

import pytest

from sendforecast.data.sen2 import load_sen2 as _READ  # the loader itself, never the patch

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
    return real_releases(SEN2_2025, SEN2_2022)


@pytest.fixture(scope="session")
def example():
    from sendforecast import load_example

    return load_example()


_REAL_LOADS: dict = {}


def real_releases(*paths, **kw):
    """The real releases read once per session: shared by the ``sen2`` fixture and the
    in-process CLI tests (other paths are read afresh every time)."""
    key = (tuple(str(Path(p).resolve()) for p in paths), tuple(sorted(kw.items())))
    if not set(key[0]) <= {str(SEN2_2025.resolve()), str(SEN2_2022.resolve())}:
        return _READ(*paths, **kw)
    if key not in _REAL_LOADS:
        _REAL_LOADS[key] = _READ(*paths, **kw)
    return _REAL_LOADS[key]


@pytest.fixture(autouse=True)
def _load_real_releases_once(monkeypatch):
    """In-process CLI tests read the two real releases once per session, not once per test.

    Only calls naming exactly the shared real release folders are cached; every other
    path, and every error, goes through the real loader.  Subprocess tests
    (tests/test_readme.py) always load afresh.
    """
    import sendforecast.data.sen2 as S

    monkeypatch.setattr(S, "load_sen2", real_releases)
