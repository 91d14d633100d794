"""Cohort stock-flow projection by age x placement (x need) with Monte Carlo uncertainty.

State: children with an EHC plan at each January, by age x *state* (a placement group, a
witan setting letter, or ``setting:need``).  Build a :class:`CohortModel` from SEN2
aggregates (:meth:`CohortModel.from_sen2`) or witan.send transitions
(:meth:`CohortModel.from_transitions`) and run :meth:`CohortModel.project`, which
returns a :class:`CohortProjection`.  The model, its engines and random streams, the
identification assumptions and the calibration of the year effects are described in
``docs/cohort.md``.

Modules, from the top down: :mod:`.model` (the model and its year loop),
:mod:`.projection` (results and summaries), :mod:`.identify` and :mod:`.inputs` (SEN2
identification and per-area tables), :mod:`.engine` (the engine seam) with
:mod:`.engine_numba` (runtime) and :mod:`.engine_numpy` (test oracle),
:mod:`.parameters` (posterior parameter sets), :mod:`.year_effects`, :mod:`.sampling`
(maths both engines share), :mod:`.rates` (posteriors and joiner trends), and the need
layer: :mod:`.needs` (a projection's draws split by primary need, child by child; its
compiled year step :mod:`.need_kernel`) with :mod:`.need_inputs` (base and joiner need
mixes from SEN2 need shares or witan transitions).
"""

from __future__ import annotations

from .model import CohortModel
from .need_inputs import NeedInputs, sen2_need_inputs, witan_need_inputs
from .needs import need_table, split_by_need
from .parameters import PARAM_SETS
from .projection import QUANTILES, YEAR_GROUPS, CohortProjection, witan_need_mix
from .year_effects import (
    NET_CLIP,
    SEN2_YEAR_EFFECTS,
    draw_net_transfers,
    draw_year_effects,
    year_effect_variance,
)

__all__ = ["NET_CLIP", "PARAM_SETS", "QUANTILES", "SEN2_YEAR_EFFECTS", "YEAR_GROUPS",
           "CohortModel", "CohortProjection", "NeedInputs", "draw_net_transfers",
           "draw_year_effects", "need_table", "sen2_need_inputs", "split_by_need",
           "witan_need_inputs", "witan_need_mix", "year_effect_variance"]
