"""The loader on the SHAPE of the full 2025 release and of next year's release.

The shared copy of the 2025 release has its newest year withheld (its need files keep
only the shares, two files are left out); forecasts are scored by running the package
on the full release.  These tests give the loader that shape with clearly fake values
(:mod:`tests.data.full_release`) and check it neither breaks nor mis-reads it.
"""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest

from sendforecast.data.sen2 import FRAMES, load_sen2
from sendforecast.data.sen2_schema import table_kind
from sendforecast.data.vintage import FLOW_FRAMES, published_by
from sendforecast.errors import InputError
from tests.conftest import SEN2_2025, real_releases, require_real_data
from tests.data import full_release as fr

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def withheld():
    """The shared (withheld) copy, as published to us."""
    require_real_data()
    return real_releases(SEN2_2025)


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """The full release's shape: left-out files, need counts, fake newest year."""
    require_real_data()
    d = fr.full_release(SEN2_2025, tmp_path_factory.mktemp("full") / "release-2025")
    return load_sen2(d)


@pytest.fixture(scope="module")
def side_by_side(tmp_path_factory):
    """This year's and next year's release in the full shape, Buckinghamshire's region
    only (read fast), in one folder ``sen2/``, with each loaded on its own."""
    require_real_data()
    root = tmp_path_factory.mktemp("side") / "sen2"
    r25 = fr.full_release(SEN2_2025, root / "release-2025", region="E12000008")
    r26 = fr.next_release(r25, root / "release-2026")
    return {"root": root, "dirs": (r25, r26), "2025": load_sen2(r25), "2026": load_sen2(r26)}


def _sorted(f: pd.DataFrame) -> pd.DataFrame:
    return f.sort_values(list(f.columns)).reset_index(drop=True)


def test_left_out_files_are_not_sen2_tables_this_library_reads(tmp_path):
    require_real_data()
    fr.add_left_out_files(SEN2_2025, tmp_path)
    for name in ("annual_reviews.csv", "work_based_placements.csv"):
        df = fr.read(tmp_path / "data" / name)
        assert {"breakdown_topic", "breakdown", "total_ehc_plans" if name.startswith("annual")
                else "open_wbp"} <= set(df.columns)
        assert {"c", "z", "x"} <= set(df.to_numpy().ravel())
        assert table_kind(set(df.columns), df) is None
    # a path holding only them is refused as "no SEN2 table", not read as one
    with pytest.raises(InputError, match="at least one SEN2 table"):
        load_sen2(tmp_path / "data" / "annual_reviews.csv")


def test_need_files_with_counts_are_need_share_tables_read_identically(tmp_path):
    require_real_data()
    for name in ("sen_needs_all_plans.csv", "sen_need_newplans.csv"):
        (tmp_path / "data").mkdir(exist_ok=True)
        (tmp_path / "data" / name).symlink_to(SEN2_2025 / "data" / name)
    fr.add_need_counts(tmp_path)
    df = fr.read(tmp_path / "data" / "sen_needs_all_plans.csv")
    assert {"ehc_plans", "number_asd", "number_need_unknown", "asd_pc"} <= set(df.columns)
    assert table_kind(set(df.columns), df) == "needs_2025"
    with_counts = load_sen2(tmp_path)
    shares_only = load_sen2(SEN2_2025 / "data" / "sen_needs_all_plans.csv",
                            SEN2_2025 / "data" / "sen_need_newplans.csv")
    a, b = _sorted(with_counts.need_shares), _sorted(shares_only.need_shares)
    pd.testing.assert_frame_equal(a, b)
    assert set(a.scope) == {"all_plans", "new_plans"} and a.value.max() <= 1.0  # fractions, not counts
    assert not any("number_" in n or "ehc_plans" in n for n in with_counts.quality.notes)


def test_full_release_loads_every_withheld_year_identically(full, withheld):
    notes = set(full.quality.notes) - set(withheld.quality.notes)
    assert notes == {"annual_reviews.csv: not a SEN2 table this library reads (skipped)",
                     "work_based_placements.csv: not a SEN2 table this library reads (skipped)"}
    for k in FRAMES:
        old, new = getattr(withheld, k), getattr(full, k)
        if k in ("need_shares", "movers"):  # single year already (or absent): unchanged
            pd.testing.assert_frame_equal(_sorted(new), _sorted(old), obj=k)
            continue
        last = int(old.year.max())
        assert int(new.year.max()) == last + 1, k
        pd.testing.assert_frame_equal(_sorted(new[new.year <= last]), _sorted(old), obj=k)
        # the fake year is the last one relabelled: same rows, same values (NaN where suppressed)
        a = new[new.year == last + 1].assign(year=last)
        pd.testing.assert_frame_equal(_sorted(a), _sorted(old[old.year == last]), obj=k)
    # a backtest from January 2024 on the full release sees what the withheld copy holds
    # (need shares apart: January 2025's were not published by June 2024)
    cut = published_by(full, int(withheld.caseload.year.max()))
    for k in FRAMES:
        if k != "need_shares":
            pd.testing.assert_frame_equal(_sorted(getattr(cut, k)), _sorted(getattr(withheld, k)), obj=k)


