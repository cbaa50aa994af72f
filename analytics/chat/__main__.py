"""``python -m analytics.chat parse`` / ``ask``: see ``analytics.chat.cli``."""
import sys

from analytics.chat.cli import main

sys.exit(main())
