"""Models: forecasting of SEN2 series (:mod:`.forecast`) and the cohort stock-flow model of
placements by age (:mod:`.cohort`).

The function ``forecast`` lives in :mod:`sendforecast.models.forecast` (and is
``sendforecast.forecast``); it is not re-exported here, so that
``sendforecast.models.forecast`` always names the package.
"""

from __future__ import annotations

from sendforecast.models.forecast import (
    METHODS,
    Forecaster,
    backtest,
    make_forecaster,
    quantile_columns,
    warnings_frame,
)

__all__ = ["METHODS", "Forecaster", "backtest", "make_forecaster", "quantile_columns",
           "warnings_frame"]
