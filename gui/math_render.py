"""Formulas as images: TeX to SVG with ziamath, SVG to a QImage with QtSvg, no browser engine.

ziamath (with its math font, ~150 ms and a few MB) is imported at the first
formula a reply shows, never at start-up. A formula ziamath cannot parse, or
that names a command it does not know, is refused: the reply shows it as code,
exactly as written (:func:`gui.markdown.render`).
"""

from __future__ import annotations

import functools
import logging
import re
import warnings
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QImage, QPainter

log = logging.getLogger("deskchat.gui.math")

__all__ = ["Drawn", "draw", "image"]

_VIEW_BOX = re.compile(r'viewBox="([-\d.e]+) ([-\d.e]+) ([-\d.e]+) ([-\d.e]+)"')
_UNKNOWN = re.compile(r">\\[A-Za-z]+<")
"""A command ziamath did not know comes out as its own name: ``<mi>\\foo</mi>``."""


@dataclass(frozen=True)
class Drawn:
    """One formula as SVG, and where its baseline is.

    Attributes:
        svg: the SVG document (ziamath's, SVG 1.1 for QtSvg).
        width: its width in pixels.
        ascent, descent: its height above and below the baseline, in pixels.
    """

    svg: bytes
    width: float
    ascent: float
    descent: float


@functools.lru_cache(maxsize=1024)
def draw(source: str, display: bool, color: str, size: float) -> Drawn | None:
    """``source`` (TeX) drawn at ``size`` pixels in ``color``, or None when it cannot be."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import ziamath

            # QtSvg follows xlink:href, not SVG 2's href.
            ziamath.config.svg2 = False  # type: ignore[attr-defined]
            latex = ziamath.Latex(  # type: ignore[attr-defined]
                source, size=size, color=color, inline=not display
            )
            if _UNKNOWN.search(latex.mathmlstr()):
                return None
            svg = latex.svg()
    except Exception:  # noqa: BLE001 - any failure to parse means: show it as written
        log.debug("formula not drawn: %r", source, exc_info=True)
        return None
    box = _VIEW_BOX.search(svg)
    if box is None:
        return None
    _x, top, width, height = (float(v) for v in box.groups())
    return Drawn(svg.encode(), width, -top, height + top)


def image(drawn: Drawn, x_height: float, ratio: float) -> QImage:
    """``drawn`` as an image for a text line whose font has ``x_height``, at pixel ``ratio``.

    Qt centres a middle-aligned image on half the x-height above the baseline;
    the image is padded so that the formula's own baseline lands on the text's.
    """
    from PySide6.QtSvg import QSvgRenderer

    half = x_height / 2
    height = 2 * max(drawn.ascent - half / 2, drawn.descent + half / 2, 1.0)
    top = (height + half) / 2 - drawn.ascent
    made = QImage(
        max(int(drawn.width * ratio + 0.999), 1),
        max(int(height * ratio + 0.999), 1),
        QImage.Format.Format_ARGB32_Premultiplied,
    )
    made.fill(Qt.GlobalColor.transparent)
    painter = QPainter(made)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(ratio, ratio)
    QSvgRenderer(QByteArray(drawn.svg)).render(
        painter, QRectF(0, top, drawn.width, drawn.ascent + drawn.descent)
    )
    painter.end()
    made.setDevicePixelRatio(ratio)
    return made
