"""Tests for sendforecast.data.local: readers of the LA's own files and witan.send files.

The tests on the witan.send demo files (``../shared/data``) carry the ``realdata`` marker."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sendforecast.data.local import (
    monthly_to_annual,
    read_capacity,
    read_monthly_requests,
    read_population,
    read_transitions,
    read_unit_costs,
    read_valid_states,
    read_witan_costs,
    read_witan_population,
)
from sendforecast.errors import InputError
from tests.conftest import WITAN

DEMO = WITAN


@pytest.fixture(scope="module")
def demo() -> Path:
    if not (DEMO / "transitions.csv").is_file():
        pytest.skip(f"witan.send demo data not found at {DEMO}")
    return DEMO


def data_lines(path: Path) -> int:
    """Number of lines minus the header (what `wc -l` minus 1 gives for these files)."""
    return len(path.read_text().splitlines()) - 1


def write(tmp_path: Path, text: str, name: str = "bad.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(reader, path: Path, *args) -> tuple[InputError, str]:
    with pytest.raises(InputError) as info:
        reader(path, *args)
    return info.value, str(info.value)


# ------------------------------------------------------------------ real demo data


@pytest.mark.realdata
def test_demo_valid_states(demo):
    vs = read_valid_states(demo / "valid-states.csv")
    assert len(vs) == data_lines(demo / "valid-states.csv") == 19
    assert list(vs.setting) == list("ABCDEFGHIJKLMNOPQRS")
    assert vs.min_academic_year.dtype == "int64"
    m = vs.set_index("setting").loc["M"]
    assert (m.min_academic_year, m.max_academic_year) == (6, 15)
    assert all(needs == list("TUVWXY") for needs in vs.needs)
    assert "M" not in vs.allowed_moves.iloc[0] and "S" in vs.allowed_moves.iloc[0]


@pytest.mark.realdata
def test_demo_transitions(demo):
    vs = read_valid_states(demo / "valid-states.csv")
    tr = read_transitions(demo / "transitions.csv", valid_states=vs)
    assert len(tr) == data_lines(demo / "transitions.csv") == 8351
    assert list(tr.columns) == ["calendar_year", "setting_1", "need_1", "academic_year_1",
                                "setting_2", "need_2", "academic_year_2"]
    for c in ["calendar_year", "academic_year_1", "academic_year_2"]:
        assert tr[c].dtype == "int64"
    assert (tr.setting_1 == "NONSEND").sum() == 994  # joiners
    assert (tr.setting_2 == "NONSEND").sum() == 537  # leavers
    assert ((tr.setting_1 == "NONSEND") == (tr.need_1 == "NONSEND")).all()
    settings_seen = (set(tr.setting_1) | set(tr.setting_2)) - {"NONSEND"}
    assert settings_seen == set(vs.setting)
    # every row, joiners and leavers included, ages by exactly one year
    assert (tr.academic_year_2 == tr.academic_year_1 + 1).all()
    assert sorted(tr.calendar_year.unique()) == [2013, 2014, 2015, 2016]
    assert tr.duplicated().sum() > 0  # person-level data: identical rows are kept


@pytest.mark.realdata
def test_demo_population_and_costs(demo):
    pop = read_witan_population(demo / "population.csv")
    assert len(pop) == data_lines(demo / "population.csv") == 310
    assert (pop.calendar_year.min(), pop.calendar_year.max()) == (2013, 2022)
    assert (pop.academic_year.min(), pop.academic_year.max()) == (-5, 25)
    assert pop.population.dtype == "int64" and (pop.population > 0).all()
    costs = read_witan_costs(demo / "costs.csv")
    assert len(costs) == data_lines(demo / "costs.csv") == 88
    assert costs.cost.dtype == "float64" and (costs.cost == 1000.0).all()
    assert set(costs.need) == set("TUVWXY")


# --------------------------------------------------------------- common failures

GOOD = {
    read_transitions: "calendar-year,setting-1,need-1,academic-year-1,setting-2,need-2,"
                      "academic-year-2\n2015,A,T,3,A,T,4\n",
    read_valid_states: 'setting,setting-group,min-academic-year,max-academic-year,needs,'
                       'setting->setting\nA,g1,0,5,"T,U","A"\n',
    read_witan_population: "calendar-year,academic-year,population\n2015,3,100\n",
    read_witan_costs: "need,setting,cost\nT,A,10\n",
    read_monthly_requests: "month,requests\n2024-01,5\n",
    read_unit_costs: "placement,annual_cost\nstate_special,25000\n",
    read_capacity: "provision,year,places\nstate_special,2026,100\n",
    read_population: "age,year,population\n5,2024,1000\n",
}
READERS = list(GOOD)


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.__name__)
def test_good_minimal_file_reads(reader, tmp_path):
    assert len(reader(write(tmp_path, GOOD[reader], "good.csv"))) == 1


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.__name__)
def test_missing_file(reader, tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        reader(tmp_path / "nope.csv")


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.__name__)
def test_missing_required_column(reader, tmp_path):
    header, row = GOOD[reader].splitlines()
    cols = header.split(",")
    dropped = cols[-1]
    text = ",".join(cols[:-1]) + "\n" + row.rsplit(",", 1)[0] + "\n"
    err, msg = problems(reader, write(tmp_path, text))
    assert [p.row for p in err.problems] == [1]  # the header line
    assert "bad.csv" in msg and f"'{dropped}'" in msg
    assert ", ".join(cols[:-1]) in msg  # lists the columns found


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.__name__)
def test_empty_required_value(reader, tmp_path):
    header, row = GOOD[reader].splitlines()
    blanked = row.split(",", 1)[1]  # first cell blank (valid-states needs quoted lists intact)
    err, msg = problems(reader, write(tmp_path, f"{header}\n{row}\n,{blanked}\n"))
    first = header.split(",")[0]
    assert (3, first) in {(p.row, p.column) for p in err.problems}
    assert f"bad.csv, line 3, column '{first}': expected a value" in msg


def test_wrong_type_names_file_line_column(tmp_path):
    path = write(tmp_path, "month,requests\n2024-01,5\n2024-02,abc\n2024-03,7.5\n")
    err, msg = problems(read_monthly_requests, path)
    assert "bad.csv, line 3, column 'requests': expected a whole number >= 0, found 'abc'" in msg
    assert "line 4, column 'requests'" in msg and "'7.5'" in msg
    assert len(err.problems) == 2


def test_all_problems_collected_in_line_order(tmp_path):
    path = write(tmp_path, "provision,year,places,phase\n"
                           "state_special,2026,-4,primary\n"
                           "special_school,2026,10,\n"
                           "ap_pru,26,5,middle\n")
    err, msg = problems(read_capacity, path)
    found = [(p.row, p.column) for p in err.problems]
    assert found == [(2, "places"), (3, "provision"), (4, "year"), (4, "phase")]
    assert "4 problems" in msg
    assert "expected a whole number >= 0, found '-4'" in msg
    assert "state_special" in msg and "specialist_post16" in msg  # allowed groups listed
    assert "early_years, primary, secondary, post16, 19-25" in msg  # allowed phases listed


@pytest.mark.parametrize(
    ("reader", "text", "line", "key_column"),
    [
        (read_witan_population, "calendar-year,academic-year,population\n"
                                "2015,3,1\n2015,4,1\n2015,3,2\n", 4, "calendar-year"),
        (read_witan_costs, "need,setting,cost\nT,A,1\nT,B,1\nT,A,2\n", 4, "need"),
        (read_valid_states, 'setting,setting-group,min-academic-year,max-academic-year,needs,'
                            'setting->setting\nA,g,0,5,T,A\nA,g,1,6,T,A\n', 3, "setting"),
        (read_capacity, "provision,year,places,name\nstate_special,2026,1,Oak\n"
                        "State_Special,2026,2,Oak\n", 3, "provision"),
        (read_population, "age,year,population\n5,2024,1\n5,2024.0,2\n", 3, "age"),
        (read_monthly_requests, "month,requests\n2024-01,1\n01/01/2024,2\n", 3, "month"),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_duplicate_key_names_both_lines(reader, text, line, key_column, tmp_path):
    err, msg = problems(reader, write(tmp_path, text))
    assert len(err.problems) == 1
    p = err.problems[0]
    assert p.row == line and key_column in p.column
    first = 2
    assert f"bad.csv, line {line}" in msg and f"line {first} has the same key" in msg


def test_negative_counts(tmp_path):
    _, msg = problems(read_witan_population,
                      write(tmp_path, "calendar-year,academic-year,population\n2015,3,-1\n"))
    assert "line 2, column 'population': expected a whole number >= 0, found '-1'" in msg
    _, msg = problems(read_population, write(tmp_path, "age,year,population\n26,2024,-0.5\n"))
    assert "line 2, column 'age': expected a whole number between 0 and 25" in msg
    assert "line 2, column 'population': expected a number >= 0, found '-0.5'" in msg
    _, msg = problems(read_witan_costs, write(tmp_path, "need,setting,cost\nT,A,-3\n"))
    assert "line 2, column 'cost'" in msg


def test_bom_whitespace_and_blank_rows(tmp_path):
    path = tmp_path / "req.csv"
    path.write_bytes("\ufeff Month , Requests \n 2024-02 , 12 \n\n,\n2024-01,3\n".encode())
    out = read_monthly_requests(path)
    assert list(out.columns) == ["month", "calendar_year", "requests"]
    assert out.month.dtype == "period[M]" and out.requests.tolist() == [3, 12]  # sorted
    # the blank lines are skipped but line numbers still count them
    path.write_bytes("\ufeffmonth,requests\n2024-02,12\n\n,\n2024-01,x\n".encode())
    _, msg = problems(read_monthly_requests, path)
    assert "req.csv, line 5, column 'requests'" in msg


# -------------------------------------------------------------------- transitions

T_HEADER = "calendar-year,setting-1,need-1,academic-year-1,setting-2,need-2,academic-year-2\n"


def test_transitions_rules(tmp_path):
    path = write(tmp_path, T_HEADER
                 + "2015,NONSEND,NONSEND,3,A,T,4\n"  # joiner: fine
                 + "2015,A,T,3,NONSEND,NONSEND,4\n"  # leaver: fine
                 + "2015,A,T,3,A,T,4\n2015,A,T,3,A,T,4\n"  # identical rows: fine
                 + "2015,NONSEND,NONSEND,3,NONSEND,NONSEND,4\n"  # line 6
                 + "2015,A,T,3,A,T,5\n"  # line 7: does not age by one
                 + "2015,NONSEND,T,3,A,T,4\n"  # line 8: half NONSEND
                 + "x,A,T,3,A,T,4\n")  # line 9
    err, msg = problems(read_transitions, path)
    assert [(p.row, p.column) for p in err.problems] == [
        (6, "setting-2"), (7, "academic-year-2"), (8, "need-1"), (9, "calendar-year")]
    assert "line 7, column 'academic-year-2': expected academic-year-1 + 1" in msg
    ok = read_transitions(write(tmp_path, T_HEADER + "2015,NONSEND,NONSEND,3,A,T,4\n"
                                + "2015,A,T,3,A,T,4\n" * 2, "ok.csv"))
    assert len(ok) == 3


def test_transitions_against_valid_states(tmp_path):
    vs = read_valid_states(write(tmp_path, "setting,setting-group,min-academic-year,"
                                 'max-academic-year,needs,setting->setting\nA,g,0,9,"T,U","A,B"\n'
                                 'B,g,0,9,T,A\n', "vs.csv"))
    path = write(tmp_path, T_HEADER + "2015,A,U,3,Z,T,4\n2015,A,T,3,B,U,4\n")
    err, msg = problems(read_transitions, path, vs)
    assert [(p.row, p.column) for p in err.problems] == [(2, "setting-2"), (3, "need-2")]
    assert "found 'Z'" in msg and "a need of setting B in valid-states: T" in msg
    ok = write(tmp_path, T_HEADER + "2015,A,U,3,B,T,4\n2015,NONSEND,NONSEND,3,B,T,4\n", "ok.csv")
    assert len(read_transitions(ok, vs)) == 2


def test_valid_states_checks(tmp_path):
    path = write(tmp_path, "setting,setting-group,min-academic-year,max-academic-year,needs,"
                           'setting->setting\nA,g,5,2,"T,,U",A\nNONSEND,g,0,1,T,"A,Q"\n')
    err, _ = problems(read_valid_states, path)
    assert [(p.row, p.column) for p in err.problems] == [
        (2, "needs"), (2, "max-academic-year"), (3, "setting"), (3, "setting->setting")]


# -------------------------------------------------------------- LA's own files


def test_unit_costs_full(tmp_path):
    path = write(tmp_path, "placement,phase,need,line,annual_cost,inflation,source\n"
                           "state_special,,,,25000,0.03,S251\n"
                           "Special - LA maintained,Primary,asd,Top up,18000,,\n"
                           "special_independent,post-16,all,fees,60000.5,-0.01,\n")
    out = read_unit_costs(path)
    assert list(out.columns) == ["placement", "placement_group", "phase", "need", "line",
                                 "annual_cost", "inflation", "source"]
    assert out.placement.tolist() == ["state_special", "special_la_maintained",
                                      "special_independent"]
    assert out.placement_group.tolist() == ["state_special", "state_special",
                                            "independent_special"]
    assert out.phase.tolist() == ["all", "primary", "post16"]
    assert out.need.tolist() == ["all", "ASD", "all"]
    assert out.line.tolist() == ["total", "top_up", "fees"]
    assert out.inflation.tolist() == [0.03, 0.0, -0.01]
    assert out.annual_cost.dtype == "float64" and out.source.iloc[0] == "S251"


def test_unit_costs_unknown_values(tmp_path):
    path = write(tmp_path, "placement,phase,need,annual_cost,inflation\n"
                           "special school,primary,ASD,1,0\n"
                           "state_special,primary,DYS,1,3\n"
                           "state_special,primary,ASD,1,0\n"
                           "Special - LA maintained,nursery,ASD,1,0\n")
    err, msg = problems(read_unit_costs, path)
    assert [(p.row, p.column) for p in err.problems] == [
        (2, "placement"), (3, "need"), (3, "inflation"), (5, "phase")]
    assert "found 'special school'" in msg and "independent_special" in msg
    assert "ASD, SEMH, SLCN" in msg  # allowed needs listed
    assert "between -0.5 and 0.5, found '3'" in msg


def test_unit_costs_duplicate_after_canonicalising(tmp_path):
    path = write(tmp_path, "placement,annual_cost,line\nSpecial - LA maintained,1,fees\n"
                           "special_la_maintained,2,Fees\n")
    _, msg = problems(read_unit_costs, path)
    assert "line 3, column 'placement, phase, need, line'" in msg and "line 2 has the same" in msg


def test_xlsx_unit_costs_and_capacity(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [["provision", "year", "places", "need"], ["state_special", 2026, 120.0, "ASD"],
                ["resourced_provision", 2026, 30, None], ["ap_pru", 2027, "lots", None]]:
        ws.append(row)
    wb.save(tmp_path / "cap.xlsx")
    _, msg = problems(read_capacity, tmp_path / "cap.xlsx")
    assert "cap.xlsx, line 4, column 'places': expected a whole number >= 0, found 'lots'" in msg
    ws.delete_rows(4)
    wb.save(tmp_path / "cap.xlsx")
    out = read_capacity(tmp_path / "cap.xlsx")
    assert out.places.tolist() == [120, 30] and out.places.dtype == "int64"
    assert out.need.tolist() == ["ASD", "all"] and out.name.tolist() == ["", ""]

    wb = openpyxl.Workbook()
    wb.active.append(["placement", "annual_cost"])
    wb.active.append(["mainstream", 6000])
    wb.save(tmp_path / "costs.xlsx")
    assert read_unit_costs(tmp_path / "costs.xlsx").annual_cost.tolist() == [6000.0]


def test_population_with_la_code(tmp_path):
    out = read_population(write(tmp_path, "la_code,age,year,population\n"
                                          "202,0,2024,3000.5\n202,1,2024,2900\n"
                                          "203,0,2024,100\n", "pop.csv"))
    assert list(out.columns) == ["la_code", "age", "year", "population"]
    assert out.la_code.tolist() == ["202", "202", "203"] and out.population.dtype == "float64"
    err, _ = problems(read_population, write(tmp_path, "la_code,age,year,population\n"
                                                       "E09000001,0,2024,1\n,1,2024,1\n"))
    assert [(p.row, p.column) for p in err.problems] == [(2, "la_code"), (3, "la_code")]


def test_monthly_requests_formats_and_annual(tmp_path):
    path = write(tmp_path, "la_code,month,requests\n"
                 + "".join(f"202,2023-{m:02d},{m}\n" for m in range(1, 13))
                 + "202,Jan 2024,5\n202,29/02/2024,6\n", "req.csv")
    out = read_monthly_requests(path)
    assert list(out.columns) == ["la_code", "month", "calendar_year", "requests"]
    assert str(out.month.iloc[-1]) == "2024-02"
    annual = monthly_to_annual(out)
    assert annual.to_dict("records") == [
        {"la_code": "202", "calendar_year": 2023, "requests": 78, "months_observed": 12,
         "complete": True},
        {"la_code": "202", "calendar_year": 2024, "requests": 11, "months_observed": 2,
         "complete": False},
    ]
    _, msg = problems(read_monthly_requests, write(tmp_path, "month,requests\n2024-13,1\n"))
    assert "line 2, column 'month'" in msg and "found '2024-13'" in msg


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(st.tuples(st.integers(2015, 2025), st.integers(1, 12)),
                       st.integers(0, 10_000), min_size=1, max_size=40))
def test_monthly_roundtrip_and_annual_sum(counts):
    text = "month,requests\n" + "".join(f"{y}-{m:02d},{n}\n" for (y, m), n in counts.items())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "req.csv"
        path.write_text(text)
        monthly = read_monthly_requests(path)
    assert len(monthly) == len(counts) and monthly.requests.sum() == sum(counts.values())
    annual = monthly_to_annual(monthly)
    assert annual.requests.sum() == sum(counts.values())
    per_year = pd.Series([y for y, _ in counts]).value_counts()
    assert annual.set_index("calendar_year").months_observed.to_dict() == per_year.to_dict()
    assert (annual.complete == (annual.months_observed == 12)).all()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 25), st.floats(0, 1e6, allow_nan=False)),
                min_size=1, max_size=26, unique_by=lambda t: t[0]))
def test_population_roundtrip(rows):
    text = "age,year,population\n" + "".join(f"{a},2024,{p!r}\n" for a, p in rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pop.csv"
        path.write_text(text)
        out = read_population(path)
    assert out.age.tolist() == [a for a, _ in rows]
    assert out.population.tolist() == [p for _, p in rows]
