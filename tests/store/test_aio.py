"""AsyncStore: the same store from asyncio, on one worker thread, results on the caller's loop."""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from deskchat.store import (
    SCHEMA_VERSION,
    AsyncStore,
    NoSuchRecordError,
    ReadOnlyError,
    Store,
    export,
    importers,
)
from tests.store.conftest import FakeClock

_PLUMBING = {"open", "close", "call", "call_soon"}
FORWARDERS = sorted(
    name
    for name, fn in vars(AsyncStore).items()
    if inspect.iscoroutinefunction(fn) and not name.startswith("_") and name not in _PLUMBING
)


def _forwarded(name: str) -> Callable[..., Any]:
    """The Store method, or the module function taking the store first, that ``name`` runs."""
    target = getattr(Store, name, None) or getattr(export, name, None)
    return target or getattr(importers, name)


def test_forwarders_cover_the_store() -> None:
    assert {"add_message", "create_conversation", "begin_reply", "resume_reply"} <= set(FORWARDERS)


@pytest.mark.parametrize("name", FORWARDERS)
def test_each_forwarder_has_the_forwarded_signature(name: str) -> None:
    """Same names, kinds, defaults and annotations, so mypy checks callers as on Store."""
    mine = list(inspect.signature(getattr(AsyncStore, name)).parameters.values())[1:]
    theirs = list(inspect.signature(_forwarded(name)).parameters.values())[1:]
    assert mine == theirs
    assert all(p.kind is not p.VAR_KEYWORD for p in mine)


async def test_round_trip_on_a_worker_thread(db_path: Path) -> None:
    async with await AsyncStore.open(db_path) as s:
        assert s.path == db_path
        assert s.recovery_notice is None
        c = await s.create_conversation(model="m")
        await s.add_message(c.id, "user", "Hello async")
        await s.add_message(c.id, "assistant", "Hi")
        path = await s.current_path(c.id)
        assert [m.content for m in path] == ["Hello async", "Hi"]
        assert [x.title for x in await s.list_conversations()] == ["Hello async"]
        # The title was made from the message: one hit, not the same words twice (#13).
        assert [h.message_id for h in await s.search("async")] == [path[0].id]
        await s.rename(c.id, "Talking async")
        assert [h.message_id for h in await s.search("async")] == [None, path[0].id]
        worker = await s.call(lambda _s: threading.get_ident())
        assert worker != threading.get_ident()
    assert s.closed


async def test_errors_arrive_as_store_errors(db_path: Path) -> None:
    s = await AsyncStore.open(db_path)
    try:
        with pytest.raises(NoSuchRecordError):
            await s.get_conversation(42)
        # The worker survives an error.
        assert await s.list_conversations() == []
    finally:
        await s.close()


async def test_calls_run_in_order(db_path: Path) -> None:
    async with await AsyncStore.open(db_path) as s:
        c = await s.create_conversation()
        futures = [s.add_message(c.id, "user", str(i)) for i in range(50)]
        await asyncio.gather(*futures)
        assert [m.content for m in await s.current_path(c.id)] == [str(i) for i in range(50)]


async def test_streaming_writer_throttles_on_the_caller(db_path: Path) -> None:
    clock = FakeClock(0.0)
    async with await AsyncStore.open(db_path) as s:
        c = await s.create_conversation()
        await s.add_message(c.id, "user", "Q")
        w = await s.begin_reply(c.id, model="m", clock=clock, interval=0.2)
        w.append("a")
        for ch in "bcd":
            w.append(ch)  # within the interval: nothing queued
        mid = await w.message_id()
        assert mid is not None
        assert (await s.get_message(mid)).content == "a"
        clock.advance(0.25)
        w.append("e")
        assert (await s.get_message(mid)).content == "abcde"
        assert [m.id for m in await s.interrupted_replies()] == [mid]
        msg = await w.finish("stopped")
        assert msg is not None
        assert (msg.content, msg.status, msg.model) == ("abcde", "stopped", "m")


async def test_saves_hand_over_each_chunk_once_also_after_the_text_was_read(
    db_path: Path,
) -> None:
    """A long reply's saves send what came since the previous save, and reading
    the writer's text in between neither loses nor repeats a chunk."""
    clock = FakeClock(0.0)
    async with await AsyncStore.open(db_path) as s:
        c = await s.create_conversation()
        w = await s.begin_reply(c.id, clock=clock, interval=0.2)
        inner = w._inner
        handed: list[str] = []
        inner_append = inner.append

        def recording(text: str) -> None:
            handed.append(text)
            inner_append(text)

        inner.append = recording  # type: ignore[method-assign]
        chunks = [f"piece {i} " for i in range(2_000)]
        for number, chunk in enumerate(chunks):
            if number % 100 == 0:
                clock.advance(0.25)  # a save is due with this chunk
            w.append(chunk)
        assert w.text == "".join(chunks)
        msg = await w.finish()
        assert msg is not None
        assert msg.content == "".join(chunks)
    assert "".join(handed) == "".join(chunks)
    assert len(handed) == 21  # at chunks 0, 100, ..., 1900, and the rest at the finish
    assert max(len(text) for text in handed) <= 100 * max(len(chunk) for chunk in chunks)


async def test_read_only_and_notice_are_reported(db_path: Path) -> None:
    Store(db_path).close()
    with sqlite3.connect(db_path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    async with await AsyncStore.open(db_path) as s:
        assert s.read_only_reason is not None
        with pytest.raises(ReadOnlyError):
            await s.create_conversation()


async def test_close_joins_the_thread(db_path: Path) -> None:
    s = await AsyncStore.open(db_path)
    worker = s._worker
    await s.close()
    assert not worker.is_alive()
    await s.close()  # twice is fine
    with pytest.raises(Exception, match="closed"):
        s.call(lambda _s: None)


async def test_unclosed_store_logs_a_warning(db_path: Path, caplog) -> None:
    s = await AsyncStore.open(db_path)
    worker = s._worker
    with caplog.at_level(logging.WARNING, logger="deskchat.store"):
        del s
        gc.collect()
    assert any("not closed" in r.getMessage() for r in caplog.records)
    await asyncio.get_running_loop().run_in_executor(None, worker.join, 10)
    assert not worker.is_alive()


async def test_export_and_import_off_the_loop(db_path: Path, tmp_path: Path) -> None:
    async with await AsyncStore.open(db_path) as s:
        c = await s.create_conversation()
        await s.add_message(c.id, "user", "export me")
        out = await s.write_export(tmp_path / "x.json")
        assert "export me" in await s.to_markdown([c.id])
    async with await AsyncStore.open(tmp_path / "other.sqlite3") as other:
        result = await other.import_file(out)
        assert len(result.imported) == 1
        assert (await other.find_conversation("deskchat", c.source_id)) is not None


async def test_flush_saves_a_stalled_stream(db_path: Path) -> None:
    clock = FakeClock(0.0)
    async with await AsyncStore.open(db_path) as s:
        c = await s.create_conversation()
        w = await s.begin_reply(c.id, clock=clock, interval=10.0)
        w.append("one ")
        w.append("two")
        w.flush()
        mid = await w.message_id()
        assert mid is not None
        assert (await s.get_message(mid)).content == "one two"
        await w.finish()
