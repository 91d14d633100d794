"""What had been published by an origin: SEN2 data cut to one release's view.

SEN2 is published each June: the January census of that year (caseload, the January
need shares) with the flows of the calendar year before it (requests, assessments, new
and ceased plans, timeliness, the movers' table).  A backtest from origin January ``T``
may use caseload of Januaries <= T and flows of calendar years <= T - 1 only;
:func:`published_by` returns that view of a :class:`~sendforecast.data.sen2.SEN2Data`.

Revisions are not undone: a figure for an earlier year is the one in the newest release
loaded (DfE revises little; the releases of the years between 2022 and 2025 are not in
the data).  Breakdowns first published after ``T`` (e.g. caseload by single age x
placement, January 2024) go with their years.
"""

from __future__ import annotations

from .sen2 import FRAME_COLUMNS, SEN2Data

__all__ = ["FLOW_FRAMES", "published_by"]

#: frames whose ``year`` is a calendar (or academic) year of flows, published with the
#: following January's caseload
FLOW_FRAMES = ("new_plans", "ceased", "requests", "assessments", "timeliness", "movers")


def published_by(data: SEN2Data, origin: int) -> SEN2Data:
    """The rows of ``data`` that had been published by the June release of January
    ``origin``: caseload and January need shares of years <= ``origin``, flows and the
    need shares of new plans of years <= ``origin - 1``."""
    T = int(origin)

    def cut(name: str):
        f = getattr(data, name)
        last = T - 1 if name in FLOW_FRAMES else T
        if name == "need_shares":
            last = f["scope"].map(lambda s: T - 1 if str(s).startswith("new") else T)
        return f[f["year"] <= last].reset_index(drop=True)

    frames = {name: cut(name) for name in FRAME_COLUMNS}
    return SEN2Data(**frames, las=data.las, quality=data.quality,
                    sources=[*data.sources, f"as published by January {T}"])
