"""Readers for the files a local authority brings from its own systems.

Every reader takes a path (``str`` or ``Path``) to a CSV file or an ``.xlsx``
workbook (the first worksheet is read) and returns a tidy ``DataFrame`` with the
columns documented on the function.  Validation is strict and complete: every
problem in a file (missing column, blank required value, text in a number
column, negative count, unknown code, duplicate key ...) is collected as a
:class:`~sendforecast.errors.Problem` naming the file, the line (the header is
line 1, so the first data row is line 2; in a workbook, the worksheet row), the
column, what was expected and what was found, and all of them are raised
together as one :class:`~sendforecast.errors.InputError`.  A missing file
raises ``FileNotFoundError``.

Common rules for every reader:

- Headers are matched ignoring case, surrounding spaces, and ``-``/``_``/space
  (``calendar-year`` = ``Calendar_Year``); other columns are ignored.
- Spaces around values are stripped; a UTF-8 byte-order mark is accepted
  (a CSV file that is not valid UTF-8 is read as Windows-1252, the Excel default).
- Rows whose cells are all blank are skipped (other rows keep their line numbers).
- A blank value in a required column is an error, never silently dropped.
  Optional columns may be absent or blank; blanks take the documented default.
- Whole-number columns accept ``12`` and ``12.0`` but not ``12.5``.  Numbers are
  plain decimals: no thousands separators, currency symbols or percent signs.
- Years (calendar years, academic years by their January) must be 1990-2100.

The witan.send readers (:func:`read_transitions`, :func:`read_valid_states`,
:func:`read_witan_population`, :func:`read_witan_costs`) expect the column names
of the witan.send demo files; the other readers use sendforecast column names.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd

from sendforecast.data.tables import Col, Table
from sendforecast.data.taxonomy import (
    NEEDS,
    PLACEMENT_GROUPS,
    Phase,
    need_code,
    placement_code,
    placement_group,
)
from sendforecast.errors import InputError, Problem

__all__ = [
    "read_transitions",
    "read_valid_states",
    "read_witan_population",
    "read_witan_costs",
    "read_monthly_requests",
    "monthly_to_annual",
    "read_unit_costs",
    "read_capacity",
    "read_overflow_rules",
    "read_population",
]

NONSEND = "NONSEND"  #: witan.send marker for "not in the SEND population" (joiners/leavers)
ALL = "all"  #: phase/need value of a row that applies to every phase/need
_YEARS = (1990, 2100)


# ---------------------------------------------------------------- value parsers


def _one_of(allowed: Iterable[str]) -> Callable[[str], str | None]:
    """Parser accepting ``allowed`` values ignoring case, spaces, ``-`` and ``_``."""
    lookup = {re.sub(r"[\s_-]", "", a.lower()): a for a in allowed}
    return lambda value: lookup.get(re.sub(r"[\s_-]", "", value.lower()))


_GROUP = _one_of(PLACEMENT_GROUPS)
_GROUP_EXPECTED = "a placement group: one of " + ", ".join(PLACEMENT_GROUPS)
_PHASES = [p.value for p in Phase]
_PHASE = _one_of([*_PHASES, ALL])
_PHASE_EXPECTED = "a phase: one of " + ", ".join(_PHASES) + ", or blank/all for every phase"
_NEED_EXPECTED = "a need: one of " + ", ".join(NEEDS) + ", or blank/all for every need"
_MONTH_FORMATS = ["%Y-%m", "%Y/%m", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y", "%b %Y", "%B %Y"]


def _need(value: str) -> str | None:
    return ALL if value.lower() == ALL else need_code(value)


def _placement(value: str) -> str | None:
    return _GROUP(value) or placement_code(value)


def _cost_line(value: str) -> str | None:
    """``Top-up`` -> ``top_up``; a line that looks like ``transport`` but is not (``sen
    transport``, ``transprt``) is refused: it would be costed as High Needs Block."""
    line = re.sub(r"[\s-]+", "_", value.lower())
    if line != "transport" and ("transport" in line or difflib.SequenceMatcher(
            None, line, "transport").ratio() >= 0.8):
        return None
    return line


def _la_code(value: str) -> str | None:
    return value if re.fullmatch(r"\d{3}", value) else None


def _month(value: str) -> pd.Period | None:
    for fmt in _MONTH_FORMATS:
        try:
            return pd.Period(datetime.strptime(value, fmt), freq="M")
        except ValueError:
            pass
    return None


def _list(value: str) -> list[str] | None:
    items = [v.strip() for v in value.split(",")]
    return items if all(items) else None


def _years(t: Table, *columns: str) -> None:
    for c in columns:
        t.number(c, integer=True, lo=_YEARS[0], hi=_YEARS[1])


def _optional_la_code(t: Table) -> list[str]:
    """Check ``la_code`` if the file has that column; the key columns it adds."""
    if "la_code" not in t.present:
        return []
    t.require("la_code")
    t.text("la_code", _la_code, "a 3-digit LA code, e.g. 202")
    return ["la_code"]


# ------------------------------------------------------------------- witan.send


def read_transitions(path: str | Path, valid_states: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read witan.send person-level transitions (``transitions.csv``).

    Columns in the file: ``calendar-year, setting-1, need-1, academic-year-1,
    setting-2, need-2, academic-year-2``: one row per child and pair of
    consecutive January censuses.  ``NONSEND`` as setting and need marks a
    joiner (side 1) or a leaver (side 2).

    Returns ``calendar_year, setting_1, need_1, academic_year_1, setting_2,
    need_2, academic_year_2`` (years ``int64``, settings and needs ``str``).

    Checks: years are whole numbers; ``academic_year_2 == academic_year_1 + 1``
    on *every* row, joiners and leavers included (children age a year whether or
    not they have a plan, and every row of the witan.send demo does so); each
    side is ``NONSEND`` in both setting and need or in neither; a row is not
    ``NONSEND`` on both sides.  With ``valid_states`` (from
    :func:`read_valid_states`), settings must be listed there and needs must be
    among that setting's ``needs``.  Moves are *not* checked against
    ``allowed_moves``, nor ages against ``min/max_academic_year``: the demo data
    itself has moves into setting M, which no setting lists as an allowed move.

    Identical rows are **not** errors: the data are person-level without a
    child identifier, so children with the same history give identical rows
    (about three quarters of the demo rows repeat an earlier one), and a
    duplicated row cannot be told from a second child.  A file that has an
    ``id`` column (optional, e.g. a pseudonymised child id; not returned) is
    checked instead: one row per child and calendar year, every repeat named
    with the line it repeats.
    """
    cols = [Col("id", required=False), Col("calendar_year", "calendar-year")]
    for k in (1, 2):
        cols += [Col(f"setting_{k}", f"setting-{k}"), Col(f"need_{k}", f"need-{k}"),
                 Col(f"academic_year_{k}", f"academic-year-{k}")]
    t = Table(path, cols)
    _years(t, "calendar_year")
    t.number("academic_year_1", integer=True)
    t.number("academic_year_2", integer=True)
    df = t.df
    for k in (1, 2):
        setting, need = df[f"setting_{k}"], df[f"need_{k}"]
        t.flag(t.ok(f"setting_{k}") & ((setting == NONSEND) != (need == NONSEND)), f"need_{k}",
               f"NONSEND in both setting-{k} and need-{k}, or in neither", need)
        if valid_states is not None:
            allowed = dict(zip(valid_states["setting"], valid_states["needs"], strict=True))
            known = setting.isin(list(allowed)) | (setting == NONSEND)
            t.flag(~known, f"setting_{k}",
                   "a setting listed in valid-states (or NONSEND): " + ", ".join(allowed), setting)
            for i in (known & t.ok(f"need_{k}") & (setting != NONSEND)).to_numpy().nonzero()[0]:
                if need.iat[i] not in allowed[setting.iat[i]]:
                    t.problem(int(i), f"need_{k}", f"a need of setting {setting.iat[i]} in "
                              "valid-states: " + ", ".join(allowed[setting.iat[i]]), need.iat[i])
    both = (df["setting_1"] == NONSEND) & (df["setting_2"] == NONSEND)
    t.flag(both, "setting_2", "a setting other than NONSEND when setting-1 is NONSEND",
           df["setting_2"])
    ageing = t.ok("academic_year_1") & (df["academic_year_2"] != df["academic_year_1"] + 1)
    t.flag(ageing, "academic_year_2", "academic-year-1 + 1 (children age one year per row)",
           df["academic_year_2"])
    if "id" in t.present:
        t.require("id")
        t.unique(["id", "calendar_year"])
    return t.result([c.name for c in cols[1:]], text=["setting_1", "need_1", "setting_2", "need_2"])


