"""Models: forecasting of SEN2 series (:mod:`.forecast`) and the cohort stock-flow model
(:mod:`.cohort`, :mod:`.rates`)."""

from __future__ import annotations

from .forecast import (
    METHODS,
    Forecaster,
    backtest,
    forecast,
    make_forecaster,
    quantile_columns,
    warnings_frame,
)

__all__ = ["METHODS", "Forecaster", "backtest", "forecast", "make_forecaster", "quantile_columns",
           "warnings_frame"]
