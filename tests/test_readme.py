"""Every ``sendforecast …`` command that README.md shows runs as written.

The commands are read from README.md at collection time: the quick start's commands (the
part after the install, e.g. ``.venv/bin/sendforecast demo …``) and every ``sendforecast``
line of its bash blocks.  Each runs as a subprocess of this interpreter with:

* the README's placeholder paths swapped for the real files (``release-2025/`` ->
  ``../shared/data/sen2/release-2025``, witan ``transitions.csv`` -> the witan.send demo,
  ``hnb.yaml`` -> the example allocation); commands that need real data skip, with the
  reason, when ``../shared/data`` is absent;
* small settings where the command takes them (``--draws``, ``--years``/``--horizon``);
* relative output paths inside a temporary folder.

The test checks the exit code, that no traceback reached the user, and the files that the
README promises for that command.  A command added to the README is tested with no other
change (it gets the generic checks: exit 0 and its ``--out`` written).
"""

from __future__ import annotations

import argparse
import http.server
import io
import json
import os
import re
import shlex
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT, SEN2_2022, SEN2_2025, WITAN

README = ROOT / "README.md"
SMALL = {"--draws": 20, "--years": 3, "--horizon": 3}
WITAN_FILES = {"--transitions": "transitions.csv", "--population": "population.csv",
               "--valid-states": "valid-states.csv"}
#: What the README promises each command writes (beyond exit 0 and its --out existing).
MAIN_JOB = ["history.csv", "projection.csv", "specialist_places.csv", "costs.csv",
            "workbook.xlsx", "run.json", "history.png", "projection_by_placement.png",
            "report.html", "scap_specialist_places.csv", "statutory.csv", "statutory.png"]
PROMISES = {
    "demo": MAIN_JOB + ["dsg_balance.csv", "sufficiency.csv"],
    "run": MAIN_JOB,
    "project": ["projection.csv", "totals.csv", "by_placement.csv", "by_year_group.csv"],
    "scenarios run": ["comparison.csv", "savings.csv", "dbv_table.csv", "workbook.xlsx",
                      "report.html"],
    "data quality": ["quality_suppressed.csv"],
    "statutory": ["statutory.csv", "statutory.png"],
}


def _bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def readme_commands(text: str) -> list[str]:
    """The ``sendforecast`` commands of the README, comments stripped, in order."""
    found: list[str] = []
    for block in _bash_blocks(text):
        for line in block.splitlines():
            for part in line.split("&&"):
                part = part.strip()
                if part.startswith(".venv/bin/sendforecast "):
                    part = part[len(".venv/bin/"):]
                if part.startswith("sendforecast "):
                    cmd = " ".join(shlex.split(part, comments=True))
                    if cmd not in found:
                        found.append(cmd)
    return found


def _subcommand(argv: list[str]) -> str:
    words = [a for a in argv[1:3] if not a.startswith("-")]
    if words[:1] in (["data"], ["scenarios"]):
        return " ".join(words[:2])
    return words[0]


def _options_of(sub: str) -> set[str]:
    """The option strings that a (sub)command accepts, read from the CLI's own parser."""
    from sendforecast.cli import build_parser

    parser = build_parser()
    for word in sub.split():
        subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = subparsers.choices[word]
    return {s for a in parser._actions for s in a.option_strings}


def prepare(cmd: str) -> tuple[list[str], bool]:
    """README command -> (argv with real paths and small settings, needs real data)."""
    argv = shlex.split(cmd)
    takes = _options_of(_subcommand(argv))
    for opt in ("--draws", "--horizon"):  # small settings where the command takes them
        if opt in takes and not {opt, "--years"} & set(argv):
            argv += [opt, str(SMALL[opt])]
    real = False
    out = []
    for i, tok in enumerate(argv):
        prev = argv[i - 1] if i else ""
        if prev in SMALL:
            tok = str(min(int(tok), SMALL[prev]))
        elif not tok.startswith("-") and "release-2025" in tok:
            tok, real = str(SEN2_2025), True
        elif not tok.startswith("-") and "release-2022" in tok:
            tok, real = str(SEN2_2022), True
        elif prev in WITAN_FILES:
            tok, real = str(WITAN / WITAN_FILES[prev]), True
        elif prev == "--costs" and tok == "costs.csv" and "--transitions" in argv:
            tok, real = str(WITAN / "costs.csv"), True  # witan.send's own costs file
        elif prev == "--hnb" and tok == "hnb.yaml":
            from sendforecast.data.example import EXAMPLE_DIR

            tok = str(Path(EXAMPLE_DIR) / "exampleshire_hnb.yaml")
        out.append(tok)
    return out, real


COMMANDS = readme_commands(README.read_text(encoding="utf-8"))
BATCH = ["hnb_cost_by_la.csv", "caseload_by_la.csv", "first_full_year_by_la.csv", "failures.csv",
         "batch.json"]


def _batch_las(argv: list[str]) -> list[str] | None:
    """The LAs of a ``run`` over several LAs (``--la A,B`` or ``all``), else None."""
    if _subcommand(argv) != "run" or "--la" not in argv:
        return None
    la = argv[argv.index("--la") + 1]
    return ["all"] if la == "all" else (la.split(",") if "," in la else None)


