"""``python -m cli``: the same as the ``deskchat`` command."""

import sys

from cli.main import main

sys.exit(main())
