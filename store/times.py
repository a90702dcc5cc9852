"""Times as the store keeps them: seconds since 1970 (UTC) that every calendar can show.

Other tools write times in milliseconds (JavaScript), micro- or nanoseconds;
:func:`seconds` recognises those by their size. What no calendar holds (NaN,
infinity, before 1970, after the year 3000, where Windows' ``localtime`` ends)
is refused: a time DeskChat cannot show would break every later export.
"""

from __future__ import annotations

import math
import time

from deskchat.i18n import _

__all__ = ["LATEST", "describe", "seconds", "shown"]

LATEST = 32_503_680_000.0
"""3000-01-01 UTC: the last second the store accepts (Windows' localtime stops soon after)."""


def seconds(value: object) -> float | None:
    """``value`` as seconds since 1970, read as ms, µs or ns when that large; None if impossible.

    Booleans, text and other non-numbers are None too.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int) and not -1e20 < value < 1e20:
        return None  # float() of 10**400 would raise rather than say no
    number = float(value)
    if not math.isfinite(number) or number < 0:
        return None
    # A time in seconds reaches 1e11 only in the year 5138; one in milliseconds
    # went past it in 1973, one in microseconds past 1e14 in 1973 too, and so on.
    if number >= 1e20:
        return None
    if number >= 1e17:
        number /= 1e9
    elif number >= 1e14:
        number /= 1e6
    elif number >= 1e11:
        number /= 1e3
    return number if number <= LATEST else None


def describe(value: object) -> str:
    """``value`` as the user wrote it, short, for a sentence about a bad time."""
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**20 else _("a huge number")
    return text if len(text) <= 40 else text[:37] + "..."


def shown(timestamp: float, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """The local date and time of ``timestamp``, or "unknown date" where none exists."""
    try:
        return time.strftime(fmt, time.localtime(timestamp))
    except (OverflowError, OSError, ValueError):
        return _("unknown date")
