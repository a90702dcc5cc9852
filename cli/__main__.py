"""``python -m deskchat.cli``: the same as the ``deskchat`` command."""

import sys

from deskchat.cli.main import main

sys.exit(main())
