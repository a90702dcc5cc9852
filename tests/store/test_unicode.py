"""Text that UTF-8 cannot encode is mended on its way into SQLite, never a traceback.

Python holds UTF-16 surrogate halves that no encoder accepts: from JSON escapes
split across a server's events, or from bytes on the command line that are
not UTF-8 (argv decodes them as "\\udcff"). The store keeps such text: a pair
becomes its character, a lone half U+FFFD, the rest as it was.
"""

from __future__ import annotations

import pytest

from deskchat.store import Store


def test_a_lone_half_becomes_the_replacement_character(store: Store) -> None:
    c = store.create_conversation()
    saved = store.add_message(c.id, "user", "caf\udcff au lait")
    assert saved.content == "caf\ufffd au lait"
    assert store.get_conversation(c.id).title == "caf\ufffd au lait"


def test_a_pair_split_into_halves_is_kept_as_its_character(store: Store) -> None:
    c = store.create_conversation()
    store.add_message(c.id, "user", "Smile")
    writer = store.begin_reply(c.id, interval=0.0)
    writer.append("Here: \ud83d")
    assert store.current_path(c.id)[-1].content == "Here: \ufffd"
    writer.append("\ude00!")
    saved = writer.finish()
    assert saved is not None
    assert saved.content == "Here: \U0001f600!"


@pytest.mark.parametrize(
    "text", [chr(0xD800), f"a{chr(0xDFFF)}b", chr(0xDCFF)], ids=["high", "low", "argv"]
)
def test_titles_prompts_and_searches_take_them_too(store: Store, text: str) -> None:
    c = store.create_conversation(text, system_prompt=text)
    assert "\ufffd" in store.get_conversation(c.id).title
    assert "\ufffd" in store.rename(c.id, f"x {text}").title
    assert isinstance(store.search(text), list)
