"""Render resources/icons/deskchat.svg to the PNG sizes the window's icon uses.

    .venv/bin/python scripts/icons.py

The window's icon is made of these PNGs, not the SVG: an SVG icon loads Qt's SVG
module and icon engine into every start (~2.2 MiB of RSS, bench/README.md). Run
this after changing the SVG and commit the PNGs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "deskchat.svg"))
    if not renderer.isValid():
        sys.stderr.write("scripts/icons.py: deskchat.svg cannot be read\n")
        return 1
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        image.save(str(ICONS / f"deskchat-{size}.png"))
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
