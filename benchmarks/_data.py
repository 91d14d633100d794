"""The real SEN2 releases the benchmarks read (from ``../shared/data/sen2``), once per
process: a pool's workers each read them on first use."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEN2 = ROOT.parent / "shared" / "data" / "sen2"


def require_real_data() -> None:
    """Exit with a clear message when the real files are not there."""
    if not SEN2.exists():
        sys.exit(f"SEN2 data not found at {SEN2}: this benchmark needs the real files")


@cache
def real_data():
    """The 2025 and 2022 releases, merged (:func:`sendforecast.load_sen2`)."""
    from sendforecast import load_sen2

    return load_sen2(SEN2 / "release-2025", SEN2 / "release-2022")
