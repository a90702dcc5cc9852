"""ReplyState.text_since: a reply's tail without joining the whole reply."""

from __future__ import annotations

import random

import pytest

from deskchat.provider import ReplyState


@pytest.mark.parametrize("seed", range(6))
def test_text_since_is_the_texts_tail_before_and_after_a_join(seed: int) -> None:
    rng = random.Random(seed)
    reply = ReplyState()
    whole: list[str] = []
    for number in range(5_000):  # several blocks of pieces, then a tail
        piece = rng.choice(["", "a", "слово ", "😀", f"{number} ", "x" * rng.randint(1, 90)])
        reply.handle(piece)
        whole.append(piece)
        if number % 1_700 == 0:
            reply.text  # noqa: B018  (a join in between, as a save would do)
        if number % 97 == 0:
            text = "".join(whole)
            for start in (0, 1, len(text) // 3, len(text) - 5, len(text) - 1, len(text)):
                assert reply.text_since(start) == text[max(start, 0) :]
    text = "".join(whole)
    assert reply.text_since(len(text) + 3) == ""
    assert reply.text_since(-4) == text
    assert reply.text == text
    assert reply.text_since(len(text) - 7) == text[-7:]


def test_a_surrogate_half_waits_in_text_since_as_in_text() -> None:
    reply = ReplyState()
    reply.handle("ab\ud83d")  # half an emoji: it waits for its other half
    assert reply.text_since(0) == reply.text == "ab"
    reply.handle("\ude00c")
    assert reply.text_since(1) == reply.text[1:] == "b😀c"
