"""Search in Russian and English: word forms, ё, case, prefixes, phrases, plain snippets (#13)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from deskchat.store import SCHEMA_VERSION, Store
from deskchat.store.plain import plain
from deskchat.store.schema import migrate
from deskchat.store.terms import index_terms


@pytest.fixture
def ru(store: Store) -> Store:
    a = store.create_conversation("Базы данных")
    store.add_message(a.id, "user", "Как настроить репликацию в PostgreSQL?")
    store.add_message(a.id, "assistant", "Репликация настраивается в конфиге; о нём ниже.")
    b = store.create_conversation("Ёлка")
    store.add_message(b.id, "user", "Когда ставить ёлку? Ёжик спрашивает.")
    store.add_message(b.id, "assistant", "Елку ставят в декабре, errors are running late.")
    return store


def ids(hits: list) -> list[int | None]:
    return [h.message_id for h in hits]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("репликация", {1, 2}),  # the other case ending of the same word
        ("репликацию", {1, 2}),
        ("РЕПЛИКАЦИИ", {1, 2}),
        ("нем", {2}),  # е finds ё
        ("нём", {2}),
        ("елка", {3, 4}),  # and ё finds е, in any case and form
        ("ЁЛКИ", {3, 4}),
        ("ежик", {3}),
        ("error", {4}),  # English forms
        ("run", {4}),
        ("настраивать", {2}),
        ("postgresql репликация", {1}),  # both scripts at once
    ],
)
def test_words_find_their_other_forms(ru: Store, query: str, found: set[int]) -> None:
    assert {h.message_id for h in ru.search(query) if h.message_id} == found


def test_case_never_matters_for_any_alphabet(store: Store) -> None:
    c = store.create_conversation("x")
    store.add_message(c.id, "user", "Η ΣΟΦΊΑ and the Straße")
    assert ids(store.search("σοφία")) == [1]
    assert ids(store.search("strasse")) == [1]
    assert ids(store.search("STRASSE σοφια")) == [1]


def test_accents_nfkc_leaves_apart_are_folded_too(store: Store) -> None:
    c = store.create_conversation("x")
    store.add_message(c.id, "user", "İstanbul: заме\u0301чание о ёлке и\u0306")
    assert ids(store.search("istanbul")) == [1]
    assert ids(store.search("ISTANBUL замечания")) == [1]
    assert ids(store.search('"о елке"')) == [1]
    assert ids(store.search("й")) == [1]  # й is its own letter, not и
    assert store.search("и") == []


@pytest.mark.parametrize(
    ("typed", "found"),
    [("ре", {1, 2}), ("реп", {1, 2}), ("репликаци", {1, 2}), ("postg", {1}), ("ёл", {3, 4})],
)
def test_the_last_word_is_a_prefix_while_typing(ru: Store, typed: str, found: set[int]) -> None:
    assert {h.message_id for h in ru.search(typed) if h.message_id} == found


def test_one_letter_is_not_a_prefix_yet(ru: Store) -> None:
    assert ru.search("р") == []
    assert ids(ru.search("настроить в")) == [1]  # but it is a word


def test_only_the_last_word_is_a_prefix(ru: Store) -> None:
    assert ru.search("реп настроить") == []
    assert ids(ru.search("настроить реп")) == [1]


def test_a_quoted_phrase_is_exact(ru: Store) -> None:
    assert ids(ru.search('"о нём"')) == [2]
    assert ids(ru.search('"о нем"')) == [2]  # ё and case are still folded
    assert ru.search('"нём о"') == []  # order counts
    assert ids(ru.search('"Как настроить"')) == [1]
    assert ru.search('"настроить в"') == []  # one after another
    assert ids(ru.search('"репликацию"')) == [1]  # the form as written
    assert ids(ru.search('"репликация" конфиг')) == [2]


def test_an_unclosed_phrase_is_read_as_typed(ru: Store) -> None:
    assert ids(ru.search('"о нё')) == [2]


def test_a_minus_leaves_out(ru: Store) -> None:
    assert ids(ru.search("репликация -postgresql")) == [2]
    assert ids(ru.search('репликация -"как настроить"')) == [2]
    assert ru.search("-репликация") == []
    # A minus inside a word is not one.
    assert {h.message_id for h in ru.search("postgresql-репликация") if h.message_id} == {1}


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"незакрытая фраза',
        "NEAR(репликация",
        "репликация*",
        "* ** ***",
        "c++ и",
        "C# OR AND NOT",
        "(репликация",
        "репликация)",
        "-",
        "--",
        '-"',
        '""',
        "🎄 ёлка",
        "{words}: репликация",
        "stems : x",
        "words:репликация",
        "^начало",
        "репликация NEAR/3 postgresql",
        "\x00\x02\x03",
        "é́́́́",
        "a" * 10_000,
        " ".join(["слово"] * 500),
    ],
)
def test_the_query_language_never_breaks(ru: Store, query: str) -> None:
    assert isinstance(ru.search(query), list)


def test_fts_words_are_plain_words(ru: Store) -> None:
    store = ru
    c = store.create_conversation("ops")
    m = store.add_message(c.id, "user", "use NEAR and OR in C++ code")
    assert ids(store.search("near or c++")) == [m.id]
    assert ids(store.search("NEAR(")) == [m.id]


def test_one_hit_per_message(store: Store) -> None:
    c = store.create_conversation()
    first = store.add_message(c.id, "user", "репликация, репликация и ещё раз репликация")
    store.add_message(c.id, "assistant", "Да, репликации.")
    hits = store.search("репликация")
    assert sorted(ids(hits)) == sorted({first.id, first.id + 1})
    # The title was made from the first message: it is not a second hit of it.
    assert store.get_conversation(c.id).title.startswith("репликация")
    assert None not in ids(hits)


def test_a_title_of_its_own_is_a_hit(ru: Store) -> None:
    hits = ru.search("базы")
    assert [(h.message_id, h.snippet) for h in hits] == [(None, "\x02Базы\x03 данных")]


def test_snippets_are_plain_text(store: Store) -> None:
    c = store.create_conversation("md")
    store.add_message(
        c.id,
        "assistant",
        "## Заголовок\n\n> **Жирная** `репликация` и [ссылка на _документацию_]"
        "(https://example.com/docs) ![схема](img.png)\n\n```sql\nSELECT 1;\n```\n- пункт",
    )
    (hit,) = store.search("репликация")
    for mark in ("**", "`", "#", "](", "[", ">", "_"):
        assert mark not in hit.snippet, (mark, hit.snippet)
    assert "\x02репликация\x03" in hit.snippet
    assert "ссылка на документацию" in hit.snippet
    assert hit.terms == ("репликация",)
    # Link addresses are not text a person reads: they are not found either.
    assert store.search("example") == []
    assert ids(store.search("схема")) == [hit.message_id]


def test_plain_keeps_code_and_escapes() -> None:
    assert plain(r"snake_case and \*stars\* and List<String>") == (
        "snake_case and *stars* and List<String>"
    )
    assert plain("<b>bold</b> 2 * 3") == "bold 2 3"


def test_a_snippet_is_around_a_late_match(store: Store) -> None:
    c = store.create_conversation()
    text = "начало " + "слово " * 300 + "редкое окончание. " + "хвост " * 300
    store.add_message(c.id, "assistant", text)
    (hit,) = store.search("редкий")
    assert hit.snippet.startswith("…")
    assert hit.snippet.endswith("…")
    assert "\x02редкое\x03 окончание" in hit.snippet
    assert len(hit.snippet) < 200


def test_hits_say_when(store: Store, clock) -> None:
    c = store.create_conversation()
    clock.advance(60)
    m = store.add_message(c.id, "user", "когда это было")
    (hit,) = store.search("было")
    assert hit.created_at == m.created_at == clock.now


def test_a_streaming_reply_is_found_once_it_is_finished(store: Store) -> None:
    c = store.create_conversation()
    store.add_message(c.id, "user", "вопрос")
    reply = store.insert_reply(c.id, 1, "частичный ответ про репл")
    store.save_reply(reply, "частичный ответ про репликацию")
    assert store.search("репликация") == []
    store.finish_reply(reply, "готовый ответ про репликацию", "complete")
    assert ids(store.search("репликация")) == [reply]
    assert store.search("частичный") == []


def test_text_written_by_another_program_is_found(store: Store, db_path: Path) -> None:
    c = store.create_conversation("x")
    raw = sqlite3.connect(db_path, isolation_level=None)
    raw.execute(
        "INSERT INTO messages (conversation_id, role, content, created_at) VALUES (?,?,?,?)",
        (c.id, "user", "Ёжики в тумане", 1.0),
    )
    raw.close()
    assert [h.snippet for h in store.search("ежик")] == ["\x02Ёжики\x03 в тумане"]


def test_newest_messages_come_first(store: Store) -> None:
    c = store.create_conversation("x")
    made = [store.add_message(c.id, "user", f"слово номер {i}").id for i in range(5)]
    assert ids(store.search("слово", limit=3)) == made[::-1][:3]


def test_index_columns_are_aligned_folded_and_stemmed() -> None:
    terms = index_terms("Ёлки, **репликацию** и Running — C++ [link](http://x.y) café")
    assert terms.words == "елки репликацию и running c link cafe"
    assert terms.stems == "елк репликац и run c link cafe"


def test_a_long_text_gives_the_gil_away_while_it_is_indexed(monkeypatch) -> None:
    # The store indexes on its own thread while the window paints: a long reply must
    # let the window's thread in between pieces, not only at the switch interval.
    from deskchat.store import terms as terms_module

    given: list[int] = []
    monkeypatch.setattr(terms_module, "_give_way", lambda: given.append(1))
    index_terms("short text")
    assert given == []
    long = " ".join(["репликация", "replication"] * 40_000)  # ~900 KB: 28 pieces
    # Read in this process (a text under terms.ELSEWHERE, or when the child fails).
    indexed = terms_module.index_terms_here(long)
    assert len(given) >= 80_000 // 512
    # Yielding changes nothing of what is indexed.
    assert indexed.words.split() == ["репликация", "replication"] * 40_000


def _v4(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=4)
    conn.execute(
        "INSERT INTO conversations (id, title, created_at, updated_at)"
        " VALUES (1, 'Репликация баз', 10, 20)"
    )
    conn.executemany(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, created_at, status)"
        " VALUES (?, 1, ?, ?, ?, 11, ?)",
        [
            (1, None, "user", "Как настроить репликацию?", "complete"),
            (2, 1, "assistant", "**Ёлки**, это просто: о нём в `docs`.", "complete"),
            (3, 2, "assistant", "Оборвалось на репликации", "streaming"),
        ],
    )
    conn.close()


def test_a_v4_history_is_indexed_again_by_the_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "deskchat.sqlite3"
    _v4(path)
    with Store(path) as s:
        assert s.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert s.backup_path == path.with_name("deskchat.sqlite3.bak-v4")
        tables = {r[0] for r in s.connection.execute("SELECT name FROM sqlite_master")}
        assert "messages_fts" not in tables
        assert "conversations_fts" not in tables
        assert ids(s.search("репликация")) == [None, 1]
        assert ids(s.search("нем елки")) == [2]
        assert [h.snippet for h in s.search("елки")] == ["\x02Ёлки\x03, это просто: о нём в docs."]
        # The reply cut off mid-stream waits until it is finished or stopped.
        s.set_status(3, "stopped")
        assert ids(s.search("оборвалось")) == [3]
        pending = s.connection.execute("SELECT count(*) FROM terms_pending").fetchone()[0]
        assert pending == 0
        assert s.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with sqlite3.connect(path.with_name("deskchat.sqlite3.bak-v4")) as old:
        assert old.execute("PRAGMA user_version").fetchone()[0] == 4
        assert old.execute("SELECT count(*) FROM messages_fts").fetchone()[0] == 3


def _vocabulary(store: Store) -> list[tuple]:
    conn = store.connection
    rows = []
    for table in ("message_terms", "title_terms"):
        conn.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.v_{table}"
            f" USING fts5vocab(main, {table}, 'row')"
        )
        rows += [
            (table, *r)
            for r in conn.execute(f"SELECT term, doc, cnt FROM temp.v_{table} ORDER BY term")
        ]
    return rows


def test_edits_and_deletes_leave_the_index_as_a_fresh_one(store: Store) -> None:
    from deskchat.store.search import index_all

    c = store.create_conversation()
    first = store.add_message(c.id, "user", "Ёлка и репликация")
    reply = store.insert_reply(c.id, first.id, "пишу ответ")
    store.save_reply(reply, "пишу ответ про ёлку")
    store.finish_reply(reply, "ответ про ёлку готов", "complete")
    store.finish_reply(reply, "ответ про ёлку исправлен", "complete")
    store.edit_user_message(first.id, "Ёлки и репликации")
    store.rename(c.id, "Новогодняя ёлка")
    store.rename(c.id, "Ёлка")
    gone = store.create_conversation("Удалить")
    store.add_message(gone.id, "user", "удаляемое сообщение про ёлку")
    store.delete_conversation(gone.id)
    store.purge_deleted()
    store.delete_message(reply)
    now = _vocabulary(store)
    with store.transaction() as conn:
        index_all(conn)
    assert now == _vocabulary(store)
    # Both versions of the question (an edit keeps the old one); the reply is gone.
    assert {h.message_id for h in store.search("ёлка")} == {first.id, first.id + 2}
    assert store.connection.execute("SELECT count(*) FROM terms_stale").fetchone()[0] == 0
