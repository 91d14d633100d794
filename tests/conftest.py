"""Shared fixtures: the real SEN2 releases (loaded once per session) and test switches."""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path


def _numba_cache_dir() -> str:
    """numba's on-disk cache (``cache=True`` kernels) lives in ``__pycache__`` next to the source
    by default, so two environments testing one checkout share it. CI runs the suite with the
    newest releases and then with the lowest claimed ones in the same clone: a lowest-version
    xdist worker read the index another worker had just rewritten and loaded a kernel compiled by
    the newer llvmlite ("LLVM bitcode parsing error"). One cache per interpreter and numba/llvmlite
    pair keeps them apart."""
    key = f"{sys.prefix}|{version('numba')}|{version('llvmlite')}"
    tag = hashlib.sha1(key.encode()).hexdigest()[:12]
    return str(Path(tempfile.gettempdir()) / f"sendforecast-numba-{tag}")


# before anything imports numba (it reads the setting once, at import)
os.environ.setdefault("NUMBA_CACHE_DIR", _numba_cache_dir())

import pytest  # noqa: E402

from sendforecast.data.sen2 import load_sen2 as _READ  # noqa: E402  (the loader itself, never the patch)

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
SEN2_2025 = SHARED_DATA / "sen2" / "release-2025"
SEN2_2022 = SHARED_DATA / "sen2" / "release-2022"
WITAN = SHARED_DATA / "witan-send-demo"


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="also run slow tests (full-size model fits)")


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
