"""Money: unit costs (:mod:`.costs`), the HNB allocation and DSG balance (:mod:`.hnb`), and
the budget chain demand -> places -> cost -> balance (:mod:`.budget`)."""

from sendforecast.finance.budget import BudgetResult, budget
from sendforecast.finance.costs import CostAssumptions
from sendforecast.finance.hnb import HNBAllocation

__all__ = ["budget", "BudgetResult", "CostAssumptions", "HNBAllocation"]
