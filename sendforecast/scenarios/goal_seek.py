"""Goal seeking: the smallest strength of an intervention that meets a budget target.

Example: the fewest resourced-provision places (or the smallest % cut in
requests) such that the in-year HNB balance is at least zero in 2029-30 with 80%
probability.  The search is a bisection on the strength, which assumes the
target probability rises monotonically with strength (true for the library's
interventions in expectation; with paired draws the Monte Carlo estimate is
close to monotone).  It stops when the bracket is narrower than ``tol``; the
answer is the upper end of the final bracket, so the target is met at the
reported strength (as evaluated on these draws).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .base import Scenario
from .compare import run_strategy


@dataclass
class GoalSeekResult:
    strength: float | None  # None when even ``hi`` does not meet the target
    probability: float  # P(target met) at ``strength`` (or at ``hi`` when not achievable)
    achievable: bool
    target: str
    iterations: pd.DataFrame  # strength, probability, met
    largest: bool = False  # a lever that works downward: the largest value meeting the target

    def __str__(self) -> str:
        if not self.achievable:
            return (f"Target '{self.target}' is not met even at the "
                    f"{'smallest value' if self.largest else 'largest strength'} tried "
                    f"(P = {self.probability:.0%}).")
        what = ("Largest value (the target is likelier as it falls)" if self.largest
                else "Smallest strength")
        return (f"{what} meeting '{self.target}': {self.strength:g} "
                f"(P = {self.probability:.0%}; {len(self.iterations)} evaluations).")


def target_probability(run, measure: str, financial_year: str, threshold: float) -> float:
    """P(measure >= threshold) in ``financial_year`` across the run's draws."""
    bal = run.balance
    if financial_year not in bal.financial_years:
        raise ValueError(f"{financial_year} is not a projected financial year "
                         f"({bal.financial_years[0]} to {bal.financial_years[-1]})")
    j = bal.financial_years.index(financial_year)
    values = {"in_year_balance": bal.in_year, "cumulative_balance": bal.cumulative}[measure][:, j]
    return float((values >= threshold).mean())


def goal_seek(model, build: Callable[[float], Sequence[Scenario]], lo: float, hi: float, *,
              financial_year: str, measure: str = "in_year_balance", threshold: float = 0.0,
              probability: float = 0.8, tol: float = 1.0, max_iter: int = 25, horizon: int = 10,
              draws: int = 1000, seed: int = 1, integer: bool = False, **budget_kwargs,
              ) -> GoalSeekResult:
    """Smallest ``strength`` in [lo, hi] with P(``measure`` ≥ ``threshold`` in
    ``financial_year``) ≥ ``probability``, where ``build(strength)`` returns the strategy.

    ``budget_kwargs`` go to :func:`run_strategy` (``costs``, ``allocation``,
    ``capacity``, ``routing``).  ``integer=True`` searches whole numbers (places).
    """
    if not (0 < probability < 1):
        raise ValueError("probability must be between 0 and 1")
    if hi <= lo:
        raise ValueError(f"need lo < hi, got {lo}, {hi}")
    target = f"{measure} >= {threshold:,.0f} in {financial_year} with probability >= {probability:.0%}"
    rows = []

    def evaluate(x: float) -> float:
        run = run_strategy(model, f"strength={x:g}", list(build(x)), horizon=horizon, draws=draws,
                           seed=seed, **budget_kwargs)
        p = target_probability(run, measure, financial_year, threshold)
        rows.append({"strength": x, "probability": p, "met": p >= probability})
        return p

    return bisect(evaluate, lo, hi, probability=probability, tol=tol, integer=integer,
                  max_iter=max_iter, target=target, rows=rows)


def bisect(evaluate: Callable[[float], float], lo: float, hi: float, *, probability: float,
           tol: float, integer: bool, max_iter: int, target: str, rows: list[dict]
           ) -> GoalSeekResult:
    """The bisection shared by the goal seeks: ``evaluate(x)`` gives P(target met) at
    strength ``x`` and appends its row to ``rows``."""
    p_lo = evaluate(lo)
    if p_lo >= probability:
        return GoalSeekResult(lo, p_lo, True, target, pd.DataFrame(rows))
    p_hi = evaluate(hi)
    if p_hi < probability:
        return GoalSeekResult(None, p_hi, False, target, pd.DataFrame(rows))
    a, b, pb = lo, hi, p_hi
    for _ in range(max_iter):
        if b - a <= tol:
            break
        m = (a + b) / 2
        if integer:
            m = float(np.floor(m))
            if m <= a:
                break
        pm = evaluate(m)
        if pm >= probability:
            b, pb = m, pm
        else:
            a = m
    return GoalSeekResult(b, pb, True, target, pd.DataFrame(rows))
