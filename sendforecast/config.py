"""Validated YAML input files: a pydantic model per file, errors with file, line and field.

Shared by the cost, HNB allocation and scenario run files.  Knows nothing of what the
files mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from sendforecast.errors import InputError, Problem

__all__ = ["load_yaml_model", "validation_problems", "yaml_line"]


def load_yaml_model(path: str | Path, model: type[BaseModel]):
    """Validate a YAML file with a pydantic model; errors name the file, line and field."""
    path = Path(path)
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
        raise InputError(validation_problems(e, path, node)) from None


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
                        note: str = "") -> list[Problem]:
    """One :class:`Problem` per error of a pydantic validation, with the line and field of
    the YAML file; ``prefix``: where the validated mapping sits in the file; ``note`` is
    added to what was expected."""
    problems = []
    for err in error.errors():
        loc = [*prefix, *(x for x in err["loc"] if not (isinstance(x, str) and "[" in x))]
        field = ".".join(str(x) for x in loc) or None
        found = (None if err["type"] == "missing" or isinstance(err.get("input"), dict)
                 else repr(err.get("input"))[:60])  # a dict: a check of several fields
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "a value (the field is required)"
        elif err["type"] == "extra_forbidden":
            msg = "only known fields"
        problems.append(Problem(str(path), yaml_line(node, loc), field, msg + note, found))
    return problems


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
