"""Forecasting methods (baselines, Bayesian hierarchical, pipeline) and the ``forecast`` verb."""

from __future__ import annotations

from .base import (
    METHODS,
    Forecaster,
    forecast,
    make_forecaster,
    quantile_columns,
    warnings_frame,
)


def backtest(*args, **kwargs):
    """Rolling-origin backtest; see :func:`sendforecast.evaluation.backtest`."""
    from ..evaluation import backtest as _backtest

    return _backtest(*args, **kwargs)


__all__ = ["METHODS", "Forecaster", "backtest", "forecast", "make_forecaster", "quantile_columns",
           "warnings_frame"]
