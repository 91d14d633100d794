"""The plain-English summary of a run, generated from its numbers.

Pure functions: tidy frames (and, for probabilities, draw arrays) in, sentences out.
Counts of children are written rounded to the nearest 5 (and small ones as "fewer than
N") when publication suppression is on, by the rule of :mod:`.suppress`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sendforecast.data.taxonomy import PLACEMENT_GROUP_LABELS
from sendforecast.report.suppress import SUPPRESSED, round_count

__all__ = ["count", "money", "pct", "deficit_probabilities", "main_summary",
           "scenarios_summary", "quality_for_la"]

PHASE_NAMES = {"primary": "primary", "secondary": "secondary", "post16": "post-16",
               "all": "all phases", "early_years": "early years", "19-25": "19-25"}


def count(x: float, threshold: int | None = None) -> str:
    """A count of children for a sentence: ``6,697``; rounded/suppressed when publishing."""
    if x is None or pd.isna(x):
        return "not available"
    if threshold is None:
        return f"{x:,.0f}"
    r = round_count(x, threshold)
    return f"fewer than {threshold}" if r == SUPPRESSED else f"{r:,}"


def money(x: float) -> str:
    """GBP in millions: ``£127.2m``, ``-£20.1m``."""
    if x is None or pd.isna(x):
        return "not available"
    return f"{'-' if round(x / 1e6, 1) < 0 else ''}£{abs(x) / 1e6:,.1f}m"  # no -£0.0m


def pct(p: float) -> str:
    """A probability or share as a percentage (``<1%`` and ``>99%`` at the ends)."""
    if p is None or pd.isna(p):
        return "not available"
    if 0 < p < 0.01:
        return "less than 1%"
    if 0.99 < p < 1:
        return "more than 99%"
    return f"{p:.0%}"


def deficit_probabilities(financial_years: Sequence[str], in_year: np.ndarray,
                          cumulative: np.ndarray) -> pd.DataFrame:
    """Per financial year, from the draws ``[draw, fy]``: the probability that HNB spend
    exceeds income in that year (``p_in_year_deficit``) and that the cumulative DSG
    balance at 31 March is in deficit (``p_cumulative_deficit``; missing before the
    opening year)."""
    iy, cum = np.asarray(in_year, float), np.asarray(cumulative, float)
    known = ~np.isnan(cum).any(axis=0)
    p_cum = np.where(known, (np.nan_to_num(cum, nan=0.0) < 0).mean(axis=0), np.nan)
    return pd.DataFrame({"financial_year": list(financial_years),
                         "p_in_year_deficit": (iy < 0).mean(axis=0),
                         "p_cumulative_deficit": p_cum})


def _lc(label: str) -> str:
    """A label inside a sentence: first letter lower case unless it starts an acronym."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def _range(lo: float, hi: float, fmt, threshold=None) -> str:
    if fmt is count:
        return f"{count(lo, threshold)} to {count(hi, threshold)}"
    return f"{fmt(lo)} to {fmt(hi)}"


