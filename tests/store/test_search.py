"""Search: words and prefixes, highlighted snippets, and no query text that can break it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskchat.store import Store, fts_query


@pytest.fixture
def filled(store: Store) -> Store:
    a = store.create_conversation("Baking bread")
    store.add_message(a.id, "user", "How long should sourdough proof in the fridge?")
    store.add_message(a.id, "assistant", "Usually 12 to 16 hours; a cold proof adds flavour.")
    b = store.create_conversation("Trip to Zürich")
    store.add_message(b.id, "user", "Wo kann man in Zürich gut essen? Café empfehlungen?")
    store.add_message(b.id, "assistant", 'Try "Sprüngli" (a café) AND the old town OR the lake.')
    return store


def test_words_and_highlighted_snippet(filled: Store) -> None:
    hits = filled.search("sourdough fridge")
    assert len(hits) == 1
    assert hits[0].title == "Baking bread"
    assert "\x02sourdough\x03" in hits[0].snippet
    assert "\x02fridge\x03" in hits[0].snippet


def test_last_word_is_a_prefix(filled: Store) -> None:
    hits = filled.search("cold pro")
    assert [h.snippet.count("\x02") for h in hits] == [2]
    assert "\x02proof\x03" in hits[0].snippet


def test_custom_markers(filled: Store) -> None:
    hits = filled.search("flavour", start="<b>", end="</b>")
    assert "<b>flavour</b>" in hits[0].snippet


def test_titles_are_searched(filled: Store) -> None:
    hits = filled.search("baking")
    assert [(h.message_id, h.snippet) for h in hits] == [(None, "\x02Baking\x03 bread")]


def test_diacritics_and_case_fold(filled: Store) -> None:
    assert {h.conversation_id for h in filled.search("zurich cafe")} == {2}
    assert filled.search("SPRÜNGLI")


def test_deleted_conversations_are_not_found(filled: Store) -> None:
    filled.delete_conversation(1)
    assert filled.search("sourdough") == []
    filled.restore_conversation(1)
    assert len(filled.search("sourdough")) == 1


def test_edits_and_deletes_update_the_index(filled: Store) -> None:
    msg = filled.add_message(1, "user", "rye or spelt?")
    assert filled.search("spelt")
    filled.delete_message(msg.id)
    assert filled.search("spelt") == []
    filled.rename(1, "Pastry")
    assert [h.message_id for h in filled.search("pastry")] == [None]
    assert filled.search("baking") == []


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"unbalanced',
        "AND",
        "OR OR",
        "NEAR(",
        "sourdough NEAR/2 fridge",
        "*",
        "fridge*",
        "((proof",
        "proof)",
        "-fridge",
        "^start",
        "col:umn",
        "a + b",
        "{content}: x",
        "\x00",
        "🍞 bread",
        "日本語",
        "",
        "   ",
    ],
)
def test_hostile_queries_never_raise(filled: Store, query: str) -> None:
    hits = filled.search(query)
    assert isinstance(hits, list)


def test_operator_words_are_plain_words(filled: Store) -> None:
    # "AND" and "OR" are searched as the words in the café reply, not as operators.
    hits = filled.search("café AND the lake")
    assert [h.message_id for h in hits] == [4]


def test_query_building() -> None:
    assert fts_query("hello wor") == 'stems : "hello" AND (stems : "wor" * OR words : "wor" *)'
    assert fts_query('"; DROP') == 'words : "drop" *'
    assert fts_query('"Exact phrase" -Errors') == ('(words : "exact phrase") NOT (stems : "error")')
    assert fts_query("!!!") is None
    assert fts_query("-only -unwanted") is None


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=40))
def test_any_text_is_a_valid_query(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "d.sqlite3"
    with Store(path) as s:
        c = s.create_conversation()
        s.add_message(c.id, "user", "something to search")
        assert isinstance(s.search(text), list)
