"""``python -m sendforecast.cli``."""

import sys

from sendforecast.cli.main import main

sys.exit(main())
