"""``python -m sendforecast ...``: the same command line as the ``sendforecast`` script."""

from sendforecast.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
