"""High Needs Block cost assumptions and cost draws.

Three pieces, each pure (numpy arrays / tidy frames in, arrays / frames out):

- :class:`CostAssumptions`: annual unit cost per pupil by placement group
  (optionally by phase and need) split into cost *components* (``place_funding``,
  ``top_up``, ``fees``, ``total`` ...), each with its own annual inflation and the
  financial year its price is in; SEN transport per pupil by placement group (paid
  from the council's general fund, **not** the HNB, reported separately); and
  fixed HNB lines (central services ...) with growth.  :meth:`CostAssumptions.defaults`
  names the public source of every line and labels every figure that is an assumption.
- financial years (:mod:`sendforecast.years`): January census stocks become April-March
  financial-year averages before costing.
- :func:`apply_costs`: financial-year stock by state (x phase) times unit costs,
  inflated from each component's price year, giving cost draws ``[draw, fy, line]``.

Cost in financial year ``f`` of a component priced in year ``p`` with inflation ``i``::

    annual_cost * (1 + i) ** (start(f) - start(p))      # start("2026-27") = 2026
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from sendforecast.config import load_yaml_model, plain_message
from sendforecast.data.taxonomy import NEEDS, PLACEMENT_GROUPS, Phase, phases_of_ages
from sendforecast.errors import InputError, Problem, SendForecastWarning
from sendforecast.finance.assumptions_sheet import COLUMNS as SHEET_COLUMNS
from sendforecast.finance.assumptions_sheet import (
    FIXED,
    KINDS,
    TRANSPORT,
    UNIT,
    has_assumptions_sheet,
    read_sheet_rows,
)
from sendforecast.years import fy_start, is_fy

__all__ = [
    "UnitCost", "TransportCost", "FixedLine", "CostAssumptions", "CostDraws", "apply_costs",
    "stock_by_group_phase", "warn_placeholders",
]

ALL = "all"
PHASES = [p.value for p in Phase]


# ------------------------------------------------------------------ assumptions


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _fy_field(v: Any) -> str:
    fy_start(v)
    return str(v).strip()


def _one_of(allowed: Sequence[str], what: str):
    def check(v: str) -> str:
        if v not in allowed:
            raise ValueError(f"{what}: one of " + ", ".join(allowed))
        return v
    return check


FinancialYear = Annotated[str, AfterValidator(_fy_field)]
Group = Annotated[str, AfterValidator(_one_of(PLACEMENT_GROUPS, "a placement group"))]
PhaseName = Annotated[str, AfterValidator(_one_of([*PHASES, ALL], "a phase"))]
NeedName = Annotated[str, AfterValidator(_one_of([*NEEDS, ALL], "a need"))]


class UnitCost(_Model):
    """One component of the annual cost of a pupil in a placement group (GBP, HNB)."""

    placement_group: Group
    phase: PhaseName = ALL
    need: NeedName = ALL
    line: str = "total"  # component: place_funding, top_up, fees, total ...
    annual_cost: float = Field(ge=0)
    inflation: float = Field(default=0.0, ge=-0.5, le=0.5)
    price_year: FinancialYear = "2024-25"
    source: str = ""
    basis: str = "user"  # published | derived | assumption | placeholder | user


class TransportCost(_Model):
    """SEN home-to-school transport per pupil per year (council general fund, not HNB)."""

    placement_group: Group
    annual_cost: float = Field(ge=0)
    inflation: float = Field(default=0.0, ge=-0.5, le=0.5)
    price_year: FinancialYear = "2024-25"
    source: str = ""
    basis: str = "user"


class FixedLine(_Model):
    """An HNB line not driven by placements (central services, hospital education ...)."""

    name: str = Field(min_length=1)
    amount: float = Field(ge=0)
    growth: float = Field(default=0.0, ge=-0.5, le=0.5)
    price_year: FinancialYear = "2024-25"
    source: str = ""
    basis: str = "user"


_A = "ASSUMPTION (no published figure): "
_INFL = _A + "3%/yr cost growth for top-ups and other non-fee costs"
_LINC = "Lincolnshire County Council FOI response, Jan 2024"
_GUIDE = "DfE high needs funding operational guide; DfE high-needs place-number files"
#: Independent + NMSS spend per pupil grew from £54k (2020-21) to £64k (2024-25):
#: (64/54) ** (1/4) - 1 = 4.3% a year (DfE PQ answer, 7 Jan 2026, facts.md).
INDEPENDENT_GROWTH = round((64 / 54) ** 0.25 - 1, 3)


def _default_unit_costs() -> list[UnitCost]:
    u = UnitCost
    flat = _A + "place values held flat in cash terms (0%/yr)"
    rows = [
        u(placement_group="mainstream", line="top_up", annual_cost=8662, inflation=0.03,
          price_year="2022-23", basis="published",
          source=f"Mainstream EHCP top-up mean £8,662 (median £7,890), 2022-23, {_LINC}; "
                 f"the school meets the first ~£6,000 (not HNB). Inflation: {_INFL}"),
        u(placement_group="resourced_provision", line="place_funding", annual_cost=6000,
          price_year="2024-25", basis="published",
          source=f"RP/SEN unit place £6,000 where the pupil is on the school roll, {_GUIDE}. "
                 f"Inflation: {flat}"),
        u(placement_group="resourced_provision", line="top_up", annual_cost=8662,
          inflation=0.03, price_year="2022-23", basis="assumption",
          source=_A + "RP top-up taken as the mainstream EHCP top-up mean £8,662 (2022-23, "
                 f"{_LINC}). Inflation: {_INFL}"),
        u(placement_group="state_special", line="place_funding", annual_cost=10000,
          price_year="2024-25", basis="published",
          source=f"Special school place £10,000, {_GUIDE}. Inflation: {flat}"),
        u(placement_group="state_special", line="top_up", annual_cost=7313, inflation=0.03,
          price_year="2022-23", basis="derived",
          source="Maintained/academy special school mean £17,313 (median £16,965) 2022-23, "
                 f"{_LINC}, less the £10,000 place = £7,313 top-up; uprated from 2022-23 by "
                 f"the inflation. Inflation: {_INFL}"),
        u(placement_group="independent_special", line="fees", annual_cost=64000,
          inflation=INDEPENDENT_GROWTH, price_year="2024-25", basis="published",
          source="Independent + non-maintained special, LA spend per pupil with EHCP £64k "
                 "2024-25, DfE answer to parliamentary question 7 Jan 2026 (s251 outturn / "
                 f"SEN2). Inflation {INDEPENDENT_GROWTH:.1%}/yr derived from the same "
                 "series: £54k (2020-21) to £64k (2024-25)"),
        u(placement_group="ap_pru", line="place_funding", annual_cost=10000,
          price_year="2024-25", basis="assumption",
          source=_A + f"AP place at the £10,000 special-school place value ({_GUIDE}). "
                 f"Inflation: {flat}"),
        u(placement_group="ap_pru", line="top_up", annual_cost=7313, inflation=0.03,
          price_year="2022-23", basis="assumption",
          source=_A + "AP top-up taken as the special-school top-up £7,313 (2022-23, derived "
                 f"from {_LINC}). Inflation: {_INFL}"),
        u(placement_group="post16_fe", line="place_funding", annual_cost=6000,
          price_year="2024-25", basis="assumption",
          source=_A + "FE high-needs element 2 taken as £6,000 by analogy with the RP/SEN "
                 f"unit place value ({_GUIDE}). Inflation: {flat}"),
        u(placement_group="post16_fe", line="top_up", annual_cost=8662, inflation=0.03,
          price_year="2022-23", basis="assumption",
          source=_A + f"FE top-up taken as the mainstream EHCP top-up mean £8,662 ({_LINC}). "
                 f"Inflation: {_INFL}"),
        u(placement_group="specialist_post16", line="fees", annual_cost=50000,
          inflation=INDEPENDENT_GROWTH, price_year="2022-23", basis="assumption",
          source=_A + "specialist post-16 institution fee taken as the independent/"
                 f"non-maintained specialist median £50,000 (2022-23, {_LINC}; mean £70,353). "
                 f"Inflation as independent special ({INDEPENDENT_GROWTH:.1%}/yr, derived from "
                 "the DfE PQ series)"),
    ]
    for g in ("educated_elsewhere", "early_years", "not_recorded"):
        rows.append(u(placement_group=g, line="total", annual_cost=0, price_year="2024-25",
                      basis="placeholder",
                      source="PLACEHOLDER: no published figure; £0 until you supply a local "
                             "cost (e.g. EOTAS packages, early years inclusion funding)"))
    return rows


def _default_transport() -> list[TransportCost]:
    return [TransportCost(placement_group=g, annual_cost=0, price_year="2024-25",
                          basis="placeholder",
                          source="PLACEHOLDER: no published SEN transport figure; £0 until "
                                 "you supply local costs per pupil (general fund, not HNB)")
            for g in PLACEMENT_GROUPS]


class CostAssumptions(_Model):
    """Unit costs (HNB), transport per pupil (general fund) and fixed HNB lines."""

    unit_costs: list[UnitCost]
    transport: list[TransportCost] = []
    fixed_lines: list[FixedLine] = []

    @classmethod
    def defaults(cls) -> CostAssumptions:
        """Defaults from public figures; every line names its source and says when it is an
        assumption (``basis``: published / derived / assumption / placeholder).

        There are no default fixed lines (no published central-spend figure) and
        transport is a £0 placeholder: supply local figures.
        """
        return cls(unit_costs=_default_unit_costs(), transport=_default_transport())

    @classmethod
    def from_file(cls, path: str | Path, *, base: CostAssumptions | None = None
                  ) -> CostAssumptions:
        """Read cost assumptions from a CSV/xlsx or YAML file.

        *CSV / xlsx* (:func:`sendforecast.data.local.read_unit_costs` columns
        ``placement, phase, need, line, annual_cost, inflation, source`` plus an
        optional ``price_year``, default ``2024-25``): rows with ``line`` =
        ``transport`` are transport costs (general fund); the others are unit-cost
        components.  A placement group given in the file replaces *all* the
        ``base`` (default: :meth:`defaults`) rows of that group, so a file never
        adds a ``total`` on top of a default ``place_funding`` + ``top_up``; groups
        not in the file keep the base rows.  Detailed placements are costed at
        their group.

        *A workbook written by sendforecast* (``workbook.xlsx`` with an "Assumptions"
        sheet, possibly edited): every cost line of that sheet, replacing the base
        entirely (:mod:`sendforecast.finance.assumptions_sheet`).

        *YAML*: a mapping with ``unit_costs``, ``transport`` and ``fixed_lines``
        lists (fields as in :class:`UnitCost`, :class:`TransportCost`,
        :class:`FixedLine`), replacing the base entirely.

        Every problem is raised together as one :class:`InputError` naming the
        file, line and field.
        """
        path = Path(path)
        if path.suffix.lower() in {".yaml", ".yml"}:
            return load_yaml_model(path, cls)
        if has_assumptions_sheet(path):  # a sendforecast workbook, edited: the whole set
            return _from_sheet(path)
        return _from_table(path, base or cls.defaults())

    # ------------------------------------------------------------- lookup
    def unit_cost(self, group: str, phase: str, need: str = ALL) -> list[UnitCost]:
        """Components that apply to (group, phase, need): per component the most specific
        row wins (phase and need > phase > need > all)."""
        best: dict[str, tuple[int, UnitCost]] = {}
        for u in self.unit_costs:
            if u.placement_group != group or u.phase not in (phase, ALL) or u.need not in (need, ALL):
                continue
            rank = 2 * (u.phase != ALL) + (u.need != ALL)
            if u.line not in best or rank > best[u.line][0]:
                best[u.line] = (rank, u)
        return [u for _, u in best.values()]

    def to_frame(self) -> pd.DataFrame:
        """One row per assumption, for the workbook's editable Assumptions sheet
        (:mod:`sendforecast.finance.assumptions_sheet`); ``unit`` says what ``annual_cost``
        is per, ``inflation`` is a fraction a year."""
        rows = [{"kind": UNIT, "placement_group": u.placement_group,
                 "phase": u.phase, "need": u.need, "line": u.line, "annual_cost": u.annual_cost,
                 "inflation": u.inflation, "price_year": u.price_year, "basis": u.basis,
                 "source": u.source} for u in self.unit_costs]
        rows += [{"kind": TRANSPORT, "placement_group": t.placement_group,
                  "phase": ALL, "need": ALL, "line": "transport", "annual_cost": t.annual_cost,
                  "inflation": t.inflation, "price_year": t.price_year, "basis": t.basis,
                  "source": t.source} for t in self.transport]
        rows += [{"kind": FIXED, "placement_group": "", "phase": ALL, "need": ALL,
                  "line": f.name, "annual_cost": f.amount, "inflation": f.growth,
                  "price_year": f.price_year, "basis": f.basis, "source": f.source}
                 for f in self.fixed_lines]
        f = pd.DataFrame(rows, columns=[c for c in SHEET_COLUMNS if c != "unit"])
        f.insert(f.columns.get_loc("annual_cost") + 1, "unit", f["kind"].map(KINDS))
        return f[SHEET_COLUMNS]


def _from_sheet(path: Path) -> CostAssumptions:
    """Cost lines from a workbook's edited Assumptions sheet; every bad cell is reported
    with its sheet, row and column."""
    from pydantic import ValidationError

    where, rows, problems = read_sheet_rows(path)
    unit, transport, fixed = [], [], []
    rename = {"line": "name", "annual_cost": "amount", "inflation": "growth"}  # fixed lines
    for n, kind, values in rows:
        try:
            if kind == UNIT:
                unit.append(UnitCost(**values))
            elif kind == TRANSPORT:
                transport.append(TransportCost(**{k: v for k, v in values.items()
                                                  if k not in ("line", "phase", "need")}))
            else:
                fixed.append(FixedLine(**{rename.get(k, k): v for k, v in values.items()
                                          if k not in ("placement_group", "phase", "need")}))
        except ValidationError as exc:
            back = {v: k for k, v in rename.items()} if kind == FIXED else {}
            for e in exc.errors():
                field = str(e["loc"][0]) if e["loc"] else None
                msg = plain_message(e["msg"])  # not pydantic's 'Input should be ...'
                found = None if e.get("input") is None or "found " in msg else str(e["input"])
                problems.append(Problem(where, n, back.get(field, field), msg, found))
    if not unit and not problems:
        problems.append(Problem(where, None, "kind", f"at least one '{UNIT}' row", "none"))
    if problems:
        raise InputError(sorted(problems, key=lambda p: p.row or 0))
    return CostAssumptions(unit_costs=unit, transport=transport, fixed_lines=fixed)


def _from_table(path: Path, base: CostAssumptions) -> CostAssumptions:
    from sendforecast.data import local as L
    from sendforecast.data.tables import Col, Table

    frame = L.read_unit_costs(path)
    # price_year is not a read_unit_costs column: read it with the same machinery
    t = Table(path, [Col("price_year", required=False)])
    t.text("price_year", lambda v: v if is_fy(v) else None,
           "a financial year such as 2024-25", default="2024-25")
    years = t.result(["price_year"])["price_year"].tolist() if t.df.shape[0] else []
    frame["price_year"] = years or ["2024-25"] * len(frame)
    unit, transport = [], []
    for r in frame.itertuples(index=False):
        common = dict(placement_group=r.placement_group, annual_cost=r.annual_cost,
                      inflation=r.inflation, price_year=r.price_year,
                      source=r.source or f"user file {path.name}", basis="user")
        if r.line == "transport":
            transport.append(TransportCost(**common))
        else:
            unit.append(UnitCost(phase=r.phase, need=r.need, line=r.line, **common))
    given = {u.placement_group for u in unit}
    given_t = {t.placement_group for t in transport}
    return CostAssumptions(
        unit_costs=[u for u in base.unit_costs if u.placement_group not in given] + unit,
        transport=[t for t in base.transport if t.placement_group not in given_t] + transport,
        fixed_lines=list(base.fixed_lines))


# ------------------------------------------------------------------ applying costs


@dataclass
class CostDraws:
    """Cost draws ``values[draw, fy, line]`` (GBP, cash terms of each financial year).

    ``kinds[line]`` is ``placement`` (HNB, one line per placement group), ``fixed``
    (HNB fixed line) or ``transport`` (general fund; line ``transport:<group>``).
    """

    values: np.ndarray
    financial_years: list[str]
    lines: list[str]
    kinds: list[str]

    def hnb_total(self) -> np.ndarray:
        """HNB cost ``[draw, fy]``: placement and fixed lines (transport excluded)."""
        keep = [k != "transport" for k in self.kinds]
        return self.values[:, :, keep].sum(axis=2)

    def transport_total(self) -> np.ndarray:
        keep = [k == "transport" for k in self.kinds]
        return self.values[:, :, keep].sum(axis=2)


def _factor(inflation: float, price_year: str, fy_labels: Sequence[str]) -> np.ndarray:
    p = fy_start(price_year)
    return np.array([(1 + inflation) ** (fy_start(f) - p) for f in fy_labels])


def apply_costs(fy_stock: np.ndarray, assumptions: CostAssumptions, fy_labels: Sequence[str],
                states: Sequence[str], phases: Sequence[str] | None = None) -> CostDraws:
    """Cost draws from financial-year stock.

    ``fy_stock[draw, fy, state]`` or ``[draw, fy, state, phase]`` (``phases`` names
    the last axis); a state is a placement group or ``group:need``.  Each HNB line is
    a placement group: sum over phases (and needs) of stock x the sum of its unit-cost
    components, each inflated from its price year.  Then one line per fixed line
    (amount grown from its price year, the same in every draw) and one
    ``transport:<group>`` line per group with a non-zero transport cost.
    """
    stock = np.asarray(fy_stock, dtype=float)
    if stock.ndim == 3:
        stock, phases = stock[..., None], [ALL]
    elif phases is None or stock.shape[3] != len(phases):
        raise ValueError("fy_stock[draw, fy, state, phase] needs phases naming the last axis")
    if stock.shape[1] != len(fy_labels) or stock.shape[2] != len(states):
        raise ValueError(f"fy_stock shape {stock.shape} does not match {len(fy_labels)} "
                         f"financial years and {len(states)} states")
    n_fy = len(fy_labels)
    groups = list(dict.fromkeys(s.split(":")[0] for s in states))
    unknown = [g for g in groups if g not in PLACEMENT_GROUPS]
    if unknown:
        raise ValueError(f"states {unknown} are not placement groups; costs by placement "
                         "group need SEN2-mode states (group or group:need)")
    tp = {t.placement_group: t for t in assumptions.transport}
    lines, kinds, cols = [], [], []
    per_group: dict[str, np.ndarray] = {g: np.zeros(stock.shape[:2]) for g in groups}
    trans: dict[str, np.ndarray] = {}
    for j, s in enumerate(states):
        g, _, need = s.partition(":")
        for k, ph in enumerate(phases):
            x = stock[:, :, j, k]
            rate = np.zeros(n_fy)
            for u in assumptions.unit_cost(g, ph, need or ALL):
                rate += u.annual_cost * _factor(u.inflation, u.price_year, fy_labels)
            per_group[g] += x * rate
            t = tp.get(g)
            if t is not None and t.annual_cost > 0:
                trans[g] = trans.get(g, 0) + x * t.annual_cost * _factor(
                    t.inflation, t.price_year, fy_labels)
    for g in groups:
        lines.append(g), kinds.append("placement"), cols.append(per_group[g])
    for f in assumptions.fixed_lines:
        lines.append(f.name), kinds.append("fixed")
        cols.append(np.broadcast_to(f.amount * _factor(f.growth, f.price_year, fy_labels),
                                    stock.shape[:2]))
    for g, v in trans.items():
        lines.append(f"transport:{g}"), kinds.append("transport"), cols.append(v)
    if len(set(lines)) != len(lines):
        raise ValueError(f"cost line names must be unique, found {lines}")
    return CostDraws(values=np.stack(cols, axis=2), financial_years=list(fy_labels),
                     lines=lines, kinds=kinds)


def stock_by_group_phase(draws: np.ndarray, states: Sequence[str], ages: Sequence[int],
                         age_offset: int = 0) -> tuple[np.ndarray, list[str]]:
    """Collapse ``draws[..., age, state]`` to ``[..., state, phase]`` (phases in order)."""
    phase = phases_of_ages(ages, age_offset).tolist()
    phases = [p for p in PHASES if p in phase]
    m = np.zeros((len(ages), len(phases)))
    for i, p in enumerate(phase):
        m[i, phases.index(p)] = 1
    out = np.einsum("...as,ap->...sp", np.asarray(draws, dtype=float), m)
    return out, phases


def warn_placeholders(assumptions: CostAssumptions) -> None:
    """Warn when transport is all zero or a placement cost is an unreplaced placeholder."""
    if not any(t.annual_cost > 0 for t in assumptions.transport):
        warnings.warn("SEN transport costs are £0 (there is no published per-pupil figure to "
                      "default to): supply your own cost per pupil as rows with line "
                      "'transport' in the unit-costs file given with --costs (Python: "
                      "CostAssumptions(transport=[...])) to report them",
                      SendForecastWarning, stacklevel=3)
