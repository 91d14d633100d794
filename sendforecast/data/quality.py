"""Data-quality report: what was suppressed, inconsistent, duplicated or unknown.

Nothing read by :func:`sendforecast.load_sen2` is dropped or zero-filled
silently: every suppressed cell becomes missing (``NaN``) and is listed here,
together with totals that do not equal the sum of their parts, duplicate
rows, unknown codes and files or breakdowns that were not used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

#: Codes used by DfE (and the GSS guidance) for cells without a published number.
SUPPRESSION_CODES = {
    "x": "unavailable",
    "z": "not applicable",
    "c": "confidential",
    "low": "rounds to zero / low",
    "u": "low reliability",
    "": "blank",
    ":": "not available",
}

_SUPPRESSED_COLS = ["file", "line", "column", "code", "meaning", "year", "la_code"]
_INCONSISTENT_COLS = ["file", "check", "year", "la_code", "la_name", "total", "sum_of_parts", "difference"]
_DUPLICATE_COLS = ["file", "line", "first_line", "key", "value", "first_value"]
_UNKNOWN_COLS = ["file", "line", "column", "value", "what"]


def _empty(cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})


def append_rows(frame: pd.DataFrame, rows: list[dict]) -> pd.DataFrame:
    """``frame`` with ``rows`` added; an empty ``frame`` is left out of the concatenation
    (pandas warned on every load that it will count its object columns in the dtypes)."""
    new = pd.DataFrame(rows)
    if not len(frame):
        return new[[*frame.columns, *(c for c in new.columns if c not in frame.columns)]]
    return pd.concat([frame, new], ignore_index=True)


@dataclass
class QualityReport:
    """Findings from reading input files.

    Attributes are tidy frames:

    - ``suppressed``: one row per suppressed cell that was read as missing
      (file, line, column, code, meaning, year, la_code).
    - ``inconsistent``: totals that differ from the sum of their parts
      (e.g. placement parts vs the LA total, LAs vs England).
    - ``duplicates``: rows whose key repeats an earlier row with a different value
      (the later row was ignored; the same value published twice, as the 2022
      release's age and establishment files both carry the LA total, is not
      listed), and lines of a file that repeat an earlier line exactly (key
      ``"the whole line"``; the repeat was dropped).
    - ``unknown``: labels or codes that could not be mapped (e.g. an unknown
      placement label), kept out of the tidy tables, and invalid values read as
      missing (a negative count), each with file, line, column and value.
    - ``notes``: plain-English notes (files not used, reorganisations, release overlaps).
    """

    suppressed: pd.DataFrame = field(default_factory=lambda: _empty(_SUPPRESSED_COLS))
    inconsistent: pd.DataFrame = field(default_factory=lambda: _empty(_INCONSISTENT_COLS))
    duplicates: pd.DataFrame = field(default_factory=lambda: _empty(_DUPLICATE_COLS))
    unknown: pd.DataFrame = field(default_factory=lambda: _empty(_UNKNOWN_COLS))
    notes: list[str] = field(default_factory=list)

    @classmethod
    def combine(cls, reports: list[QualityReport]) -> QualityReport:
        def cat(attr: str, cols: list[str]) -> pd.DataFrame:
            frames = [getattr(r, attr) for r in reports if len(getattr(r, attr))]
            return pd.concat(frames, ignore_index=True) if frames else _empty(cols)

        return cls(
            suppressed=cat("suppressed", _SUPPRESSED_COLS),
            inconsistent=cat("inconsistent", _INCONSISTENT_COLS),
            duplicates=cat("duplicates", _DUPLICATE_COLS),
            unknown=cat("unknown", _UNKNOWN_COLS),
            notes=[n for r in reports for n in r.notes],
        )

    # ----------------------------------------------------------------- summaries
    def summary(self) -> pd.DataFrame:
        """Counts of findings by kind and file (a small table for reports)."""
        rows = []
        for kind in ("suppressed", "inconsistent", "duplicates", "unknown"):
            frame = getattr(self, kind)
            if len(frame):
                for f, n in frame.groupby("file").size().items():
                    rows.append({"finding": kind, "file": f, "count": int(n)})
        return pd.DataFrame(rows, columns=["finding", "file", "count"])

    def suppressed_by_code(self) -> pd.DataFrame:
        """Suppressed cells counted by file, column and code."""
        if not len(self.suppressed):
            return pd.DataFrame(columns=["file", "column", "code", "count"])
        return (
            self.suppressed.groupby(["file", "column", "code"]).size().rename("count").reset_index()
        )

    def __str__(self) -> str:
        lines = ["Data quality report", "==================="]
        n_sup = len(self.suppressed)
        lines.append(f"Suppressed cells read as missing (never 0): {n_sup:,}")
        if n_sup:
            by = self.suppressed.groupby("code").size()
            lines.append(
                "  by code: " + ", ".join(f"{k or 'blank'!s}={v:,}" for k, v in by.items())
            )
            top = self.suppressed_by_code().sort_values("count", ascending=False).head(8)
            for r in top.itertuples():
                lines.append(f"  {r.file}: {r.column} '{r.code}' x{r.count:,}")
        lines.append(f"Totals not equal to the sum of their parts: {len(self.inconsistent):,}")
        if len(self.inconsistent):
            show = self.inconsistent.assign(absdiff=self.inconsistent.difference.abs())
            show = show.sort_values("absdiff", ascending=False).head(10)
            for r in show.itertuples():
                lines.append(
                    f"  {r.file} [{r.check}] {r.year} {r.la_code} {r.la_name}: total {r.total:,.0f}"
                    f" vs parts {r.sum_of_parts:,.0f} (diff {r.difference:+,.0f})"
                )
        lines.append(f"Duplicate rows ignored: {len(self.duplicates):,}")
        for r in self.duplicates.head(5).itertuples():
            lines.append(f"  {r.file} line {r.line} repeats line {r.first_line} [{r.key}]")
        lines.append(f"Unknown codes/labels and invalid values (read as missing): {len(self.unknown):,}")
        for r in self.unknown.head(10).itertuples():
            lines.append(f"  {r.file} line {r.line} {r.column}={r.value!r}: {r.what}")
        if self.notes:
            lines.append("Notes:")
            lines.extend(f"  - {n}" for n in self.notes)
        return "\n".join(lines)

    def _repr_html_(self) -> str:  # notebook display
        return "<pre>" + str(self).replace("&", "&amp;").replace("<", "&lt;") + "</pre>"