def read_valid_states(path: str | Path) -> pd.DataFrame:
    """Read witan.send valid states (``valid-states.csv``).

    Columns in the file: ``setting, setting-group, min-academic-year,
    max-academic-year, needs`` (e.g. ``"T,U,V"``: needs allowed in the setting)
    and ``setting->setting`` (e.g. ``"A,B,C"``: settings a child may move to).

    Returns one row per setting: ``setting, setting_group`` (``str``),
    ``min_academic_year, max_academic_year`` (``int64``), ``needs`` and
    ``allowed_moves`` (Python lists of ``str``).

    Checks: duplicate setting; ``NONSEND`` is not a setting; min <= max; lists
    have no empty items; ``allowed_moves`` names settings of the file.
    """
    t = Table(path, [
        Col("setting"), Col("setting_group", "setting-group"),
        Col("min_academic_year", "min-academic-year"),
        Col("max_academic_year", "max-academic-year"),
        Col("needs"), Col("allowed_moves", "setting->setting"),
    ])
    t.text("setting", lambda v: None if v == NONSEND else v, "a setting name other than NONSEND")
    t.number("min_academic_year", integer=True)
    t.number("max_academic_year", integer=True)
    t.text("needs", _list, "a comma-separated list of needs without empty items")
    t.text("allowed_moves", _list, "a comma-separated list of settings without empty items")
    df = t.df
    inverted = t.ok("min_academic_year") & (df["min_academic_year"] > df["max_academic_year"])
    t.flag(inverted, "max_academic_year", "at least min-academic-year", df["max_academic_year"])
    settings = set(df["setting"])
    unknown = pd.Series([",".join(m for m in moves or [] if m not in settings)
                         for moves in df["allowed_moves"]], index=df.index)
    t.flag(unknown != "", "allowed_moves", "settings listed in the file's setting column", unknown)
    t.unique(["setting"])
    return t.result(["setting", "setting_group", "min_academic_year", "max_academic_year",
                     "needs", "allowed_moves"], text=["setting", "setting_group"])


