"""report.html: one self-contained page that lays out in a real browser without errors and
without a single request outside the file.

The browser checks run headless Chromium (Debian's ``chromium``; CI installs it) through
the DevTools protocol (tests/report/browser.py): every network request the page makes is
recorded (only ``file:`` for the page itself and ``data:`` for its embedded charts are
allowed), console errors, exceptions and failed loads must be none, every image must
decode, the page must not overflow the window sideways, and the sections and the summary
must be there.  A control page with one external image proves the recorder sees requests.
The static checks need no browser: no ``http(s)`` URL in any ``src``, ``href`` or CSS
``url()``, and no script.
"""

from __future__ import annotations

import re

import pytest

from sendforecast.cli.main import main
from tests.conftest import SEN2_2022, SEN2_2025, require_real_data
from tests.report.browser import find_chromium, inspect_page

CHROMIUM = find_chromium()
needs_browser = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium found (apt-get install chromium); the browser "
                             "checks of report.html are skipped, the static checks still run")
SECTIONS = ["Summary", "EHC plans", "Specialist places (SCAP)",
            "High Needs Block cost and DSG balance", "Assumptions and their sources",
            "Data quality", "How this was made"]


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("html") / "demo"
    assert main(["demo", "--out", str(out), "--draws", "30", "--horizon", "6"]) == 0
    return out / "report.html"


@pytest.fixture(scope="module")
def real_report(tmp_path_factory):
    require_real_data()
    out = tmp_path_factory.mktemp("html") / "825"
    assert main(["run", "--data", str(SEN2_2025), str(SEN2_2022), "--la", "825", "--draws", "30",
                 "--horizon", "10", "--out", str(out)]) == 0
    return out / "report.html"


def static_problems(html: str) -> list[str]:
    bad = re.findall(r"""(?:src|href)\s*=\s*["']?\s*(https?:|//)[^"'\s>]*""", html, flags=re.I)
    bad += re.findall(r"url\(\s*['\"]?\s*(?:https?:|//)[^)]*\)", html, flags=re.I)
    bad += re.findall(r"<script|<link\b|@import|<iframe|<object", html, flags=re.I)
    return bad


def test_static_self_contained(demo_report):
    html = demo_report.read_text(encoding="utf-8")
    assert static_problems(html) == []
    assert html.count("src='data:image/png;base64,") >= 4  # charts are embedded
    for s in SECTIONS:
        assert f"<h2>{s}</h2>" in html
    # the control: the static check does catch an external reference
    assert static_problems("<img src='https://example.org/a.png'>"
                           "<div style=\"background:url(http://x.org/b.png)\"></div>")


def test_summary_numbers_match_the_tables(demo_report):
    import pandas as pd

    out = demo_report.parent
    html = demo_report.read_text(encoding="utf-8")
    tot = pd.read_csv(out / "projection_totals.csv").iloc[-1]
    hist = pd.read_csv(out / "history.csv")
    jan = hist[hist.measure == "caseload"].dropna().iloc[-1]
    assert (f"from {jan.value:,.0f} (January {jan.year}) to {tot['mean']:,.0f} by January "
            f"{int(tot.year)} (80% range {tot.p10:,.0f} to {tot.p90:,.0f}") in html
    probs = pd.read_csv(out / "dsg_probabilities.csv").iloc[-1]
    assert f"in deficit then is {probs.p_cumulative_deficit:.0%}" in html
    assert "Publication suppression is <b>off</b>" in html


def _check_in_browser(page, width: int) -> dict:
    r = inspect_page(page.resolve().as_uri(), CHROMIUM, width=width)
    external = [u for u in r["requests"] if not u.startswith(("file:", "data:", "about:"))]
    assert external == [], external
    assert r["errors"] == [], r["errors"]
    lay = r["layout"]
    assert lay["images"] >= 3 and lay["broken_images"] == 0, lay
    assert lay["scroll_width"] <= lay["viewport_width"], lay  # nothing overflows sideways
    assert lay["headings"] == SECTIONS, lay["headings"]
    assert lay["summary_items"] >= 4 and lay["tables"] >= 5, lay
    assert r["screenshot"][:8] == b"\x89PNG\r\n\x1a\n" and len(r["screenshot"]) > 20_000
    return lay


@needs_browser
def test_demo_report_in_browser(demo_report):
    _check_in_browser(demo_report, 1200)
    _check_in_browser(demo_report, 760)  # a narrow window (a laptop split screen)


@needs_browser
def test_real_report_in_browser(real_report):
    lay = _check_in_browser(real_report, 1200)
    assert lay["title"].startswith("Buckinghamshire (825)")


