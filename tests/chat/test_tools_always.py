""" "Always for this tool in this chat" is kept with the chat, across a restart."""

from __future__ import annotations

from pathlib import Path

from deskchat.chat.tools_loop import Decision
from deskchat.store import AsyncStore, Store
from tests.chat.fakes import QueuedProvider
from tests.chat.test_tools_loop import Approver, Box, call, session_with


async def test_always_is_remembered_after_a_restart_in_that_chat_only(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    history = await AsyncStore.open(db)
    try:
        chat = QueuedProvider([call()], ["42."])
        session = session_with(chat, Box(), Approver(Decision.ALWAYS), history)
        await session.ask("2+40")
    finally:
        await history.close()
    with Store(db) as store:
        (kept,) = store.list_conversations()
        assert kept.tools_always == ("add",)
    history = await AsyncStore.open(db)
    try:
        chat = QueuedProvider([call(call_id="c2")], ["42 again."], [call(call_id="c3")], ["ok"])
        box, approve = Box(), Approver(Decision.DENY)
        session = session_with(chat, box, approve, history)
        latest = await session.open_latest()
        assert latest is not None
        reply = await session.ask("again")
        # Not asked: the choice made before the restart still holds in this chat.
        assert approve.asked == []
        assert box.calls == [("add", {"a": 2, "b": 40})]
        assert reply is not None
        assert reply.tools[-1].status == "ok"
        session.new_conversation()
        await session.ask("in another chat")
        assert len(approve.asked) == 1  # a new chat asks again
        assert len(box.calls) == 1
    finally:
        await history.close()


def test_a_broken_value_reads_as_none(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    with Store(db) as store:
        conversation = store.create_conversation("x")
        store.set_tools_always(conversation.id, ["b", "a", "a"])
        assert store.get_conversation(conversation.id).tools_always == ("a", "b")
        store._conn.execute("UPDATE conversations SET tools_always = '{not json'")
        assert store.get_conversation(conversation.id).tools_always == ()
        store.set_tools_always(conversation.id, [])
        assert store.get_conversation(conversation.id).tools_always == ()
