"""sendforecast: forecast SEND demand, specialist places and High Needs Block costs.

Small public API; heavy dependencies (PyMC) are imported only when a model needs them.
"""

from __future__ import annotations

from .data.quality import QualityReport
from .data.sen2 import SEN2Data, load_sen2
from .errors import InputError, SendForecastWarning

__version__ = "0.1.0"

__all__ = ["InputError", "QualityReport", "SEN2Data", "SendForecastWarning", "__version__",
           "backtest", "forecast", "load_example", "load_sen2"]


def __getattr__(name: str):
    # forecasting pulls in statsmodels (and PyMC when fitted): import on first use
    if name in ("forecast", "backtest"):
        from . import models

        return getattr(models, name)
    raise AttributeError(f"module 'sendforecast' has no attribute {name!r}")


def load_example() -> SEN2Data:
    """The synthetic example LA "Exampleshire" (code 999) in SEN2 release shape, offline."""
    from .data.example import EXAMPLE_DIR

    return load_sen2(EXAMPLE_DIR)
