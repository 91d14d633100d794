"""Malformed inputs: each gets a clear error naming file, line and column (or, where a DfE
file is at fault, a quality-report record) - never silence, never a traceback.

The corpus is ``tests/malformed/`` (small synthetic files, see its README); binary cases
(zips, workbooks) and copies of real files are built at runtime in ``tmp_path``.  The
cases cross the data layer (sources, schema, parser, LA readers) and end at the CLI, so
they stay together here; tests of single modules are in the ``test_<module>.py`` beside
this file.  Tests that copy real files carry the ``realdata`` marker.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from sendforecast import load_sen2
from sendforecast.cli import main
from sendforecast.data import local as L
from sendforecast.errors import InputError
from tests.conftest import SEN2_2022, SEN2_2025, require_real_data

M = Path(__file__).resolve().parents[1] / "malformed"  # tests/malformed/


def message(fn, *args) -> str:
    with pytest.raises(InputError) as info:
        fn(*args)
    return str(info.value)


def assert_names(msg: str, *parts: str) -> None:
    for p in parts:
        assert p in msg, f"{p!r} not in:\n{msg}"


# ------------------------------------------------------------------- 1. empty files
def test_empty_csv_is_refused():
    assert_names(message(load_sen2, M / "sen2_empty.csv"),
                 "sen2_empty.csv, line 1", "expected a header line", "an empty file")


def test_header_only_sen2_table_is_refused():
    # a recognised SEN2 table without rows is a failed download, not "no data": refused
    assert_names(message(load_sen2, M / "sen2_header_only.csv"),
                 "sen2_header_only.csv, line 2", "data rows after the header line", "requests")


def test_header_only_local_file_is_refused():
    assert_names(message(L.read_transitions, M / "transitions_header_only.csv"),
                 "transitions_header_only.csv, line 2", "data rows after the header line")


# --------------------------------------------------------------------- 2. bad zips
def test_random_bytes_named_zip(tmp_path):
    z = tmp_path / "release.zip"
    z.write_bytes(np.random.default_rng(1).integers(0, 256, 2000, dtype=np.uint8).tobytes())
    assert_names(message(load_sen2, z), "release.zip", "expected a zip archive", "not a readable zip")


def test_truncated_zip(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(M / "sen2_requests_ok.csv", "data/requests.csv")
    z = tmp_path / "release.zip"
    z.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    assert_names(message(load_sen2, z), "release.zip", "not a readable zip", "download it again")


def test_zip_member_with_damaged_data(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(M / "sen2_requests_ok.csv", "data/requests.csv")
    data = bytearray(buf.getvalue())
    data[60:90] = b"\x00" * 30  # inside the compressed stream; the directory is intact
    z = tmp_path / "release.zip"
    z.write_bytes(bytes(data))
    assert_names(message(load_sen2, z), "release.zip!data/requests.csv", "damaged or truncated")


def test_zip_without_csv(tmp_path):
    z = tmp_path / "release.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("readme.txt", "no tables here")
    assert_names(message(load_sen2, z), "release.zip", "no .csv files in the zip")


# ------------------------------------------------------------- 3. negative counts
def test_negative_count_is_missing_and_reported():
    d = load_sen2(M / "sen2_negative_count.csv")
    s = d.series("requests").set_index(["la_code", "year"])["value"]
    assert np.isnan(s[("999", 2023)]) and s[("999", 2022)] == 400
    u = d.quality.unknown
    row = u[u.value == "-5"]
    assert row[["file", "line", "column"]].values.tolist() == [
        ["sen2_negative_count.csv", 4, "requests_received_in_year"]]
    assert_names(str(d.quality), "sen2_negative_count.csv line 4 requests_received_in_year='-5'",
                 "negative count (read as missing)")


# ---------------------------------------------------------- 4. renamed measure columns
def test_renamed_caseload_total_column():
    assert_names(message(load_sen2, M / "sen2_caseload_renamed.csv"),
                 "sen2_caseload_renamed.csv, line 1, column 'ehcplans'", "caseload",
                 "similar column(s) in the header: EHC_plans_total")


def test_renamed_requests_column():
    assert_names(message(load_sen2, M / "sen2_requests_renamed.csv"),
                 "sen2_requests_renamed.csv, line 1, column 'requests_decided_to_assess'",
                 "requests_decided_assess")


def test_renamed_placement_column_is_a_quality_note():
    # placement columns are optional (DfE adds and retires them between releases):
    # a missing one is a note naming it and the similar column, and the gap shows in
    # the placements vs total check
    d = load_sen2(M / "sen2_caseload_placement_renamed.csv")
    notes = " ".join(d.quality.notes)
    assert_names(notes, "sen2_caseload_placement_renamed.csv", "'special_la_maintained' not found",
                 "special_la_maintain")
    assert "placements vs total" in set(d.quality.inconsistent.check)


@pytest.mark.realdata
def test_renamed_column_in_a_real_caseload_file(tmp_path):
    require_real_data()
    lines = (SEN2_2025 / "data" / "caseload.csv").read_text(encoding="utf-8-sig").splitlines()
    f = tmp_path / "caseload.csv"
    f.write_text("\n".join([lines[0].replace(",ehcplans,", ",EHC_plans_total,"), *lines[1:50]]) + "\n",
                 encoding="utf-8")
    assert_names(message(load_sen2, f), "caseload.csv, line 1, column 'ehcplans'", "EHC_plans_total")


# ------------------------------------------------------------- 5. truncated / ragged
def test_truncated_last_line():
    assert_names(message(load_sen2, M / "sen2_truncated.csv"),
                 "sen2_truncated.csv, line 5", "23 fields as in the header", "cut short", "11 fields")


def test_rows_with_more_or_fewer_fields():
    msg = message(load_sen2, M / "sen2_ragged.csv")
    assert_names(msg, "2 problems", "sen2_ragged.csv, line 3", "'24 fields'", "sen2_ragged.csv, line 4",
                 "'21 fields'")


@pytest.mark.realdata
def test_truncated_copy_of_a_real_file(tmp_path):
    require_real_data()
    data = (SEN2_2022 / "data" / "sen2_mi.csv").read_bytes()
    f = tmp_path / "sen2_mi.csv"
    f.write_bytes(data[: len(data) // 2])
    n_lines = data[: len(data) // 2].count(b"\n") + 1
    assert_names(message(load_sen2, f), f"sen2_mi.csv, line {n_lines}", "cut short")


def test_quoted_commas_are_not_extra_fields(tmp_path):
    text = (M / "sen2_requests_ok.csv").read_text().replace("Testshire", '"Testshire, City of"')
    f = tmp_path / "quoted.csv"
    f.write_text(text)
    assert "Testshire, City of" in set(load_sen2(f).las.la_name)


# -------------------------------------------------------------------- 6. duplicates
def test_exact_duplicate_row_in_a_sen2_file_is_listed():
    d = load_sen2(M / "sen2_duplicate_row.csv")
    dup = d.quality.duplicates
    assert dup[["file", "line", "first_line", "key"]].values.tolist() == [
        ["sen2_duplicate_row.csv", 6, 3, "the whole line"]]
    assert_names(str(d.quality), "sen2_duplicate_row.csv line 6 repeats line 3")
    ok = load_sen2(M / "sen2_requests_ok.csv")  # the repeat is dropped, not added
    assert d.requests.equals(ok.requests)


def test_same_key_different_value_in_a_sen2_file_is_listed(tmp_path):
    lines = (M / "sen2_requests_ok.csv").read_text().splitlines()
    f = tmp_path / "twice.csv"
    f.write_text("\n".join([*lines, lines[2].replace(",Total,400,", ",Total,401,")]) + "\n")
    dup = load_sen2(f).quality.duplicates
    assert dup[["file", "line", "first_line", "value", "first_value"]].values.tolist() == [
        ["twice.csv", 6, 3, 401.0, 400.0]]


def test_duplicated_child_year_in_transitions():
    assert_names(message(L.read_transitions, M / "transitions_duplicate_child.csv"),
                 "transitions_duplicate_child.csv, line 5, column 'id, calendar-year'",
                 "line 2 has the same key", "1 / 2020")


@pytest.mark.realdata
def test_identical_rows_without_ids_are_children_not_duplicates():
    require_real_data()
    from tests.conftest import WITAN

    t = L.read_transitions(WITAN / "transitions.csv")
    assert t.duplicated().sum() > 1000  # person-level rows without an id: legal


@pytest.mark.parametrize("reader, name, line, column, key", [
    (L.read_witan_population, "population_duplicate.csv", 4, "calendar-year, academic-year", "2020 / 5"),
    (L.read_witan_costs, "costs_duplicate.csv", 4, "need, setting", "X / A"),
    (L.read_valid_states, "valid_states_duplicate.csv", 4, "setting", "'A'"),
])
def test_duplicate_keys_in_local_readers(reader, name, line, column, key):
    assert_names(message(reader, M / name), f"{name}, line {line}, column '{column}'",
                 "line 2 has the same key", key)


# ------------------------------------------------------------------------ 7. kin
def test_non_numeric_value_is_refused():
    assert_names(message(load_sen2, M / "sen2_bad_number.csv"),
                 "sen2_bad_number.csv, line 2, column 'requests_received_in_year'",
                 "a number or a suppression code", "'12a'")


def test_suppression_codes_become_missing_never_zero():
    d = load_sen2(M / "sen2_suppressed.csv")
    sup = d.quality.suppressed
    assert set(sup.code) == {"x", "z", "c", "low", "u", "", ":"} and set(sup.line) == {2}
    r = d.requests[(d.requests.la_code == "999") & (d.requests.year == 2022)].set_index("measure")["value"]
    assert r[["requests", "requests_youth_custody", "decided_to_assess"]].isna().all()
    assert (r.dropna() != 0).all()


@pytest.mark.parametrize("reader, name, column", [
    (L.read_transitions, "transitions_missing_column.csv", "need-2"),
    (L.read_witan_population, "population_missing_column.csv", "academic-year"),
    (L.read_witan_costs, "costs_missing_column.csv", "setting"),
    (L.read_valid_states, "valid_states_missing_column.csv", "max-academic-year"),
])
def test_missing_column_in_local_readers(reader, name, column):
    assert_names(message(reader, M / name), f"{name}, line 1, column '{column}'", "columns: ")


def _fake_xlsx(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
    return path


def test_workbook_renamed_csv_sen2(tmp_path):
    f = _fake_xlsx(tmp_path / "caseload.csv")
    assert_names(message(load_sen2, f), "caseload.csv", "a comma-separated UTF-8 text file",
                 "Excel workbook")


def test_workbook_renamed_csv_local(tmp_path):
    f = _fake_xlsx(tmp_path / "transitions.csv")
    assert_names(message(L.read_transitions, f), "transitions.csv", "Excel workbook")


def test_not_utf8_sen2(tmp_path):
    text = (M / "sen2_requests_ok.csv").read_text().replace("Testshire", "Tëstshire")
    f = tmp_path / "latin1.csv"
    f.write_bytes(text.encode("latin-1"))
    assert_names(message(load_sen2, f), "latin1.csv, line 2", "UTF-8", "not UTF-8")


def test_folder_with_no_sen2_table():
    assert_names(message(load_sen2, M / "not_sen2"), "not_sen2", "at least one SEN2 table",
                 "notes.csv")


def test_second_path_without_sen2_tables_is_not_ignored():
    assert_names(message(load_sen2, M / "sen2_requests_ok.csv", M / "not_sen2"), "not_sen2",
                 "notes.csv")


@pytest.mark.realdata
def test_release_2022_alone_cannot_give_the_cohort_model(sen2):
    require_real_data()
    from sendforecast.models.cohort import CohortModel

    old = load_sen2(SEN2_2022)
    msg = message(CohortModel.from_sen2, old, "825")
    assert_names(msg, "single year of age with a placement breakdown", "LA 825",
                 "the 2025 release's caseload.csv")
    assert "cohort" not in msg and ".py" not in msg
    assert "--data release-2025/ release-2022/" in msg  # the command-line words too


def test_example_without_new_plans_names_both_ways_to_load_them(tmp_path):
    """The advice was Python only ('load_sen2(release_2025, release_2022)') on the command line."""
    from sendforecast.data.example import EXAMPLE_DIR
    from sendforecast.models.cohort import CohortModel

    for f in EXAMPLE_DIR.glob("*.csv"):
        if "newplans" not in f.name:
            shutil.copy(f, tmp_path / f.name)
    msg = message(CohortModel.from_sen2, load_sen2(tmp_path), "999")
    assert_names(msg, "new EHC plans", "--data", "load_sen2(")


# ---------------------------------------------------------------------------- CLI
@pytest.mark.parametrize("make, expected", [
    (lambda tmp: M / "sen2_empty.csv", "sen2_empty.csv, line 1: expected a header line"),
    (lambda tmp: M / "sen2_caseload_renamed.csv", "sen2_caseload_renamed.csv, line 1, column 'ehcplans'"),
    (lambda tmp: M / "sen2_truncated.csv", "sen2_truncated.csv, line 5: expected 23 fields"),
    (lambda tmp: M / "not_sen2", "not_sen2: expected at least one SEN2 table"),
    (lambda tmp: (tmp / "release.zip").write_bytes(b"not a zip at all") and tmp / "release.zip",
     "release.zip: expected a zip archive"),
], ids=["empty", "renamed", "truncated", "no-sen2", "corrupt-zip"])
def test_cli_bad_sen2_input(make, expected, tmp_path, capsys):
    assert main(["data", "quality", "--data", str(make(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sendforecast: error: ") and expected in lines[0], err


@pytest.mark.realdata
def test_cli_duplicate_child_in_transitions(tmp_path, capsys):
    require_real_data()
    from tests.conftest import WITAN

    shutil.copy(WITAN / "population.csv", tmp_path / "population.csv")
    rc = main(["project", "--transitions", str(M / "transitions_duplicate_child.csv"),
               "--population", str(tmp_path / "population.csv"),
               "--valid-states", str(WITAN / "valid-states.csv"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    assert_names(err, "transitions_duplicate_child.csv, line 5, column 'id, calendar-year'")
    assert len(err.strip().splitlines()) == 1


# ------------------------------------------------- renamed area-code column (end-user review)
@pytest.mark.parametrize("old, new, level", [("old_la_code", "old_la_cod", "Local authority"),
                                             ("region_code", "regioncode", "Regional")])
def test_renamed_area_code_column_is_refused(tmp_path, old, new, level):
    """A renamed old_la_code column loaded '0 LAs' without a word (then 'unknown LA code(s)
    '825' ... e.g. ' with an empty example list); the file, column and similar header name
    are now given."""
    lines = (M / "sen2_requests_ok.csv").read_text(encoding="utf-8").splitlines()
    region_row = lines[1].replace("Local authority", "Regional").replace(",E06000999,999,Testshire,",
                                                                           ",,,,")
    f = tmp_path / "requests.csv"
    f.write_text("\n".join([lines[0].replace(f",{old},", f",{new},"), *lines[1:], region_row])
                 + "\n", encoding="utf-8")
    assert_names(message(load_sen2, f), f"requests.csv, line 1, column '{old}'",
                 f"'{level}'", f"similar column(s) in the header: {new}")


def test_a_release_without_caseload_loads_without_a_pandas_warning():
    """--data requests.csv alone printed pandas' 'FutureWarning: Downcasting object dtype
    arrays on .fillna ...' with the package's source lines to the user."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        d = load_sen2(M / "sen2_requests_ok.csv")
    assert d.la_codes() == ["999"]
    assert d.las.set_index("la_code").loc["999", ["first_year", "last_year"]].tolist() == [2022, 2023]


# ------------------------------------------------------- cost files (end-user review)
@pytest.mark.parametrize("line", ["sen_transport", "transprt", "home_to_school_transport"])
def test_a_cost_line_that_looks_like_transport_is_refused(tmp_path, line):
    """Only line 'transport' is SEN transport (general fund); 'sen_transport' was costed as a
    High Needs Block line, adding transport to the HNB cost and the DSG deficit."""
    from sendforecast.finance.costs import CostAssumptions

    f = tmp_path / "costs.csv"
    f.write_text("placement,line,annual_cost\nstate_special,top_up,8000\n"
                 f"mainstream,{line},450\n", encoding="utf-8")
    assert_names(message(CostAssumptions.from_file, f), "costs.csv, line 3, column 'line'",
                 "'transport'", repr(line))


def test_a_cost_line_named_freely_is_kept(tmp_path):
    from sendforecast.finance.costs import CostAssumptions

    f = tmp_path / "costs.csv"
    f.write_text("placement,line,annual_cost\nstate_special,outreach_support,800\n"
                 "mainstream,transport,450\n", encoding="utf-8")
    c = CostAssumptions.from_file(f)
    assert "outreach_support" in {u.line for u in c.unit_costs}
    assert [t.annual_cost for t in c.transport if t.placement_group == "mainstream"] == [450]


@pytest.mark.parametrize("reader", ["costs", "hnb", "capacity"])
def test_a_folder_given_for_a_file_says_so(tmp_path, reader):
    """'--costs /tmp' answered 'No such file: /tmp'."""
    from sendforecast.finance.costs import CostAssumptions
    from sendforecast.finance.hnb import HNBAllocation
    from sendforecast.sufficiency import Capacity

    folder = tmp_path / ("x.yaml" if reader == "hnb" else "x.csv")
    folder.mkdir()
    fn = {"costs": CostAssumptions.from_file, "hnb": HNBAllocation.from_file,
          "capacity": Capacity.from_file}[reader]
    with pytest.raises((InputError, OSError)) as e:
        fn(folder)
    assert "is a folder" in str(e.value) and "No such file" not in str(e.value)
