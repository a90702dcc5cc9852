"""Issue 12, point 4: a locked database, a read-only disk and a full disk, each one sentence.

The faults are real: a second SQLite connection holding ``BEGIN EXCLUSIVE``,
and a small tmpfs (``tests/fakes/disks.py``) filled to the last byte or
remounted read-only (root writes through any ``chmod``, so modes prove
nothing here). In every case the user gets one sentence, a ``StoreError``
(never SQLite's text, never "cannot rollback"), keeps what they had, and
the store works again once the fault is gone.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from deskchat import store as store_pkg
from deskchat.cli.main import main
from deskchat.store import (
    ReadOnlyError,
    Store,
    StoreError,
    export_json,
    import_file,
    to_markdown,
)
from tests.fakes.disks import Disk, small_disk

LONG = "All work and no play makes Jack a dull boy. " * 6_000  # ~270 KB


def one_sentence(text: str) -> None:
    """What the user reads: one line, a full stop, no SQLite or Python in it."""
    assert "\n" not in text
    assert text.endswith("."), text
    assert len(text) < 400, text
    for leak in ("Traceback", "Operational", "rollback", "Errno", "errno"):
        assert leak not in text, text
    assert not re.search(r"sqlite3\.[A-Za-z]", text), text


def counts(db: Path) -> tuple[int, int]:
    with sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True) as conn:
        return (
            conn.execute("SELECT count(*) FROM conversations").fetchone()[0],
            conn.execute("SELECT count(*) FROM messages").fetchone()[0],
        )


def export_file(path: Path, conversations: int, messages: int, tag: str) -> Path:
    """A DeskChat export with ``conversations`` chains of ``messages`` messages each."""
    convs = []
    for c in range(conversations):
        convs.append(
            {
                "title": f"{tag} {c}",
                "created_at": 1_700_000_000 + c,
                "source_id": f"{tag}-{c}",
                "messages": [
                    {
                        "id": i,
                        "parent_id": i - 1 if i else None,
                        "role": "user" if i % 2 == 0 else "assistant",
                        "content": f"{tag} message {i} " + "words " * 20,
                        "created_at": 1_700_000_000 + i,
                    }
                    for i in range(messages)
                ],
            }
        )
    path.write_text(
        json.dumps({"format": "deskchat", "version": 1, "conversations": convs}),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "deskchat.sqlite3"
    with Store(path) as s:
        c = s.create_conversation()
        s.add_message(c.id, "user", "kept before the fault")
        s.add_message(c.id, "assistant", "and its answer")
    return path


@pytest.fixture
def short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's own busy wait 0.2 s, the store's whole wait 0.6 s (instead of seconds)."""
    monkeypatch.setattr("deskchat.store.db._BUSY_TIMEOUT_MS", 200)
    monkeypatch.setattr("deskchat.store.store.LOCK_WAIT", 0.6, raising=False)


@pytest.fixture
def holder(db: Path) -> Iterator[sqlite3.Connection]:
    """A second connection holding the write lock until the test releases it."""
    # Released from a timer thread in one test.
    conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN EXCLUSIVE")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()


# -- a lock held by someone else --------------------------------------------


@pytest.mark.usefixtures("short_waits")
def test_a_write_lock_held_past_the_wait_is_one_sentence(
    db: Path, holder: sqlite3.Connection
) -> None:
    with Store(db) as s:
        before = counts(db)
        started = time.monotonic()
        with pytest.raises(StoreError) as info:
            s.add_message(1, "user", "sent while another program writes")
        waited = time.monotonic() - started
        one_sentence(info.value.text())
        assert "busy" in info.value.text()
        assert info.value.retryable
        assert 0.5 <= waited < 3.0
        assert counts(db) == before
        # Reading goes on meanwhile (WAL), and the lock's end ends the trouble.
        assert [m.content for m in s.current_path(1)][0] == "kept before the fault"
        holder.execute("ROLLBACK")
        s.add_message(1, "user", "sent after it finished")
        assert counts(db) == (before[0], before[1] + 1)


