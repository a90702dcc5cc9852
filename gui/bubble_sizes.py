"""Sizes of the bubbles that the window's layout needs too, without the bubbles' modules.

The window's minimum width follows from them before its first frame, while the
delegate and its modules are made only after it (:class:`~gui.message_view.MessageView`).
"""

from __future__ import annotations

__all__ = ["MARGIN_X", "MIN_BUBBLE"]

MIN_BUBBLE = 160
"""The narrowest a bubble gets, in pixels."""
MARGIN_X = 16
"""Pixels between a bubble and the side of the list."""
