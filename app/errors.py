"""The one error root: every error DeskChat raises on purpose derives from :class:`DeskChatError`.

Each package has its own subclass (``ProviderError``, ``StoreError``, ...) and
subclasses below that for what a person can do about it. An exception that is
not a :class:`DeskChatError` is a bug in DeskChat, not the network's, the
server's or the disk's fault, and is reported as such.

This module is the bottom floor: it imports nothing of DeskChat's.
"""

from __future__ import annotations

__all__ = ["DeskChatError"]


class DeskChatError(Exception):
    """Base of every error DeskChat raises on purpose.

    Attributes:
        message: one or two sentences fit to show the user as they are.
        retryable: True when trying the same thing again later may well succeed.
    """

    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def text(self) -> str:
        """The sentence to show in the window or on stderr."""
        return self.message
