"""DeskChat's Qt window: PySide6 widgets on a qasync event loop.

Import :func:`gui.app.main` to open the window; importing this package loads
no Qt by itself.
"""

from __future__ import annotations

import os

# qasync picks the first Qt binding it finds; make sure it is PySide6.
os.environ.setdefault("QT_API", "pyside6")
