"""YAML input files: a typo in a key or a value of the wrong type is one plain message naming
the file, line, field and what was expected (found by an end-user review: pydantic's own
words 'Input should be ...', 'Field required', 'Extra inputs are not permitted' and a
doubly quoted value reached the user)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sendforecast.errors import InputError
from sendforecast.finance.hnb import HNBAllocation
from sendforecast.scenarios.config import EXAMPLE_YAML, load_run_config

HNB = Path(__file__).parents[1] / "sendforecast" / "data" / "example" / "exampleshire_hnb.yaml"


def _edit(src: Path, tmp_path: Path, old: str, new: str) -> Path:
    text = src.read_text(encoding="utf-8")
    assert old in text
    p = tmp_path / src.name
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    return p


def _error(func, path) -> str:
    with pytest.raises(InputError) as e:
        func(path)
    return str(e.value)


def test_typo_in_a_top_level_key_names_the_key_and_suggests_the_right_one(tmp_path):
    msg = _error(HNBAllocation.from_file, _edit(HNB, tmp_path, "base_amount:", "base_amout:"))
    assert "line 9, column 'base_amout'" in msg
    assert "did you mean 'base_amount'" in msg
    assert "opening_dsg_balance" in msg  # the known fields are listed
    assert "105000000" not in msg  # the value of the misspelt key is not what is wrong


def test_wrong_type_reads_as_plain_english(tmp_path):
    msg = _error(HNBAllocation.from_file, _edit(HNB, tmp_path, "growth: 0.04 ", "growth: four "))
    assert msg == "exampleshire_hnb.yaml, line 10, column 'growth': expected a valid number, " \
                  "unable to parse string as a number, found 'four'"


def test_run_file_top_level_typo_and_bound(tmp_path):
    msg = _error(load_run_config, _edit(EXAMPLE_YAML, tmp_path, "horizon: 10", "horizn: 10"))
    assert "column 'horizn'" in msg and "did you mean 'horizon'" in msg
    msg = _error(load_run_config, _edit(EXAMPLE_YAML, tmp_path, "draws: 1000", "draws: -5"))
    assert "column 'draws': expected a number greater than or equal to 10, found '-5'" in msg
    assert "Input should" not in msg


def test_run_file_typo_in_a_strategy_parameter(tmp_path):
    p = _edit(EXAMPLE_YAML, tmp_path, "ReduceRequests, by: 0.10", "ReduceRequests, bye: 0.10")
    msg = _error(load_run_config, p)
    assert "column 'strategies.stronger_sen_support.0.by': expected a value (the field is " \
           "required)" in msg
    assert "column 'strategies.stronger_sen_support.0.bye': expected a known field" in msg
    assert "did you mean 'by'" in msg
    for raw in ("Field required", "Extra inputs", "Input should"):
        assert raw not in msg


def test_run_file_wrong_type_in_a_strategy_parameter(tmp_path):
    msg = _error(load_run_config, _edit(EXAMPLE_YAML, tmp_path, "share: 0.25", "share: lots"))
    assert "column 'strategies.fewer_independent.0.share': expected a valid number, unable " \
           "to parse string as a number, found 'lots'" in msg


def test_run_file_typo_in_a_nested_key(tmp_path):
    msg = _error(load_run_config, _edit(EXAMPLE_YAML, tmp_path, "  capacity: example",
                                        "  capacty: example"))
    assert "column 'assumptions.capacty'" in msg and "did you mean 'capacity'" in msg
    msg = _error(load_run_config, _edit(EXAMPLE_YAML, tmp_path, "  probability: 0.8",
                                        "  probabilty: 0.8"))
    assert "column 'goal_seek.probabilty'" in msg and "did you mean 'probability'" in msg


def test_example_base_with_an_la_code_is_an_error_not_ignored(tmp_path):
    """base: {example: true, la: 825} ran Exampleshire and said nothing of 825."""
    p = _edit(EXAMPLE_YAML, tmp_path, "  example: true", "  example: true\n  la: 825")
    msg = _error(load_run_config, p)
    assert "line 4" in msg and "column 'base'" in msg and "la" in msg and "data" in msg


def test_statutory_file_typo_in_a_strategy_parameter(tmp_path):
    from sendforecast.scenarios.statutory import load_statutory_config

    p = tmp_path / "statutory.yaml"
    p.write_text("version: 1\nstatutory:\n  strategies:\n    x:\n"
                 "      - {type: AddStaff, role: ep, numbr: 3, start: 2025-01}\n")
    msg = _error(load_statutory_config, p)
    assert "line 5, column 'statutory.strategies.x.0.numbr': expected a known field" in msg
    assert "did you mean 'number'" in msg
    assert "Extra inputs" not in msg and "Field required" not in msg


def test_a_message_that_names_the_value_is_not_followed_by_it_again(tmp_path):
    msg = _error(HNBAllocation.from_file, _edit(HNB, tmp_path, 'base_year: "2024-25"',
                                                'base_year: "2024"'))
    assert msg.count("found '2024'") == 1, msg


def test_run_file_paths_that_do_not_exist_name_the_line_and_the_folder(tmp_path):
    """'SEN2 data path not found: release-2025' named neither the run file nor the folder
    a relative path is read from (the run file's)."""
    text = EXAMPLE_YAML.read_text(encoding="utf-8").replace(
        "  example: true", "  data: [release-2025, release-2022]\n  la: 825").replace(
        "  hnb: example", "  hnb: my-hnb.yaml")
    (tmp_path / "release-2022").mkdir()
    p = tmp_path / "run.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_run_config(p)
    msg = str(e.value)
    assert "run.yaml, line 5, column 'base.data.0'" in msg and "'release-2025'" in msg
    assert str(tmp_path) in msg  # where a relative path is read from
    assert "column 'assumptions.hnb'" in msg and "'my-hnb.yaml'" in msg
    assert "release-2022'" not in msg  # it exists
