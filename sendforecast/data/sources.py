"""Input files as text: SEN2 release folders, zips and CSV files; an LA's CSV/xlsx files.

This module knows bytes, encodings and containers; it knows nothing of SEN2 tables,
columns or values (:mod:`.sen2_schema` recognises tables by their columns,
:mod:`.tables` checks the columns of an LA's file).

* :func:`iter_sources` walks a SEN2 path (a folder, searched recursively; a zip as
  downloaded from explore-education-statistics; or one CSV file) and yields every CSV
  in it, in name order, as a :class:`Source`: a frame of strings read by :func:`read_csv`,
  with the release it belongs to (a zip; or a folder of CSVs, a ``data`` folder standing for
  the one above it), so that a folder holding several releases is read as several.
* :func:`read_rows` reads one file of an LA (CSV, or the first worksheet of an ``.xlsx``
  workbook) as ``(line number, cells)``.

Every way a file can be broken is an :class:`~sendforecast.errors.InputError` naming the
file (``release.zip!data/caseload.csv`` inside a zip) and the line (header = line 1):
an empty file, a workbook, zip or PDF renamed ``.csv``, binary data, bytes that are not
UTF-8 (SEN2 files; an LA's CSV is read as Windows-1252 instead), lines with fewer or
more fields than the header, a malformed CSV line, a corrupt, truncated or CSV-less zip
and a damaged zip member.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, Problem

__all__ = ["Source", "iter_sources", "read_csv", "read_rows", "refuse_binary"]


@dataclass
class Source:
    """One CSV table of a SEN2 release, read as strings."""

    name: str  # path shown in messages
    frame: pd.DataFrame  # all strings
    release: str  # the zip, or the release folder, it came from


# -------------------------------------------------------------------- not text at all
_SEN2_NOT_TEXT = {b"PK\x03\x04": "an Excel workbook or zip archive (save the sheet as 'CSV UTF-8')",
                  b"\xd0\xcf\x11\xe0": "an old-style Excel .xls workbook (save the sheet as 'CSV UTF-8')",
                  b"%PDF": "a PDF document"}
_LOCAL_NOT_TEXT = {b"PK\x03\x04": "an Excel workbook or zip archive (name it .xlsx, or save it as CSV)",
                   b"\xd0\xcf\x11\xe0": "an old-style Excel .xls workbook (save it as .xlsx or CSV)",
                   b"%PDF": "a PDF document"}


def refuse_binary(data: bytes, name: str, expected: str, kinds: dict[bytes, str]) -> None:
    """Refuse a file that is not text: a known signature (``kinds``: magic bytes -> what
    the file is and what to do) is refused expecting ``expected``; NUL bytes name their line."""
    for magic, what in kinds.items():
        if data.startswith(magic):
            raise InputError(Problem(name, None, None, expected, what))
    if b"\x00" in data:
        line = data[:data.index(b"\x00")].count(b"\n") + 1
        raise InputError(Problem(name, line, None, "a comma-separated text file", "binary data (NUL bytes)"))


# ------------------------------------------------------------------------ SEN2 files
def read_csv(data: bytes, name: str) -> pd.DataFrame:
    """Read the bytes of a SEN2 CSV as strings; every way they can be broken is an ``InputError``.

    Refused, naming the file (and line): an empty file (0 bytes or blank), a file that
    is not text (a workbook or zip renamed ``.csv``), bytes that are not UTF-8, and rows
    with fewer or more fields than the header (a truncated or damaged download).  A file
    with a header but no data rows is returned empty; :func:`~sendforecast.data.sen2.load_sen2`
    refuses it when its columns are those of a SEN2 table.  A line repeated exactly is
    dropped, and ``(line, first line)`` of each repeat is kept in
    ``frame.attrs["repeated_lines"]`` for the quality report.
    """
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise InputError(Problem(name, 1, None, "a header line of SEN2 columns (time_period, "
                                 "geographic_level, ...)", "an empty file"))
    refuse_binary(data, name, "a comma-separated UTF-8 text file", _SEN2_NOT_TEXT)
    try:
        df = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError:
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            raise InputError(Problem(name, line, None, "UTF-8 text (as published by DfE)",
                                     f"byte {data[exc.start:exc.start + 1]!r} that is not UTF-8")) from exc
        raise
    except pd.errors.ParserError as exc:
        raise InputError(_field_problems(data, name) or [
            Problem(name, None, None, "a comma-separated UTF-8 file", str(exc).strip())]) from exc
    # pandas pads a short row with "": only then (a blank last cell) count the fields
    if len(df.columns) and (df.iloc[:, -1] == "").any() and not _same_field_counts(data):
        raise InputError(_field_problems(data, name) or [
            Problem(name, None, None, "as many fields on every line as in the header", "lines that differ")])
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    lines = data.split(b"\n")
    if len(set(lines)) < len(lines):  # a line repeated exactly (cheap test; rare slow path)
        first: dict[bytes, int] = {}
        repeats = []
        for n, text in enumerate(lines, start=1):
            if text.strip():
                if text in first:
                    repeats.append((n, first[text]))
                else:
                    first[text] = n
        if repeats:  # dropped here (a defect of the file); listed by the SEN2 file parser
            df = df.drop(index=[n - 2 for n, _ in repeats if 0 <= n - 2 < len(df)])
            df.attrs["repeated_lines"] = repeats
    return df


def _same_field_counts(data: bytes) -> bool:
    """Whether every non-blank line has as many fields as the header (vectorised: the
    real releases have ~100k lines; commas and line ends inside quotes do not count)."""
    b = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(b == 34)
    commas, ends = np.flatnonzero(b == 44), np.flatnonzero(b == 10)
    if len(quotes):
        commas = commas[np.searchsorted(quotes, commas) % 2 == 0]
        ends = ends[np.searchsorted(quotes, ends) % 2 == 0]
    bounds = np.concatenate([[-1], ends, [len(b)]])
    per_line = np.diff(np.searchsorted(commas, bounds))
    length = np.diff(bounds) - 1 - (b[np.maximum(bounds[1:] - 1, 0)] == 13)  # without \r
    per_line = per_line[length > 0]
    return bool(len(per_line) == 0 or (per_line == per_line[0]).all())


def _field_problems(data: bytes, name: str, limit: int = 50) -> list[Problem]:
    """Lines whose number of fields differs from the header's (blank lines are fine)."""
    text = data.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    n_lines = text.count("\n") + (not text.endswith("\n"))
    problems: list[Problem] = []
    n_header, start = None, 1
    try:
        for cells in reader:
            if n_header is None:
                n_header = len(cells)
            elif cells and len(cells) != n_header:
                cut = reader.line_num >= n_lines and len(cells) < n_header
                problems.append(Problem(name, start, None, f"{n_header} fields as in the header"
                                        + (" (the file looks cut short)" if cut else ""),
                                        f"{len(cells)} fields"))
                if len(problems) >= limit:
                    break
            start = reader.line_num + 1
    except csv.Error as exc:
        problems.append(Problem(name, start, None, "a well-formed CSV line", str(exc)))
    return problems


