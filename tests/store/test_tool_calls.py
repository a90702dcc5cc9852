"""The tools a reply called: kept with the reply (schema v6), in exports, read back."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from deskchat.store import Store
from deskchat.store.export import to_json_data, to_markdown
from deskchat.store.schema import migrate

CALL = {
    "id": "call_1",
    "name": "read_file",
    "server": "files",
    "tool": "read_file",
    "arguments": '{"path": "/tmp/a```b"}',
    "status": "ok",
    "output": "text with ``` fences",
    "step": 1,
    "at": 5,
}


def test_a_reply_keeps_its_tool_calls_while_streaming_and_after(tmp_path: Path) -> None:
    with Store(tmp_path / "h.sqlite3") as store:
        conv = store.create_conversation("t")
        user = store.add_message(conv.id, "user", "read it")
        writer = store.begin_reply(conv.id, user.id, interval=0)
        # A call before any text still gets the row, so a crash keeps it.
        pending = {**CALL, "status": "pending", "output": None}
        writer.set_tools(json.dumps([pending]))
        assert writer.message_id is not None
        assert store.get_message(writer.message_id).tools == (pending,)
        assert store.get_message(writer.message_id).status == "streaming"
        writer.append("Done.")
        writer.set_tools(json.dumps([CALL]))
        saved = writer.finish("complete")
        assert saved is not None
        assert saved.tools == (CALL,)
        assert saved.content == "Done."
        assert store.current_path(conv.id)[-1].tools == (CALL,)


def test_a_reply_stopped_during_its_first_call_keeps_a_row(tmp_path: Path) -> None:
    with Store(tmp_path / "h.sqlite3") as store:
        conv = store.create_conversation("t")
        user = store.add_message(conv.id, "user", "read it")
        writer = store.begin_reply(conv.id, user.id)
        writer.set_tools(json.dumps([{**CALL, "status": "stopped"}]))
        saved = writer.finish("stopped")
        assert saved is not None
        assert saved.tools[0]["status"] == "stopped"


def test_exports_carry_the_calls(tmp_path: Path) -> None:
    with Store(tmp_path / "h.sqlite3") as store:
        conv = store.create_conversation("t")
        user = store.add_message(conv.id, "user", "read it")
        plain = store.add_message(conv.id, "user", "no tools here", parent_id=user.id)
        writer = store.begin_reply(conv.id, plain.id)
        writer.append("Here.")
        writer.set_tools(json.dumps([CALL]))
        writer.finish("complete")
        messages = to_json_data(store)["conversations"][0]["messages"]
        assert "tools" not in messages[0]
        assert messages[-1]["tools"] == [CALL]
        markdown = to_markdown(store)
        assert "**Tool call** `read_file` on files: ok" in markdown
        # The fences are longer than the backticks inside: the output cannot end them.
        assert "````json\n" + CALL["arguments"] in markdown
        assert "````\ntext with ``` fences\n````" in markdown


def test_a_v5_database_upgrades_to_tools(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=5)
    conn.close()
    with Store(path) as store:
        assert store.backup_path is not None
        conv = store.create_conversation("t")
        message = store.add_message(conv.id, "user", "hi")
        assert message.tools == ()


def test_a_broken_tools_value_reads_as_none(tmp_path: Path) -> None:
    with Store(tmp_path / "h.sqlite3") as store:
        conv = store.create_conversation("t")
        user = store.add_message(conv.id, "user", "x")
        writer = store.begin_reply(conv.id, user.id)
        writer.append("y")
        writer.set_tools("not json")
        saved = writer.finish("complete")
        assert saved is not None
        assert saved.tools == ()
