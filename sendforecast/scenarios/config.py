"""Budget scenario runs from a YAML file (``sendforecast scenarios run FILE.yaml``).

Schema (version 1); paths are relative to the YAML file; ``example`` means the
shipped Exampleshire file::

    version: 1
    base:
      example: true              # or: data: [release-2025/, release-2022/]  la: "825"
    assumptions:
      costs: example             # unit-cost CSV/YAML; omit for the sourced defaults
      capacity: example          # commissioned places CSV; omit for no capacity limits
      hnb: example               # HNB allocation YAML (required)
      routing: {state_special: {independent_special: 1.0}}   # optional
    horizon: 10                  # projection years
    draws: 1000
    seed: 1
    strategies:                  # name: list of scenarios (see sendforecast.scenarios.library)
      inclusion:
        - {type: MainstreamInclusion, share: 0.1, start: 2026, ramp_years: 3}
    goal_seek:                   # optional
      scenario: {type: ReduceRequests, start: 2026, ramp_years: 2}
      parameter: by              # the field searched
      lo: 0.0
      hi: 0.5
      tol: 0.01
      financial_year: "2029-30"
      measure: in_year_balance   # or cumulative_balance
      threshold: 0
      probability: 0.8

Capacity scenarios of the statutory assessment pipeline (more EPs or casework officers, a
backlog project, a change in the share of requests agreed) have a file of their own, with a
``statutory:`` section: :func:`sendforecast.scenarios.statutory.load_statutory_config`
(``sendforecast statutory --scenarios FILE.yaml``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import InputError, Problem
from .base import Scenario
from .library import SCENARIO_TYPES, scenario_from_dict

EXAMPLE_YAML = Path(__file__).with_name("example.yaml")


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BaseData(_M):
    example: bool = False
    data: list[str] = Field(default_factory=list)
    la: str | None = None

    @field_validator("la", mode="before")
    @classmethod
    def _code_as_text(cls, v):  # la: 825 (unquoted YAML) is the code "825", not an error
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @model_validator(mode="after")
    def _one(self):
        if self.example == bool(self.data):
            raise ValueError("give either example: true or data: [paths] with la")
        if self.data and not self.la:
            raise ValueError("la (3-digit LA code) is required with data")
        if self.example and self.la:  # it ran Exampleshire and said nothing of the code
            raise ValueError(f"la: {self.la} goes with data: [paths]; example: true runs the "
                             "example LA (Exampleshire) - give one or the other")
        return self


class Assumptions(_M):
    costs: str | None = None
    capacity: str | None = None
    hnb: str
    routing: dict[str, dict[str, float]] | None = None


class GoalSeekSpec(_M):
    scenario: dict
    parameter: str
    lo: float
    hi: float
    tol: float = Field(default=0.01, gt=0)
    financial_year: str
    measure: Literal["in_year_balance", "cumulative_balance"] = "in_year_balance"
    threshold: float = 0.0
    probability: float = Field(default=0.8, gt=0, lt=1)
    integer: bool = False

    @model_validator(mode="after")
    def _bracket(self):
        if not self.lo < self.hi:  # the search needs a bracket (was a 'bug' message)
            raise ValueError(f"lo < hi (the range searched), got lo {self.lo:g}, hi {self.hi:g}")
        return self


class RunConfig(_M):
    version: Literal[1] = 1
    base: BaseData
    assumptions: Assumptions
    horizon: int = Field(default=10, ge=1, le=30)
    draws: int = Field(default=1000, ge=10, le=100_000)
    seed: int = 1
    strategies: dict[str, list[dict]] = Field(min_length=1)
    goal_seek: GoalSeekSpec | None = None


def load_run_config(path: str | Path) -> tuple[RunConfig, dict[str, list[Scenario]]]:
    """Read and validate a run file; every problem is listed with its line and field."""
    import yaml

    from sendforecast.config import load_yaml_model, validation_problems, yaml_line

    path = Path(path)
    problems: list[Problem] = []
    try:
        cfg = load_yaml_model(path, RunConfig)
    except InputError as e:  # keep going: report the scenarios' problems too
        problems.extend(e.problems)
        cfg = None
    try:
        node = yaml.compose(path.read_text(encoding="utf-8-sig"))
        raw = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError):  # named by load_yaml_model (was a 'bug')
        raise InputError(problems) from None
    raw_strategies = raw.get("strategies") if isinstance(raw, dict) else None
    strategies = {}
    for name, items in (raw_strategies if isinstance(raw_strategies, dict) else {}).items():
        if not isinstance(items, list):
            continue  # reported by the schema check
        items = [d for d in items if isinstance(d, dict)]
        out = []
        for i, d in enumerate(items):
            loc = ["strategies", name, i]
            try:
                out.append(scenario_from_dict(d))
            except ValidationError as e:  # the scenario type's own fields name a typo
                problems += validation_problems(e, path, node, loc,
                                                model=SCENARIO_TYPES.get(d.get("type")))
            except ValueError as e:
                problems.append(Problem(str(path), yaml_line(node, loc),
                                        ".".join(map(str, loc)), str(e)))
        strategies[name] = out
    if cfg is not None:
        problems += _missing_paths(cfg, path, node)
    if cfg is not None and cfg.goal_seek is not None:
        gs = cfg.goal_seek
        for x in (gs.lo, gs.hi):  # both ends (hi unchecked: a 'bug' after the strategies)
            try:
                scenario_from_dict({**gs.scenario, gs.parameter: x})
            except ValidationError as e:
                problems += validation_problems(e, path, node, ["goal_seek", "scenario"],
                                                f" (with {gs.parameter} = {x:g}, an end of lo..hi)",
                                                model=SCENARIO_TYPES.get(gs.scenario.get("type")))
                break
            except ValueError as e:
                problems.append(Problem(str(path), yaml_line(node, ["goal_seek", "scenario"]),
                                        "goal_seek.scenario", str(e)))
                break
    if problems:
        raise InputError(problems)
    return cfg, strategies


def _missing_paths(cfg: RunConfig, path: Path, node) -> list[Problem]:
    """Data and assumption files that do not exist, with the line of the run file and the
    folder a relative path is read from (it was 'SEN2 data path not found: release-2025',
    after the run had started, naming neither)."""
    from sendforecast.config import yaml_line

    given = [(["base", "data", i], p) for i, p in enumerate(cfg.base.data)]
    given += [(["assumptions", k], getattr(cfg.assumptions, k))
              for k in ("costs", "capacity", "hnb")]
    out = []
    for loc, p in given:
        full = resolve(p, path, path)
        if full is not None and p != "example" and not Path(full).exists():
            out.append(Problem(str(path), yaml_line(node, loc), ".".join(map(str, loc)),
                               f"a file or folder that exists (a relative path is read from "
                               f"{path.parent.resolve()}, the run file's folder)", p))
    return out


def resolve(path_or_keyword: str | None, yaml_path: Path, example: Path) -> str | None:
    if path_or_keyword is None:
        return None
    if path_or_keyword == "example":
        return str(example)
    p = Path(path_or_keyword)
    return str(p if p.is_absolute() else (yaml_path.parent / p))