def read_witan_population(path: str | Path) -> pd.DataFrame:
    """Read witan.send population (``population.csv``).

    Columns in the file: ``calendar-year, academic-year, population``.
    Returns ``calendar_year, academic_year, population`` (``int64``, population
    >= 0); one row per (calendar_year, academic_year).
    """
    t = Table(path, [Col("calendar_year", "calendar-year"),
                      Col("academic_year", "academic-year"), Col("population")])
    _years(t, "calendar_year")
    t.number("academic_year", integer=True)
    t.number("population", integer=True, lo=0)
    t.unique(["calendar_year", "academic_year"])
    return t.result(["calendar_year", "academic_year", "population"])


def read_witan_costs(path: str | Path) -> pd.DataFrame:
    """Read witan.send costs (``costs.csv``).

    Columns in the file: ``need, setting, cost``.  Returns ``need, setting``
    (``str``) and ``cost`` (``float64`` >= 0, per child per year); one row per
    (need, setting).
    """
    t = Table(path, [Col("need"), Col("setting"), Col("cost")])
    t.number("cost", lo=0)
    t.unique(["need", "setting"])
    return t.result(["need", "setting", "cost"], text=["need", "setting"])


# ------------------------------------------------------------ the LA's own files


def read_monthly_requests(path: str | Path) -> pd.DataFrame:
    """Read an LA's monthly counts of EHC needs assessment requests.

    Columns: ``month`` (required: ``2024-01``, ``2024/01``, ``Jan 2024``,
    ``January 2024`` or a date ``2024-01-31`` / ``31/01/2024`` - only its month
    is kept), ``requests`` (required: whole number >= 0) and ``la_code``
    (optional: 3 digits; if the column is there, every row needs one).

    Returns ``month`` (``period[M]``), ``calendar_year`` (``int64``) and
    ``requests`` (``int64``), with ``la_code`` (``str``) first only when the
    file has that column; one row per (la_code, month), sorted.  Missing months
    are not filled in: see :func:`monthly_to_annual`.
    """
    t = Table(path, [Col("la_code", required=False), Col("month"), Col("requests")])
    key = [*_optional_la_code(t), "month"]
    t.text("month", _month, "a month such as 2024-01 (or a date such as 2024-01-31)")
    t.number("requests", integer=True, lo=0)
    t.unique(key)
    out = t.result([*key, "requests"], text=key[:-1])
    out["month"] = out["month"].astype("period[M]")
    out.insert(len(key), "calendar_year", out["month"].dt.year.astype("int64"))
    return out.sort_values(key, ignore_index=True)


