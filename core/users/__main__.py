"""``python -m core.users``: see core/users/cli.py."""
import sys

from core.users.cli import main

sys.exit(main())
