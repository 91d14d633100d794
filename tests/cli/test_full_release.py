"""The commands on the SHAPE of the full 2025 release and of next year's release.

The shared copy of the 2025 release stops at January 2024 (caseload) and calendar 2023
(flows); forecasts are scored by running the package on the full release.  With a fake
newest year appended (the last year relabelled, values unchanged: never an estimate of
the withheld year) ``run``, ``project``, ``forecast`` and ``statutory`` must start one
year later than on the withheld copy (first projected January 2025 -> 2026, first
forecast calendar year 2024 -> 2025), and one more year later on next year's release.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import sendforecast
import sendforecast.data.sen2 as S
from sendforecast.cli.main import main
from tests.conftest import _READ, SEN2_2022, SEN2_2025, require_real_data
from tests.data import full_release as fr

pytestmark = pytest.mark.realdata

#: release -> (its newest January, its newest calendar year of flows); on the withheld
#: copy the commands start at January 2025 and calendar 2024 (tests/cli/test_statutory.py)
SHAPES = {"full": (2025, 2024), "next": (2026, 2025)}
_LOADS: dict = {}


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    require_real_data()
    root = tmp_path_factory.mktemp("shapes")
    # Buckinghamshire's region only (read fast; every command still pools over its LAs)
    full = fr.full_release(SEN2_2025, root / "full" / "release-2025", region="E12000008")
    nxt = fr.next_release(full, root / "next" / "release-2026")
    return {"full": full, "next": nxt}


@pytest.fixture(autouse=True)
def _load_each_shape_once(_load_real_releases_once, monkeypatch):
    """Every command reads the same fixture folders: read them once per module (the
    loader itself is tested on them in tests/data/test_full_release.py)."""
    def load(*paths, **kw):
        key = (tuple(str(p) for p in paths), tuple(sorted(kw.items())))
        if key not in _LOADS:
            _LOADS[key] = _READ(*paths, **kw)
        return _LOADS[key]

    monkeypatch.setattr(S, "load_sen2", load)
    monkeypatch.setattr(sendforecast, "load_sen2", load)


def _years(path, col="year") -> list:
    return sorted(pd.read_csv(path)[col].unique())


@pytest.mark.parametrize("shape", list(SHAPES))
def test_run_starts_from_the_newest_year(releases, shape, tmp_path):
    jan, flow = SHAPES[shape]
    out = tmp_path / "run"
    assert main(["run", "--data", str(releases[shape]), str(SEN2_2022), "--la", "825", "--draws", "40",
                 "--years", "2", "--out", str(out)]) == 0
    assert _years(out / "history.csv")[-1] == jan
    assert _years(out / "projection_totals.csv") == [jan + 1, jan + 2]
    assert _years(out / "projection_by_need.csv") == [jan + 1, jan + 2]
    assert _years(out / "statutory.csv") == [flow + 1, flow + 2]
    assert _years(out / "costs.csv", "financial_year")[0] == f"{jan}-{(jan + 1) % 100:02d}"
    assert _years(out / "scap_specialist_places.csv", "academic_year")[0] == f"{jan}/{(jan + 1) % 100:02d}"
    meta = json.loads((out / "run.json").read_text())
    assert meta["projection: base_year"] == str(jan)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_project_forecast_statutory_start_from_the_newest_year(releases, shape, tmp_path):
    jan, flow = SHAPES[shape]
    data = ["--data", str(releases[shape]), str(SEN2_2022)]
    assert main(["project", *data, "--la", "825", "--years", "2", "--draws", "40", "--by-need",
                 "--out", str(tmp_path / "p")]) == 0
    assert _years(tmp_path / "p" / "totals.csv") == [jan + 1, jan + 2]
    assert _years(tmp_path / "p" / "by_need.csv") == [jan + 1, jan + 2]

    fc = tmp_path / "fc.csv"
    assert main(["forecast", *data, "--measure", "new_plans", "--horizon", "2", "--la", "825",
                 "--out", str(fc)]) == 0
    assert _years(fc) == [flow + 1, flow + 2]
    assert json.loads(fc.with_suffix(".csv.json").read_text())["forecast_origin"] == flow
    fc2 = tmp_path / "cl.csv"
    assert main(["forecast", *data, "--measure", "caseload", "--method", "drift", "--horizon", "1",
                 "--la", "825", "--out", str(fc2)]) == 0
    assert _years(fc2) == [jan + 1]

    assert main(["statutory", *data, "--la", "825", "--horizon", "2", "--draws", "40", "--seed", "1",
                 "--out", str(tmp_path / "s")]) == 0
    st = pd.read_csv(tmp_path / "s" / "statutory.csv", dtype={"la_code": str})
    assert sorted(st.year.unique()) == [flow + 1, flow + 2] and set(st.la_code) == {"825"}
    assert st["mean"].notna().all()
