"""The statutory section of a report: the chart's history is that of the LAs forecast."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")

from sendforecast.data.statutory import statutory_wide  # noqa: E402
from sendforecast.report.statutory import statutory_history, statutory_section  # noqa: E402


@pytest.mark.realdata
def test_a_list_of_las_is_drawn_against_their_own_history(sen2):
    """--la 825,826: the chart showed England's published history (about 140,000 requests
    in 2023) beside the forecast of two LAs (about 2,500), titled 'England'."""
    import matplotlib.pyplot as plt

    sec = statutory_section(sen2, ["825", "826"], horizon=1, draws=20, seed=1)
    plt.close(sec.figure)
    w = statutory_wide(sen2)
    w = w[w.la_code.isin(["825", "826"]) & (w.year == 2023)]
    h = sec.history.set_index(["measure", "year"]).value
    assert h["requests", 2023] == w.requests.sum()
    assert h["within_20_weeks_pct", 2023] == pytest.approx(
        100 * w.within_20_weeks.sum() / w.plans_issued.sum())
    assert "England" not in sec.figure.texts[0].get_text()
    # one LA and England are unchanged
    assert statutory_history(sen2, "825").query("measure == 'requests' and year == 2023"
                                                ).value.item() == w.set_index("la_code").requests["825"]
    assert statutory_history(sen2, "all").query("measure == 'requests' and year == 2023"
                                                ).value.item() > 50 * w.requests.sum()
