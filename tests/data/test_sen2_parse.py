"""Tests of sendforecast.data.sen2_parse: one SEN2 table -> tidy parts and quality findings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sendforecast.data.sen2_parse import FileParser, age_bounds, age_label, parse_year
from sendforecast.data.sources import Source, read_csv
from sendforecast.errors import InputError

GEO = ("time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
       "region_name,new_la_code,old_la_code,la_name")
LA = "Local authority,E92000001,England,E12000009,South West,E06000999,999,Testshire"
REGION = "Regional,E92000001,England,E12000009,South West,,,"


def parser(text: str, name: str = "release/requests.csv") -> FileParser:
    return FileParser(Source(name, read_csv(text.encode(), name), "release"))


def tidy(fp: FileParser, frame: str) -> pd.DataFrame:
    return pd.concat(fp.parts[frame], ignore_index=True)


def test_parse_year():
    assert parse_year("201819") == 2019  # the January census of academic year 2018/19
    assert parse_year(" 2023 ") == 2023
    with pytest.raises(ValueError, match="YYYY or YYYYYY"):
        parse_year("2023/24")


def test_age_labels():
    assert age_label("under 3") == "0-2" and age_label("Aged 2 and under") == "0-2"
    assert age_label("age 20 and over") == "20-25" and age_label("age 7") == "7"
    assert age_label("Age unknown") == "unknown" and age_label("Female") is None
    assert age_label("age 26") is None and age_label("Total") == "all"
    assert age_bounds("5-10") == (5, 10) and age_bounds("7") == (7, 7) and age_bounds("all") is None


def test_requests_table_becomes_tidy_rows_with_findings():
    fp = parser("\n".join([
        f"{GEO},breakdown_topic,breakdown,requests_received_in_year,requests_rya",
        f"2023,Calendar year,{LA},All requests for EHC needs assessments,Total,450,1",  # line 2
        f"2023,Calendar year,{LA},Child or young persons age,Aged 7,c,0",  # 3: suppressed
        f"2023,Calendar year,{REGION},All requests for EHC needs assessments,Total,5000,-3",  # 4
        "2023,Calendar year,Local authority district,E92000001,England,,,,,,"
        "All requests for EHC needs assessments,Total,7,0",  # 5: a level not read
        f"2023,Calendar year,{LA},Sex,Female,200,0",  # 6: a breakdown not read
    ]) + "\n")
    fp.parse("requests_2025")
    got = tidy(fp, "requests").set_index(["la_code", "age", "measure"])["value"]
    assert got[("999", "all", "requests")] == 450 and got[("999", "all", "requests_youth_custody")] == 1
    assert np.isnan(got[("999", "7", "requests")])  # suppressed: missing, never 0
    assert got[("E12000009", "all", "requests")] == 5000
    assert np.isnan(got[("E12000009", "all", "requests_youth_custody")])  # negative: missing
    assert len(got) == 6 and set(tidy(fp, "requests").year) == {2023}
    sup = fp.report.suppressed
    assert sup[["file", "line", "column", "code", "meaning", "la_code"]].values.tolist() == [
        ["requests.csv", 3, "requests_received_in_year", "c", "confidential", "999"]]
    unknown = fp.report.unknown.set_index("line")
    assert unknown.loc[4, "what"] == "negative count (read as missing)"
    assert unknown.loc[5, ["column", "value"]].tolist() == ["geographic_level", "Local authority district"]
    assert any("breakdowns not used: Sex" in n for n in fp.report.notes)
    areas = fp.areas.set_index("la_code")
    assert areas.loc["999", "la_name"] == "Testshire" and areas.loc["E12000009", "la_name"] == "South West"


def test_2022_ceased_total_only_when_every_reason_is_published():
    fp = parser("\n".join([
        f"{GEO},InreqEHC,DisleaEHC,DismetEHC,DisothEHC,DisleftEHC",
        f"2019,Calendar year,{LA},100,1,2,3,4",
        f"2020,Calendar year,{LA},120,1,2,3,x",
    ]) + "\n", "sen2_mi.csv")
    fp.parse("mi_2022")
    ceased = tidy(fp, "ceased")
    total = ceased[ceased.reason == "total"].set_index("year")["value"]
    assert total[2019] == 10 and np.isnan(total[2020])
    assert set(ceased.reason) == {"transferred_to_another_la", "needs_met", "other", "left_education",
                                  "total"}
    assert tidy(fp, "requests").set_index("year")["value"].to_dict() == {2019: 100, 2020: 120}


def test_unreadable_year_names_line_and_column():
    fp = parser(f"{GEO},InreqEHC\n2019,Calendar year,{LA},1\n2019/20,Calendar year,{LA},2\n",
                "sen2_mi.csv")
    with pytest.raises(InputError) as info:
        fp.parse("mi_2022")
    msg = str(info.value)
    assert "sen2_mi.csv, line 3, column 'time_period'" in msg and "'2019/20'" in msg