def main_summary(tables: Mapping[str, pd.DataFrame], la_name: str,
                 threshold: int | None = None, draws: int | None = None) -> list[str]:
    """Paragraphs summarising a main-job run (see :func:`sendforecast.workflow.run_main_job`)
    from its tables (unsuppressed numbers; counts are rounded here when ``threshold``)."""
    out = []
    t = threshold
    hist = tables.get("history")
    tot = tables.get("projection_totals")
    if tot is not None and len(tot):
        last = tot.iloc[-1]
        start, change = "", np.nan
        if hist is not None:
            h = hist[(hist["measure"] == "caseload")].dropna(subset=["value"])
            if len(h):
                h0 = h.sort_values("year").iloc[-1]
                start = f" from {count(h0['value'], t)} (January {int(h0['year'])})"
                change = last["mean"] / h0["value"] - 1 if h0["value"] else np.nan
        verb = "rise" if start and change >= 0 else ("fall" if start else "number")
        s = (f"EHC plans in {la_name} are projected to {verb}{start} to "
             f"{count(last['mean'], t)} by January {int(last['year'])} (80% range "
             f"{_range(last['p10'], last['p90'], count, t)}; 95% range "
             f"{_range(last['p2_5'], last['p97_5'], count, t)})")
        if start and not pd.isna(change):
            s += f", a change of {change:+.0%}"
        out.append(s + ".")
    scap = tables.get("scap_specialist_places")
    if scap is not None and len(scap):
        total = scap[scap["phase"] == "Total"]
        y_last = total["census_january"].max()
        parts = []
        for prov, g in total.groupby("provision_type", sort=False):
            r = g[g["census_january"] == y_last].iloc[0]
            parts.append(f"{_lc(prov)} {count(r['mean'], t)} "
                         f"({_range(r['p10'], r['p90'], count, t)})")
        out.append(f"Places needed in specialist provision by January {int(y_last)} "
                   f"(pupils aged 4-18 with an EHC plan, SCAP provision types, mean and 80% "
                   f"range): " + "; ".join(parts) + ".")
    ffy = tables.get("first_full_year")
    if ffy is None:
        out.append("No commissioned places were given (--capacity FILE), so the year each "
                   "provision becomes full is not estimated.")
    else:
        full = ffy.dropna(subset=["first_full_year"])
        if len(full):
            items = [f"{_lc(PLACEMENT_GROUP_LABELS.get(r.provision, r.provision))} "
                     f"({PHASE_NAMES.get(r.phase, r.phase)}) in January {int(r.first_full_year)}"
                     f" ({count(r.demand_mean_that_year, t)} children needing "
                     f"{count(r.places_that_year, t)} places)" for r in full.itertuples()]
            out.append("First year each provision is full (mean demand at or above its "
                       "commissioned places): " + "; ".join(items) + ".")
        never = ffy[ffy["first_full_year"].isna()]
        if len(never):
            out.append("Not full within the projection: " + "; ".join(
                f"{_lc(PLACEMENT_GROUP_LABELS.get(r.provision, r.provision))} "
                f"({PHASE_NAMES.get(r.phase, r.phase)})" for r in never.itertuples()) + ".")
    costs = tables.get("costs")
    if costs is not None and len(costs):
        h = costs[costs["line"] == "total_hnb"]
        a, b = h.iloc[0], h.iloc[-1]
        out.append(f"The High Needs Block cost is projected at {money(a['mean'])} in "
                   f"{a['financial_year']} and {money(b['mean'])} in {b['financial_year']} "
                   f"(80% range {_range(b['p10'], b['p90'], money)}; cash terms).")
        tr = costs[costs["line"] == "total_transport"]
        if len(tr) and tr["mean"].abs().sum() > 0:
            out.append(f"SEN transport (council general fund, not the High Needs Block) is "
                       f"projected at {money(tr.iloc[-1]['mean'])} in "
                       f"{tr.iloc[-1]['financial_year']}.")
    bal = tables.get("dsg_balance")
    probs = tables.get("dsg_probabilities")
    if bal is None:
        out.append("No High Needs Block allocation was given (--hnb FILE), so the DSG "
                   "balance is not forecast.")
    else:
        c = bal[bal["measure"] == "cumulative_balance"].dropna(subset=["mean"])
        if len(c):
            r = c.iloc[-1]
            s = (f"The cumulative DSG balance at 31 March {r['financial_year'][:2]}"
                 f"{r['financial_year'][-2:]} is projected at {money(r['mean'])} (80% range "
                 f"{_range(r['p10'], r['p90'], money)}; negative = deficit)")
            if probs is not None:
                p = probs.set_index("financial_year")
                s += (f"; the probability that it is in deficit then is "
                      f"{pct(p.loc[r['financial_year'], 'p_cumulative_deficit'])}")
                first = probs[probs["p_in_year_deficit"] > 0.5]
                if len(first):
                    f0 = first.iloc[0]
                    s += (f". The first year in which High Needs spend is more likely than not "
                          f"to exceed income is {f0['financial_year']} (probability "
                          f"{pct(f0['p_in_year_deficit'])})")
            out.append(s + (f" (shares of {draws:,} Monte Carlo draws)." if draws else "."))
    return out


def scenarios_summary(savings: pd.DataFrame, table: pd.DataFrame,
                      p_deficit: Mapping[str, float], baseline: str = "baseline") -> list[str]:
    """Paragraphs summarising a scenario comparison: each strategy's saving and its DSG
    balance at the last financial year against the unmitigated baseline."""
    out = []
    for r in savings.itertuples():
        out.append(f"Strategy '{r.scenario}' ({r.description}) saves {money(r.mean)} of High "
                   f"Needs Block cost over {r.financial_years} against the unmitigated forecast "
                   f"(80% range {_range(r.p10, r.p90, money)}); the probability that it saves "
                   f"money is {pct(r.p_saving_gt_0)}.")
    cum = table[table["measure"] == "cumulative_balance"].dropna(subset=["mean"])
    if len(cum):
        fy = cum["financial_year"].iloc[-1]
        last = cum[cum["financial_year"] == fy].set_index("scenario")
        parts = []
        for name, r in last.iterrows():
            label = "unmitigated" if name == baseline else f"'{name}'"
            p = p_deficit.get(name)
            parts.append(f"{label} {money(r['mean'])}"
                         + (f" (probability of deficit {pct(p)})" if p is not None else ""))
        out.append(f"Cumulative DSG balance at the end of {fy} (negative = deficit): "
                   + "; ".join(parts) + ".")
    return out


def quality_for_la(quality, la: str) -> pd.DataFrame:
    """The data-quality findings that concern one LA: ``finding, file, detail, count``."""
    rows = []
    for kind in ("suppressed", "inconsistent", "unknown", "duplicates"):
        f = getattr(quality, kind)
        if not len(f) or "la_code" not in f.columns:
            continue
        f = f[f["la_code"].astype(str) == str(la)]
        if not len(f):
            continue
        by = ["file", "column", "code"] if kind == "suppressed" else (
            ["file", "check"] if kind == "inconsistent" else ["file", "column"])
        by = [c for c in by if c in f.columns]
        for key, g in f.groupby(by, dropna=False):
            key = key if isinstance(key, tuple) else (key,)
            detail = ", ".join(f"{c}={v}" for c, v in zip(by[1:], key[1:], strict=True))
            if kind == "inconsistent" and "year" in g.columns:
                detail += f"; years {', '.join(str(y) for y in sorted(g['year'].unique()))}"
            rows.append({"finding": kind, "file": key[0], "detail": detail, "count": len(g)})
    return pd.DataFrame(rows, columns=["finding", "file", "detail", "count"])
