"""``python -m analytics.forecasting demand ...``: see :mod:`analytics.forecasting.cli`."""
from __future__ import annotations

import sys

from analytics.forecasting.cli import main

if __name__ == "__main__":
    sys.exit(main())
