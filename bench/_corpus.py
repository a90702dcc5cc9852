"""Deterministic chat-like text for the store benches (Zipf-ish word frequencies)."""

from __future__ import annotations

import random
from collections.abc import Iterator

_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "de", "po", "qu", "zi", "ba", "fe"]
COMMON = ["the", "a", "to", "and", "of", "is", "in", "it", "you", "that", "python", "error"]


def vocabulary(size: int, rng: random.Random) -> list[str]:
    words = set(COMMON)
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words, key=lambda w: (w not in COMMON, w))


def messages(count: int, seed: int = 5) -> Iterator[tuple[str, str]]:
    """``count`` (role, text) pairs alternating user/assistant, 10-120 words each."""
    rng = random.Random(seed)
    words = vocabulary(8000, rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    for i in range(count):
        role = "user" if i % 2 == 0 else "assistant"
        n = rng.randint(10, 40) if role == "user" else rng.randint(30, 120)
        yield role, " ".join(rng.choices(words, weights, k=n)) + "."
