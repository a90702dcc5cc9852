"""Full-text search over 100,000 messages with ``Store.search``.

Target (issues #5, #13): < 50 ms per search, in every row.

Seeds a fresh database (100 conversations x 1,000 messages of chat-like text,
~70 words each) in a temporary folder for each corpus (English-like, Russian-like
with its word endings, and the two mixed), then times several kinds of query:
a common word (many hits), a rare word, a prefix as typed, two words, and an
exact phrase. Also: the seconds to seed (every message indexed as it is written)
and to index all 100,000 again (what the upgrade to schema v5 does), and the
file's size. ``--profile`` writes bench/profiles/search.txt (English, common word).
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
from deskchat.store.search import index_all

CONVERSATIONS = 100
PER_CONVERSATION = 1_000
TARGET_MS = 50.0
# The rows of each corpus; None: the corpus's least frequent word, see rare_word().
QUERIES = {
    "en": {
        "common word": "python",
        "rare word": None,
        "prefix as typed": "pyth",
        "two words": "python error",
        "phrase": '"python error"',
    },
    "ru": {
        "common word": "репликация",
        "rare word": None,
        "prefix as typed": "репл",
        "two words": "репликация ошибка",
        "phrase": '"ошибка сервера"',
    },
    "mixed": {
        "common word": "ошибка",
        "rare word": None,
        "prefix as typed": "ошиб",
        "two words": "python ошибка",
        "phrase": '"python ошибка"',
    },
}
# Row names in the results: English keeps the names it always had.
PREFIX = {"en": "", "ru": "ru: ", "mixed": "mixed: "}


def seed(store: Store, language: str = "en") -> float:
    """Fill the store; return the seconds it took."""
    start = time.perf_counter()
    corpus = messages(CONVERSATIONS * PER_CONVERSATION, language=language)
    for i in range(CONVERSATIONS):
        conversation = store.create_conversation(f"Conversation {i}")
        batch = [next(corpus) for _ in range(PER_CONVERSATION)]
        store.add_messages_bulk(conversation.id, batch)
    return time.perf_counter() - start


def rare_word(language: str = "en") -> str:
    """The corpus's least frequent word (about 1 message in 1,000 has it)."""
    if language == "en":
        return vocabulary(8000, random.Random(5))[-1]
    return vocabulary(8000, random.Random(6), "ru")[-1]


def reindex(store: Store) -> float:
    """Seconds to index every message and title again (the v5 upgrade), rolled back."""
    conn = store.connection
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    try:
        index_all(conn)
        return time.perf_counter() - start
    finally:
        conn.execute("ROLLBACK")


def measure(language: str, n: int, folder: Path) -> dict[str, object]:
    """The rows of one corpus."""
    path = folder / f"bench-{language}.sqlite3"
    store = Store(path)
    results: dict[str, object] = {f"{PREFIX[language]}seed_s": round(seed(store, language), 1)}
    queries = {k: v or rare_word(language) for k, v in QUERIES[language].items()}
    for name, query in queries.items():
        hits = len(store.search(query))  # Warm-up: the first query pays for the page cache.
        times = []
        for _ in range(n):
            start = time.perf_counter()
            store.search(query)
            times.append((time.perf_counter() - start) * 1000)
        results[PREFIX[language] + name] = {"query": query, "hits": hits, "ms": summary(times, 2)}
    results[f"{PREFIX[language]}reindex_s"] = round(reindex(store), 1)
    store.close()
    results[f"{PREFIX[language]}file_mb"] = round(path.stat().st_size / 1e6, 1)
    return results


def main() -> None:
    n = repeats(20)
    with tempfile.TemporaryDirectory() as folder:
        if "--profile" in sys.argv:
            store = Store(Path(folder) / "bench.sqlite3")
            seed(store)
            queries = {k: v or rare_word() for k, v in QUERIES["en"].items()}
            from pyinstrument import Profiler

            with Profiler(interval=0.0002) as profiler:
                for _ in range(n):
                    store.search(queries["common word"])
            out = Path(__file__).with_name("profiles") / "search.txt"
            out.write_text(profiler.output_text(unicode=False, color=False))
            print(f"profile written to {out}", file=sys.stderr)
            return
        results: dict[str, object] = {"messages": CONVERSATIONS * PER_CONVERSATION}
        languages = [a for a in sys.argv[1:] if a in QUERIES] or list(QUERIES)
        for language in languages:
            results.update(measure(language, n, Path(folder)))
    emit("search", results, target={"ms": TARGET_MS}, limit=50)


if __name__ == "__main__":
    main()
