"""Interventions and their comparison with the baseline on paired draws.

A new scenario type is a class in :mod:`.library` (added to ``SCENARIO_TYPES``, which the
YAML run file of :mod:`.config` reads); :func:`compare` runs strategies (lists of
scenarios) against the baseline; :func:`goal_seek` finds the strength a target needs.
The statutory pipeline's capacity scenarios (EPs, casework officers, a backlog project,
the share agreed) are in :mod:`.statutory`, with their own compare, goal seek and YAML file.
"""

from sendforecast.scenarios.compare import Comparison, compare
from sendforecast.scenarios.config import load_run_config
from sendforecast.scenarios.goal_seek import goal_seek
from sendforecast.scenarios.library import (
    SCENARIO_TYPES,
    CostLever,
    FeeInflationCap,
    MainstreamInclusion,
    NewProvision,
    Post16Pathways,
    ReduceIndependent,
    ReduceRequests,
    ThresholdModeration,
    scenario_from_dict,
)
from sendforecast.scenarios.statutory import (
    AddStaff,
    BacklogClearance,
    ChangeAgreedShare,
    compare_statutory,
    goal_seek_statutory,
    load_statutory_config,
)

__all__ = ["compare", "Comparison", "goal_seek", "load_run_config", "scenario_from_dict",
           "SCENARIO_TYPES", "ReduceRequests", "ThresholdModeration", "MainstreamInclusion",
           "NewProvision", "ReduceIndependent", "Post16Pathways", "CostLever", "FeeInflationCap",
           "AddStaff", "BacklogClearance", "ChangeAgreedShare", "compare_statutory",
           "goal_seek_statutory", "load_statutory_config"]
