"""Logging for the command line and the window: stderr, secrets hidden."""

from __future__ import annotations

import logging
import sys

from deskchat.provider import RedactingFilter

__all__ = ["configure_logging"]


def configure_logging(verbose: bool = False) -> None:
    """Log to stderr, with API keys and proxy passwords hidden, unless already set up."""
    if logging.getLogger().handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
    # On the handler, not a logger: a logger's filter misses its children's records.
    handler.addFilter(RedactingFilter())
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, handlers=[handler])
