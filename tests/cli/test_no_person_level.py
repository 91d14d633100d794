"""Person-level inputs never reach outputs or logs: ``project --transitions`` (witan.send
files, one row per child per year) writes only aggregates.  Every output file (CSV and
workbook cells) and the command's stdout/stderr are searched for any transitions row."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.cli.test_project import require_witan
from tests.conftest import WITAN


def _rows(path) -> set[tuple[str, ...]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return {tuple(c.strip() for c in r) for r in csv.reader(f) if r}


def test_witan_project_outputs_hold_no_transitions_rows(tmp_path, capsys):
    require_witan()
    from sendforecast.cli.main import main

    out = tmp_path / "witan"
    assert main(["project", "--transitions", str(WITAN / "transitions.csv"),
                 "--population", str(WITAN / "population.csv"),
                 "--valid-states", str(WITAN / "valid-states.csv"),
                 "--costs", str(WITAN / "costs.csv"), "--horizon", "2", "--draws", "20",
                 "--out", str(out)]) == 0
    logs = capsys.readouterr()
    person = _rows(WITAN / "transitions.csv")
    header = next(iter(csv.reader(open(WITAN / "transitions.csv", encoding="utf-8-sig"))))
    person.discard(tuple(header))
    assert len(person) > 1000
    seen = set()
    for p in out.iterdir():
        if p.suffix == ".csv":
            rows = _rows(p)
            head = next(iter(rows)) if rows else ()
        elif p.suffix == ".json":  # project.json: settings and file names, no table
            text = p.read_text()
            assert "setting-1" not in text and len(text) < 20_000, p
            rows, head = set(), ()
        else:
            assert p.suffix == ".xlsx", p  # nothing else is written
            wb = load_workbook(p, read_only=True)
            rows = {tuple("" if v is None else str(v) for v in r)
                    for ws in wb.worksheets for r in ws.iter_rows(values_only=True)}
            head = ()
        seen.add(p.name)
        # no row of the person-level file (a child's year: year, setting, need, NCY, ...)
        assert not (rows & person), p.name
        assert "setting-1" not in head and "setting_1" not in head, p.name
    assert {"projection.csv", "totals.csv", "workbook.xlsx"} <= seen
    for stream in (logs.out, logs.err):
        lines = {tuple(c.strip() for c in r) for r in csv.reader(io.StringIO(stream)) if r}
        assert not (lines & person)
        assert "setting-1" not in stream
