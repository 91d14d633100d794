"""The command line's one option vocabulary: every subcommand adds its options from here.

``--data`` may be repeated and may take several paths after one flag (``--data A B``
and ``--data A --data B`` mean the same); ``--la`` takes one code, a comma list or
``all`` where several LAs make sense; ``--horizon`` (alias ``--years``), ``--draws``,
``--seed`` and ``--out`` are named, defaulted and checked the same way everywhere.
Bad values are argument errors (exit 2 with the usage line), never tracebacks.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sendforecast.defaults import DEFAULT_SEED  # the same default as the Python API

DEFAULT_OUT = "sendforecast-output"


def whole_number(minimum: int, maximum: int | None = None, what: str = ""):
    """argparse type: an integer >= ``minimum`` (and <= ``maximum``; a clear argument error
    otherwise)."""

    def check(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            bounds = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
            raise argparse.ArgumentTypeError(
                f"expected a whole number {bounds}{what}, got {text!r}")
        return value

    return check


#: The longest horizon, in years: the limit of a scenario run file (scenarios/config.py);
#: --horizon 100 projected a century without a word.
MAX_HORIZON = 30

#: argparse types: counts (draws, years, jobs), seeds and horizons.
positive_int = whole_number(1)
seed_int = whole_number(0)
horizon_int = whole_number(1, MAX_HORIZON, " (years ahead)")


def out_dir(text: str) -> Path:
    """argparse type: a folder to write into (created if absent; must not be a file)."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(
            f"{text!r} is an existing file; give a folder for the outputs")
    return path


def out_file(text: str) -> Path:
    """argparse type: a file to write (must not be an existing folder)."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; give a file name, e.g. out.csv")
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise argparse.ArgumentTypeError(f"{str(parent)!r} is a file, not a folder")
    return path


def la_codes(text: str) -> list[str] | str:
    """argparse type: ``all`` or a comma list of area codes."""
    text = text.strip()
    if text.lower() == "all":
        return "all"
    # each code once, in the order given (--la 825,825 forecast 825 twice, with other numbers)
    codes = list(dict.fromkeys(c.strip() for c in text.split(",") if c.strip()))
    if not codes:
        raise argparse.ArgumentTypeError("expected an area code, a comma list of codes or 'all'")
    return codes


def one_la(text: str) -> str:
    """argparse type: exactly one area code."""
    codes = la_codes(text)
    if codes == "all" or len(codes) != 1:
        raise argparse.ArgumentTypeError(f"expected one area code (e.g. 825), got {text!r}")
    return codes[0]


class _ExtendPaths(argparse.Action):
    """``--data A B --data C`` -> ``[A, B, C]``."""

    def __call__(self, parser, namespace, values, option_string=None):
        items = list(getattr(namespace, self.dest, None) or [])
        items.extend(values)
        setattr(namespace, self.dest, items)


def add_data(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument(
        "--data", action=_ExtendPaths, nargs="+", required=required, metavar="PATH", default=None,
        help="SEN2 release folder, zip or CSV; repeat the flag or list several paths for several "
             "releases (the newer release wins where both hold a year)")


def add_la(parser: argparse.ArgumentParser, *, many: bool, required: bool = True,
           default: str | None = None, areas: bool = False) -> None:
    """``areas``: the command also takes region (E12...) and England codes."""
    if many:
        parser.add_argument(
            "--la", type=la_codes, required=required and default is None,
            default=la_codes(default) if default else None, metavar="CODE[,CODE...]|all",
            help="3-digit DfE LA code, a comma list of codes, or 'all'"
                 + (", or E12... region codes and E92000001 (England)" if areas else "")
                 + (f" (default {default})" if default else ""))
    else:
        parser.add_argument("--la", type=one_la, required=required, metavar="CODE",
                            help="3-digit DfE LA code, e.g. 825 (Buckinghamshire)")


def add_horizon(parser: argparse.ArgumentParser, default: int | None = 10) -> None:
    parser.add_argument(
        "--horizon", "--years", dest="horizon", type=horizon_int, default=default,
        required=default is None, metavar="N",
        help="years ahead to forecast or project" + (f" (default {default})" if default else ""))


def add_draws(parser: argparse.ArgumentParser, default: int | None = 1000,
              help: str | None = None) -> None:
    parser.add_argument("--draws", type=positive_int, default=default, metavar="N",
                        help=help or "Monte Carlo draws" + (f" (default {default})" if default
                                                            else ""))


def add_seed(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=seed_int, default=DEFAULT_SEED, metavar="N",
                        help=f"random seed; the same seed gives the same numbers "
                             f"(default {DEFAULT_SEED})")


def add_out(parser: argparse.ArgumentParser, *, kind: str = "dir", required: bool = True,
            default: str | None = None, help: str | None = None) -> None:
    if kind == "dir":
        parser.add_argument("--out", type=out_dir, required=required and default is None,
                            default=Path(default) if default else None, metavar="DIR",
                            help=help or ("output folder" + (f" (default {default})"
                                                             if default else "")))
    else:
        parser.add_argument("--out", type=out_file, required=required, metavar="FILE.csv",
                            help=help or "output file")


#: DfE practice: counts below 5 are shown as 'c'.
DEFAULT_SUPPRESS = 5


def add_suppress(parser: argparse.ArgumentParser) -> None:
    """``--suppress`` and ``--suppress-threshold N`` (publication-safe outputs)."""
    g = parser.add_argument_group("publication")
    g.add_argument("--suppress", action="store_true",
                   help="make outputs safe to publish: counts of children rounded to the "
                        "nearest 5 and counts below the threshold shown as 'c' (DfE practice); "
                        "money, percentages and years are unchanged (default: off)")
    g.add_argument("--suppress-threshold", type=positive_int, default=None, metavar="N",
                   help=f"counts below N are shown as 'c' (default {DEFAULT_SUPPRESS}); "
                        "giving it turns --suppress on")


def suppress_threshold(args: argparse.Namespace) -> int | None:
    """The suppression threshold the user asked for, or None when suppression is off: a
    threshold given alone turns it on (it was silently ignored without --suppress)."""
    given = getattr(args, "suppress_threshold", None)
    if given is not None:
        return given
    return DEFAULT_SUPPRESS if getattr(args, "suppress", False) else None