def _param(cmd: str):
    # a run over every LA takes minutes even with small settings: a slow test
    slow = _batch_las(shlex.split(cmd)) == ["all"]
    return pytest.param(cmd, marks=pytest.mark.slow) if slow else cmd


def test_readme_lists_commands():
    # the quick start's demo and the command-line section are both found
    assert any(c.startswith("sendforecast demo") for c in COMMANDS)
    assert {_subcommand(shlex.split(c)) for c in COMMANDS} >= {
        "demo", "run", "data summary", "data quality", "data download", "forecast", "project",
        "scenarios run"}


class _FakeEES(http.server.BaseHTTPRequestHandler):
    """The two EES content-API routes the downloader uses, serving a synthetic zip."""

    payload = b""

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path.endswith("/releases/2025"):
            body, kind = json.dumps({"id": "fake-release-id"}).encode(), "application/json"
        elif self.path.endswith("/releases/fake-release-id/files"):
            body, kind = self.payload, "application/zip"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep the test output quiet
        pass


def _example_zip() -> bytes:
    from sendforecast.data.example import EXAMPLE_DIR

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in sorted(Path(EXAMPLE_DIR).glob("*.csv")):
            if f.name != "exampleshire_costs.csv" and f.name != "exampleshire_capacity.csv":
                z.write(f, f"data/{f.name}")
    return buf.getvalue()


@pytest.fixture
def fake_ees(tmp_path):
    _FakeEES.payload = _example_zip()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FakeEES)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"SENDFORECAST_EES_API": f"http://127.0.0.1:{server.server_port}/api",
           "SENDFORECAST_CACHE": str(tmp_path / "cache")}
    server.shutdown()
    server.server_close()


def _executable() -> list[str]:
    """The console script users run (PYTHONPATH makes it import this checkout), else -m."""
    script = Path(sys.executable).with_name("sendforecast")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sendforecast.cli"]


@pytest.mark.parametrize("cmd", [_param(c) for c in COMMANDS])
def test_readme_command_runs(cmd, tmp_path, request):
    argv, real = prepare(cmd)
    if real and not (SEN2_2025.is_dir() and SEN2_2022.is_dir() and WITAN.is_dir()):
        pytest.skip(f"needs the real data under {SEN2_2025.parent.parent} (absent here; it is "
                    "never committed)")
    sub = _subcommand(argv)
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    if sub == "data download":
        env |= request.getfixturevalue("fake_ees")
    proc = subprocess.run(_executable() + argv[1:], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == 0, f"{cmd}\n{proc.stderr[-3000:]}"
    if "--out" in argv:
        out = tmp_path / argv[argv.index("--out") + 1]
        assert out.exists(), f"{cmd}: {out} not written"
        las = _batch_las(argv)
        if las:  # several LAs: national tables, and the main job's files in each LA's folder
            failed = set(pd.read_csv(out / "failures.csv", dtype=str).la_code)
            folders = [p.name for p in out.iterdir() if p.is_dir()]
            promised = BATCH + [f"{la}/{name}" for la in (folders if las == ["all"] else las)
                                if la not in failed for name in MAIN_JOB]
        else:
            promised = PROMISES.get(sub, [])
        for name in promised:
            assert (out / name).is_file(), f"{cmd}: {name} not written in {out}"
        if "--hnb" in argv:
            assert (out / "dsg_balance.csv").is_file()
        if out.is_file() and out.suffix == ".csv":
            assert len(out.read_text().splitlines()) > 1, f"{cmd}: {out} has no rows"
    if sub == "data download":
        path = Path(proc.stdout.strip().splitlines()[-1])
        assert path.is_file() and zipfile.is_zipfile(path)
        from sendforecast import load_sen2

        assert "999" in load_sen2(path).la_codes()  # the downloaded zip loads


def readme_tour(text: str) -> str:
    """The README's Python tour (its first ``python`` block)."""
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)[0]


def test_readme_tour_runs(tmp_path, monkeypatch):
    """The tour runs as written on the real releases: only paths and sizes are swapped."""
    if not (SEN2_2025.is_dir() and SEN2_2022.is_dir()):
        pytest.skip(f"needs the real data under {SEN2_2025.parent} (absent here; never committed)")
    from sendforecast.data.example import EXAMPLE_HNB

    code = readme_tour(README.read_text(encoding="utf-8"))
    swaps = {'"path/to/release-2025/"': repr(str(SEN2_2025)),
             '"path/to/release-2022.zip"': repr(str(SEN2_2022)),
             '"hnb.yaml"': repr(str(EXAMPLE_HNB)),
             "horizon=10, draws=1000": "horizon=3, draws=40",
             'la="825", horizon=5': 'la="825", horizon=2, method="ets"'}
    for a, b in swaps.items():
        assert a in code, f"README tour no longer has {a}: update this test's swaps"
        code = code.replace(a, b)
    code = code.replace("allocation=alloc, seed=1)", "allocation=alloc, seed=1, horizon=5, draws=40)")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    scope: dict = {}
    exec(compile(code, "README.md (tour)", "exec"), scope)  # noqa: S102 - the README's own code
    assert (tmp_path / "budget.xlsx").is_file()
    assert set(scope["fc"].columns) >= {"mean", "p10", "p90", "p2_5", "p97_5"}
    assert len(scope["comp"].savings(5)) == 2  # two strategies against the baseline
