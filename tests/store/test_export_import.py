"""Export to Markdown and JSON, import DeskChat JSON and ChatGPT exports, all or nothing."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from deskchat.store import (
    BadImportFileError,
    Store,
    export_json,
    import_file,
    to_json_data,
    to_markdown,
    write_export,
)

DATA = Path(__file__).parent / "data"
CHATGPT = DATA / "chatgpt_conversations.json"


@pytest.fixture
def history(store: Store) -> Store:
    c = store.create_conversation(model="gpt-4o-mini", system_prompt="Be brief.", params={"t": 1})
    u = store.add_message(c.id, "user", "Name a *blue* fruit")
    store.add_message(c.id, "assistant", "Blueberry.", model="gpt-4o-mini", completion_tokens=3)
    store.add_message(c.id, "assistant", "Bilberry.", parent_id=u.id)
    w = store.begin_reply(c.id, parent_id=u.id)
    w.append("Plum, sort of")
    w.finish("error", error="The server went away.")
    d = store.create_conversation("Second")
    store.add_message(d.id, "user", "Ünïcödé ✓ 日本")
    return store


def _snapshot(store: Store) -> list[tuple]:
    """Everything that must survive a round trip, without database ids."""
    out = []
    for conv in sorted(store.list_conversations(), key=lambda c: c.source_id):
        msgs = store.all_messages(conv.id)
        index = {m.id: i for i, m in enumerate(msgs)}
        out.append(
            (
                conv.title,
                conv.model,
                conv.system_prompt,
                conv.params,
                conv.created_at,
                conv.source_id,
                [
                    (
                        index.get(m.parent_id),
                        m.role,
                        m.content,
                        m.status,
                        m.error,
                        m.completion_tokens,
                        m.active,
                        m.created_at,
                    )
                    for m in msgs
                ],
                [m.content for m in store.current_path(conv.id)],
            )
        )
    return out


def _count(store: Store) -> tuple[int, int]:
    conn = store.connection
    return (
        conn.execute("SELECT count(*) FROM conversations").fetchone()[0],
        conn.execute("SELECT count(*) FROM messages").fetchone()[0],
    )


def test_json_export_shape(history: Store) -> None:
    data = json.loads(export_json(history))
    assert (data["format"], data["version"]) == ("deskchat", 1)
    first = data["conversations"][0]
    assert first["system_prompt"] == "Be brief."
    assert [m["status"] for m in first["messages"]] == ["complete", "complete", "complete", "error"]
    assert [m["parent_id"] for m in first["messages"]][1:] == [first["messages"][0]["id"]] * 3
    assert [m["active"] for m in first["messages"]] == [True, False, False, True]


def test_json_round_trip_into_a_new_database(history: Store, tmp_path: Path) -> None:
    path = write_export(history, tmp_path / "all.json")
    with Store(tmp_path / "other.sqlite3") as other:
        result = import_file(other, path)
        assert len(result.imported) == 2
        assert result.skipped == 0
        assert _snapshot(other) == _snapshot(history)
        assert other.search("bilberry")


def test_reimport_adds_no_duplicates(history: Store, tmp_path: Path) -> None:
    path = write_export(history, tmp_path / "all.json")
    before = _count(history)
    result = import_file(history, path)
    assert (result.imported, result.skipped) == ([], 2)
    assert _count(history) == before


def test_export_selected_conversations(history: Store) -> None:
    second = history.list_conversations()[0]
    data = to_json_data(history, [second.id])
    assert [c["title"] for c in data["conversations"]] == ["Second"]


def test_markdown_shows_the_current_path(history: Store, tmp_path: Path) -> None:
    md = to_markdown(history)
    assert "# Name a *blue* fruit" in md
    assert "> System prompt: Be brief." in md
    assert "Plum, sort of\n\n*(error: The server went away.)*" in md
    assert "Blueberry" not in md  # an older version, not on the current path
    assert "Ünïcödé ✓ 日本" in md
    out = write_export(history, tmp_path / "chats.md")
    assert out.read_text(encoding="utf-8") == md


def test_chatgpt_import(store: Store) -> None:
    result = import_file(store, CHATGPT)
    assert len(result.imported) == 2
    iceland = store.get_conversation(result.imported[0])
    assert (iceland.title, iceland.source, iceland.model) == (
        "Packing for Iceland",
        "chatgpt",
        "gpt-4o",
    )
    assert iceland.created_at == pytest.approx(1717000000.123)
    path = store.current_path(iceland.id)
    assert [(m.role, m.content) for m in path] == [
        ("user", "What should I pack for Iceland in May?"),
        ("assistant", "Layers: a waterproof shell, a fleece, and wool socks."),
        ("user", "Which shoes, given this photo of my closet?"),
        ("assistant", "The waterproof boots on the left."),
    ]
    assert (path[2].version, path[2].versions) == (2, 2)
    assert path[3].model == "gpt-4o"
    old = store.select_version(store.siblings(path[2].id)[0].id)
    assert [m.content for m in old][2:] == ["And shoes?", "Sturdy hiking boots."]
    regex = store.get_conversation(result.imported[1])
    assert [m.content for m in store.current_path(regex.id)] == [
        "Match a date like 2024-05-31",
        "\\d{4}-\\d{2}-\\d{2}",
    ]
    assert store.search("waterproof boots")


def test_chatgpt_reimport_and_zip(store: Store, tmp_path: Path) -> None:
    import_file(store, CHATGPT)
    before = _count(store)
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(CHATGPT, "conversations.json")
        zf.writestr("chat.html", "<html></html>")
    result = import_file(store, archive)
    assert (result.imported, result.skipped) == ([], 2)
    assert _count(store) == before


def _bad_files() -> dict[str, str]:
    good = json.loads(CHATGPT.read_text())
    broken_tail = json.loads(CHATGPT.read_text())
    broken_tail.append({"title": "no mapping", "id": "x"})
    orphan = {
        "format": "deskchat",
        "version": 1,
        "conversations": [
            {"title": "ok", "created_at": 1, "messages": [], "source_id": "a"},
            {
                "title": "orphan",
                "created_at": 1,
                "source_id": "b",
                "messages": [
                    {"id": 1, "parent_id": 99, "role": "user", "content": "x", "created_at": 1}
                ],
            },
        ],
    }
    return {
        "not json": "{this is not json",
        "wrong shape": json.dumps({"hello": "world"}),
        "bad role": json.dumps(
            {
                "format": "deskchat",
                "version": 1,
                "conversations": [
                    {
                        "title": "t",
                        "created_at": 1,
                        "messages": [{"id": 1, "role": "robot", "content": "x"}],
                    }
                ],
            }
        ),
        "future version": json.dumps({"format": "deskchat", "version": 99, "conversations": []}),
        "chatgpt tail broken": json.dumps(broken_tail),
        "missing parent": json.dumps(orphan),
        "good then bad": json.dumps([good[0], "nonsense"]),
    }


@pytest.mark.parametrize("case", sorted(_bad_files()))
def test_bad_files_change_nothing(history: Store, tmp_path: Path, case: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(_bad_files()[case], encoding="utf-8")
    before = _snapshot(history), _count(history)
    with pytest.raises(BadImportFileError) as info:
        import_file(history, path)
    assert "bad.json" in info.value.text()
    assert info.value.text().endswith(".")
    assert (_snapshot(history), _count(history)) == before


def test_missing_file_is_a_readable_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(BadImportFileError, match="could not read"):
        import_file(store, tmp_path / "nope.json")
