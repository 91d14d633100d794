"""The lowest versions CI installs are the lower bounds pyproject.toml claims."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import ROOT


def test_constraints_equal_lower_bounds():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + project["optional-dependencies"]["batch"]
    bounds = {}
    for d in deps:
        m = re.fullmatch(r"([\w-]+)(?:\[[\w,]+\])?>=([\w.]+)(,<[\w.]+)?", d.replace(" ", ""))
        assert m, f"dependency {d!r} has no plain lower bound"
        bounds[m[1].lower()] = m[2]
    text = (ROOT / "ci" / "constraints-lowest.txt").read_text()
    pins = {k.lower(): v for k, v in re.findall(r"^([\w-]+)==(\S+)", text, flags=re.M)}
    bounds["distributed"] = bounds["dask"]  # dask[distributed]: released in step
    assert pins == bounds
