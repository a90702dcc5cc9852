"""``python -m deskchat.gui``: open the window (options as for ``deskchat``)."""

from __future__ import annotations

import sys

from deskchat.gui.app import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
