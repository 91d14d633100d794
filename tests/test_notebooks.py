"""Every notebook in notebooks/ executes top to bottom, with small settings.

Notebooks read the real SEN2 files from ../shared/data; they are skipped, with the
reason, when those files are absent.  ``SENDFORECAST_FAST=1`` (documented in each
notebook's first cell) makes them use small draw and sampler settings.  All five take
about a minute on 2 cores.  They run with the rest of the suite: as ``slow`` tests they
were skipped by default, and 02_placements.ipynb stopped executing (its stock
conservation check left out the anchoring's ``calibration`` flow) without a test noticing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT, require_real_data

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path: Path, tmp_path, monkeypatch):
    require_real_data()
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("SENDFORECAST_FAST", "1")  # notebooks use small draw/sampler settings
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, errors
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
             if o.get("output_type") in ("display_data", "execute_result")]
    assert shown, f"{path.name} ran but showed no table or chart"
