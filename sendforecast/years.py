"""One place for the three year conventions (see README "Data conventions").

* caseload is labelled by its January census (``201819`` -> 2019);
* flows (requests, assessments, new plans, ceased plans) by calendar year;
* money by April-March financial year (``"2026-27"``).

:func:`financial_year_stock` turns January census stocks into financial-year average
stocks; :func:`fy_label` / :func:`fy_start` convert between a financial year's label and
the calendar year it starts in.  Knows nothing of costs, models or data files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

__all__ = ["fy_label", "fy_start", "is_fy", "financial_year_stock", "FY_WEIGHTS"]

_FY = re.compile(r"(\d{4})-(\d{2})")


def fy_label(start_year: int) -> str:
    """``2026 -> "2026-27"`` (the financial year April 2026 - March 2027)."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def fy_start(label: str) -> int:
    """``"2026-27" -> 2026``; ``ValueError`` for anything else."""
    m = _FY.fullmatch(str(label).strip())
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise ValueError(f"a financial year such as '2026-27', found {label!r}")
    return int(m.group(1))


#: Weights of the Januaries y, y+1, y+2 in the average stock of financial year y-(y+1).
FY_WEIGHTS = np.array([15.0, 32.0, 1.0]) / 48.0


def financial_year_stock(jan_stock: np.ndarray, jan_years: Sequence[int]
                         ) -> tuple[np.ndarray, list[str]]:
    """Average stock of each April-March financial year from January census stocks.

    ``jan_stock[..., year]`` has the January count of consecutive years
    ``jan_years``.  The stock between two censuses is linear by month (month ``m``
    after January ``y`` has ``S_y + m/12 (S_y+1 - S_y)``), and a financial year is
    the mean of its 12 monthly values, April (m = 3) to March (m = 14)::

        FY y-(y+1) = (15 S_y + 32 S_y+1 + S_y+2) / 48
                   =  0.3125 S_y + 0.6667 S_y+1 + 0.0208 S_y+2

    (April-December give S_y weight 3.75 and S_y+1 5.25 of 12; January-March give
    S_y+1 2.75 and S_y+2 0.25.)  A stock growing linearly gives its value in
    mid-October, the middle of the year.  The last financial year (starting April of
    the second-last January) lacks ``S_y+2``: it is extrapolated flat
    (``S_y+2 = S_y+1``, weights 15/48 and 33/48).  No year starts at the last January.

    Returns ``(fy_stock[..., fy], labels)`` with ``len(jan_years) - 1`` financial years,
    the first starting April of ``jan_years[0]``.
    """
    years = [int(y) for y in jan_years]
    stock = np.asarray(jan_stock, dtype=float)
    if stock.shape[-1] != len(years):
        raise ValueError(f"last axis of jan_stock has {stock.shape[-1]} years, "
                         f"jan_years has {len(years)}")
    if len(years) < 2 or any(b - a != 1 for a, b in zip(years, years[1:], strict=False)):
        raise ValueError(f"at least two consecutive January years needed, found {years}")
    ext = np.concatenate([stock, stock[..., -1:]], axis=-1)  # flat extrapolation
    fy = (FY_WEIGHTS[0] * ext[..., :-2] + FY_WEIGHTS[1] * ext[..., 1:-1]
          + FY_WEIGHTS[2] * ext[..., 2:])
    return fy, [fy_label(y) for y in years[:-1]]


def is_fy(label: str) -> bool:
    """Whether ``label`` is a financial year such as ``"2026-27"``."""
    try:
        fy_start(label)
    except ValueError:
        return False
    return True
