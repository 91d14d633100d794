"""Report charts label years as whole years (a finance officer reads 2027, not 2027.5)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from sendforecast.report import charts as plotting  # noqa: E402


def _tick_labels(ax) -> list[str]:
    ax.figure.canvas.draw()
    return [t.get_text() for t in ax.get_xticklabels() if t.get_text()]


def test_projection_fan_and_history_show_whole_years():
    years = range(2025, 2035)
    table = pd.DataFrame([{"year": y, "placement": "state_special", "mean": 100.0 + y - 2025,
                           "p10": 90.0, "p90": 120.0, "p2_5": 80.0, "p97_5": 130.0}
                          for y in years])
    hist = pd.DataFrame({"year": [2022, 2023, 2024], "placement_group": "state_special",
                         "value": [80.0, 90.0, 95.0]})
    fig = plotting.projection_fan(table, hist)
    labels = _tick_labels(fig.axes[0])
    assert labels and all(lab.lstrip("−-").isdigit() for lab in labels), labels
    assert 3 <= len(labels) <= 6, labels  # readable in a small multiple
    summary = pd.DataFrame({"measure": "caseload", "la_code": "825", "la_name": "Bucks",
                            "year": [2019, 2020, 2021, 2022], "value": [1.0, 2.0, 3.0, 4.0]})
    labels = _tick_labels(plotting.history(summary).axes[0])
    assert labels and all(lab.isdigit() for lab in labels), labels
