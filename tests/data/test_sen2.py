"""SEN2 reader on the real DfE releases: known values, conventions, quality findings.

Tests of ``sendforecast.data.sen2`` (load_sen2, SEN2Data, merging releases, the LA
lookup and the totals checks) through the real files in ``../shared/data``.
"""

from __future__ import annotations

import shutil
import zipfile

import numpy as np
import pandas as pd
import pytest

from sendforecast import InputError, load_sen2
from sendforecast.data.geography import ENGLAND_CODE, aggregate_successors
from sendforecast.data.sen2 import parse_year
from tests.conftest import SEN2_2022, SEN2_2025, require_real_data

pytestmark = pytest.mark.realdata


def _value(series: pd.DataFrame, code: str, year: int) -> float:
    row = series[(series.la_code == code) & (series.year == year)]
    assert len(row) == 1, f"expected one row for {code} {year}, got {len(row)}"
    return float(row.value.iloc[0])


def test_both_releases_load_with_150_plus_las(sen2):
    assert len(sen2.la_codes()) >= 150
    cl = sen2.series("caseload")
    assert cl.year.min() == 2010 and cl.year.max() == 2024
    assert sen2.series("requests").year.max() == 2023
    assert set(sen2.las.level) == {"la", "region", "national"}
    assert (sen2.las.level == "region").sum() == 9 + 2 or (sen2.las.level == "region").sum() >= 9


@pytest.mark.parametrize(("measure", "year", "expected"), [
    ("caseload", 2011, 2996), ("caseload", 2019, 4054), ("caseload", 2024, 6697),
    ("requests", 2021, 1138), ("requests", 2023, 1577),
])
def test_buckinghamshire_known_values(sen2, measure, year, expected):
    assert _value(sen2.series(measure), "825", year) == expected


def test_year_convention_matches_between_releases(sen2):
    """'201819' (2025 release) and '2019' (2022 release) are both the January 2019 census."""
    old = load_sen2(SEN2_2022 / "data" / "sen2_age_caseload.csv")
    assert _value(old.series("caseload"), "825", 2019) == _value(sen2.series("caseload"), "825", 2019)
    assert parse_year("201819") == 2019 and parse_year("2023") == 2023


def test_newer_release_wins_and_older_fills_gaps(sen2):
    old = load_sen2(SEN2_2022)
    f = sen2.caseload
    sel = (f.la_code == "825") & (f.year == 2019) & (f.age == "all") & (f.placement == "special_la_maintained")
    g = old.caseload
    sel_old = (g.la_code == "825") & (g.year == 2019) & (g.age == "all") & (g.placement == "special_la_maintained")
    assert float(g[sel_old].value.iloc[0]) == 1152  # 2022 release
    assert float(f[sel].value.iloc[0]) == 1153  # 2025 release wins
    # 2010 exists only in the older release and is kept
    assert _value(sen2.series("caseload"), "825", 2010) == _value(old.series("caseload"), "825", 2010)
    assert any("newest wins" in n for n in sen2.quality.notes)


def test_england_equals_sum_of_las_and_exceptions_are_reported(sen2):
    cl = sen2.series("caseload")
    eng = sen2.series("caseload", "national").set_index("year").value
    for year in (2020, 2023, 2024):
        assert cl[cl.year == year].value.sum() == eng[year]
    inc = sen2.quality.inconsistent
    hp = inc[(inc.year == 2024) & (inc.check == "placements vs total") & inc.la_code.isin(["204", "874"])]
    assert set(hp.la_code) == {"204", "874"}  # Hackney and Peterborough footnote
    hackney = hp[hp.la_code == "204"].iloc[0]
    assert hackney.total == 3525 and hackney.sum_of_parts == 0


def test_region_copy_in_yorkshire_2022_new_plans_is_set_missing_and_reported(sen2):
    inc = sen2.quality.inconsistent
    copies = inc[inc.check.str.startswith("LA total equals its region")]
    assert len(copies) >= 10
    assert set(copies.year) == {2022}
    np_ = sen2.series("new_plans")
    assert np.isnan(_value(np_, "384", 2022))  # Wakefield
    assert _value(np_, "384", 2021) > 0


