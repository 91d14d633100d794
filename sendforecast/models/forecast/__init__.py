"""Forecasting SEN2 series per LA: methods, the ``forecast`` verb, backtests.

One module per job, each importing only those below it:

* :mod:`.history` - build, check and clean the history; :mod:`.interface` - the
  :class:`Forecaster` contract and intervals from sample paths;
* the methods: :mod:`.baselines` (naive, drift, ets, loglinear), :mod:`.pooled` (pooled
  growth), :mod:`.hierarchical`
  (PyMC partial pooling), :mod:`.flows` (the statutory pipeline, method ``"pipeline"``),
  :mod:`.conversion` (new plans from the newest requests, method ``"conversion"``);
* :mod:`.registry` - the methods by name, their fallbacks and the ``auto`` choice;
* :mod:`.calibration` (with the data module :mod:`.calibration_factors`) - interval
  rescaling from backtests;
* :mod:`.orchestrate` - :func:`forecast`: LAs, fallback per series, guards;
* :mod:`.evaluation` - :func:`backtest`, :func:`metrics`, calibration factors.
"""

from __future__ import annotations

from .evaluation import backtest, calibration_factors, choose_method, metrics
from .interface import Forecaster, quantile_columns
from .orchestrate import forecast, warnings_frame
from .registry import METHODS, make_forecaster

__all__ = ["METHODS", "Forecaster", "backtest", "calibration_factors", "choose_method",
           "forecast", "make_forecaster", "metrics", "quantile_columns", "warnings_frame"]
