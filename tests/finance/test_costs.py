"""Cost assumptions, financial-year conversion and cost draws (hand-computed cases)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from sendforecast.errors import InputError
from sendforecast.finance.costs import (
    CostAssumptions,
    FixedLine,
    TransportCost,
    UnitCost,
    apply_costs,
)
from sendforecast.years import financial_year_stock, fy_label, fy_start


def test_fy_labels():
    assert fy_label(2026) == "2026-27"
    assert fy_label(1999) == "1999-00"
    assert fy_start("2026-27") == 2026
    for bad in ("2026/27", "2026-28", "26-27"):
        with pytest.raises(ValueError):
            fy_start(bad)


def test_financial_year_stock_hand_computed():
    # weights (15, 32, 1)/48 of Januaries y, y+1, y+2; last year flat: (15, 33)/48
    fy, labels = financial_year_stock(np.array([100.0, 148.0, 196.0]), [2024, 2025, 2026])
    assert labels == ["2024-25", "2025-26"]
    assert fy[0] == pytest.approx(134.0)  # linear growth: the mid-October value 100 + 48 * 8.5/12
    assert fy[1] == pytest.approx((15 * 148 + 33 * 196) / 48)  # = 181
    fy, _ = financial_year_stock(np.array([0.0, 48.0, 0.0]), [2024, 2025, 2026])
    assert fy.tolist() == pytest.approx([32.0, 15.0])
    # leading axes are kept
    fy, _ = financial_year_stock(np.ones((2, 3, 4)), [2020, 2021, 2022, 2023])
    assert fy.shape == (2, 3, 3) and np.allclose(fy, 1)
    with pytest.raises(ValueError):
        financial_year_stock(np.ones(3), [2020, 2022, 2023])


def _assumptions() -> CostAssumptions:
    return CostAssumptions(
        unit_costs=[
            UnitCost(placement_group="state_special", line="place_funding", annual_cost=10000,
                     inflation=0, price_year="2024-25", source="t"),
            UnitCost(placement_group="state_special", line="top_up", annual_cost=7313,
                     inflation=0.03, price_year="2022-23", source="t"),
            UnitCost(placement_group="independent_special", line="fees", annual_cost=64000,
                     inflation=0.043, price_year="2024-25", source="t"),
        ],
        transport=[TransportCost(placement_group="state_special", annual_cost=5000,
                                 price_year="2025-26", source="t")],
        fixed_lines=[FixedLine(name="central", amount=1_000_000, growth=0.02,
                               price_year="2024-25", source="t")])


def test_apply_costs_hand_computed():
    fy = ["2025-26", "2026-27"]
    stock = np.array([[[10.0, 5.0], [12.0, 6.0]]])  # [draw, fy, state]
    cd = apply_costs(stock, _assumptions(), fy, ["state_special", "independent_special"])
    assert cd.lines == ["state_special", "independent_special", "central", "transport:state_special"]
    assert cd.kinds == ["placement", "placement", "fixed", "transport"]
    v = cd.values[0]
    assert v[0, 0] == pytest.approx(10 * (10000 + 7313 * 1.03**3))
    assert v[1, 0] == pytest.approx(12 * (10000 + 7313 * 1.03**4))
    assert v[0, 1] == pytest.approx(5 * 64000 * 1.043)
    assert v[1, 1] == pytest.approx(6 * 64000 * 1.043**2)
    assert v[:, 2] == pytest.approx([1_020_000, 1_040_400])
    assert v[:, 3] == pytest.approx([50_000, 60_000])
    assert cd.hnb_total()[0] == pytest.approx(v[:, :3].sum(axis=1))
    assert cd.transport_total()[0] == pytest.approx(v[:, 3])
    again = apply_costs(stock, _assumptions(), fy, ["state_special", "independent_special"])
    assert np.array_equal(again.values, cd.values)


def test_phase_specific_cost_wins():
    a = CostAssumptions(unit_costs=[
        UnitCost(placement_group="state_special", line="top_up", annual_cost=100),
        UnitCost(placement_group="state_special", phase="secondary", line="top_up",
                 annual_cost=300)])
    stock = np.array([[[[1.0, 2.0]]]])  # [draw, fy, state, phase]
    cd = apply_costs(stock, a, ["2024-25"], ["state_special"], ["primary", "secondary"])
    assert cd.values[0, 0, 0] == pytest.approx(1 * 100 + 2 * 300)


def test_defaults_cite_sources():
    d = CostAssumptions.defaults()
    frame = d.to_frame()
    assert (frame["source"].str.len() > 20).all()
    assert set(frame["basis"]) <= {"published", "derived", "assumption", "placeholder"}
    for _, r in frame.iterrows():
        assert ".md" not in r["source"]  # users do not have the project's notes
        if r["basis"] in ("published", "derived"):
            assert re.search(r"\bDfE\b|\bFOI\b|County Council", r["source"])  # a publisher
        else:
            assert r["source"].startswith(("ASSUMPTION", "PLACEHOLDER"))
    ind = d.unit_cost("independent_special", "secondary")
    assert [(u.annual_cost, u.price_year) for u in ind] == [(64000, "2024-25")]
    ss = d.unit_cost("state_special", "primary")
    assert sum(u.annual_cost for u in ss) == 17313  # Lincolnshire FOI mean 2022-23


def test_csv_overrides_replace_whole_group(tmp_path):
    p = tmp_path / "costs.csv"
    p.write_text("placement,line,annual_cost,inflation,price_year,source\n"
                 "state_special,total,20000,0.02,2025-26,local\n"
                 "state_special,transport,6000,,,\n")
    a = CostAssumptions.from_file(p)
    ss = a.unit_cost("state_special", "primary")
    assert [(u.line, u.annual_cost, u.price_year) for u in ss] == [("total", 20000, "2025-26")]
    assert [t.annual_cost for t in a.transport if t.placement_group == "state_special"] == [6000]
    assert a.unit_cost("independent_special", "primary")[0].annual_cost == 64000  # default kept


def test_bad_cost_csv_names_file_line_column(tmp_path):
    p = tmp_path / "bad_costs.csv"
    p.write_text("placement,annual_cost,price_year\n"
                 "state_special,17000,2024-25\n"
                 "state_special_school,abc,2024/25\n")
    with pytest.raises(InputError) as e:
        CostAssumptions.from_file(p)
    text = str(e.value)
    assert "bad_costs.csv, line 3, column 'placement'" in text
    assert "bad_costs.csv, line 3, column 'annual_cost'" in text
    p.write_text("placement,annual_cost,price_year\nstate_special,17000,2024/25\n")
    with pytest.raises(InputError, match=r"line 2, column 'price_year'.*2024-25"):
        CostAssumptions.from_file(p)


def test_bad_cost_yaml_names_line_and_field(tmp_path):
    p = tmp_path / "costs.yaml"
    p.write_text("unit_costs:\n"
                 "  - placement_group: state_special\n"
                 "    annual_cost: 17000\n"
                 "  - placement_group: special\n"
                 "    annual_cost: -5\n"
                 "fixed_lines:\n"
                 "  - name: central\n"
                 "    amount: 100\n"
                 "    price_year: 2024\n")
    with pytest.raises(InputError) as e:
        CostAssumptions.from_file(p)
    text = str(e.value)
    assert "costs.yaml, line 4, column 'unit_costs.1.placement_group'" in text
    assert "line 5, column 'unit_costs.1.annual_cost'" in text
    assert "line 9, column 'fixed_lines.0.price_year'" in text
    p.write_text("unit_costs: [\n")
    with pytest.raises(InputError, match="valid YAML"):
        CostAssumptions.from_file(p)


def test_yaml_round_trip(tmp_path):
    import yaml

    p = tmp_path / "c.yaml"
    p.write_text(yaml.safe_dump(_assumptions().model_dump()))
    assert CostAssumptions.from_file(p) == _assumptions()
