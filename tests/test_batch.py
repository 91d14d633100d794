"""The all-LA batch: one folder per LA, national tables, failures kept, loky and Dask alike."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from sendforecast.batch import run_batch
from sendforecast.cli import main
from sendforecast.data.example import EXAMPLE_DIR, EXAMPLE_LA_CODE
from sendforecast.errors import NotFoundError, UsageError
from tests.conftest import SEN2_2022, SEN2_2025, require_real_data

SMALL = {"horizon": 3, "draws": 40, "seed": 5}
TWIN = "998"  # a second synthetic LA: Exampleshire with every count doubled


@pytest.fixture(scope="module")
def two_las(example):
    """Exampleshire (999) and a twin (998) twice its size, in one SEN2Data."""
    frames = {}
    for f in dataclasses.fields(example):
        v = getattr(example, f.name)
        if isinstance(v, pd.DataFrame) and {"level", "la_code", "value"} <= set(v.columns) \
                and f.name != "las":
            twin = v[(v.level == "la") & (v.la_code == EXAMPLE_LA_CODE)].copy()
            twin["la_code"] = TWIN
            if f.name != "need_shares":  # shares stay shares
                twin["value"] = twin["value"] * 2
            frames[f.name] = pd.concat([v, twin], ignore_index=True)
    las = example.las
    row = las[las.la_code == EXAMPLE_LA_CODE].assign(la_code=TWIN, la_name="Twinshire")
    return dataclasses.replace(example, **frames, las=pd.concat([las, row], ignore_index=True))


@pytest.fixture(scope="module")
def batch(two_las, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch")
    return run_batch(two_las, "all", out, jobs=2, progress=False, **SMALL)


def test_batch_writes_a_folder_per_la_and_national_tables(batch, two_las):
    assert batch.done == [TWIN, EXAMPLE_LA_CODE]  # data order (sorted codes), not finish order
    assert batch.failures.empty
    for code in batch.done:
        assert (batch.out_dir / code / "workbook.xlsx").is_file()
        assert (batch.out_dir / code / "projection.csv").is_file()
    hnb = pd.read_csv(batch.out_dir / "hnb_cost_by_la.csv", dtype={"la_code": str})
    assert set(hnb.la_code) == {TWIN, EXAMPLE_LA_CODE}
    assert hnb.groupby("la_code").size().tolist() == [3, 3]  # one row per financial year
    q = hnb[["p2_5", "p10", "mean", "p90", "p97_5"]].to_numpy()
    assert (np.diff(q, axis=1) >= 0).all()  # intervals nest around the mean
    # the twin has twice the children, so about twice the cost
    by = hnb.groupby("la_code")["mean"].sum()
    assert 1.7 < by[TWIN] / by[EXAMPLE_LA_CODE] < 2.3
    cl = pd.read_csv(batch.out_dir / "caseload_by_la.csv", dtype={"la_code": str})
    assert cl.groupby("la_code").size().tolist() == [3, 3]
    about = json.loads((batch.out_dir / "batch.json").read_text())
    assert about["LAs done"] == 2 and about["seed"] == 5 and "wall" not in json.dumps(about)


def test_batch_folder_is_the_single_la_run(batch, two_las, tmp_path):
    from sendforecast.workflow import run_main_job

    run_main_job(two_las, TWIN, tmp_path, progress=False, **SMALL)
    for name in ("projection.csv", "costs.csv", "projection_totals.csv", "run.json"):
        assert (tmp_path / name).read_bytes() == (batch.out_dir / TWIN / name).read_bytes(), name


def test_batch_keeps_going_past_a_failing_la(two_las, tmp_path, monkeypatch):
    import sendforecast.workflow as workflow

    real = workflow.run_main_job

    def flaky(data, la, *a, **k):
        if la == TWIN:
            raise KeyError("age")
        return real(data, la, *a, **k)

    monkeypatch.setattr(workflow, "run_main_job", flaky)  # in-process: sequential backend
    res = run_batch(two_las, [TWIN, EXAMPLE_LA_CODE], tmp_path, jobs=1, progress=False, **SMALL)
    assert res.done == [EXAMPLE_LA_CODE]
    f = pd.read_csv(tmp_path / "failures.csv", dtype={"la_code": str})
    assert f.la_code.tolist() == [TWIN] and f.error_type.tolist() == ["KeyError"]
    assert f.message[0].startswith("not found: 'age'")
    assert set(pd.read_csv(tmp_path / "hnb_cost_by_la.csv", dtype={"la_code": str}).la_code) \
        == {EXAMPLE_LA_CODE}


def test_batch_rejects_unknown_codes_before_running(two_las, tmp_path):
    with pytest.raises(NotFoundError, match="123"):
        run_batch(two_las, ["999", "123"], tmp_path, progress=False, **SMALL)
    with pytest.raises(UsageError):
        run_batch(two_las, [], tmp_path, progress=False, **SMALL)


def test_batch_on_a_dask_cluster_matches_loky(batch, two_las, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        res = run_batch(two_las, "all", tmp_path, scheduler=cluster.scheduler_address,
                        progress=False, **SMALL)
    assert res.done == batch.done and res.backend.startswith("dask")
    for name in ("hnb_cost_by_la.csv", f"{TWIN}/projection.csv"):
        assert (tmp_path / name).read_bytes() == (batch.out_dir / name).read_bytes()


def test_cli_run_la_all_on_example_data(tmp_path, capsys):
    rc = main(["run", "--data", str(EXAMPLE_DIR), "--la", "all", "--draws", "20", "--horizon", "2",
               "--jobs", "1", "--out", str(tmp_path)])
    assert rc == 0
    assert "1 LA(s) done, 0 failed" in capsys.readouterr().out
    assert (tmp_path / EXAMPLE_LA_CODE / "workbook.xlsx").is_file()
    assert (tmp_path / "failures.csv").read_text().strip() == "la_code,la_name,error_type,message"


def test_cli_batch_refuses_one_hnb_file_for_several_las(tmp_path, capsys):
    require_real_data()
    hnb = EXAMPLE_DIR / "exampleshire_hnb.yaml"
    rc = main(["run", "--data", str(SEN2_2025), str(SEN2_2022), "--la", "825,826",
               "--hnb", str(hnb), "--out", str(tmp_path)])
    assert rc == 2
    err = capsys.readouterr().err
    assert "--hnb" in err and "folder" in err and "825.yaml" in err


def test_cli_batch_on_real_las_with_per_la_inputs(tmp_path, capsys):
    """Two real LAs; one has an allocation and places in per-LA folders, the other none."""
    require_real_data()
    hnb_dir, cap_dir = tmp_path / "hnb", tmp_path / "places"
    hnb_dir.mkdir()
    cap_dir.mkdir()
    (hnb_dir / "826.yaml").write_text((EXAMPLE_DIR / "exampleshire_hnb.yaml").read_text())
    (cap_dir / "826.csv").write_text((EXAMPLE_DIR / "exampleshire_capacity.csv").read_text())
    rc = main(["run", "--data", str(SEN2_2025), str(SEN2_2022), "--la", "825,826",
               "--hnb", str(hnb_dir), "--capacity", str(cap_dir), "--draws", "30",
               "--years", "3", "--jobs", "2", "--out", str(tmp_path / "out")])
    assert rc == 0, capsys.readouterr().err
    out = tmp_path / "out"
    assert (out / "826" / "dsg_balance.csv").is_file()
    assert not (out / "825" / "dsg_balance.csv").exists()  # no allocation: no balance
    full = pd.read_csv(out / "first_full_year_by_la.csv", dtype={"la_code": str})
    assert set(full.la_code) == {"826"} and len(full) > 0
    about = json.loads((out / "batch.json").read_text())
    assert about["LAs with an HNB allocation"] == ["826"]
