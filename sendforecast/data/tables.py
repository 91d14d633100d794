"""A table of an LA's file, checked column by column: :class:`Table` and :class:`Col`.

The machinery under the readers of :mod:`sendforecast.data.local` (and of any other
layer that reads a column of such a file, e.g. ``price_year`` in a costs file).  A
:class:`Table` reads a file with :func:`~sendforecast.data.sources.read_rows`, finds
each :class:`Col` in the header (ignoring case, surrounding spaces and ``-``/``_``/space),
and collects every problem (missing column, blank required value, a value that does not
parse, a number out of range, a repeated key ...) as a
:class:`~sendforecast.errors.Problem` with file, line, column, expected and found; the
reader finishes with :meth:`Table.result`, which raises them all as one
:class:`~sendforecast.errors.InputError`.  It knows nothing of SEN2, placements or needs:
the value parsers are the readers' own.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError, Problem
from .sources import read_rows

__all__ = ["Col", "Table"]

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _norm(name: str) -> str:
    """A header name for matching: lower case, runs of spaces, ``-`` and ``_`` as one ``_``."""
    return re.sub(r"[\s_-]+", "_", name.strip().lower())


@dataclass(frozen=True)
class Col:
    """A column a reader asks for: its ``name`` in the result, its ``header`` in the file
    when different, and whether a file without it (or a blank cell in it) is an error."""

    name: str  # column name in the returned frame
    header: str | None = None  # name in the file when different, e.g. "calendar-year"
    required: bool = True


class Table:
    """A file read as text (``df``, one column per ``Col``) plus the problems found.

    Readers convert columns with :meth:`number` and :meth:`text`, add their own
    checks with :meth:`flag`, check keys with :meth:`unique`, and finish with
    :meth:`result`, which raises one ``InputError`` listing every problem.
    """

    def __init__(self, path: str | Path, columns: list[Col]):
        path = Path(path)
        if path.is_dir():  # was 'No such file: <folder>'
            raise IsADirectoryError(f"{path} is a folder; expected a file")
        if not path.is_file():
            raise FileNotFoundError(f"No such file: {path}")
        self.file = str(path)
        self.problems: list[Problem] = []
        self.bad: set[tuple[int, str | None]] = set()  # (row, column) cells with a problem
        rows = read_rows(path)
        if not rows:
            raise InputError(Problem(self.file, 1, None, "a header row", "an empty file"))
        (header_line, header), rows = rows[0], rows[1:]

        where: dict[str, int] = {}  # output column -> position in the file
        self.headers = {c.name: c.header or c.name for c in columns}  # as written in the file
        for col in columns:
            names = {_norm(col.name), _norm(self.headers[col.name])}
            hits = [j for j, h in enumerate(header) if _norm(h) in names]
            if hits:
                where[col.name], self.headers[col.name] = hits[0], header[hits[0]]
            if len(hits) > 1:
                self.problems.append(Problem(self.file, header_line, self.headers[col.name],
                                             "the column once", f"{len(hits)} columns"))
            elif not hits and col.required:
                found = "columns: " + (", ".join(h for h in header if h) or "none named")
                self.problems.append(Problem(self.file, header_line, self.headers[col.name],
                                             f"a column named '{self.headers[col.name]}' in the "
                                             "header line", found))
        if self.problems:
            raise InputError(self.problems)
        if not rows:  # a header alone is a failed export, not "no data"
            raise InputError(Problem(self.file, header_line + 1, None,
                                     "data rows after the header line", "the end of the file"))

        self.present = set(where)
        self.lines = [n for n, _ in rows]

        def cell(cells: list[str], name: str) -> str:
            j = where.get(name, len(cells))
            return cells[j] if j < len(cells) else ""

        self.df = pd.DataFrame(
            {c.name: [cell(cells, c.name) for _, cells in rows] for c in columns}, dtype=object)
        for i, (_, cells) in enumerate(rows):
            if any(cells[len(header):]):
                self.problem(i, None, f"at most {len(header)} cells (as in the header)", len(cells))
        for col in columns:
            if col.required:
                self.require(col.name)

    def problem(self, i: int | None, column: str | None, expected: str, found: Any = None) -> None:
        """Record a problem in data row ``i`` (0-based; ``None`` = whole file)."""
        self.bad.add((i, column))
        self.problems.append(Problem(
            self.file, None if i is None else self.lines[i],
            self.headers.get(column, column) if column else None,
            expected, None if found is None else str(found)))

    def ok(self, *columns: str) -> pd.Series:
        """Rows whose cells in ``columns`` have no problem so far."""
        bad_rows = {i for i, c in self.bad if c in columns}
        return pd.Series([i not in bad_rows for i in range(len(self.df))], index=self.df.index,
                         dtype=bool)

    def flag(self, mask: pd.Series, column: str, expected: str, found: pd.Series) -> None:
        """Record a problem in ``column`` for each row where ``mask`` is true."""
        for i in (mask & self.ok(column)).to_numpy().nonzero()[0]:
            self.problem(int(i), column, expected, found.iat[i])

    def require(self, column: str) -> None:
        """Blank values in ``column`` are problems."""
        blank = self.df[column] == ""
        self.flag(blank, column, "a value (blank is not allowed)", self.df[column])

    def text(self, column: str, parse: Callable[[str], Any], expected: str,
             default: Any = None) -> None:
        """Convert a column with ``parse`` (which returns ``None`` for an invalid value).

        Blank cells become ``default`` (blanks in required columns are already problems).
        """
        values = []
        for i, raw in enumerate(self.df[column]):
            value = default if raw == "" else parse(raw)
            if value is None and raw != "":
                self.problem(i, column, expected, raw)
            values.append(value)
        self.df[column] = pd.Series(values, index=self.df.index, dtype=object)

    def number(self, column: str, *, integer: bool = False, lo: float | None = None,
               hi: float | None = None, default: float = 0) -> None:
        """Convert a column to ``int64`` (``integer``) or ``float64`` within ``[lo, hi]``."""
        expected = "a whole number" if integer else "a number"
        if lo is not None and hi is not None:
            expected += f" between {lo:g} and {hi:g}"
        elif lo is not None:
            expected += f" >= {lo:g}"
        values = []
        for i, raw in enumerate(self.df[column]):
            if raw == "":
                value = float(default)
            else:
                value = float(raw) if _NUMBER.fullmatch(raw) else math.nan
            if not (math.isfinite(value) and (value.is_integer() or not integer)
                    and (lo is None or value >= lo) and (hi is None or value <= hi)):
                self.problem(i, column, expected, raw)
                value = 0
            values.append(value)
        self.df[column] = pd.Series(values, index=self.df.index,
                                    dtype="int64" if integer else "float64")

    def unique(self, key: list[str]) -> None:
        """Each combination of ``key`` values may appear once; name both lines if not."""
        valid = self.df[self.ok(*key)]
        dup = valid[valid.duplicated(key, keep=False)]
        first: dict[tuple, int] = {}
        for i, values in zip(dup.index, dup[key].itertuples(index=False, name=None), strict=True):
            if values not in first:
                first[values] = i
                continue
            self.problem(i, ", ".join(self.headers[c] for c in key),
                         f"one row per key; line {self.lines[first[values]]} has the same key",
                         " / ".join(map(str, values)))

    def result(self, columns: list[str], text: Iterable[str] = ()) -> pd.DataFrame:
        """``columns`` of the converted frame (``text`` ones as ``str``), or raise every problem."""
        if self.problems:
            self.problems.sort(key=lambda p: -1 if p.row is None else p.row)  # stable: by line
            raise InputError(self.problems)
        out = self.df[columns].copy()
        for c in text:
            out[c] = out[c].astype(str)
        return out


