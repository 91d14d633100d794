"""run.json (and the workbook's About sheet) record the input files of a main-job run: the
cost, HNB allocation and capacity files and the routing.  Found by an end-user review:
``sendforecast run --la 825 --hnb hnb.yaml --capacity places.csv`` recorded the data and
the model settings but not which HNB or capacity file made the DSG balance and the gaps
(only 'budget: capacity: True')."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook

from sendforecast.cli import main
from sendforecast.data.example import EXAMPLE_CAPACITY, EXAMPLE_DIR, EXAMPLE_HNB

SMALL = ["--draws", "10", "--years", "2"]


@pytest.fixture(scope="module")
def with_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("rec") / "with"
    assert main(["run", "--data", str(EXAMPLE_DIR), "--la", "999", *SMALL, "--hnb",
                 str(EXAMPLE_HNB), "--capacity", str(EXAMPLE_CAPACITY), "--routing",
                 '{"state_special": {"independent_special": 1.0}}', "--out", str(out)]) == 0
    return out


def test_run_json_names_every_input_file(with_files):
    rec = json.loads((with_files / "run.json").read_text())
    assert rec["HNB allocation"] == str(EXAMPLE_HNB)
    assert rec["capacity (commissioned places)"] == str(EXAMPLE_CAPACITY)
    assert rec["cost assumptions"].startswith("sourced defaults")
    assert json.loads(rec["overflow routing"]) == {"state_special": {"independent_special": 1.0}}
    about = {r[0]: r[1] for r in load_workbook(with_files / "workbook.xlsx")["About"]
             .iter_rows(min_row=2, values_only=True)}
    assert about["HNB allocation"] == str(EXAMPLE_HNB)


def test_run_json_says_what_was_not_given(tmp_path):
    out = tmp_path / "without"
    assert main(["run", "--data", str(EXAMPLE_DIR), "--la", "999", *SMALL, "--out", str(out)]) == 0
    rec = json.loads((out / "run.json").read_text())
    assert rec["HNB allocation"].startswith("none")
    assert rec["capacity (commissioned places)"].startswith("none")
    assert rec["overflow routing"].startswith("default")


def test_report_shows_the_input_files_in_its_main_settings_table(with_files):
    html = (with_files / "report.html").read_text()
    main_table = html.split("Settings and inputs of this run", 1)[1].split("</table>", 1)[0]
    assert "HNB allocation" in main_table and EXAMPLE_HNB.name in main_table


def test_workbook_sheets_are_named_after_their_csv(with_files):
    """'Specialist places (SCAP)' (specialist_places.csv, not in the SCAP layout) sat beside
    'SCAP specialist places' (scap_specialist_places.csv): a reader could not tell which
    was the SCAP return."""
    names = load_workbook(with_files / "workbook.xlsx").sheetnames
    assert "Specialist places" in names and "SCAP specialist places" in names
    assert "Specialist places (SCAP)" not in names


def test_batch_folders_record_their_inputs_too(tmp_path):
    """Each LA folder of a run over several LAs said 'cost assumptions: given in Python' for
    the sourced defaults, and nothing of the capacity file it was given."""
    out = tmp_path / "batch"
    assert main(["run", "--data", str(EXAMPLE_DIR), "--la", "all", "--jobs", "1", *SMALL,
                 "--capacity", str(EXAMPLE_CAPACITY), "--out", str(out)]) == 0
    rec = json.loads((out / "999" / "run.json").read_text())
    assert rec["cost assumptions"].startswith("sourced defaults")
    assert rec["capacity (commissioned places)"] == str(EXAMPLE_CAPACITY)


def test_project_records_its_inputs_and_settings(tmp_path):
    """``project --data ... --la`` wrote tables and nothing of the data, seed, draws or model
    settings that made them (run writes run.json, forecast FILE.csv.json, statutory
    statutory.json)."""
    out = tmp_path / "p"
    assert main(["project", "--data", str(EXAMPLE_DIR), "--la", "999", "--draws", "10",
                 "--years", "2", "--seed", "3", "--out", str(out)]) == 0
    rec = json.loads((out / "project.json").read_text())
    assert rec["data sources"] == [str(EXAMPLE_DIR)] and rec["la"] == "999"
    assert (rec["seed"], rec["draws"], rec["horizon"]) == (3, 10, 2)
    assert rec["settings"]["base_year"] == 2024 and "margins" in rec["settings"]
    out_s = tmp_path / "ps"
    assert main(["project", "--data", str(EXAMPLE_DIR), "--la", "999", "--draws", "10",
                 "--years", "1", "--suppress", "--out", str(out_s)]) == 0
    rec = json.loads((out_s / "project.json").read_text())
    assert "withheld" in rec["settings"]["margins"]  # it quotes the base counts


def test_batch_folders_name_their_per_la_hnb_file(tmp_path):
    """With --hnb FOLDER each LA folder's run.json said only 'given in Python (source: ...)'
    of the HNB file its DSG balance came from."""
    import shutil

    hnb = tmp_path / "hnb"
    hnb.mkdir()
    shutil.copy(EXAMPLE_HNB, hnb / "999.yaml")
    out = tmp_path / "batch"
    assert main(["run", "--data", str(EXAMPLE_DIR), "--la", "all", "--jobs", "1", *SMALL,
                 "--hnb", str(hnb), "--out", str(out)]) == 0
    rec = json.loads((out / "999" / "run.json").read_text())
    assert rec["HNB allocation"] == str(hnb / "999.yaml")
    assert json.loads((out / "batch.json").read_text())["HNB allocation folder"] == str(hnb)
