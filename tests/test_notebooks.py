"""Every notebook in notebooks/ executes top to bottom (with its small default settings).

Notebooks read the real SEN2 files from ../shared/data; they are skipped, with the
reason, when those files are absent.
"""

from __future__ import annotations

import os
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
    assert os.environ.get("SENDFORECAST_FAST") == "1"
