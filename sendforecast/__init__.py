"""sendforecast: forecast SEND demand, specialist places and High Needs Block costs.

The verbs, in the order of the flow (data -> models -> finance -> scenarios -> report)::

    import sendforecast as sf
    data = sf.load_sen2("release-2025/", "release-2022/")     # or sf.load_example()
    fc = sf.forecast(data, "requests", la="825", horizon=5)   # demand series with intervals
    model = sf.CohortModel.from_sen2(data, "825")             # placements by age
    proj = model.project(horizon=10, draws=1000, seed=1)
    b = sf.budget(proj, sf.CostAssumptions.defaults(), sf.HNBAllocation.from_file("hnb.yaml"))
    comp = sf.compare(model, {...}, allocation=...)            # strategies on paired draws
    sf.report.budget_workbook(b, "budget.xlsx")                # charts and workbooks

Heavy dependencies (statsmodels, PyMC, numba) load on first use of a verb that needs them.
"""

from __future__ import annotations

from importlib import import_module

from sendforecast.data.quality import QualityReport
from sendforecast.data.sen2 import SEN2Data, load_sen2
from sendforecast.errors import InputError, SendForecastWarning

__version__ = "0.1.0"

#: Public name -> the module that defines it (imported on first use).
_LAZY = {
    "forecast": "sendforecast.models.forecast",
    "backtest": "sendforecast.models",
    "CohortModel": "sendforecast.models.cohort",
    "CohortProjection": "sendforecast.models.cohort",
    "budget": "sendforecast.finance.budget",
    "BudgetResult": "sendforecast.finance.budget",
    "CostAssumptions": "sendforecast.finance.costs",
    "HNBAllocation": "sendforecast.finance.hnb",
    "Capacity": "sendforecast.sufficiency",
    "compare": "sendforecast.scenarios.compare",
    "goal_seek": "sendforecast.scenarios.goal_seek",
    "run_main_job": "sendforecast.workflow",
    "run_batch": "sendforecast.batch",
}
_SUBPACKAGES = ("data", "models", "finance", "scenarios", "report")

__all__ = ["InputError", "QualityReport", "SEN2Data", "SendForecastWarning", "__version__",
           "load_example", "load_sen2", *_LAZY, *_SUBPACKAGES]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    if name in _SUBPACKAGES:
        return import_module(f"sendforecast.{name}")
    raise AttributeError(f"module 'sendforecast' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def load_example() -> SEN2Data:
    """The synthetic example LA "Exampleshire" (code 999) in SEN2 release shape, offline."""
    from sendforecast.data.example import EXAMPLE_DIR

    return load_sen2(EXAMPLE_DIR)
