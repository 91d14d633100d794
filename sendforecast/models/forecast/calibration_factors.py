"""Interval calibration factors: data, written by ``benchmarks/forecast_accuracy.py``.

This module holds numbers only (no code), so the factors can be regenerated and diffed as
data.  :mod:`.calibration` applies them.

A factor multiplies the half-width of a forecast interval on the log scale around its
log-midpoint (a conformal-style scaling): > 1 widens, < 1 narrows.  Keys are
``(method, measure, horizon, level)``; a missing key means no change.  The factor of a key
is the finite-sample conformal quantile, at the level, of the scores
``|log(actual) - midpoint| / half-width`` of the raw backtest intervals
(:func:`sendforecast.models.forecast.evaluation.calibration_factors`).
"""

#: Where :data:`CALIBRATION` comes from.  To regenerate: run the benchmark and paste the
#: "Calibration factors" block of its results file here (and update this record).
PROVENANCE = {
    "produced_by": "benchmarks/forecast_accuracy.py (default settings)",
    "results_file": "benchmarks/results/forecast_accuracy.md",
    "commit": "e5d57db49a2c0b15368ce0b8d2c3a9dc736f51fc",
    "date": "2026-11-25",
    "data": "SEN2 releases 2025 and 2022 (../shared/data/sen2), merged, all LAs",
    "backtest": "rolling origin, the newest 6 origins with >= 4 years of history, horizons 1-3; "
                "factors pooled over those origins; caseload, requests, new_plans; "
                "hierarchical = NUTS 2 chains x 500 draws",
    "levels": (80, 95),
    "min_forecasts_per_key": 20,
}

