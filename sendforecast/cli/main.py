"""``sendforecast <command>``: the parser and the one error path every command shares.

A thin layer over the Python API: every command parses arguments, calls the library and
writes files.  One module per command group (:mod:`.data`, :mod:`.run`, :mod:`.forecast`,
:mod:`.project`, :mod:`.scenarios`); the options they share come from :mod:`.options`.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings


def build_parser() -> argparse.ArgumentParser:
    from sendforecast.cli.data import add_data_parser
    from sendforecast.cli.forecast import add_forecast_parser
    from sendforecast.cli.project import add_project_parser
    from sendforecast.cli.run import add_run_parsers
    from sendforecast.cli.scenarios import add_scenarios_parser
    from sendforecast.cli.statutory import add_statutory_parser

    p = argparse.ArgumentParser(prog="sendforecast",
                                description="Forecast SEND demand, places and High Needs Block costs.")
    sub = p.add_subparsers(dest="command", required=True)
    add_data_parser(sub)
    add_run_parsers(sub)
    add_project_parser(sub)
    add_scenarios_parser(sub)
    add_forecast_parser(sub)
    add_statutory_parser(sub)
    p.add_argument("--debug", action="store_true",
                   help="on an unexpected error, show the full Python traceback")
    return p


REPORT_HINT = ("This looks like a bug in sendforecast. Please report it with the command you ran "
               "and this message; rerun with --debug for the full traceback.")


def user_message(exc: BaseException) -> str:
    """One clear message for an error the user can act on (never a bare ``KeyError``)."""
    if isinstance(exc, KeyError) and len(exc.args) == 1:
        return f"not found: {exc.args[0]}"
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"file or folder not found: {exc.filename}"
    if isinstance(exc, PermissionError) and exc.filename:
        return f"permission denied: {exc.filename}"
    return str(exc) or type(exc).__name__


@contextlib.contextmanager
def _warnings_as_lines(debug: bool):
    """Our warnings as ``sendforecast: warning: ...`` lines (they showed the package's file,
    line number and source line); others, and everything with ``--debug``, as Python has it."""
    from sendforecast.errors import SendForecastWarning

    if debug:
        yield
        return
    original = warnings.formatwarning

    def line(message, category, filename, lineno, line=None):
        if issubclass(category, SendForecastWarning):
            return f"sendforecast: warning: {message}\n"
        return original(message, category, filename, lineno, line)

    warnings.formatwarning = line
    try:
        yield
    finally:
        warnings.formatwarning = original


def main(argv: list[str] | None = None) -> int:
    from sendforecast.errors import InputError, NotFoundError, UsageError

    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv  # accepted anywhere on the line
    args = build_parser().parse_args([a for a in argv if a != "--debug"])
    try:
        with _warnings_as_lines(debug):
            return int(args.func(args) or 0)
    except (InputError, UsageError, NotFoundError, OSError) as exc:  # OSError: files, network
        if debug:
            raise
        print(f"sendforecast: error: {user_message(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sendforecast: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns bugs into a message
        if debug:
            raise
        print(f"sendforecast: unexpected error ({type(exc).__name__}): {user_message(exc)}\n"
              f"{REPORT_HINT}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
