"""The statutory assessment pipeline: requests -> decision to assess (6 weeks) -> assessment
-> plan issued (20 weeks), as a monthly queue with capacity and backlog.

* :mod:`.queue` - the monthly queue engine (numpy, over LAs x draws);
* :mod:`.fit` - each LA's starting point: pooled conversion rates, capacity, wait;
* :mod:`.forecast` - :func:`project_statutory` and its tidy table.
"""

from __future__ import annotations

from .fit import capacity_from_staff, fit_origin
from .forecast import (
           MEASURE_UNITS,
           MEASURES,
           Levers,
           StatutoryProjection,
           project_statutory,
           summarise_draws,
)
from .queue import run_queue

__all__ = ["MEASURES", "MEASURE_UNITS", "Levers", "StatutoryProjection", "capacity_from_staff",
           "fit_origin", "project_statutory", "run_queue", "summarise_draws"]