#: Interval scale factors per (method, measure, horizon, level); see the module docstring.
CALIBRATION: dict[tuple[str, str, int, int], float] = {
    ('drift', 'caseload', 1, 80): 1.024,
    ('drift', 'caseload', 1, 95): 1.177,
    ('drift', 'caseload', 2, 80): 1.080,
    ('drift', 'caseload', 2, 95): 1.192,
    ('drift', 'caseload', 3, 80): 1.087,
    ('drift', 'caseload', 3, 95): 1.233,
    ('drift', 'new_plans', 1, 80): 0.976,
    ('drift', 'new_plans', 1, 95): 1.168,
    ('drift', 'new_plans', 2, 80): 0.862,
    ('drift', 'new_plans', 2, 95): 0.974,
    ('drift', 'new_plans', 3, 80): 0.808,
    ('drift', 'new_plans', 3, 95): 0.873,
    ('drift', 'requests', 1, 80): 1.231,
    ('drift', 'requests', 1, 95): 1.370,
    ('drift', 'requests', 2, 80): 1.127,
    ('drift', 'requests', 2, 95): 1.124,
    ('drift', 'requests', 3, 80): 1.251,
    ('drift', 'requests', 3, 95): 1.268,
    ('ets', 'caseload', 1, 80): 1.362,
    ('ets', 'caseload', 1, 95): 1.707,
    ('ets', 'caseload', 2, 80): 1.403,
    ('ets', 'caseload', 2, 95): 2.018,
    ('ets', 'caseload', 3, 80): 1.480,
    ('ets', 'caseload', 3, 95): 2.938,
    ('ets', 'new_plans', 1, 80): 1.682,
    ('ets', 'new_plans', 1, 95): 1.930,
    ('ets', 'new_plans', 2, 80): 2.050,
    ('ets', 'new_plans', 2, 95): 2.478,
    ('ets', 'new_plans', 3, 80): 2.377,
    ('ets', 'new_plans', 3, 95): 2.973,
    ('ets', 'requests', 1, 80): 1.960,
    ('ets', 'requests', 1, 95): 2.303,
    ('ets', 'requests', 2, 80): 2.324,
    ('ets', 'requests', 2, 95): 3.061,
    ('ets', 'requests', 3, 80): 1.251,
    ('ets', 'requests', 3, 95): 1.268,
    ('hierarchical', 'caseload', 1, 80): 0.778,
    ('hierarchical', 'caseload', 1, 95): 0.904,
    ('hierarchical', 'caseload', 2, 80): 0.771,
    ('hierarchical', 'caseload', 2, 95): 0.823,
    ('hierarchical', 'caseload', 3, 80): 0.819,
    ('hierarchical', 'caseload', 3, 95): 0.847,
    ('hierarchical', 'new_plans', 1, 80): 0.805,
    ('hierarchical', 'new_plans', 1, 95): 0.922,
    ('hierarchical', 'new_plans', 2, 80): 0.688,
    ('hierarchical', 'new_plans', 2, 95): 0.840,
    ('hierarchical', 'new_plans', 3, 80): 0.648,
    ('hierarchical', 'new_plans', 3, 95): 0.723,
    ('hierarchical', 'requests', 1, 80): 0.948,
    ('hierarchical', 'requests', 1, 95): 0.993,
    ('hierarchical', 'requests', 2, 80): 0.879,
    ('hierarchical', 'requests', 2, 95): 0.816,
    ('hierarchical', 'requests', 3, 80): 0.990,
    ('hierarchical', 'requests', 3, 95): 0.882,
    ('loglinear', 'caseload', 1, 80): 1.362,
    ('loglinear', 'caseload', 1, 95): 1.430,
    ('loglinear', 'caseload', 2, 80): 1.794,
    ('loglinear', 'caseload', 2, 95): 1.889,
    ('loglinear', 'caseload', 3, 80): 2.028,
    ('loglinear', 'caseload', 3, 95): 2.164,
    ('loglinear', 'new_plans', 1, 80): 1.241,
    ('loglinear', 'new_plans', 1, 95): 1.354,
    ('loglinear', 'new_plans', 2, 80): 1.407,
    ('loglinear', 'new_plans', 2, 95): 1.548,
    ('loglinear', 'new_plans', 3, 80): 1.566,
    ('loglinear', 'new_plans', 3, 95): 1.610,
    ('loglinear', 'requests', 1, 80): 1.494,
    ('loglinear', 'requests', 1, 95): 1.484,
    ('loglinear', 'requests', 2, 80): 1.784,
    ('loglinear', 'requests', 2, 95): 1.759,
    ('loglinear', 'requests', 3, 80): 2.032,
    ('loglinear', 'requests', 3, 95): 2.226,
    ('naive', 'caseload', 1, 80): 1.149,
    ('naive', 'caseload', 1, 95): 1.089,
    ('naive', 'caseload', 2, 80): 1.569,
    ('naive', 'caseload', 2, 95): 1.454,
    ('naive', 'caseload', 3, 80): 1.938,
    ('naive', 'caseload', 3, 95): 1.763,
    ('naive', 'new_plans', 1, 80): 0.980,
    ('naive', 'new_plans', 1, 95): 1.187,
    ('naive', 'new_plans', 2, 80): 0.917,
    ('naive', 'new_plans', 2, 95): 1.157,
    ('naive', 'new_plans', 3, 80): 0.945,
    ('naive', 'new_plans', 3, 95): 1.087,
    ('naive', 'requests', 1, 80): 1.195,
    ('naive', 'requests', 1, 95): 1.181,
    ('naive', 'requests', 2, 80): 1.496,
    ('naive', 'requests', 2, 95): 1.299,
    ('naive', 'requests', 3, 80): 1.671,
    ('naive', 'requests', 3, 95): 1.501,
    ('pipeline', 'caseload', 1, 80): 0.956,
    ('pipeline', 'caseload', 1, 95): 1.217,
    ('pipeline', 'caseload', 2, 80): 1.085,
    ('pipeline', 'caseload', 2, 95): 1.360,
    ('pipeline', 'caseload', 3, 80): 1.206,
    ('pipeline', 'caseload', 3, 95): 1.646,
    ('pipeline', 'new_plans', 1, 80): 1.013,
    ('pipeline', 'new_plans', 1, 95): 1.406,
    ('pipeline', 'new_plans', 2, 80): 1.134,
    ('pipeline', 'new_plans', 2, 95): 1.737,
    ('pipeline', 'new_plans', 3, 80): 1.489,
    ('pipeline', 'new_plans', 3, 95): 2.068,
    # pooled growth: benchmarks/flows_backtest.py (the newest 6 origins of each measure;
    # see POOLED_PROVENANCE)
    ('pooled', 'assessments', 1, 80): 0.395,
    ('pooled', 'assessments', 1, 95): 0.509,
    ('pooled', 'assessments', 2, 80): 0.366,
    ('pooled', 'assessments', 2, 95): 0.410,
    ('pooled', 'assessments', 3, 80): 0.336,
    ('pooled', 'assessments', 3, 95): 0.378,
    ('pooled', 'new_plans', 1, 80): 0.936,
    ('pooled', 'new_plans', 1, 95): 1.193,
    ('pooled', 'new_plans', 2, 80): 0.869,
    ('pooled', 'new_plans', 2, 95): 1.106,
    ('pooled', 'new_plans', 3, 80): 0.820,
    ('pooled', 'new_plans', 3, 95): 0.998,
    # conversion: benchmarks/flows_backtest.py, its tuning origins only (see
    # CONVERSION_PROVENANCE)
    ('conversion', 'new_plans', 1, 80): 1.146,
    ('conversion', 'new_plans', 1, 95): 1.256,
    ('conversion', 'new_plans', 2, 80): 1.083,
    ('conversion', 'new_plans', 2, 95): 1.162,
    ('conversion', 'new_plans', 3, 80): 1.235,
    ('conversion', 'new_plans', 3, 95): 1.376,
}

#: Where the ``pooled`` factors come from (the others: :data:`PROVENANCE`).
POOLED_PROVENANCE = {
    "produced_by": "benchmarks/flows_backtest.py --save DIR, then "
                   "evaluation.calibration_factors on the pooled rows of the newest 6 origins",
    "results_file": "benchmarks/results/flows_backtest.md",
    "date": "2026-12-04",
    "note": "assessments factors are small because early zeros and ones (2014-2015) inflate "
            "the raw volatility of many series; requests have none: their pooled settings "
            "changed after the run that estimated factors (raw intervals until re-run)",
}

#: Where the ``conversion`` factors come from.
CONVERSION_PROVENANCE = {
    "produced_by": "benchmarks/flows_backtest.py (its block 'interval calibration factors "
                   "(tuning origins only)' under new_plans)",
    "results_file": "benchmarks/results/flows_backtest.md",
    "date": "2026-12-07",
    "backtest": "the forecasts the method made at origins 2017-2020 (the origins with "
                "requests, less the check origins 2021-2022), horizons 1-3",
    "check": "with these factors the check origins' 80% / 95% cover is 79% / 93% at "
             "horizon 1 and 69% / 90% at horizon 2 (266 and 147 forecasts)",
}