def monthly_to_annual(frame: pd.DataFrame) -> pd.DataFrame:
    """Calendar-year totals of :func:`read_monthly_requests` output.

    Returns ``calendar_year, requests`` (sum over the months observed),
    ``months_observed`` and ``complete`` (``True`` only when all 12 months are
    there), with ``la_code`` first when the input has it.  A year with
    ``complete == False`` is a partial total, not an annual figure.
    """
    missing = [c for c in ("month", "calendar_year", "requests") if c not in frame.columns]
    if missing:
        raise InputError([Problem("<frame>", None, c, "a column of read_monthly_requests output",
                                  ", ".join(map(str, frame.columns))) for c in missing])
    key = ["la_code", "calendar_year"] if "la_code" in frame.columns else ["calendar_year"]
    out = frame.groupby(key, as_index=False, sort=True).agg(
        requests=("requests", "sum"), months_observed=("month", "nunique"))
    out = out.astype({"requests": "int64", "months_observed": "int64"})
    out["complete"] = out["months_observed"] == 12
    return out


def read_unit_costs(path: str | Path) -> pd.DataFrame:
    """Read placement unit costs (GBP per pupil per year).

    Columns:

    - ``placement`` (required): a placement group (``state_special``,
      ``mainstream`` ...) or a detailed placement code or SEN2 label
      (``special_la_maintained``, ``Special - LA maintained`` ...).
    - ``annual_cost`` (required): number >= 0, GBP per pupil per year.
    - ``phase`` (optional): ``early_years, primary, secondary, post16, 19-25``;
      blank or ``all`` = every phase.
    - ``need`` (optional): a need code (``ASD``, ``SEMH`` ...); blank or
      ``all`` = every need.
    - ``line`` (optional): cost line such as ``top_up``, ``place_funding``,
      ``fees``, ``transport`` (lower-cased, spaces and hyphens become ``_``);
      default ``total``.
    - ``inflation`` (optional): annual fraction from -0.5 to 0.5 (0.03 = 3%);
      default 0.
    - ``source`` (optional): free text; default "".

    Returns ``placement`` (the group name, or the canonical detailed code),
    ``placement_group``, ``phase``, ``need`` (``all`` when blank), ``line``,
    ``source`` (``str``), ``annual_cost`` and ``inflation`` (``float64``).
    One row per (placement, phase, need, line).
    """
    t = Table(path, [Col("placement"), Col("phase", required=False),
                      Col("need", required=False), Col("line", required=False),
                      Col("annual_cost"), Col("inflation", required=False),
                      Col("source", required=False)])
    t.text("placement", _placement, _GROUP_EXPECTED + ", or a detailed placement code/label")
    t.text("phase", _PHASE, _PHASE_EXPECTED, default=ALL)
    t.text("need", _need, _NEED_EXPECTED, default=ALL)
    t.text("line", _cost_line, "a cost line; SEN transport (general fund, not the High Needs "
           "Block) is the line 'transport' exactly", default="total")
    t.number("annual_cost", lo=0)
    t.number("inflation", lo=-0.5, hi=0.5)
    t.text("source", str, "text", default="")
    t.df["placement_group"] = [p and placement_group(p) for p in t.df["placement"]]
    t.unique(["placement", "phase", "need", "line"])
    text = ["placement", "placement_group", "phase", "need", "line"]
    return t.result([*text, "annual_cost", "inflation", "source"], text=[*text, "source"])


