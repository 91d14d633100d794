"""High Needs Block allocation and the DSG balance per Monte Carlo draw.

:class:`HNBAllocation` is the LA's own allocation path (a YAML file); :func:`dsg_balance`
turns cost draws into in-year and cumulative balances per draw.  Sign convention: a
balance is income minus spend, so a deficit is negative.  Knows costs and money; knows
nothing of projections, charts or scenarios.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sendforecast.config import load_yaml_model
from sendforecast.finance.costs import CostDraws, FinancialYear, FixedLine
from sendforecast.intervals import quantile_frame
from sendforecast.years import fy_start

__all__ = ["HNBAllocation", "Balance", "dsg_balance", "prob_deficit_exceeds", "MAX_TRANSFER"]

#: A Schools Block transfer above 0.5% needs the Secretary of State's approval (primer).
MAX_TRANSFER = 0.005


class HNBAllocation(BaseModel):
    """The HNB allocation path and the DSG position it is measured against.

    Either ``base_amount`` (GBP in ``base_year``) growing by ``growth`` a year, or an
    explicit ``series`` ``{"2026-27": amount, ...}`` covering every projected year.
    ``schools_block_transfer`` is a fraction (at most 0.005) of the Schools Block
    (``schools_block`` in ``base_year``, growing by ``schools_block_growth``) added to
    high-needs income every year.  ``opening_dsg_balance`` is the DSG reserve at the
    start of ``opening_year`` (default: the first projected year); negative = deficit.
    ``central_lines`` are HNB lines not driven by placements (fixed amounts with
    growth), added to the cost assumptions' fixed lines.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_year: FinancialYear
    base_amount: float | None = Field(default=None, ge=0)
    growth: float = Field(default=0.0, ge=-0.5, le=0.5)
    series: dict[str, float] | None = None
    schools_block_transfer: float = Field(default=0.0, ge=0)
    schools_block: float = Field(default=0.0, ge=0)
    schools_block_growth: float = Field(default=0.0, ge=-0.5, le=0.5)
    opening_dsg_balance: float = 0.0
    opening_year: FinancialYear | None = None
    central_lines: list[FixedLine] = []
    source: str = ""

    @field_validator("schools_block_transfer")
    @classmethod
    def _transfer(cls, v: float) -> float:
        if v > MAX_TRANSFER:
            raise ValueError(f"a fraction of at most {MAX_TRANSFER} (0.5% of the Schools Block; "
                             "more needs the Secretary of State's approval)")
        return v

    @field_validator("series")
    @classmethod
    def _series(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return v
        bad = []
        for k, amount in v.items():
            try:
                fy_start(k)
            except ValueError:
                bad.append(f"key {k!r} is not a financial year such as 2026-27")
            if not isinstance(amount, int | float) or amount < 0:
                bad.append(f"{k}: amount {amount!r} is not a number >= 0")
        if bad:
            raise ValueError("; ".join(bad))
        return {str(k): float(a) for k, a in v.items()}

    @model_validator(mode="after")
    def _one_path(self) -> HNBAllocation:
        if (self.base_amount is None) == (self.series is None):
            raise ValueError("exactly one of base_amount (with growth) or series")
        if self.schools_block_transfer > 0 and self.schools_block <= 0:
            raise ValueError("schools_block (GBP in base_year) to apply a schools_block_transfer")
        return self

    @classmethod
    def from_file(cls, path: str | Path) -> HNBAllocation:
        """Read a YAML file; every problem names the file, line and field."""
        return load_yaml_model(path, cls)

    def amounts(self, fy_labels: Sequence[str]) -> np.ndarray:
        """HNB allocation per financial year (GBP)."""
        if self.series is not None:
            missing = [f for f in fy_labels if f not in self.series]
            if missing:
                raise ValueError(f"HNB series has no amount for {', '.join(missing)}")
            return np.array([self.series[f] for f in fy_labels])
        b = fy_start(self.base_year)
        return np.array([self.base_amount * (1 + self.growth) ** (fy_start(f) - b)
                         for f in fy_labels])

    def transfer(self, fy_labels: Sequence[str]) -> np.ndarray:
        """Schools Block transfer per financial year (GBP)."""
        b = fy_start(self.base_year)
        return np.array([self.schools_block_transfer * self.schools_block
                         * (1 + self.schools_block_growth) ** (fy_start(f) - b)
                         for f in fy_labels])

    def to_frame(self) -> pd.DataFrame:
        rows = [(k, v) for k, v in self.model_dump(exclude={"central_lines", "series"}).items()]
        if self.series:
            rows += [(f"series {k}", v) for k, v in self.series.items()]
        rows += [(f"central line {f.name}", f"£{f.amount:,.0f} from {f.price_year}, growth "
                  f"{f.growth:.1%}; {f.source}") for f in self.central_lines]
        # numbers stay numbers (a workbook cell a finance officer can sum), the rest text
        rows = [(k, v if isinstance(v, int | float) and not isinstance(v, bool)
                 else "" if v is None else str(v)) for k, v in rows]
        return pd.DataFrame(rows, columns=["item", "value"], dtype=object)


# --------------------------------------------------------------------- balance


@dataclass
class Balance:
    """DSG balance per draw ``[draw, fy]`` (GBP; negative = deficit)."""

    financial_years: list[str]
    allocation: np.ndarray  # [fy] HNB allocation
    transfer: np.ndarray  # [fy] Schools Block transfer
    cost: np.ndarray  # [draw, fy] HNB cost
    in_year: np.ndarray  # [draw, fy] income - cost
    cumulative: np.ndarray  # [draw, fy] balance at the end of each year (NaN before opening)
    opening: float
    opening_year: str

    def frame(self) -> pd.DataFrame:
        """Tidy ``financial_year, measure, mean, p10, p90, p2_5, p97_5``."""
        d = self.cost.shape[0]
        stack = np.stack([np.broadcast_to(self.allocation, (d, len(self.allocation))),
                          np.broadcast_to(self.transfer, (d, len(self.transfer))),
                          self.cost, self.in_year, self.cumulative], axis=2)
        return quantile_frame(stack, self.financial_years,
                              ["hnb_allocation", "schools_block_transfer", "hnb_cost",
                               "in_year_balance", "cumulative_balance"], name="measure")


def dsg_balance(cost: CostDraws | np.ndarray, allocation: HNBAllocation,
                fy_labels: Sequence[str] | None = None) -> Balance:
    """In-year and cumulative DSG balance per draw.

    ``cost`` is a :class:`CostDraws` (its HNB lines are used; transport is general
    fund and excluded) or an HNB cost array ``[draw, fy]`` with ``fy_labels``.
    ``in_year = allocation + transfer - cost``; ``cumulative`` = opening balance plus
    the running sum of ``in_year`` from ``opening_year`` (``NaN`` for earlier years).
    """
    if isinstance(cost, CostDraws):
        fy_labels, hnb = cost.financial_years, cost.hnb_total()
    else:
        if fy_labels is None:
            raise ValueError("fy_labels are needed with a cost array")
        hnb = np.asarray(cost, dtype=float)
    fys = list(fy_labels)
    if hnb.ndim != 2 or hnb.shape[1] != len(fys):
        raise ValueError(f"cost shape {hnb.shape} does not match [draw, {len(fys)} years]")
    alloc, tr = allocation.amounts(fys), allocation.transfer(fys)
    in_year = alloc + tr - hnb
    opening_year = allocation.opening_year or fys[0]
    if opening_year not in fys:
        raise ValueError(f"opening_year {opening_year} is not a projected financial year "
                         f"({fys[0]} to {fys[-1]})")
    k = fys.index(opening_year)
    cum = np.full_like(in_year, np.nan)
    cum[:, k:] = allocation.opening_dsg_balance + np.cumsum(in_year[:, k:], axis=1)
    return Balance(fys, alloc, tr, hnb, in_year, cum, allocation.opening_dsg_balance, opening_year)


def prob_deficit_exceeds(balance: Balance, amount: float, by_fy: str) -> float:
    """P(cumulative deficit at the end of ``by_fy`` is larger than ``amount`` GBP),
    i.e. the share of draws with ``cumulative < -amount`` in that year."""
    if by_fy not in balance.financial_years:
        raise ValueError(f"{by_fy} is not a projected financial year "
                         f"({balance.financial_years[0]} to {balance.financial_years[-1]})")
    c = balance.cumulative[:, balance.financial_years.index(by_fy)]
    if np.isnan(c).any():
        raise ValueError(f"{by_fy} is before the opening year {balance.opening_year}")
    return float(np.mean(c < -amount))