@needs_browser
def test_browser_check_sees_external_requests(tmp_path):
    page = tmp_path / "control.html"
    page.write_text("<!DOCTYPE html><html><body><img src='http://127.0.0.1:9/x.png'>"
                    "<script>console.error('boom')</script></body></html>")
    r = inspect_page(page.resolve().as_uri(), CHROMIUM)
    assert any(u.startswith("http://127.0.0.1:9/") for u in r["requests"])
    assert any("boom" in e for e in r["errors"])


def _tables(folder):
    import pandas as pd

    return {p.stem: pd.read_csv(p) for p in folder.glob("*.csv")}


def test_optional_sections_shown_when_present(demo_report):
    import pandas as pd

    from sendforecast.finance.costs import CostAssumptions
    from sendforecast.report.html import main_report

    optional = ("statutory", "projection_by_need", "sufficiency_by_need")
    tables = {k: v for k, v in _tables(demo_report.parent).items() if k not in optional}
    kw = dict(la_name="Exampleshire", la_code="999", about={"seed": 1},
              assumptions=CostAssumptions.defaults().to_frame(),
              quality=pd.DataFrame(columns=["finding", "file", "detail", "count"]))
    plain = main_report(tables, {}, **kw)
    assert "Statutory pipeline" not in plain and "primary need" not in plain
    statutory = pd.DataFrame({"la_code": "999", "year": [2025, 2025], "measure":
                              ["requests", "timeliness_20_week_pc"], "mean": [1234.4, 0.51],
                              "p10": [1100.0, 0.4], "p90": [1400.0, 0.6], "p2_5": [1000.0, 0.3],
                              "p97_5": [1500.0, 0.7]})
    need = pd.DataFrame({"year": 2025, "need": ["ASD", "SEMH"], "mean": [2500.2, 3.0],
                         "p10": [2400.0, 1.0], "p90": [2600.0, 6.0], "p2_5": [2300.0, 0.0],
                         "p97_5": [2700.0, 8.0]})
    shown = main_report(tables | {"statutory": statutory, "projection_by_need": need}, {}, **kw)
    assert "Statutory pipeline" in shown and "primary need" in shown
    assert "<td class=n>1,234</td>" in shown and "SEMH" in shown
    # published: counts rounded and small ones 'c'; the percentage measure is left alone
    pub = main_report(tables | {"statutory": statutory, "projection_by_need": need}, {},
                      threshold=5, **kw)
    assert "<td class=n>1,235</td>" in pub and "<td class=n>c</td>" in pub
    assert "<td class=n>0.51</td>" in pub


@needs_browser
def test_scenarios_report_in_browser(tmp_path):
    out = tmp_path / "sc"
    assert main(["scenarios", "run", "--example", "--draws", "30", "--out", str(out)]) == 0
    page = out / "report.html"
    html = page.read_text(encoding="utf-8")
    assert static_problems(html) == []
    assert "saves £" in html and "Delivering Better Value" in html
    r = inspect_page(page.resolve().as_uri(), CHROMIUM)
    assert [u for u in r["requests"] if not u.startswith(("file:", "data:"))] == []
    assert r["errors"] == [] and r["layout"]["broken_images"] == 0
    assert r["layout"]["scroll_width"] <= r["layout"]["viewport_width"]


def _table_rows(html: str, caption: str) -> tuple[list[str], list[list[str]]]:
    t = html[html.index(f"<caption>{caption}</caption>"):]
    t = t[:t.index("</table>")]
    head = re.findall(r"<th>(.*?)</th>", t)
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", t)]
    return head, [r for r in rows if r]


def test_statutory_table_units_follow_each_measure(demo_report):
    """The statutory table labelled every column 'mean (children)' although its rows are
    requests, plans and percentages (within_20_weeks_pct of 60 read as 60 children): each
    row now carries the unit of its measure, and no header claims one for all rows."""
    from sendforecast.models.statutory import MEASURES

    html = demo_report.read_text(encoding="utf-8")
    head, rows = _table_rows(html, "Statutory pipeline: requests, assessments and new plans")
    assert not any("children" in h for h in head), head
    assert head[:4] == ["la_code", "year", "measure", "unit"], head
    unit = {r[2]: r[3] for r in rows}
    assert set(unit) == set(MEASURES)  # every measure has a row, and a unit
    assert unit["within_20_weeks_pct"] == unit["within_6_weeks_pct"] == "%"
    assert unit["requests"] == "requests" and unit["plans_issued"] == "plans"
    assert unit["assessments"] == "assessments"
    # a percentage is shown as one (0-100), not rounded as a count
    pct = [float(r[4]) for r in rows if r[2] == "within_20_weeks_pct"]
    assert all(0 <= p <= 100 for p in pct) and any(p != round(p) for p in pct)