def read_capacity(path: str | Path, provisions: Sequence[str] | None = None,
                  needs: Sequence[str] | None = None) -> pd.DataFrame:
    """Read commissioned places by provision.

    ``provisions`` and ``needs``: the values allowed instead of the SEN2 placement groups
    and need codes (a witan.send model's settings and needs, e.g. ``B`` and ``X``).

    Columns: ``provision`` (required: a placement group, typically
    ``state_special``, ``resourced_provision``, ``independent_special``,
    ``ap_pru`` or ``specialist_post16``), ``year`` (required: academic year by
    its January, e.g. 2026 for 2025/26), ``places`` (required: whole number
    >= 0), ``phase`` and ``need`` (optional: blank = ``all``) and ``name``
    (optional: school or provision name, default "").  ``need`` is the places'
    designation (places for ASD, SEMH, ...; ``all`` = general places); the column
    may be headed ``designation`` instead (not both).

    Returns ``provision, phase, need, name`` (``str``), ``year`` and
    ``places`` (``int64``).  One row per (provision, phase, need, year, name).
    """
    t = Table(path, [Col("provision"), Col("year"), Col("places"),
                      Col("phase", required=False), Col("need", required=False),
                      Col("designation", required=False), Col("name", required=False)])
    if "designation" in t.present:
        if "need" in t.present:
            t.problem(None, "designation", "a need column or a designation column, not both",
                      "both")
        t.df["need"], t.headers["need"] = t.df["designation"], t.headers["designation"]
    if provisions is None:
        t.text("provision", _GROUP, _GROUP_EXPECTED)
    else:
        t.text("provision", _one_of(provisions), "a setting: one of " + ", ".join(provisions))
    _years(t, "year")
    t.number("places", integer=True, lo=0)
    t.text("phase", _PHASE, _PHASE_EXPECTED, default=ALL)
    if needs is None:
        t.text("need", _need, _NEED_EXPECTED, default=ALL)
    else:
        t.text("need", _one_of([*needs, ALL]), "a need: one of " + ", ".join(needs)
               + ", or blank/all for every need", default=ALL)
    t.text("name", str, "text", default="")
    t.unique(["provision", "phase", "need", "year", "name"])
    text = ["provision", "phase", "need", "name"]
    return t.result([*text, "year", "places"], text=text)


def read_overflow_rules(path: str | Path) -> dict[str, list[str]]:
    """Read which needs places designated for a need may also take (sufficiency by need).

    Columns: ``designation`` and ``need`` (both required: a need code, e.g. ``ASD``,
    ``SLCN``); one row per allowed pair, in the order the places are offered (the first
    row of a designation is tried first).  A designation with a row of ``need`` = its own
    need and no other is allowed nothing else.  Returns ``{designation: [needs]}``.
    """
    t = Table(path, [Col("designation"), Col("need")])
    expected = "a need: one of " + ", ".join(NEEDS)
    t.text("designation", need_code, expected)
    t.text("need", need_code, expected)
    t.unique(["designation", "need"])
    df = t.result(["designation", "need"], text=["designation", "need"])
    rules: dict[str, list[str]] = {}
    for d, n in zip(df["designation"], df["need"], strict=True):
        rules.setdefault(d, [])
        if n != d:
            rules[d].append(n)
    return rules


def read_population(path: str | Path) -> pd.DataFrame:
    """Read population by single year of age (e.g. ONS estimates or projections).

    Columns: ``age`` (required: whole number 0-25, age on 31 August), ``year``
    (required: calendar year), ``population`` (required: number >= 0; may be
    fractional, as projections are) and ``la_code`` (optional: 3 digits; if the
    column is there, every row needs one).

    Returns ``age, year`` (``int64``) and ``population`` (``float64``), with
    ``la_code`` (``str``) first only when the file has that column.  One row
    per (la_code, age, year).
    """
    t = Table(path, [Col("la_code", required=False), Col("age"), Col("year"),
                      Col("population")])
    key = [*_optional_la_code(t), "age", "year"]
    t.number("age", integer=True, lo=0, hi=25)
    _years(t, "year")
    t.number("population", lo=0)
    t.unique(key)
    return t.result([*key, "population"], text=key[:-2])
