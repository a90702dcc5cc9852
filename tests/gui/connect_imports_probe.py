"""Run the window as ``python -m deskchat`` does, and print what had loaded when it sent.

Used by test_connect_imports.py in a child process (a fresh interpreter, so
``sys.modules`` tells what connecting imported). Prints one JSON line on stdout:
the ``deskchat`` modules loaded when the first message went out.
"""

from __future__ import annotations

import json
import sys

from deskchat.chat.session import ChatSession
from deskchat.gui import app

seen: dict[str, list[str]] = {}
send = ChatSession.send


def patched_send(self: ChatSession, text: str) -> bool:
    seen.setdefault("at send", sorted(m for m in sys.modules if m.startswith("deskchat.")))
    return send(self, text)


ChatSession.send = patched_send  # type: ignore[method-assign]
code = app.main(sys.argv[1:])
sys.stdout.write(json.dumps(seen) + "\n")
sys.exit(code)
