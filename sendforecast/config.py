"""Validated YAML input files: a pydantic model per file, errors with file, line and field.

Shared by the cost, HNB allocation and scenario run files.  Knows nothing of what the
files mean.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from sendforecast.errors import InputError, Problem

__all__ = ["load_yaml_model", "plain_message", "validation_problems", "yaml_line"]


def load_yaml_model(path: str | Path, model: type[BaseModel]):
    """Validate a YAML file with a pydantic model; errors name the file, line and field."""
    path = Path(path)
    if path.is_dir():  # was 'No such file: <folder>'
        raise IsADirectoryError(f"{path} is a folder; expected a file")
    if not path.is_file():
        raise FileNotFoundError(f"No such file: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:  # a workbook or a legacy encoding: was a 'bug' message
        raise InputError(Problem(str(path), None, None, "a UTF-8 text (YAML) file",
                                 f"byte {e.object[e.start:e.start + 1]!r} at position "
                                 f"{e.start}")) from None
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise InputError(Problem(str(path), mark.line + 1 if mark else None, None,
                                 "valid YAML", str(getattr(e, "problem", e)))) from None
    if not isinstance(data, dict):
        raise InputError(Problem(str(path), None, None, "a YAML mapping (key: value lines)",
                                 type(data).__name__))
    repeated = _repeated_keys(node)
    if repeated:  # YAML keeps the last silently: a strategy copied and not renamed vanished
        raise InputError([Problem(str(path), line, key, "each key once in its mapping",
                                  f"a repeat of line {first}") for key, line, first in repeated])
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise InputError(validation_problems(e, path, node, model=model)) from None


def _repeated_keys(node, where: str = "") -> list[tuple[str, int, int]]:
    """``(key path, line, first line)`` of every key given twice in one mapping."""
    out = []
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for k, v in node.value:
            key = f"{where}.{k.value}" if where else str(k.value)
            line = k.start_mark.line + 1
            if k.value in first:
                out.append((key, line, first[k.value]))
            else:
                first[k.value] = line
            out += _repeated_keys(v, key)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            out += _repeated_keys(v, f"{where}.{i}")
    return out


def validation_problems(error: ValidationError, path: str | Path, node, prefix: Sequence = (),
                        note: str = "", model: type[BaseModel] | None = None) -> list[Problem]:
    """One :class:`Problem` per error of a pydantic validation, with the line and field of
    the YAML file; ``prefix``: where the validated mapping sits in the file; ``note`` is
    added to what was expected; ``model`` (the one validated) names the known fields when a
    key is misspelt.  Messages are plain English, not pydantic's ('Input should be ...')."""
    problems = []
    for err in error.errors():
        where = [x for x in err["loc"] if not (isinstance(x, str) and "[" in x)]
        loc = [*prefix, *where]
        field = ".".join(str(x) for x in loc) or None
        value = err.get("input")
        found = (None if err["type"] in ("missing", "extra_forbidden") or isinstance(value, dict)
                 else (value if isinstance(value, str) else repr(value))[:60])  # a dict: a check
        msg = plain_message(err["msg"])                                              # of several fields
        if "found " in msg:  # the check's message names the value already
            found = None
        if err["type"] == "missing":
            msg = "a value (the field is required)"
        elif err["type"] == "extra_forbidden":
            msg = _known_fields(model, where[:-1], str(where[-1]) if where else "")
        problems.append(Problem(str(path), yaml_line(node, loc), field, msg + note, found))
    return problems


def plain_message(msg: str) -> str:
    """pydantic's ``Input should be greater than or equal to 10`` -> ``a number greater than
    or equal to 10``; ``Value error, x`` -> ``x``."""
    msg = msg.removeprefix("Value error, ")
    if msg.startswith("Input should be "):
        msg = msg.removeprefix("Input should be ")
        if msg.startswith(("greater", "less")):
            msg = "a number " + msg
    return msg


def _known_fields(model, loc: Sequence, key: str) -> str:
    """``a known field (a, b, c); did you mean 'b'?`` for a misspelt ``key`` at ``loc``."""
    known = _fields_at(model, loc)
    if not known:
        return "only known fields"
    text = f"a known field ({', '.join(known)})"
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return text + (f"; did you mean '{close[0]}'?" if close else "")


def _is_model(t) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def _inner_model(t):
    """The first pydantic model inside an annotation (``X | None``, ``list[X]``...)."""
    if _is_model(t):
        return t
    for a in typing.get_args(t):
        if (m := _inner_model(a)) is not None:
            return m
    return None


def _fields_at(model, loc: Sequence) -> list[str]:
    """Field names of the model reached from ``model`` along ``loc`` ([] if unknown)."""
    t = model
    for key in loc:
        if not _is_model(t):
            inner = _inner_model(t)
            if inner is None:
                return []
            union = isinstance(t, types.UnionType) or typing.get_origin(t) is typing.Union
            t = inner
            if not union:  # list[X] / dict[str, X]: this key is an index or a name
                continue
        f = t.model_fields.get(str(key))
        if f is None:
            return []
        t = f.annotation
    t = t if _is_model(t) else _inner_model(t)
    return list(t.model_fields) if t is not None else []


def yaml_line(node, loc: Sequence) -> int | None:
    """1-based line of the deepest node of ``loc`` that exists in the composed YAML."""
    line = None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            hit = [(k, v) for k, v in node.value if k.value == str(key)]
            if not hit:
                break
            line, node = hit[0][0].start_mark.line + 1, hit[0][1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line
