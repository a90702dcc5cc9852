"""Child process for the crash test: writes a reply forever until it is killed.

Run as ``python -m tests.store.crash_writer DB RUN``. It adds one conversation
(a question, a complete answer, a follow-up) and streams a second answer,
printing ``ready <conversation id>`` once set up and ``saved <length>`` after
every save has committed.
"""

from __future__ import annotations

import sys
import time

from deskchat.store import Store


def chunk(i: int) -> str:
    """The i-th chunk of the endless reply (the parent rebuilds the same text)."""
    return f"w{i} "


def main(db: str, run: str) -> None:
    store = Store(db)
    conv = store.create_conversation()
    store.add_message(conv.id, "user", f"Question {run}")
    writer = store.begin_reply(conv.id, interval=0.0)
    for part in ("Answer ", run):
        writer.append(part)
    writer.finish("complete", prompt_tokens=3, completion_tokens=2)
    store.add_message(conv.id, "user", f"Follow-up {run}")
    sys.stdout.write(f"ready {conv.id}\n")
    sys.stdout.flush()
    writer = store.begin_reply(conv.id, interval=0.005)
    saves = 0
    i = 0
    while True:
        writer.append(chunk(i))
        i += 1
        if writer.saves != saves:
            saves = writer.saves
            sys.stdout.write(f"saved {len(writer.text)}\n")
            sys.stdout.flush()
        time.sleep(0.0005)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
