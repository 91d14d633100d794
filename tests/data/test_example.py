"""Tests of the synthetic example LA generator (``sendforecast.data.example`` and its
``example_params``, ``example_simulation`` and ``example_files`` modules)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sendforecast.data import example as ex
from sendforecast.data import example_files as files
from sendforecast.data import example_params as params
from sendforecast.data.taxonomy import PLACEMENT_GROUPS
from tests.conftest import SEN2_2025

REAL_2025 = SEN2_2025 / "data"
STEMS = list(files.FILE_COLUMNS)
ID_COLS = 12  # time_period … breakdown


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return ex.generate_example()


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _n(df: pd.DataFrame, cols: list[str] | str) -> pd.DataFrame | pd.Series:
    """Numbers with ``x`` read as 0 (for sums) - only used where ``x`` means "not shown"."""
    return df[cols].replace("x", "0").astype(int)


def _all_row(df: pd.DataFrame) -> pd.DataFrame:
    return df[df.breakdown_topic == df.breakdown]


# ----------------------------------------------------------------------------- reproducibility
def test_same_seed_gives_identical_frames(frames):
    again = ex.generate_example(ex.DEFAULT_SEED)
    assert list(again) == STEMS
    for stem in STEMS:
        pd.testing.assert_frame_equal(frames[stem], again[stem])


def test_different_seed_gives_different_frames(frames):
    other = ex.generate_example(ex.DEFAULT_SEED + 1)
    for stem in ("exampleshire_caseload", "exampleshire_newplans", "exampleshire_requests"):
        assert not frames[stem].equals(other[stem]), stem


def test_shipped_csvs_equal_a_fresh_generation(frames):
    # the generated SEN2-shaped tables are all shipped (hand-written inputs such as
    # costs and capacity sit beside them)
    shipped = {p.name for p in ex.EXAMPLE_DIR.glob("*.csv")}
    assert {f"{s}.csv" for s in STEMS} <= shipped
    for stem in STEMS:
        path = ex.EXAMPLE_DIR / f"{stem}.csv"
        assert path.read_bytes()[:3] == b"\xef\xbb\xbf", "UTF-8 with BOM like the release"
        pd.testing.assert_frame_equal(_read(path), frames[stem], check_dtype=False)


def test_write_example_and_cli(tmp_path):
    paths = ex.write_example(tmp_path / "api", seed=3)
    assert [p.stem for p in paths] == STEMS
    assert ex.main(["--out", str(tmp_path / "cli"), "--seed", "3"]) == 0
    for p in paths:
        assert p.read_bytes()[:3] == b"\xef\xbb\xbf"
        assert p.read_bytes() == (tmp_path / "cli" / p.name).read_bytes()
    assert not _read(paths[0]).equals(_read(ex.EXAMPLE_DIR / paths[0].name))  # seed 3 != 2025


def test_default_seed_rewrites_the_shipped_files_byte_for_byte(tmp_path):
    for path in ex.write_example(tmp_path):
        assert path.read_bytes() == (ex.EXAMPLE_DIR / path.name).read_bytes(), path.name


def test_example_inputs_beside_the_generated_files_read():
    from sendforecast.data.local import read_capacity, read_unit_costs

    assert {ex.EXAMPLE_COSTS.parent, ex.EXAMPLE_CAPACITY.parent, ex.EXAMPLE_HNB.parent} == {ex.EXAMPLE_DIR}
    assert ex.EXAMPLE_HNB.suffix == ".yaml" and ex.EXAMPLE_HNB.is_file()
    assert not {ex.EXAMPLE_COSTS.stem, ex.EXAMPLE_CAPACITY.stem} & set(STEMS)  # hand-written
    assert len(read_unit_costs(ex.EXAMPLE_COSTS)) > 0
    assert set(read_capacity(ex.EXAMPLE_CAPACITY).provision) <= set(PLACEMENT_GROUPS)


# ----------------------------------------------------------------------------- shape
def test_identity_columns_and_periods(frames):
    assert ex.EXAMPLE_LA_CODE == "999"
    expected_periods = {
        "exampleshire_caseload": ["201819", "201920", "202021", "202122", "202223", "202324"],
        "exampleshire_ceased_plans": ["2022", "2023"],
    }
    for stem, df in frames.items():
        assert list(df.columns) == files.FILE_COLUMNS[stem]
        for col, value in params.GEOGRAPHY.items():
            assert (df[col] == value).all(), (stem, col)
        academic = stem == "exampleshire_caseload"
        assert (df.time_identifier == ("Academic year" if academic else "Calendar year")).all()
        periods = expected_periods.get(stem, ["2019", "2020", "2021", "2022", "2023"])
        assert sorted(df.time_period.unique()) == periods, stem
        # one "All" row per period, always first
        assert df.groupby("time_period", sort=False).head(1).eq(_all_row(df)).all().all()
        assert _all_row(df).time_period.tolist() == periods
        # cells are non-negative integers, 1-dp percentages or `x`; nothing else
        values = df.iloc[:, ID_COLS:].to_numpy().ravel()
        assert all(v == "x" or v.replace(".", "", 1).isdigit() for v in values), stem
        assert not df.duplicated(["time_period", "breakdown_topic", "breakdown"]).any()


def test_age_breakdowns(frames):
    ca = frames["exampleshire_caseload"]
    ages = ["under 3"] + [f"age {a}" for a in range(3, 26)]
    for tp, g in ca.groupby("time_period"):
        by_age = g[g.breakdown_topic == "Child or young persons age"]
        assert set(by_age.breakdown) <= set(ages)
        assert len(by_age) >= 22, tp  # every year has (almost) every age
    start = ["age 2 and under"] + [f"age {a}" for a in range(3, 20)] + ["age 20 and over"]
    npl = frames["exampleshire_newplans"]
    for _, g in npl.groupby("time_period"):
        assert set(g[g.breakdown_topic == "Age when plan started"].breakdown) <= set(start)
    ce = frames["exampleshire_ceased_plans"]
    assert set(ce[ce.breakdown_topic == "Age plan ceased"].breakdown) <= set(start)
    for stem, prefix in (("exampleshire_requests", "Aged"), ("exampleshire_assessments", "Aged"),
                         ("exampleshire_timeliness_20_week", "age")):
        df = frames[stem]
        by_age = df[df.breakdown_topic == "Child or young persons age"]
        assert set(by_age.time_period) == {"2023"}
        assert by_age.breakdown.str.startswith(prefix).all()


# ----------------------------------------------------------------------------- consistency
def _placement_parts(ops_inside: bool) -> dict[str, list[str]]:
    ee = [c for c in params.ELSEWHERE if ops_inside or c != "other_placement_settings"]
    return {"mainstream_total": params.MAINSTREAM, "special_total": params.SPECIAL,
            "ap_pru_total": params.AP_PRU, "fe_total": params.FE, "ed_elsewhere": ee}


@pytest.mark.parametrize("stem,total", [("exampleshire_caseload", "ehcplans"),
                                        ("exampleshire_newplans", "new_ehc_plans")])
def test_placement_rows_are_consistent(frames, stem, total):
    df = frames[stem]
    counts = [c for c in files.FILE_COLUMNS[stem][ID_COLS:] if not c.lower().endswith("_pc")]
    for tp, g in df.groupby("time_period"):
        year = int(tp[:4]) + 1 if len(tp) == 6 else int(tp)
        ops_inside = year >= 2024 if stem == "exampleshire_caseload" else year >= 2022
        hidden_neet = stem == "exampleshire_newplans" and year <= 2021
        # per-age rows sum to the "All" row in every count column (x stays x)
        all_row, by_age = _all_row(g), g[g.breakdown_topic != g.breakdown]
        for c in counts:
            if (all_row[c] == "x").all():
                assert (by_age[c] == "x").all(), (tp, c)
            else:
                assert _n(by_age, c).sum() == int(all_row[c].iloc[0]), (tp, c)
        # subtotals = their parts; total = subtotals + the rest
        for sub, parts in _placement_parts(ops_inside).items():
            if sub == "ed_elsewhere" and hidden_neet:  # NEET shown as x but counted
                assert (_n(g, sub) >= _n(g, parts).sum(axis=1)).all(), tp
                assert (g[["neet", "neet_ntci", "neet_other"]] == "x").all().all()
            else:
                assert (_n(g, sub) == _n(g, parts).sum(axis=1)).all(), (tp, sub)
        rest = ["nm_early_years", "placement_unknown", "await_prov_2022", "perm_ex_2022"]
        rest += [] if ops_inside else ["other_placement_settings"]
        top = _n(g, list(_placement_parts(ops_inside)) + rest).sum(axis=1)
        assert (top == _n(g, total)).all(), tp
        # percentages of the total, 1 dp
        for pc, sub in {"mainstream_total_pc": "mainstream_total",
                        "special_total_pc": "special_total", "AP_PRU_total_pc": "ap_pru_total",
                        "fe_total_pc": "fe_total", "ed_elsewhere_pc": "ed_elsewhere",
                        "nm_early_years_pc": "nm_early_years",
                        "placement_unknown_pc": "placement_unknown"}.items():
            shown = g[sub] != "x"
            assert ((g[pc] == "x") == ~shown).all(), (tp, pc)
            exact = 100 * _n(g[shown], sub) / _n(g[shown], total)
            assert np.allclose(g.loc[shown, pc].astype(float), exact, atol=0.05 + 1e-9), (tp, pc)


def test_suppression_pattern_follows_the_release(frames):
    ca = _all_row(frames["exampleshire_caseload"]).set_index("time_period")
    always_x = ["online_provider", "w_settings", "other_schools"]
    assert (ca[always_x] == "x").all().all()
    early = ["201819", "201920", "202021", "202122"]
    for c in ["ukrlp_provider", "neet_ntci", "neet_other", "neet_other_csa", "placement_unknown"]:
        assert (ca.loc[early, c] == "x").all() and (ca.loc[["202223", "202324"], c] != "x").all()
    assert (ca.loc[early, ["await_prov_2022", "perm_ex_2022"]] != "x").all().all()
    assert (ca.loc[["202223", "202324"], ["await_prov_2022", "perm_ex_2022"]] == "x").all().all()
    assert ca.elective_home_education.eq("x").tolist() == [True] + [False] * 5
    rq = _all_row(frames["exampleshire_requests"]).set_index("time_period")
    assert (rq.loc[["2019", "2020", "2021", "2022"], "requests_decided_to_assess"] == "x").all()
    assert (rq.requests_received_in_year != "x").all()
    tl = _all_row(frames["exampleshire_timeliness_20_week"]).set_index("time_period")
    assert (tl.loc["2022", "plans_issued_gt20weeks_ltYear"] == "x")
    assert (tl.loc["2023"] != "x").all()


def test_flow_breakdowns_sum_to_all(frames):
    for stem in ("exampleshire_requests", "exampleshire_assessments",
                 "exampleshire_timeliness_20_week", "exampleshire_ceased_plans"):
        df = frames[stem]
        counts = [c for c in df.columns[ID_COLS:] if "pc" not in c.lower()]
        for tp, g in df.groupby("time_period"):
            for topic, rows in g[g.breakdown_topic != g.breakdown].groupby("breakdown_topic"):
                if topic == "Type of placement":
                    rows = rows[~rows.breakdown.str.endswith(" - total")]
                assert (_n(rows, counts).sum() == _n(_all_row(g), counts).iloc[0]).all(), (
                    stem, tp, topic)


def test_ceased_reasons_and_placement_totals(frames):
    ce = frames["exampleshire_ceased_plans"]
    assert (_n(ce, params.CEASED_REASONS).sum(axis=1) == _n(ce, "total_ceased")).all()
    for _, g in ce.groupby("time_period"):
        tp = g[g.breakdown_topic == "Type of placement"].set_index("breakdown")
        for prefix in ("Mainstream", "Special", "AP/PRU", "FE", "Educated elsewhere"):
            parts = tp[tp.index.str.startswith(prefix + " - ") & ~tp.index.str.endswith("total")]
            if f"{prefix} - total" in tp.index:
                assert int(tp.loc[f"{prefix} - total", "total_ceased"]) == _n(
                    parts, "total_ceased").sum()
            else:
                assert parts.empty


def test_pipeline_outcomes_add_up(frames):
    rq = frames["exampleshire_requests"]
    r23 = rq[rq.time_period == "2023"]
    parts = ["requests_decided_to_assess", "requests_decided_not_to_assess",
             "requests_decision_not_made", "requests_withdrawn"]
    assert (_n(r23, parts).sum(axis=1) == _n(r23, "requests_received_in_year")).all()
    six = _n(r23, ["request_outcome_six_weeks", "request_outcome_over_6_weeks"]).sum(axis=1)
    decided = _n(r23, parts[:2]).sum(axis=1)
    assert (six == decided).all()
    assert (_n(rq, "requests_decided_not_to_assess") <= _n(rq, "requests_received_in_year")).all()
    asm = frames["exampleshire_assessments"]
    shown = asm[asm.assess_not_made != "x"]
    parts = ["assess_issued", "assess_not_issued", "assess_not_made", "assess_withdrawn"]
    assert (_n(shown, parts).sum(axis=1) == _n(shown, "assess_in_year")).all()
    a23 = _all_row(asm).set_index("time_period").loc["2023"]
    assert int(a23.assess_in_year) == int(_all_row(r23).requests_decided_to_assess.iloc[0])
    tl = frames["exampleshire_timeliness_20_week"]
    t23 = tl[tl.time_period == "2023"]
    for suffix in ("", "_ex"):
        bands = ["plans_issued_within_20_weeks" if not suffix else "plans_issued_20_weeks_ex",
                 f"plans_issued_gt20weeks_ltYear{suffix}", f"plans_issued_gt_1_year{suffix}"]
        assert (_n(t23, bands).sum(axis=1) == _n(t23, f"plans_issued_den{suffix}")).all()
    assert (_n(tl, "plans_issued_den_ex") <= _n(tl, "plans_issued_den")).all()
    assert (_n(tl, "plans_issued_20_weeks_ex") <= _n(tl, "plans_issued_within_20_weeks")).all()
    # plans issued = assessments issued = new plans, by year
    new = _n(_all_row(frames["exampleshire_newplans"]).set_index("time_period"), "new_ehc_plans")
    issued = _n(_all_row(asm).set_index("time_period"), "assess_issued")
    den = _n(_all_row(tl).set_index("time_period"), "plans_issued_den")
    assert new.equals(issued) and new.equals(den)


def test_stock_roughly_conserved(frames):
    stock = _n(_all_row(frames["exampleshire_caseload"]), "ehcplans").tolist()
    new = _n(_all_row(frames["exampleshire_newplans"]), "new_ehc_plans").tolist()
    ceased = dict(zip(*_all_row(frames["exampleshire_ceased_plans"])[
        ["time_period", "total_ceased"]].T.values, strict=True))
    for k, year in enumerate(params.FLOW_YEARS):
        if str(year) not in ceased:
            continue
        predicted = stock[k] + new[k] - int(ceased[str(year)])
        assert abs(stock[k + 1] - predicted) <= 0.04 * stock[k], year


# ----------------------------------------------------------------------------- magnitudes
def test_magnitudes_are_plausible_for_a_mid_sized_county(frames):
    ca = _all_row(frames["exampleshire_caseload"])
    stock = _n(ca, "ehcplans").to_numpy()
    assert 3600 <= stock[0] <= 4400 and 5700 <= stock[-1] <= 7000
    growth = stock[1:] / stock[:-1] - 1
    assert ((growth > 0.04) & (growth < 0.15)).all(), growth
    req = _n(_all_row(frames["exampleshire_requests"]), "requests_received_in_year").to_numpy()
    assert 750 <= req[0] <= 1050 and 1300 <= req[-1] <= 1700
    r23 = _all_row(frames["exampleshire_requests"]).iloc[-1]
    assert 68 <= float(r23.request_assess_pc) <= 82
    a = _all_row(frames["exampleshire_assessments"])
    assert (_n(a, "assess_issued") / _n(a, ["assess_issued", "assess_not_issued"]).sum(axis=1)
            > 0.85).all()
    ceased = _n(_all_row(frames["exampleshire_ceased_plans"]), "total_ceased").to_numpy()
    assert ((ceased > 0.05 * stock[3:5]) & (ceased < 0.11 * stock[3:5])).all()
    last = ca.iloc[-1]
    shares = {c: float(last[c]) for c in ("mainstream_total_pc", "special_total_pc",
                                          "fe_total_pc", "ed_elsewhere_pc")}
    assert 40 <= shares["mainstream_total_pc"] <= 48, shares
    assert 30 <= shares["special_total_pc"] <= 38, shares
    assert 12 <= shares["fe_total_pc"] <= 17, shares
    assert 3 <= shares["ed_elsewhere_pc"] <= 8, shares
    indep = _n(ca, ["special_independent", "special_non_maintained"]).sum(axis=1)
    assert ((indep / _n(ca, "ehcplans") > 0.07) & (indep / _n(ca, "ehcplans") < 0.11)).all()
    # age profile: peak in 10-15, few at 25; FE only from 14; early years only under 6
    by_age = frames["exampleshire_caseload"]
    by_age = by_age[(by_age.time_period == "202324") & (by_age.breakdown != "All EHC plans")]
    by_age = by_age.set_index("breakdown")
    peak = _n(by_age, "ehcplans").idxmax()
    assert peak in {f"age {a}" for a in range(10, 16)}, peak
    young = [b for b in by_age.index if b == "under 3" or int(b.split()[1]) < 14]
    assert _n(by_age.loc[young], "fe_total").sum() <= 5
    old = [b for b in by_age.index if b != "under 3" and int(b.split()[1]) >= 6]
    assert _n(by_age.loc[old], "nm_early_years").sum() == 0


# ----------------------------------------------------------------------------- real headers
@pytest.mark.realdata
def test_columns_and_labels_match_the_real_release(frames):
    if not REAL_2025.is_dir():
        pytest.skip(f"real SEN2 2025 release files not found at {REAL_2025}")
    for stem, real_name in files.REAL_FILE_NAMES.items():
        real_path = REAL_2025 / real_name
        header = pd.read_csv(real_path, nrows=0, encoding="utf-8-sig").columns.tolist()
        assert list(frames[stem].columns) == header, stem
        real = pd.read_csv(real_path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                           usecols=["time_period", "time_identifier", "geographic_level",
                                    "breakdown_topic", "breakdown"])
        ours = frames[stem]
        assert set(ours.time_period) <= set(real.time_period), stem
        assert set(ours.time_identifier) <= set(real.time_identifier), stem
        assert set(ours.geographic_level) <= set(real.geographic_level), stem
        real_pairs = set(zip(real.breakdown_topic, real.breakdown, strict=True))
        our_pairs = set(zip(ours.breakdown_topic, ours.breakdown, strict=True))
        assert our_pairs <= real_pairs, (stem, sorted(our_pairs - real_pairs))
