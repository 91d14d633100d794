"""The command line, ``sendforecast <command>`` (see :mod:`.main`)."""

from sendforecast.cli.main import build_parser, main

__all__ = ["main", "build_parser"]
