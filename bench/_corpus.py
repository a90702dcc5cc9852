"""Deterministic chat-like text for the store benches (Zipf-ish word frequencies).

Three languages: English-like words (``en``), Russian-like words that change their
endings as Russian does (``ru``: "репликация", "репликацию", "репликации"...), and
messages that mix both (``mixed``), as chats about code written in Russian do.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "de", "po", "qu", "zi", "ba", "fe"]
COMMON = ["the", "a", "to", "and", "of", "is", "in", "it", "you", "that", "python", "error"]


_SYLLABLES_RU = ["ка", "ло", "ми", "не", "ру", "са", "то", "ви", "де", "по", "зи", "ба", "фё", "жу"]
COMMON_RU = ["и", "в", "не", "на", "что", "с", "это", "как", "репликация", "ошибка", "сервер"]
# Forms of the common nouns, and endings for the made-up words: one word, many spellings.
FORMS_RU = {
    "репликация": ["репликация", "репликацию", "репликации", "репликацией", "Репликация"],
    "ошибка": ["ошибка", "ошибку", "ошибки", "ошибкой", "ошибок", "Ошибка"],
    "сервер": ["сервер", "сервера", "серверу", "сервером", "серверов"],
}
_ENDINGS_RU = ["", "", "а", "у", "ы", "ой", "ом", "ами", "ах", "ей"]


def vocabulary(size: int, rng: random.Random, language: str = "en") -> list[str]:
    common, syllables = (COMMON_RU, _SYLLABLES_RU) if language == "ru" else (COMMON, _SYLLABLES)
    words = set(common)
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words, key=lambda w: (w not in common, w))


def _spell_ru(word: str, rng: random.Random) -> str:
    forms = FORMS_RU.get(word)
    if forms is not None:
        return rng.choice(forms)
    if word in COMMON_RU:
        return word
    return word + rng.choice(_ENDINGS_RU)


def messages(count: int, seed: int = 5, language: str = "en") -> Iterator[tuple[str, str]]:
    """``count`` (role, text) pairs alternating user/assistant, 10-120 words each.

    ``language``: ``en`` (the words of :func:`vocabulary`), ``ru``, or ``mixed``
    (each word Russian or English, two to one).
    """
    rng = random.Random(seed)
    words = vocabulary(8000, rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    words_ru = vocabulary(8000, random.Random(seed + 1), "ru") if language != "en" else []
    for i in range(count):
        role = "user" if i % 2 == 0 else "assistant"
        n = rng.randint(10, 40) if role == "user" else rng.randint(30, 120)
        if language == "en":
            yield role, " ".join(rng.choices(words, weights, k=n)) + "."
            continue
        picked = rng.choices(words_ru, weights, k=n)
        text = [_spell_ru(w, rng) for w in picked]
        if language == "mixed":
            english = rng.choices(words, weights, k=n)
            text = [e if rng.random() < 1 / 3 else r for r, e in zip(text, english, strict=True)]
        yield role, " ".join(text) + "."
