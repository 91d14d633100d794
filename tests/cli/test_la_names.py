"""An LA given by name instead of its 3-digit code (the commonest slip of a new user).

Found by an end-user review: ``--la Buckinghamshire`` answered 'unknown area code(s)
['Buckinghamshire']; known LA codes are ... such as ['201', '202', ...]' (run, data summary),
'no caseload by placement for LA 'Buckinghamshire'' (project), or '... (not an LA code of
these data)' (statutory), and ``run`` first printed 'History for Buckinghamshire
(Buckinghamshire)' as if the LA were known.  Every command now names the code of that name.
Runs on the shipped example LA (Exampleshire, code 999): no real data needed.
"""

from __future__ import annotations

import pytest

from sendforecast.cli import main
from sendforecast.data.example import EXAMPLE_DIR
from sendforecast.errors import NotFoundError


@pytest.mark.parametrize("argv", [
    ["run", "--la", "Exampleshire", "--draws", "10", "--years", "1", "--out", "{tmp}/run"],
    ["run", "--la", "exampleshire,999", "--draws", "10", "--years", "1", "--out", "{tmp}/run"],
    ["project", "--la", "exampleshire", "--draws", "10", "--years", "1", "--out", "{tmp}/p"],
    ["data", "summary", "--la", "Exampleshire", "--out", "{tmp}/s.csv"],
    ["forecast", "--measure", "requests", "--horizon", "1", "--method", "naive",
     "--la", "Exampleshire", "--out", "{tmp}/f.csv"],
    ["statutory", "--la", "EXAMPLESHIRE", "--draws", "10", "--out", "{tmp}/st"],
], ids=["run", "run-list", "project", "summary", "forecast", "statutory"])
def test_an_la_name_is_answered_with_its_code(argv, tmp_path, capsys):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    at = 2 if argv[0] == "data" else 1
    rc = main([*argv[:at], "--data", str(EXAMPLE_DIR), *argv[at:]])
    err = capsys.readouterr().err
    assert rc == 2
    assert "is the name of LA 999 (Exampleshire)" in err, err
    assert "Traceback" not in err and "History for" not in err  # stopped before any work
    assert not (tmp_path / "run").exists()


def test_an_unknown_code_is_named_without_a_name_hint(example):
    with pytest.raises(NotFoundError) as e:
        example.check_la_codes(["998"])
    msg = str(e.value)
    assert "998" in msg and "3-digit DfE" in msg and "999 (Exampleshire)" in msg
    assert "is the name of" not in msg
    example.check_la_codes(["999"])  # a known code passes


def test_a_partial_name_suggests_the_matches(example):
    with pytest.raises(NotFoundError, match=r"'Examples' looks like the name of LA 999"):
        example.check_la_codes(["Examples"])


def test_data_without_la_rows_says_so(tmp_path):
    """The list of example codes was empty ('... e.g. ') when the data held no LA rows."""
    from sendforecast import load_sen2

    src = EXAMPLE_DIR.parents[2] / "tests" / "malformed" / "sen2_requests_ok.csv"
    lines = src.read_text(encoding="utf-8").splitlines()
    f = tmp_path / "requests.csv"
    f.write_text("\n".join([lines[0], *[x for x in lines[1:] if ",National," in x]]) + "\n")
    with pytest.raises(NotFoundError, match="the data hold no LA rows") as e:
        load_sen2(f).check_la_codes(["825"])
    assert "e.g. " not in str(e.value)
