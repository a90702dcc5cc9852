"""Full-text search over 100,000 messages with ``Store.search``.

Target (issue #5): < 50 ms per search.

Seeds a fresh database (100 conversations x 1,000 messages of chat-like text,
~70 words each) in a temporary folder, then times several kinds of query:
a common word (many hits, ranking matters), a rare word, a prefix as typed,
and two words. ``--profile`` writes bench/profiles/search.txt.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from _common import emit, repeats, summary
from _corpus import messages, vocabulary

from deskchat.store import Store

CONVERSATIONS = 100
PER_CONVERSATION = 1_000
TARGET_MS = 50.0
QUERIES = {
    "common word": "python",
    "rare word": None,  # the corpus's least frequent word, see rare_word()
    "prefix as typed": "pyth",
    "two words": "python error",
}


def seed(store: Store) -> float:
    """Fill the store; return the seconds it took."""
    start = time.perf_counter()
    corpus = messages(CONVERSATIONS * PER_CONVERSATION)
    for i in range(CONVERSATIONS):
        conversation = store.create_conversation(f"Conversation {i}")
        batch = [next(corpus) for _ in range(PER_CONVERSATION)]
        store.add_messages_bulk(conversation.id, batch)
    return time.perf_counter() - start


def rare_word() -> str:
    """The corpus's least frequent word (about 1 message in 1,000 has it)."""
    return vocabulary(8000, random.Random(5))[-1]


def main() -> None:
    n = repeats(20)
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.sqlite3")
        seconds = seed(store)
        queries = {k: v or rare_word() for k, v in QUERIES.items()}
        if "--profile" in sys.argv:
            from pyinstrument import Profiler

            with Profiler(interval=0.0002) as profiler:
                for _ in range(n):
                    store.search(queries["common word"])
            out = Path(__file__).with_name("profiles") / "search.txt"
            out.write_text(profiler.output_text(unicode=False, color=False))
            print(f"profile written to {out}", file=sys.stderr)
            return
        results: dict[str, object] = {
            "messages": CONVERSATIONS * PER_CONVERSATION,
            "seed_s": round(seconds, 1),
        }
        for name, query in queries.items():
            hits = len(store.search(query))  # Warm-up: the first query pays for the page cache.
            times = []
            for _ in range(n):
                start = time.perf_counter()
                store.search(query)
                times.append((time.perf_counter() - start) * 1000)
            results[name] = {"query": query, "hits": hits, "ms": summary(times, 2)}
        store.close()
    emit("search", results, target={"ms": TARGET_MS}, limit=50)


if __name__ == "__main__":
    main()
