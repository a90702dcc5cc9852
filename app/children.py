"""The argv of a child process DeskChat runs from its own program (the engine, the PDF
reader, a long reply's search terms).

From source or a wheel the child is this interpreter running the child's module;
in the frozen build it is the executable itself with a hidden flag, which
``python -m deskchat`` (the executable's entry, app/__main__.py) dispatches.
"""

from __future__ import annotations

import sys

__all__ = ["FROZEN_CHILDREN", "child_command"]

FROZEN_CHILDREN = {
    # The built-in engine (deskchat.provider.llama_protocol.FROZEN_FLAG).
    "--llama-worker": "deskchat.provider.llama_worker",
    # Reads an attached PDF (deskchat.attach.pdf_worker.FROZEN_FLAG).
    "--pdf-worker": "deskchat.attach.pdf_worker",
    # A long reply's search terms (deskchat.store.terms.FROZEN_FLAG).
    "--terms-worker": "deskchat.store.terms_worker",
}
"""The frozen build's hidden flags, each with the module whose ``main()`` it runs
(app/__main__.py dispatches them); each module's own ``FROZEN_FLAG`` must match."""


def child_command(module: str, frozen_flag: str) -> list[str]:
    """The argv that starts ``module``'s ``main()`` in a child process."""
    if getattr(sys, "frozen", False):
        return [sys.executable, frozen_flag]
    return [sys.executable, "-m", module]
