"""Errors raised by sendforecast.

Every error about user input names the file, the row and column, and what was
expected, so that an analyst can open the file and fix it without reading code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file."""

    file: str
    row: int | None  # 1-based line number in the file (header = line 1); None = whole file
    column: str | None
    expected: str
    found: str | None = None

    def __str__(self) -> str:
        if "!" in self.file:  # a member of a zip archive: name both
            archive, member = self.file.split("!", 1)
            where = f"{Path(archive).name}!{member}"
        else:
            where = Path(self.file).name if self.file else "<input>"
        if self.row is not None:
            where += f", line {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        text = f"{where}: expected {self.expected}"
        if self.found is not None:
            text += f", found {self.found!r}"
        return text


class InputError(ValueError):
    """Raised when an input file or frame is not what sendforecast expects.

    ``problems`` lists every problem found (not only the first), each with file,
    line, column and what was expected.
    """

    def __init__(self, problems: list[Problem] | Problem, max_shown: int = 20):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        shown = [f"  - {p}" for p in self.problems[:max_shown]]
        more = len(self.problems) - max_shown
        if more > 0:
            shown.append(f"  ... and {more} more")
        n = len(self.problems)
        if n == 1:  # one line, e.g. for the command line's "sendforecast: error: ..."
            super().__init__(str(self.problems[0]))
        else:
            super().__init__(f"{n} problems in input:\n" + "\n".join(shown))


class NotFoundError(KeyError):
    """A code the user gave (an area, a measure, a placement) is not in the data or the
    taxonomy; the message lists what is known.  A ``KeyError`` for code that looks codes up,
    with a readable ``str`` (a plain ``KeyError`` prints its message in quotes)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"


class UsageError(ValueError):
    """Raised when arguments are combined wrongly (e.g. both input modes, or a required
    companion option missing); the message says which option to give."""


class SendForecastWarning(UserWarning):
    """Warnings about data or model fit that a user should see (not silenced)."""
