"""Attachments in the history: saved once by sha256, read back, freed, exported and imported."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from deskchat.store import BadImportFileError, Store, import_file, write_export
from deskchat.store.models import StoredAttachment
from deskchat.store.schema import SCHEMA_VERSION, migrate


def _file(name: str, data: bytes, kind: str = "text", mime: str = "text/plain") -> StoredAttachment:
    return StoredAttachment(
        sha256=hashlib.sha256(data).hexdigest(),
        name=name,
        kind=kind,
        mime=mime,
        data=data,
        size=len(data) + 10,
        info={"width": 2, "height": 1} if kind == "image" else {},
    )


PHOTO = _file("photo.png", b"\x89PNG fake pixels", "image", "image/png")
NOTES = _file("notes.md", b"# notes\n")


def _blobs(store: Store) -> int:
    return int(store.connection.execute("SELECT count(*) FROM attachment_blobs").fetchone()[0])


def test_attachments_come_back_with_their_message_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with Store(path) as store:
        conv = store.create_conversation()
        saved = store.add_message(conv.id, "user", "look", attachments=[PHOTO, NOTES])
        assert saved.attachments == (PHOTO, NOTES)
        store.add_message(conv.id, "assistant", "seen")
    with Store(path) as store:
        user, reply = store.current_path(conv.id)
        assert user.attachments == (PHOTO, NOTES)
        assert reply.attachments == ()
        assert store.all_messages(conv.id)[0].attachments == (PHOTO, NOTES)


def test_the_same_file_is_stored_once(tmp_path: Path) -> None:
    with Store(tmp_path / "h.sqlite3") as store:
        conv = store.create_conversation()
        for text in ("one", "two", "three"):
            store.add_message(conv.id, "user", text, attachments=[PHOTO])
        other = store.create_conversation()
        store.add_message(other.id, "user", "again", attachments=[PHOTO, PHOTO])
        assert _blobs(store) == 1
        links = store.connection.execute("SELECT count(*) FROM message_attachments").fetchone()
        assert links[0] == 5


def test_deleting_the_last_message_that_uses_a_file_frees_it(tmp_path: Path) -> None:
    with Store(tmp_path / "h.sqlite3") as store:
        conv = store.create_conversation()
        first = store.add_message(conv.id, "user", "a", attachments=[PHOTO, NOTES])
        store.add_message(conv.id, "assistant", "b")
        second = store.add_message(conv.id, "user", "c", attachments=[PHOTO])
        store.delete_message(second.id)
        assert _blobs(store) == 2  # the first message still uses both
        store.delete_message(first.id)  # and the reply under it
        assert _blobs(store) == 0


def test_purging_a_conversation_frees_its_files(tmp_path: Path) -> None:
    with Store(tmp_path / "h.sqlite3") as store:
        conv = store.create_conversation()
        store.add_message(conv.id, "user", "a", attachments=[NOTES])
        store.delete_conversation(conv.id)
        assert _blobs(store) == 1  # in the bin: can still come back
        store.purge_deleted()
        assert _blobs(store) == 0


def test_an_edit_keeps_the_attachments_unless_given_new_ones(tmp_path: Path) -> None:
    with Store(tmp_path / "h.sqlite3") as store:
        conv = store.create_conversation()
        first = store.add_message(conv.id, "user", "a", attachments=[PHOTO])
        kept = store.edit_user_message(first.id, "a, better")
        assert kept.attachments == (PHOTO,)
        changed = store.edit_user_message(first.id, "other", [NOTES])
        assert changed.attachments == (NOTES,)


def test_an_older_history_is_upgraded_with_a_backup_first(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, SCHEMA_VERSION - 1)
    conn.execute(
        "INSERT INTO conversations (title, created_at, updated_at) VALUES ('old', 1.0, 1.0)"
    )
    conn.close()
    with Store(path) as store:
        assert store.backup_path is not None
        assert store.backup_path.exists()
        version = store.connection.execute("PRAGMA user_version").fetchone()[0]
        assert version == SCHEMA_VERSION
        (conv,) = store.list_conversations()
        store.add_message(conv.id, "user", "now with a file", attachments=[NOTES])
        assert store.current_path(conv.id)[0].attachments == (NOTES,)


def test_a_json_export_restores_the_files_on_import(tmp_path: Path) -> None:
    with Store(tmp_path / "a.sqlite3") as store:
        conv = store.create_conversation()
        store.add_message(conv.id, "user", "look", attachments=[PHOTO, NOTES])
        store.add_message(conv.id, "assistant", "seen")
        out = write_export(store, tmp_path / "export.json")
    data = json.loads(out.read_text(encoding="utf-8"))
    sent = data["conversations"][0]["messages"][0]["attachments"]
    assert [a["name"] for a in sent] == ["photo.png", "notes.md"]
    assert "attachments" not in data["conversations"][0]["messages"][1]
    with Store(tmp_path / "b.sqlite3") as other:
        result = import_file(other, out)
        (cid,) = result.imported
        assert other.current_path(cid)[0].attachments == (PHOTO, NOTES)


def test_an_import_whose_attachment_does_not_match_its_digest_is_refused(tmp_path: Path) -> None:
    with Store(tmp_path / "a.sqlite3") as store:
        conv = store.create_conversation()
        store.add_message(conv.id, "user", "look", attachments=[NOTES])
        out = write_export(store, tmp_path / "export.json")
    data = json.loads(out.read_text(encoding="utf-8"))
    data["conversations"][0]["messages"][0]["attachments"][0]["sha256"] = "0" * 64
    out.write_text(json.dumps(data), encoding="utf-8")
    with Store(tmp_path / "b.sqlite3") as other:
        with pytest.raises(BadImportFileError) as exc:
            import_file(other, out)
        assert "sha256" in exc.value.text()
        assert other.list_conversations() == []


def test_a_markdown_export_writes_the_files_beside_it(tmp_path: Path) -> None:
    with Store(tmp_path / "a.sqlite3") as store:
        conv = store.create_conversation()
        store.add_message(conv.id, "user", "look", attachments=[PHOTO, NOTES])
        out = write_export(store, tmp_path / "chat.md")
    text = out.read_text(encoding="utf-8")
    folder = tmp_path / "chat_files"
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 2
    photo = next(f for f in files if f.endswith("photo.png"))
    assert f"![photo.png](chat_files/{photo})" in text
    assert (folder / photo).read_bytes() == PHOTO.data
    assert "notes.md" in text
