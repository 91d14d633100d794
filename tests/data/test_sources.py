"""Tests of sendforecast.data.sources: folders, zips and CSV bytes read as text.

The refusals of broken files (empty, truncated, ragged, binary, not UTF-8, damaged zips)
are exercised end to end, with their exact messages, in ``test_bad_input.py``; these
tests pin what the readers hand on when the input is fine.
"""

from __future__ import annotations

import zipfile

import pytest

from sendforecast.data.sources import iter_sources, read_csv, read_rows, refuse_binary
from sendforecast.errors import InputError

CSV = "a,b\n1,x\n2,y\n"


def test_a_folder_yields_every_csv_in_name_order_zips_opened_in_place(tmp_path):
    rel = tmp_path / "release"
    (rel / "data").mkdir(parents=True)
    (rel / "data" / "b.csv").write_text(CSV)
    (rel / "readme.txt").write_text("not a table")
    with zipfile.ZipFile(rel / "a.zip", "w") as zf:
        zf.writestr("data/z2.csv", CSV)
        zf.writestr("data/z1.csv", CSV)
        zf.writestr("notes.md", "skipped")
    sources = list(iter_sources(rel))
    assert [s.name for s in sources] == [f"{rel}/a.zip!data/z1.csv", f"{rel}/a.zip!data/z2.csv",
                                         f"{rel}/data/b.csv"]
    # each zip is a release of its own; CSVs in a release's data/ folder belong to the release
    assert [s.release for s in sources] == [str(rel / "a.zip")] * 2 + [str(rel)]
    assert all(s.frame.values.tolist() == [["1", "x"], ["2", "y"]] for s in sources)


def test_a_folder_of_releases_yields_each_release_apart(tmp_path):
    for name in ("release-2025", "release-2026"):
        (tmp_path / "sen2" / name / "data").mkdir(parents=True)
        (tmp_path / "sen2" / name / "data" / "requests.csv").write_text(CSV)
    (tmp_path / "sen2" / "mine.csv").write_text(CSV)
    got = [s.release for s in iter_sources(tmp_path / "sen2")]
    assert got == [str(tmp_path / "sen2" / n) for n in ("", "release-2025", "release-2026")]
    # a data folder given directly is the release
    data = tmp_path / "sen2" / "release-2025" / "data"
    assert [s.release for s in iter_sources(data)] == [str(data)]


def test_a_zip_or_csv_given_directly_is_its_own_release(tmp_path):
    f = tmp_path / "requests.csv"
    f.write_text(CSV)
    with zipfile.ZipFile(tmp_path / "r.zip", "w") as zf:
        zf.writestr("requests.csv", CSV)
    assert [(s.name, s.release) for s in iter_sources(f)] == [(str(f), str(f))]
    z = tmp_path / "r.zip"
    assert [(s.name, s.release) for s in iter_sources(z)] == [(f"{z}!requests.csv", str(z))]


def test_paths_that_hold_no_table(tmp_path):
    with pytest.raises(FileNotFoundError, match="SEN2 data path not found"):
        list(iter_sources(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="a folder containing SEN2 .csv or .zip files"):
        list(iter_sources(tmp_path / "empty"))
    (tmp_path / "table.xlsx").write_bytes(b"PK\x03\x04")
    with pytest.raises(InputError, match="a folder, a .zip or a .csv file, found '.xlsx'"):
        list(iter_sources(tmp_path / "table.xlsx"))


def test_read_csv_keeps_text_as_text_and_drops_exact_repeats():
    data = "\ufeff time_period ,code,value\n2023,007,\n2023,008,x\n2023,007,\n".encode()
    frame = read_csv(data, "f.csv")
    assert list(frame.columns) == ["time_period", "code", "value"]  # BOM and spaces gone
    assert frame.values.tolist() == [["2023", "007", ""], ["2023", "008", "x"]]  # no numbers, no NaN
    assert frame.attrs["repeated_lines"] == [(4, 2)]  # (line, the line it repeats)


def test_refuse_binary_names_what_the_file_is():
    kinds = {b"%PDF": "a PDF document"}
    with pytest.raises(InputError, match="f.csv: expected text, found 'a PDF document'"):
        refuse_binary(b"%PDF-1.7 ...", "f.csv", "text", kinds)
    with pytest.raises(InputError, match="f.csv, line 3: .*binary data"):
        refuse_binary(b"a,b\n1,2\n\x00\x00", "f.csv", "text", kinds)
    refuse_binary(b"a,b\n1,2\n", "f.csv", "text", kinds)  # text passes


def test_read_rows_numbers_lines_as_the_file_does(tmp_path):
    f = tmp_path / "costs.csv"
    # a quoted cell over two lines, a blank row and a Windows-1252 pound sign
    f.write_bytes(b'name,note\n"Oak","two\nlines"\n\n,\nAsh, \xa3 12 \n')
    assert read_rows(f) == [(1, ["name", "note"]), (2, ["Oak", "two\nlines"]), (6, ["Ash", "£ 12"])]


def test_read_rows_of_a_workbook(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    for row in [["provision", "places", "name"], ["state_special", 120.0, None], [None, None, None],
                ["ap_pru", 2.5, " Elm "]]:
        wb.active.append(row)
    wb.save(tmp_path / "cap.xlsx")
    assert read_rows(tmp_path / "cap.xlsx") == [
        (1, ["provision", "places", "name"]), (2, ["state_special", "120", ""]),
        (4, ["ap_pru", "2.5", "Elm"])]