def test_full_release_newest_years(full, withheld):
    # caseload: January 2024 -> January 2025; flows: calendar 2023 -> 2024
    assert int(withheld.caseload.year.max()) == 2024 and int(full.caseload.year.max()) == 2025
    for k in ("new_plans", "ceased", "requests", "assessments", "timeliness"):
        assert int(getattr(withheld, k).year.max()) == 2023, k
        assert int(getattr(full, k).year.max()) == 2024, k
    # the need shares now sit in the caseload's and the flows' newest years
    ns = full.need_shares
    assert ns[ns.scope == "all_plans"].year.max() == full.caseload.year.max()
    assert ns[ns.scope == "new_plans"].year.max() == full.new_plans.year.max()
    # the LA lookup and headline series carry on into the new year
    assert set(full.la_codes()) == set(withheld.la_codes())
    s = full.series("caseload").set_index(["la_code", "year"]).value
    assert s[("825", 2025)] == s[("825", 2024)] == 6697  # relabelled, unchanged


def test_full_release_merges_with_the_2022_release_newest_first(side_by_side):
    from tests.conftest import SEN2_2022

    r25 = side_by_side["dirs"][0]
    both = load_sen2(r25 / "data" / "caseload.csv", SEN2_2022 / "data" / "sen2_age_caseload.csv")
    note = [n for n in both.quality.notes if n.startswith("Releases merged")]
    assert note and "caseload.csv (latest January 2025), then sen2_age_caseload.csv (latest January 2022)" \
        in note[0]
    s = both.series("caseload").set_index(["la_code", "year"]).value
    assert s[("825", 2010)] > 0 and s[("825", 2025)] == 6697


def test_next_years_release_shape(side_by_side):
    """Next year's release in this shape (every year one later) loads with every frame one
    year on, and published_by of its newest January is all of it."""
    this, nxt = side_by_side["2025"], side_by_side["2026"]
    for k in FRAMES:
        a, b = getattr(this, k), getattr(nxt, k)
        if len(a):
            assert int(b.year.max()) == int(a.year.max()) + 1, k
            assert len(a) == len(b), k
    T = int(nxt.caseload.year.max())
    assert T == 2026
    cut = published_by(nxt, T)
    for k in FRAMES:
        assert len(getattr(cut, k)) == len(getattr(nxt, k)), k
    assert all(getattr(published_by(nxt, T - 1), k).year.max() <= T - 2 for k in FLOW_FRAMES
               if len(getattr(nxt, k)))
    assert np.isclose(nxt.need_shares.value.sum(), this.need_shares.value.sum())


def _zip(folder, target):
    """A release folder zipped with the EES layout (``data/...csv`` inside)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.rglob("*.csv")):
            zf.write(f, f.relative_to(folder).as_posix())
    return target


def test_a_folder_holding_this_and_next_years_release_reads_newest_first(side_by_side, tmp_path):
    """Next year, the 2025 and 2026 releases sit side by side: two release folders in one
    folder, or the two zips the download cache keeps (``sen2-2025.zip``, ``sen2-2026.zip``).
    Given that one folder, the newer release must win where both hold a slice, exactly as
    when each is given on its own (it was the older one: the first in name order)."""
    r25, r26 = side_by_side["dirs"]
    apart = load_sen2(r26, r25)
    (tmp_path / "cache").mkdir()
    for r in (r25, r26):
        _zip(r, tmp_path / "cache" / f"sen2-{r.name[-4:]}.zip")
    for together in (load_sen2(side_by_side["root"]), load_sen2(tmp_path / "cache")):
        for k in FRAMES:
            pd.testing.assert_frame_equal(getattr(together, k), getattr(apart, k), obj=k)
        assert any(n.startswith("Releases merged") and "(latest January 2026), then" in n
                   for n in together.quality.notes)
    s = apart.series("caseload").set_index(["la_code", "year"]).value
    assert s[("825", 2025)] == 6697 and s[("825", 2024)] != 6697  # 2026's 2024 is 2025's 2023


def test_a_placement_column_added_next_year_is_named_not_dropped_silently(tmp_path):
    """DfE adds placement types between releases (``await_prov_2022`` came in 2022): a
    new column of the caseload/new-plans tables is not read, and the note says so (its
    plans then show only in the total, as the placements vs total checks report)."""
    require_real_data()
    src = fr.read(SEN2_2025 / "data" / "caseload.csv")
    part = src[src.old_la_code.isin(["825", "826"]) & (src.breakdown_topic == "All EHC plans")]
    before = tmp_path / "a" / "caseload.csv"
    fr.write(part, before)
    after = tmp_path / "b" / "caseload.csv"
    fr.write(part.assign(special_new_type="7", special_new_type_pc="0.1"), after)
    a, b = load_sen2(before), load_sen2(after)
    pd.testing.assert_frame_equal(a.caseload, b.caseload)
    new = set(b.quality.notes) - set(a.quality.notes)
    assert len(new) == 1 and "'special_new_type' is not a placement this library knows" in new.pop()
    assert not any("special_new_type" in n for n in a.quality.notes)


def test_a_need_column_added_next_year_is_named_not_dropped_silently(tmp_path):
    require_real_data()
    src = fr.read(SEN2_2025 / "data" / "sen_need_newplans.csv")
    part = src[src.old_la_code.isin(["825", "826"])]
    a, b = (tmp_path / x / "data" / "sen_need_newplans.csv" for x in "ab")
    fr.write(part, a)
    fr.add_need_counts(tmp_path / "a")  # the full release's counts are known, not new
    fr.write(fr.read(a).assign(dsy_pc="0.4", number_dsy="4"), b)
    a, b = load_sen2(a), load_sen2(b)
    pd.testing.assert_frame_equal(a.need_shares, b.need_shares)
    new = set(b.quality.notes) - set(a.quality.notes)
    assert len(new) == 1 and "'dsy_pc' is not a need this library knows" in new.pop()
    assert not any("number_" in n or "ehc_plans" in n for n in a.quality.notes)
