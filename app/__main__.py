"""``python -m deskchat``: the same as the ``deskchat`` command (the window without a command)."""

from __future__ import annotations

import sys

from deskchat.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
