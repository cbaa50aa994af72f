"""``python -m analytics.insights anomalies ...``: see ``analytics.insights.cli``."""
import sys

from analytics.insights.cli import main

sys.exit(main())