def test_a_lock_released_within_the_wait_is_waited_for(
    db: Path, holder: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite gives up after its busy timeout; the store tries again until its own bound."""
    monkeypatch.setattr("deskchat.store.db._BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr("deskchat.store.store.LOCK_WAIT", 10.0, raising=False)
    release = threading.Timer(1.0, lambda: holder.execute("ROLLBACK"))
    with Store(db) as s:
        release.start()
        try:
            s.add_message(1, "user", "waited for")
        finally:
            release.join()
        assert s.current_path(1)[-1].content == "waited for"


def test_two_imports_at_once_both_finish(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each import holds the write lock far longer than SQLite's own busy wait.
    monkeypatch.setattr("deskchat.store.db._BUSY_TIMEOUT_MS", 20)
    files = [export_file(tmp_path / f"{tag}.json", 20, 500, tag) for tag in ("left", "right")]
    results: dict[str, object] = {}

    def run(path: Path) -> None:
        try:
            with Store(db) as s:
                results[path.stem] = len(import_file(s, path).imported)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            results[path.stem] = exc

    threads = [threading.Thread(target=run, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"left": 20, "right": 20}
    assert counts(db) == (41, 2 + 2 * 20 * 500)


@pytest.mark.usefixtures("short_waits", "holder")
def test_cli_import_while_another_program_writes_is_one_line(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = counts(db)
    path = export_file(tmp_path / "in.json", 2, 10, "cli")
    assert main(["import", "--data-dir", str(db.parent), str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("deskchat: ")
    one_sentence(err.removeprefix("deskchat: ").rstrip("\n"))
    assert "nothing was imported" in err
    assert counts(db) == before


@pytest.mark.usefixtures("short_waits", "holder")
def test_cli_export_list_while_another_program_writes(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--list", "--data-dir", str(db.parent)]) == 0
    assert "kept before the fault" in capsys.readouterr().out


# -- a read-only disk ----------------------------------------------------------


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    with small_disk(tmp_path / "disk", "4m") as d:
        yield d


def _history_on(disk: Disk) -> Path:
    path = disk.root / "data" / "deskchat.sqlite3"
    with Store(path) as s:
        c = s.create_conversation()
        s.add_message(c.id, "user", "What is a tmpfs?")
        s.add_message(c.id, "assistant", "A file system in memory.")
    return path


def test_a_read_only_disk_opens_read_only_and_everything_reads(disk: Disk) -> None:
    path = _history_on(disk)
    disk.read_only()
    with Store(path) as s:
        assert s.read_only
        assert s.read_only_reason is not None
        one_sentence(s.read_only_reason)
        assert "read-only" in s.read_only_reason
        (conv,) = s.list_conversations()
        assert [m.content for m in s.current_path(conv.id)] == [
            "What is a tmpfs?",
            "A file system in memory.",
        ]
        assert s.search("tmpfs")
        assert "A file system in memory." in to_markdown(s)
        assert json.loads(export_json(s))["conversations"][0]["title"] == "What is a tmpfs?"
        with pytest.raises(ReadOnlyError) as info:
            s.add_message(conv.id, "user", "cannot be kept")
        one_sentence(info.value.text())


def test_a_read_only_disk_after_a_crash_shows_the_newest_messages(disk: Disk) -> None:
    """A -wal left by a killed DeskChat holds the newest messages: read them too."""
    path = _history_on(disk)
    script = (
        "import os, sys\n"
        "from deskchat.store import Store\n"
        "s = Store(sys.argv[1])\n"
        "s.connection.execute('PRAGMA wal_autocheckpoint = 0')\n"
        "s.add_message(1, 'user', 'written just before the crash')\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True)
    assert path.with_name(path.name + "-wal").stat().st_size > 0
    disk.read_only()
    with Store(path) as s:
        assert s.read_only
        assert s.current_path(1)[-1].content == "written just before the crash"


def test_cli_export_list_and_export_on_a_read_only_disk(
    disk: Disk, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _history_on(disk)
    disk.read_only()
    data = str(path.parent)
    assert main(["export", "--list", "--data-dir", data]) == 0
    out, err = capsys.readouterr()
    assert "What is a tmpfs?" in out
    one_sentence(err.removeprefix("deskchat: ").rstrip("\n"))
    target = tmp_path / "out.md"
    assert main(["export", "--data-dir", data, "-o", str(target)]) == 0
    assert "A file system in memory." in target.read_text(encoding="utf-8")
    capsys.readouterr()
    source = export_file(tmp_path / "in.json", 1, 4, "ro")
    assert main(["import", "--data-dir", data, str(source)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines
    for line in lines:
        assert line.startswith("deskchat: ")
        one_sentence(line.removeprefix("deskchat: "))


def test_no_history_yet_on_a_read_only_disk_is_one_sentence(disk: Disk) -> None:
    disk.read_only()
    for where in (disk.root / "data" / "deskchat.sqlite3", disk.root / "deskchat.sqlite3"):
        with pytest.raises(StoreError) as info:
            Store(where)
        one_sentence(info.value.text())
        assert "read-only" in info.value.text()


# -- a full disk ---------------------------------------------------------------


def test_a_full_disk_is_one_sentence_not_cannot_rollback(disk: Disk) -> None:
    path = _history_on(disk)
    with Store(path) as s:
        before = counts(path)
        disk.fill()
        with pytest.raises(StoreError) as info:
            s.add_message(1, "user", LONG)
        one_sentence(info.value.text())
        assert "full" in info.value.text()
        assert info.value.retryable
        assert counts(path) == before
        disk.free()
        s.add_message(1, "user", LONG)
        assert s.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert s.current_path(1)[-1].content == LONG


def test_a_full_disk_mid_reply_keeps_every_chunk_in_memory(disk: Disk) -> None:
    path = _history_on(disk)
    with Store(path) as s:
        writer = s.begin_reply(1, interval=0.0)
        writer.append("The first words are saved. ")
        disk.fill()
        with pytest.raises(StoreError) as info:
            writer.append(LONG)
        one_sentence(info.value.text())
        assert "full" in info.value.text()
        assert "reply" in info.value.text()
        with pytest.raises(StoreError):
            writer.append(LONG)
        # Nothing that arrived is lost: the writer holds it all.
        assert writer.text == "The first words are saved. " + LONG + LONG
        assert s.current_path(1)[-1].content == "The first words are saved. "
        disk.free()
        writer.append("The end.")
        saved = writer.finish()
        assert saved is not None
        assert saved.content == writer.text
        assert saved.content == "The first words are saved. " + LONG + LONG + "The end."


def test_an_import_on_a_full_disk_changes_nothing(disk: Disk, tmp_path: Path) -> None:
    path = _history_on(disk)
    source = export_file(tmp_path / "big.json", 10, 400, "full")
    with Store(path) as s:
        before = counts(path)
        disk.fill()
        with pytest.raises(StoreError) as info:
            import_file(s, source)
        one_sentence(info.value.text())
        assert "full" in info.value.text()
        assert "nothing was imported" in info.value.text()
        assert counts(path) == before
        disk.free()
        assert len(import_file(s, source).imported) == 10


def test_cli_import_on_a_full_disk_is_one_line(
    disk: Disk, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _history_on(disk)
    source = export_file(tmp_path / "big.json", 10, 400, "cli")
    before = counts(path)
    disk.fill()
    assert main(["import", "--data-dir", str(path.parent), str(source)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    one_sentence(err.removeprefix("deskchat: ").rstrip("\n"))
    assert "full" in err
    disk.free()
    assert counts(path) == before


def test_a_new_history_on_a_full_disk_is_one_sentence(disk: Disk) -> None:
    disk.fill()
    with pytest.raises(StoreError) as info:
        Store(disk.root / "deskchat.sqlite3")
    one_sentence(info.value.text())
    assert "full" in info.value.text()


def test_an_existing_history_on_a_full_disk_still_reads(disk: Disk) -> None:
    path = _history_on(disk)
    disk.fill()
    with Store(path) as s:
        assert [c.title for c in s.list_conversations()] == ["What is a tmpfs?"]
        assert len(s.current_path(1)) == 2


def test_every_store_error_is_exported_from_the_store() -> None:
    for name in ("DatabaseBusyError", "DiskFullError", "DiskError"):
        cls = getattr(store_pkg, name)
        assert issubclass(cls, StoreError)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any file mode")
def test_a_database_file_without_write_permission_reads(db: Path) -> None:
    os.chmod(db, 0o444)
    with Store(db) as s:
        assert s.read_only
        assert s.current_path(1)[0].content == "kept before the fault"


# -- point 13: an export that cannot be written ---------------------------------


def _big_history(db: Path) -> None:
    with Store(db) as s:
        c = s.create_conversation("big")
        s.add_messages_bulk(c.id, [("user", LONG), ("assistant", LONG)] * 4)


def test_an_export_to_a_full_disk_leaves_no_temporary_file(
    db: Path, disk: Disk, capsys: pytest.CaptureFixture[str]
) -> None:
    _big_history(db)
    target = disk.root / "backup.json"
    target.write_text('{"an": "older export"}', encoding="utf-8")
    disk.fill()
    with Store(db) as s, pytest.raises(StoreError) as info:
        store_pkg.write_export(s, target)
    one_sentence(info.value.text())
    assert "full" in info.value.text()
    assert "backup.json" in info.value.text()
    assert ".tmp" not in info.value.text()
    assert sorted(p.name for p in disk.root.iterdir() if p.name != ".filler") == ["backup.json"]
    assert target.read_text(encoding="utf-8") == '{"an": "older export"}'
    # The command line: one line, exit 1, nothing left behind.
    assert main(["export", "--data-dir", str(db.parent), "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    one_sentence(err.removeprefix("deskchat: ").rstrip("\n"))
    assert sorted(p.name for p in disk.root.iterdir() if p.name != ".filler") == ["backup.json"]


def test_an_export_to_a_read_only_disk_is_one_sentence(db: Path, disk: Disk) -> None:
    disk.read_only()
    with Store(db) as s, pytest.raises(StoreError) as info:
        store_pkg.write_export(s, disk.root / "chats.md")
    one_sentence(info.value.text())
    assert "read-only" in info.value.text()


def test_an_export_to_a_missing_folder_is_one_sentence(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "folder" / "chats.json"
    with Store(db) as s, pytest.raises(StoreError) as info:
        store_pkg.write_export(s, target)
    one_sentence(info.value.text())
    assert str(target) in info.value.text()
    assert not (tmp_path / "no").exists()
