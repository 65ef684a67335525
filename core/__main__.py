"""``python -m core ...``: the headless command line (see core.cli.main)."""

import sys

from core.cli.main import main

sys.exit(main())
