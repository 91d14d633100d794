"""``report.html``: one self-contained file a finance officer or a board can open and forward.

Built from frames and PNG bytes only (pure functions returning strings): charts are
embedded as base64 ``data:`` images, the CSS is inline, and there is no JavaScript, web
font or link to anything outside the file, so it opens offline and prints as a paper.
:func:`main_report` renders a main-job run (:mod:`sendforecast.workflow`),
:func:`scenarios_report` a scenario comparison (``sendforecast scenarios run``).

Tables show their units (children, £m, %).  Optional tables (``statutory``,
``projection_by_need``, ``sufficiency_by_need``) are shown when the run made them.
With publication suppression on, every table is rounded and suppressed by
:mod:`.suppress` before it is shown, and the summary's counts are rounded the same way.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping

import pandas as pd

from sendforecast.data.taxonomy import PLACEMENT_GROUP_LABELS
from sendforecast.report import suppress as S
from sendforecast.report.summary import main_summary, scenarios_summary

__all__ = ["main_report", "scenarios_report", "table_html", "page"]

CSS = """
body{font-family:Arial,Helvetica,sans-serif;color:#1b1b1b;max-width:1100px;margin:0 auto;
padding:24px 32px;line-height:1.45;font-size:15px}
h1{font-size:26px;margin:0 0 4px;color:#1F4E78}h2{font-size:20px;margin:28px 0 8px;
color:#1F4E78;border-bottom:2px solid #1F4E78;padding-bottom:3px}h3{font-size:16px;margin:18px 0 6px}
.sub{color:#555;margin:0 0 14px}.summary{background:#eef3f8;border-left:5px solid #1F4E78;
padding:10px 18px;margin:12px 0}.summary li{margin:6px 0}.note{color:#444;font-size:13px}
.warn{background:#fff4ce;border-left:5px solid #c9a100;padding:8px 14px;font-size:14px}
table{border-collapse:collapse;margin:6px 0 14px;font-size:13px}
caption{text-align:left;font-weight:bold;padding:4px 0;color:#333}
th{background:#1F4E78;color:#fff;padding:4px 8px;text-align:left;vertical-align:bottom}
td{border-bottom:1px solid #ddd;padding:3px 8px;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr:nth-child(even) td{background:#f7f9fb}img{max-width:100%;height:auto;margin:6px 0}
pre{white-space:pre-wrap;font-size:13px}details{margin:6px 0 12px}.wrap{overflow-x:auto;max-width:100%}summary{cursor:pointer;color:#1F4E78;font-weight:bold}
@media print{details{display:block}h2{page-break-after:avoid}img{page-break-inside:avoid}}
"""

Q = ["mean", "p10", "p90", "p2_5", "p97_5"]
#: Column headers that tell the unit.
LABELS = {"mean": "mean", "p10": "10th pct", "p90": "90th pct", "p2_5": "2.5th pct",
          "p97_5": "97.5th pct"}


def _esc(x) -> str:
    return html.escape(str(x))


def _fmt(v, kind: str) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    if isinstance(v, str):
        return _esc(v)
    if kind == "money":  # no '-£0.0m' for a small negative: it read as a deficit
        return f"{'-' if round(v / 1e6, 1) < 0 else ''}£{abs(v) / 1e6:,.1f}m"
    if kind == "gbp":
        return f"{'-' if round(v) < 0 else ''}£{abs(v):,.0f}"
    if kind == "pct":
        return f"{v:.0%}" if abs(v) >= 0.1 or v == 0 else f"{v:.1%}"
    if kind == "count":
        return f"{v:,.0f}"
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.3g}"
    return _esc(v)


#: The unit of a row of a long table whose measures are not all counts of children.
_RATE_UNITS = ((re.compile(r"_pct?$|_pc_|percent|timeliness", re.I), "%"),
               (re.compile(r"weeks", re.I), "weeks"), (re.compile(r"days", re.I), "days"))


def measure_unit(measure: str) -> str:
    """What a row of measure ``measure`` counts or measures: the statutory pipeline's own
    units (requests, plans, %: :data:`~sendforecast.models.statutory.MEASURE_UNITS`), a
    percentage, weeks or days by name, another rate a "share", else "children"."""
    from sendforecast.models.statutory import MEASURE_UNITS

    m = str(measure)
    if m in MEASURE_UNITS:
        return MEASURE_UNITS[m]
    for pattern, unit in _RATE_UNITS:
        if pattern.search(m):
            return unit
    return "share" if S.RATE_MEASURE.search(m) else "children"


def table_html(frame: pd.DataFrame, caption: str = "", *, money=(), counts=(), pcts=(),
               gbp=(), max_rows: int | None = None, collapsed: bool = False) -> str:
    """A frame as an HTML table; ``money`` columns in £m, ``gbp`` in whole pounds,
    ``counts`` as whole children, ``pcts`` as percentages, the rest as text or numbers.
    A long table (a ``measure`` column) with count columns gets a ``unit`` column after
    ``measure`` (:func:`measure_unit`): its rows need not all count children."""
    f = frame.reset_index(drop=True)
    long = "measure" in f.columns and any(c in f.columns for c in counts)
    if long and "unit" not in f.columns:
        f.insert(f.columns.get_loc("measure") + 1, "unit", f["measure"].map(measure_unit))
    more = ""
    if max_rows is not None and len(f) > max_rows:
        more = f"<p class='note'>First {max_rows} of {len(f):,} rows; all rows are in the CSV.</p>"
        f = f.head(max_rows)
    kinds = {c: "money" if c in money else "count" if c in counts else "pct" if c in pcts
             else "gbp" if c in gbp else "" for c in f.columns}
    unit = {"money": " (£m)", "count": "" if long else " (children)", "pct": " (%)",
            "gbp": " (£)", "": ""}
    head = "".join(f"<th>{_esc(LABELS.get(c, c))}{unit[kinds[c]]}</th>" for c in f.columns)
    body = []
    rate = (f["measure"].astype(str).str.contains(S.RATE_MEASURE) if "measure" in f.columns
            else pd.Series(False, index=f.index))
    for row, is_rate in zip(f.itertuples(index=False), rate, strict=True):
        cells = []
        for c, v in zip(f.columns, row, strict=True):
            kind = "" if is_rate and kinds[c] == "count" else kinds[c]  # a rate in a long table
            num = kind or not isinstance(v, str)
            cells.append(f"<td{' class=n' if num else ''}>{_fmt(v, kind)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{_esc(caption)}</caption>" if caption else ""
    t = (f"<div class='wrap'><table>{cap}<thead><tr>{head}</tr></thead>"
         f"<tbody>{''.join(body)}</tbody></table></div>{more}")
    if collapsed:
        return f"<details><summary>{_esc(caption or 'Table')}</summary>{t}</details>"
    return t


def image(png: bytes, alt: str) -> str:
    """A PNG embedded in the page (no file or URL outside the report)."""
    return (f"<img alt='{_esc(alt)}' src='data:image/png;base64,"
            f"{base64.b64encode(png).decode('ascii')}'>")


def page(title: str, subtitle: str, body: str) -> str:
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{_esc(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{_esc(title)}</h1><p class='sub'>{_esc(subtitle)}</p>{body}</body></html>\n")


def _counts(name: str, frame: pd.DataFrame) -> list[str]:
    try:
        return S.count_columns(name, frame)
    except KeyError:
        return []


def _show(tables, name, threshold, caption, *, money=(), pcts=(), cols=None, **kw) -> str:
    if name not in tables or tables[name] is None:
        return ""
    f = S.suppress_table(name, tables[name], threshold) if threshold else tables[name]
    if cols:
        f = f[[c for c in cols if c in f.columns]]
    return table_html(f, caption, money=money, counts=_counts(name, f), pcts=pcts, **kw)


def _labels(frame: pd.DataFrame, col: str) -> pd.DataFrame:
    return frame.assign(**{col: frame[col].map(lambda g: PLACEMENT_GROUP_LABELS.get(g, g))})


def _suppression_note(threshold: int | None) -> str:
    if threshold is None:
        return ("<p class='warn'>Publication suppression is <b>off</b>: counts of children are "
                "unrounded model output. Before publishing, rerun with <code>--suppress</code> "
                "(counts rounded to the nearest 5, counts below 5 shown as 'c').</p>")
    return f"<p class='note'>Publication suppression: {_esc(S.describe(threshold))}.</p>"


def _summary(paragraphs) -> str:
    return ("<div class='summary'><ul>" + "".join(f"<li>{_esc(p)}</li>" for p in paragraphs)
            + "</ul></div>")


def _about(about: Mapping[str, object]) -> str:
    """The run's settings: the main ones shown, the model's detailed settings folded."""
    rows = [(k, str(v)) for k, v in about.items()]
    main = pd.DataFrame([r for r in rows if ":" not in r[0]], columns=["setting", "value"])
    detail = pd.DataFrame([r for r in rows if ":" in r[0]], columns=["setting", "value"])
    out = table_html(main, "Settings and inputs of this run")
    if len(detail):
        out += table_html(detail, "Model and budget settings (detail)", collapsed=True)
    return out


def _assumptions(assumptions: pd.DataFrame, caption: str) -> str:
    a = assumptions.assign(unit=assumptions["unit"].str.replace("GBP", "£"))
    return table_html(a, caption, gbp=["annual_cost"], pcts=["inflation"])


def _quality(quality: pd.DataFrame, la_name: str) -> str:
    if not len(quality):
        return (f"<p>No suppressed, inconsistent, unknown or duplicate cells concern "
                f"{_esc(la_name)} in the data read.</p>")
    by = quality.groupby("finding")["count"].sum()
    words = {"suppressed": "suppressed cells (read as missing, never 0)",
             "inconsistent": "totals that differ from the sum of their parts",
             "unknown": "unknown codes or invalid values (read as missing)",
             "duplicates": "duplicate rows (ignored)"}
    text = "; ".join(f"{n:,} {words.get(k, k)}" for k, n in by.items())
    return (f"<p>In the data read for {_esc(la_name)}: {_esc(text)}. The projection uses "
            f"what was published; missing cells are never filled with 0.</p>"
            + table_html(quality, "Data-quality findings by file and column", collapsed=True))


def scap_overview(scap: pd.DataFrame, threshold: int | None = None) -> str:
    """Provision type x academic year (all phases): places needed (mean and 80% range),
    places available and spare places (negative = shortfall)."""
    sc = scap[scap["phase"] == "Total"]
    sc = S.suppress_table("scap_specialist_places", sc, threshold) if threshold else sc
    rows = []
    for prov, g in sc.groupby("provision_type", sort=False):
        need = {r.academic_year: f"{_fmt(r.mean, 'count')} ({_fmt(r.p10, 'count')} to "
                                 f"{_fmt(r.p90, 'count')})" for r in g.itertuples()}
        rows.append({"provision type": prov, "measure": "needed: mean (80% range)",
                     **need})
        if g["places_available"].notna().any():
            rows.append({"provision type": "", "measure": "places available",
                         **{r.academic_year: _fmt(r.places_available, "count")
                            for r in g.itertuples()}})
            rows.append({"provision type": "", "measure": "spare places (negative = shortfall)",
                         **{r.academic_year: _fmt(r.spare_places, "count")
                            for r in g.itertuples()}})
    return table_html(pd.DataFrame(rows), "All phases (ages 4-18), children, by academic year")


def main_report(tables: Mapping[str, pd.DataFrame], charts: Mapping[str, bytes], *,
                la_name: str, la_code: str, about: Mapping[str, object],
                assumptions: pd.DataFrame, quality: pd.DataFrame,
                threshold: int | None = None, draws: int | None = None) -> str:
    """The main job's report (tables unsuppressed: suppression is applied here)."""
    t = dict(tables)
    th = threshold
    body = ["<h2>Summary</h2>", _summary(main_summary(t, la_name, th, draws)),
            _suppression_note(th),
            "<p class='note'>Intervals: 80% range = 10th to 90th percentile, 95% range = 2.5th "
            "to 97.5th percentile of the Monte Carlo draws; intervals of totals come from the "
            "draws of the total. Caseload years are January censuses; money is per April-March "
            "financial year, in cash terms.</p>"]
    body.append("<h2>EHC plans</h2>")
    for key, alt in (("history", "EHC plan history"),
                     ("projection_by_placement", "Projected EHC plans by placement")):
        if key in charts:
            body.append(image(charts[key], alt))
    body.append(_show(t, "projection_totals", th, "EHC plans in January: projection"))
    if "projection_by_phase" in t:
        pb = t["projection_by_phase"]
        y = pb["year"].max()
        f = _labels(pb[pb["year"] == y].drop(columns="year"), "placement")
        body.append(_show({"projection_by_phase": f}, "projection_by_phase", th,
                          f"EHC plans by phase and placement, January {y}", collapsed=True))
    for key, cap in (("projection_by_need", "EHC plans by primary need (projection)"),
                     ("statutory", "Statutory pipeline: requests, assessments and new plans")):
        body.append(_show(t, key, th, cap, collapsed=True, max_rows=400))
    body.append("<h2>Specialist places (SCAP)</h2>")
    body.append("<p class='note'>Places needed: forecast number of pupils with an EHC plan "
                "needing a place of each type (unconstrained by capacity), in the layout of the "
                "DfE School Capacity (SCAP) survey's specialist-provision forecast. Places "
                "available: commissioned places from the capacity file (SCAP collects capacity "
                "of special schools and SEN units/resourced provision only).</p>")
    if "scap_specialist_places" in t:
        sc = t["scap_specialist_places"]
        body.append(scap_overview(sc, th))
        body.append(_show(t, "scap_specialist_places", th, "By phase (full SCAP table)",
                          collapsed=True, max_rows=600))
    if "places_demand_vs_capacity" in charts:
        body.append(image(charts["places_demand_vs_capacity"], "Demand against places"))
    if "first_full_year" in t:
        body.append(_show({"first_full_year": _labels(t["first_full_year"], "provision")},
                          "first_full_year", th, "First year each provision is full"))
        body.append(_show(t, "sufficiency", th, "Sufficiency: demand against places",
                          pcts=["p_short"], collapsed=True))
    body.append(_show(t, "sufficiency_by_need", th, "Sufficiency by primary need",
                      pcts=["p_short"], collapsed=True, max_rows=400))
    body.append("<h2>High Needs Block cost and DSG balance</h2>")
    for key, alt in (("cost_by_placement", "High Needs Block cost by placement"),
                     ("dsg_balance_fan", "DSG balance")):
        if key in charts:
            body.append(image(charts[key], alt))
    if "costs" in t:
        c = t["costs"]
        tr = c[c["line"] == "total_transport"]
        show = ["total_hnb"] + (["total_transport"] if tr["mean"].abs().sum() > 0 else [])
        body.append(table_html(c[c["line"].isin(show)],
                               "Total High Needs Block cost (total_hnb)"
                               + (" and SEN transport (general fund)" if len(show) > 1 else ""),
                               money=Q))
        wide = c.pivot_table(index="line", columns="financial_year", values="mean",
                             sort=False).reset_index()
        body.append(table_html(_labels(wide, "line"), "Cost by line (mean)",
                               money=[x for x in wide.columns if x != "line"], collapsed=True))
    if "dsg_balance" in t:
        d = t["dsg_balance"]
        d = d[d["measure"].isin(["in_year_balance", "cumulative_balance"])]
        if "dsg_probabilities" in t:
            p = t["dsg_probabilities"]
            d = d.merge(p, on="financial_year", how="left")
        body.append(table_html(d, "DSG balance (negative = deficit) and the probability of a "
                                  "deficit (share of draws)",
                               money=Q, pcts=["p_in_year_deficit", "p_cumulative_deficit"]))
    body.append("<h2>Assumptions and their sources</h2>")
    body.append("<p class='note'>Edit these in the workbook's 'Assumptions' sheet and rerun "
                "with <code>--costs workbook.xlsx</code> (see its 'How to rerun' sheet).</p>")
    body.append(_assumptions(assumptions, "Cost assumptions (annual_cost per pupil per year, or "
                                          "per year for fixed lines; inflation a year)"))
    body.append("<h2>Data quality</h2>")
    body.append(_quality(quality, la_name))
    body.append("<h2>How this was made</h2>")
    body.append(_about(about))
    return page(f"{la_name} ({la_code}): SEND demand, specialist places and High Needs Block",
                "Forecast report generated by sendforecast from public DfE SEN2 data and the "
                "LA's own inputs", "".join(body))


def scenarios_report(*, la_name: str, savings: pd.DataFrame, table: pd.DataFrame,
                     dbv: pd.DataFrame, plans: pd.DataFrame, p_deficit: Mapping[str, float],
                     charts: Mapping[str, bytes], strategies: str, about: Mapping[str, object],
                     assumptions: pd.DataFrame, threshold: int | None = None) -> str:
    """The ``scenarios run`` report: savings, DSG balance per strategy, the DBV table."""
    body = ["<h2>Summary</h2>", _summary(scenarios_summary(savings, table, p_deficit)),
            _suppression_note(threshold),
            "<p class='note'>Strategies and the unmitigated baseline run on the same (paired) "
            "Monte Carlo draws, so differences are due to the interventions. Saving = baseline "
            "cost - strategy cost.</p>", "<h2>Strategies</h2>", f"<pre>{_esc(strategies)}</pre>"]
    for key, png in charts.items():
        body.append(image(png, key))
    body.append(table_html(savings, "High Needs Block saving (first financial years)", money=Q,
                           pcts=["p_saving_gt_0"]))
    money_cols = [c for c in dbv.columns if c != "financial_year"]
    body.append(table_html(dbv, "Delivering Better Value table: unmitigated and mitigated DSG "
                                "balance (mean; negative = deficit)", money=money_cols))
    cum = table[table["measure"].isin(["cumulative_balance", "hnb_saving"])]
    body.append(table_html(cum, "Cumulative DSG balance and in-year saving per strategy",
                           money=Q, collapsed=True))
    pl = S.suppress_table("plans", plans, threshold) if threshold else plans
    body.append(table_html(_labels(pl, "placement"), "EHC plans by placement per strategy",
                           counts=Q, collapsed=True, max_rows=600))
    body.append("<h2>Assumptions and their sources</h2>")
    body.append(_assumptions(assumptions, "Cost assumptions"))
    body.append("<h2>How this was made</h2>")
    body.append(_about(about))
    return page(f"{la_name}: intervention strategies against the unmitigated forecast",
                "Scenario comparison generated by sendforecast", "".join(body))