def iter_sources(path: Path) -> Iterator[Source]:
    """Every CSV table under a SEN2 path (folder, zip or CSV file), read as strings."""
    if not path.exists():
        raise FileNotFoundError(f"SEN2 data path not found: {path}")
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in {".csv", ".zip"})
        if not files:
            raise InputError(Problem(str(path), None, None, "a folder containing SEN2 .csv or .zip files",
                                     "no such files"))
        for f in files:
            if f.suffix.lower() == ".zip":
                yield from _iter_zip(f, release=str(f))
            else:
                yield Source(str(f), read_csv(f.read_bytes(), str(f)), _release_folder(f, path))
    elif path.suffix.lower() == ".zip":
        yield from _iter_zip(path, release=str(path))
    elif path.suffix.lower() == ".csv":
        yield Source(str(path), read_csv(path.read_bytes(), str(path)), str(path))
    else:
        raise InputError(Problem(str(path), None, None, "a folder, a .zip or a .csv file", path.suffix))


def _release_folder(f: Path, root: Path) -> str:
    """The release a CSV under the folder ``root`` belongs to: its own folder, or the one
    above a ``data`` folder (the layout of a release as published).  A folder may hold
    several releases (``release-2025/``, ``release-2026/``; or the zips the download cache
    keeps, each a release of its own): the newer one must win on the slices both hold,
    not the one first in name order."""
    d = f.parent
    if d.name.lower() == "data" and d != root:
        d = d.parent
    return str(d)


_ZIP_EXPECTED = "a zip archive as downloaded from explore-education-statistics"


def _iter_zip(path: Path, release: str) -> Iterator[Source]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputError(Problem(str(path), None, None, _ZIP_EXPECTED,
                                 f"not a readable zip ({exc}); download it again")) from exc
    with zf:
        members = sorted(m for m in zf.namelist() if m.lower().endswith(".csv"))
        if not members:
            raise InputError(Problem(str(path), None, None, _ZIP_EXPECTED + " holding SEN2 .csv files",
                                     "no .csv files in the zip"))
        for member in members:
            try:
                with zf.open(member) as fh:
                    data = fh.read()
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError) as exc:
                raise InputError(Problem(f"{path}!{member}", None, None, _ZIP_EXPECTED,
                                         f"a damaged or truncated zip member ({exc}); download it "
                                         "again")) from exc
            yield Source(f"{path}!{member}", read_csv(data, f"{path}!{member}"), release)


# ------------------------------------------------------------------------- LA files
def read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """``(line number, stripped cells)`` of every row of an LA's file that is not entirely blank.

    A ``.xlsx``/``.xlsm`` file is read from its first worksheet (line = worksheet row);
    any other file as CSV: UTF-8 (a byte-order mark is accepted), else Windows-1252 (the
    Excel default).  A quoted cell may span lines: a row's number is the line it starts on.
    """
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
            raise InputError(Problem(str(path), None, None, "an Excel .xlsx workbook",
                                     f"a file Excel cannot open ({exc})")) from exc
        try:
            sheet = wb.worksheets[0].iter_rows(values_only=True)
            rows = [(n, [_cell_text(v) for v in row]) for n, row in enumerate(sheet, start=1)]
        finally:
            wb.close()
    else:
        data = path.read_bytes()
        refuse_binary(data, str(path), "a comma-separated text file", _LOCAL_NOT_TEXT)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
        reader = csv.reader(io.StringIO(text, newline=""))
        rows, last = [], 0
        try:
            for cells in reader:  # a quoted cell may span lines: a row starts after the last one
                rows.append((last + 1, [c.strip() for c in cells]))
                last = reader.line_num
        except csv.Error as exc:
            raise InputError(Problem(str(path), last + 1, None, "a well-formed CSV line", str(exc))) from exc
    return [(n, cells) for n, cells in rows if any(cells)]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()
