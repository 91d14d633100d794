"""Everything a reader sees: charts (:mod:`.charts`) and Excel workbooks (:mod:`.workbook`).

Built from the tidy frames of results only; no result object draws or writes itself.
"""

from sendforecast.report.charts import budget_charts, comparison_dsg
from sendforecast.report.workbook import budget_workbook, comparison_workbook, write_workbook

__all__ = ["budget_charts", "comparison_dsg", "budget_workbook", "comparison_workbook",
           "write_workbook"]