def test_suppressed_cells_become_missing_and_are_listed(tmp_path):
    require_real_data()
    src = pd.read_csv(SEN2_2025 / "data" / "requests.csv", dtype=str, keep_default_na=False,
                      encoding="utf-8-sig")
    part = src[(src.old_la_code == "825") & (src.breakdown_topic.str.startswith("All"))].copy()
    part.loc[part.time_period == "2021", "requests_received_in_year"] = "c"
    part.loc[part.time_period == "2022", "requests_received_in_year"] = "low"
    f = tmp_path / "my_requests.csv"
    part.to_csv(f, index=False, encoding="utf-8-sig")
    d = load_sen2(f)
    s = d.series("requests")
    assert np.isnan(_value(s, "825", 2021)) and np.isnan(_value(s, "825", 2022))
    assert _value(s, "825", 2023) == 1577
    sup = d.quality.suppressed
    listed = sup[(sup.column == "requests_received_in_year") & (sup.la_code == "825")]
    assert set(zip(listed.year, listed.code, strict=True)) == {(2021, "c"), (2022, "low")}
    assert all(listed.file == "my_requests.csv") and listed.line.min() >= 2


def test_bad_value_raises_clear_error(tmp_path):
    require_real_data()
    src = pd.read_csv(SEN2_2025 / "data" / "requests.csv", dtype=str, keep_default_na=False,
                      encoding="utf-8-sig", nrows=20)
    src.loc[5, "requests_received_in_year"] = "12a"
    f = tmp_path / "broken.csv"
    src.to_csv(f, index=False)
    with pytest.raises(InputError) as err:
        load_sen2(f)
    msg = str(err.value)
    assert "broken.csv" in msg and "line 7" in msg and "requests_received_in_year" in msg and "12a" in msg


def test_missing_geography_column_raises(tmp_path):
    require_real_data()
    src = pd.read_csv(SEN2_2025 / "data" / "requests.csv", dtype=str, keep_default_na=False,
                      encoding="utf-8-sig", nrows=5).drop(columns="geographic_level")
    f = tmp_path / "nogeo.csv"
    src.to_csv(f, index=False)
    with pytest.raises(InputError, match="geographic_level"):
        load_sen2(f)


def test_zip_as_downloaded_reads_like_the_folder(tmp_path):
    require_real_data()
    z = tmp_path / "release.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(SEN2_2025 / "data" / "requests.csv", "data/requests.csv")
    a = load_sen2(z).series("requests")
    folder = tmp_path / "r"
    (folder / "data").mkdir(parents=True)
    shutil.copy(SEN2_2025 / "data" / "requests.csv", folder / "data" / "requests.csv")
    b = load_sen2(folder).series("requests")
    pd.testing.assert_frame_equal(a, b)


def test_every_placement_label_in_the_real_files_is_mapped(sen2):
    assert sen2.quality.unknown.empty, sen2.quality.unknown.head()


def test_placement_groups_add_to_the_published_total(sen2):
    g = sen2.placement_groups("caseload")
    la = g[(g.level == "la") & (g.la_code == "825")].groupby("year").value.sum()
    tot = sen2.series("caseload").query("la_code == '825'").set_index("year").value
    pd.testing.assert_series_equal(la.loc[tot.index], tot, check_names=False)


def test_reorganisations_flagged_and_aggregated(sen2):
    st = sen2.las.set_index("la_code").status
    assert st["928"] == "abolished" and st["940"] == "new" and st["941"] == "new"
    assert st["909"] == "abolished" and st["942"] == "new"
    assert st["825"] == "continuing"  # ONS code change only
    cl = sen2.series("caseload")
    comb = aggregate_successors(cl)
    n = comb[comb.la_code == "928+940+941"].set_index("year").value
    assert n[2021] == _value(cl, "928", 2021)
    assert n[2022] == _value(cl, "940", 2022) + _value(cl, "941", 2022)
    assert set(range(2010, 2025)) <= set(n.index)


def test_summary_regions_and_england(sen2):
    s = sen2.summary(["E92000001", "E12000008"])
    assert set(s.la_code) == {ENGLAND_CODE, "E12000008"}
    assert set(s.measure) == {"caseload", "requests", "assessments", "new_plans", "ceased"}
    with pytest.raises(KeyError, match="unknown LA code"):
        sen2.summary(["123"])

