"""Which forecasting methods exist, what each falls back to, and which one ``auto`` means.

The one place a method is named: :data:`METHODS` (name -> class), :data:`FALLBACK`,
:data:`AUTO_METHOD`.  A new method is its own module (importing only
:mod:`.interface` and :mod:`.history`) plus a line here; the interval calibration factors
for it come from the backtest (:mod:`.calibration_factors`).  This module knows the
methods; it knows nothing about choosing LAs or running the fallback chain
(:mod:`.orchestrate`).
"""

from __future__ import annotations

import inspect

from ...defaults import DEFAULT_SEED
from ...errors import UsageError
from ..settings import FORECAST_SETTINGS
from .baselines import DriftForecaster, ETSForecaster, LogLinearForecaster, NaiveForecaster
from .conversion import ConversionForecaster
from .flows import PIPELINE_MEASURES, PipelineForecaster
from .hierarchical import HierarchicalForecaster
from .interface import Forecaster
from .pooled import PooledGrowthForecaster

#: Every forecasting method by its name (the name users give as ``method=``), in the order
#: help texts list them.
METHODS: dict[str, type[Forecaster]] = {
    "naive": NaiveForecaster,
    "drift": DriftForecaster,
    "ets": ETSForecaster,
    "loglinear": LogLinearForecaster,
    "pooled": PooledGrowthForecaster,
    "hierarchical": HierarchicalForecaster,
    "pipeline": PipelineForecaster,
    "conversion": ConversionForecaster,
}
#: Simpler method to use, per method, when a series is too short or a fit fails.
FALLBACK = {"hierarchical": "ets", "pipeline": "ets", "ets": "drift", "loglinear": "drift",
            "pooled": "naive", "drift": "naive", "naive": None, "conversion": "pooled"}
#: Default method per measure, chosen by rolling-origin backtests
#: (:data:`sendforecast.models.settings.FORECAST_SETTINGS`, where the evidence is named);
#: ``method="auto"`` uses it.  :func:`~.evaluation.choose_method` re-runs the choice.
#: Measures not listed (e.g. assessments) use :data:`AUTO_DEFAULT`.
AUTO_METHOD = {k: v for k, v in FORECAST_SETTINGS["auto_method"].items() if k != "default"}
AUTO_DEFAULT = FORECAST_SETTINGS["auto_method"]["default"]
#: The requests model the pipeline method uses unless told otherwise (``requests_method=``).
PIPELINE_REQUESTS_METHOD = "drift"

__all__ = ["AUTO_DEFAULT", "AUTO_METHOD", "FALLBACK", "METHODS", "PIPELINE_MEASURES",
           "check_method", "make_forecaster", "methods_for"]


def methods_for(measure: str | None) -> tuple[str, ...]:
    """The methods that forecast ``measure`` (every single-series method; pipeline only for
    :data:`PIPELINE_MEASURES`)."""
    return tuple(m for m, cls in METHODS.items()
                 if cls.measures is None or measure in cls.measures)


def check_method(method: str, measure: str | None) -> None:
    """Raise :class:`~sendforecast.errors.UsageError` (a ``ValueError``) for an unknown method
    or one that does not forecast ``measure``."""
    if method not in METHODS:
        raise UsageError(f"unknown method {method!r}; choose from {', '.join(METHODS)} or auto")
    cls = METHODS[method]
    if cls.measures is not None and measure is not None and measure not in cls.measures:
        raise UsageError(f"{cls.refusal(measure)}; for {measure} use one of "
                         f"{', '.join(methods_for(measure))} or auto")


def make_forecaster(method: str, measure: str | None = None, seed: int | None = DEFAULT_SEED,
                    **kwargs) -> Forecaster:
    """A fresh forecaster by name: naive, drift, ets, loglinear, pooled, hierarchical,
    pipeline, conversion.

    ``seed`` goes to methods that draw random numbers while fitting (the hierarchical
    model's MCMC/ADVI, also as the pipeline's requests model); the others ignore it.  The
    pipeline's requests model is ``requests_model=`` (a Forecaster) or is built here from
    ``requests_method=`` (default :data:`PIPELINE_REQUESTS_METHOD`) with the keyword
    arguments the pipeline itself does not take.
    """
    check_method(method, measure)
    cls = METHODS[method]
    own = inspect.signature(cls.__init__).parameters
    if issubclass(cls, PipelineForecaster) and "requests_model" not in kwargs:
        sub = {k: kwargs.pop(k) for k in list(kwargs) if k not in own}
        sub_method = sub.pop("requests_method", PIPELINE_REQUESTS_METHOD)
        kwargs["requests_model"] = make_forecaster(sub_method, measure="requests", seed=seed,
                                                   **sub)
    if "seed" in own:
        kwargs = {"seed": seed, **kwargs}
    return cls(measure=measure, **kwargs)
