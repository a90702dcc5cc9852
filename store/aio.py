"""The store for asyncio code: one worker thread owns the Store, callers await results.

Every call is queued to the worker in order and resolved as an asyncio future
on the caller's loop, so the GUI thread never waits for the disk.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import queue
import threading
import time
from collections.abc import Callable, Coroutine, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from deskchat.i18n import _

from .errors import StoreError
from .models import Message
from .reply import ReplyWriter
from .store import LEAF, ParentRef, Store

if TYPE_CHECKING:
    from .importers import ImportResult

__all__ = ["AsyncReplyWriter", "AsyncStore"]

log = logging.getLogger("deskchat.store")
T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")
_Job = tuple[Callable[[Store], Any], asyncio.Future[Any] | None, asyncio.AbstractEventLoop | None]


def _resolve(fut: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if fut.cancelled():
        return
    if ok:
        fut.set_result(value)
    else:
        fut.set_exception(value)


class _Worker(threading.Thread):
    """Runs jobs against one Store, in order, on its own thread."""

    def __init__(self, path: Path | None, clock: Callable[[], float]) -> None:
        super().__init__(name="deskchat-store", daemon=True)
        self.path = path
        self.clock = clock
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.store: Store | None = None

    def run(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                break
            fn, fut, loop = job
            try:
                if self.store is None:
                    self.store = Store(self.path, clock=self.clock)
                result = fn(self.store)
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting caller
                if fut is None or loop is None:
                    if isinstance(exc, StoreError):
                        # The disk's or a lock's doing, worded; the next save tries again.
                        log.warning("history: %s", exc.text())
                    else:
                        log.error("store job without a waiter failed", exc_info=exc)
                    continue
                self._post(loop, fut, False, exc)
            else:
                if fut is not None and loop is not None:
                    self._post(loop, fut, True, result)
        if self.store is not None:
            self.store.close()

    @staticmethod
    def _post(loop: asyncio.AbstractEventLoop, fut: asyncio.Future[Any], ok: bool, v: Any) -> None:
        try:
            loop.call_soon_threadsafe(_resolve, fut, ok, v)
        except RuntimeError:
            # The caller's loop closed while we worked; nobody is waiting any more.
            log.debug("store result dropped: event loop closed")


def _on_worker(
    method: Callable[Concatenate[Store, P], R],
) -> Callable[Concatenate[AsyncStore, P], Coroutine[Any, Any, R]]:
    """``method`` of :class:`Store` as an :class:`AsyncStore` coroutine: run on the worker, awaited.

    The arguments go to the worker as they are: a method that takes an iterable
    materialises it first (see ``add_messages_bulk``), never a lazy one across threads.
    """

    @functools.wraps(method)
    async def run(self: AsyncStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return await self.call(lambda store: method(store, *args, **kwargs))

    run.__qualname__ = f"AsyncStore.{method.__name__}"
    return run


class AsyncStore:
    """A :class:`Store` on a worker thread, with the same methods as coroutines.

    Open with ``await AsyncStore.open()`` and ``await store.close()`` when done
    (or ``async with``). Results and StoreErrors come back on the caller's loop.

    Attributes:
        path, read_only_reason, recovery_notice, backup_path: as on Store.
    """

    def __init__(
        self, path: str | Path | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._worker = _Worker(Path(path) if path is not None else None, clock)
        self._closed = False
        self.path: Path | None = None
        self.read_only_reason: str | None = None
        self.recovery_notice: str | None = None
        self.backup_path: Path | None = None
        self._worker.start()

    @classmethod
    async def open(
        cls, path: str | Path | None = None, *, clock: Callable[[], float] = time.time
    ) -> AsyncStore:
        """Start the worker and open the database on it."""
        self = cls(path, clock=clock)
        try:
            info = await self.call(
                lambda s: (s.path, s.read_only_reason, s.recovery_notice, s.backup_path)
            )
        except BaseException:
            await self.close()
            raise
        self.path, self.read_only_reason, self.recovery_notice, self.backup_path = info
        return self

    async def __aenter__(self) -> AsyncStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def call(self, fn: Callable[[Store], T]) -> asyncio.Future[T]:
        """Run ``fn(store)`` on the worker; await the returned future for its result."""
        if self._closed:
            raise StoreError(_("The chat history is already closed; restart DeskChat."))
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        self._worker.jobs.put((fn, fut, loop))
        return fut

    def call_soon(self, fn: Callable[[Store], object]) -> None:
        """Queue ``fn(store)`` without waiting; a failure is logged."""
        if self._closed:
            raise StoreError(_("The chat history is already closed; restart DeskChat."))
        self._worker.jobs.put((fn, None, None))

    async def close(self) -> None:
        """Finish queued work, close the database and join the worker thread."""
        if self._closed:
            return
        self._closed = True
        self._worker.jobs.put(None)
        # The queue drains quickly, but join off the loop's thread all the same.
        await asyncio.get_running_loop().run_in_executor(None, self._worker.join)

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            log.warning("AsyncStore for %s was not closed; closing it now", self.path)
            self._closed = True
            self._worker.jobs.put(None)

    # -- the Store's methods, as coroutines ---------------------------------
    # Each runs the Store's method on the worker, with the Store's own signature.

    create_conversation = _on_worker(Store.create_conversation)
    get_conversation = _on_worker(Store.get_conversation)
    list_conversations = _on_worker(Store.list_conversations)
    deleted_conversations = _on_worker(Store.deleted_conversations)
    rename = _on_worker(Store.rename)
    set_tools_always = _on_worker(Store.set_tools_always)
    update_conversation = _on_worker(Store.update_conversation)
    delete_conversation = _on_worker(Store.delete_conversation)
    restore_conversation = _on_worker(Store.restore_conversation)
    purge_conversation = _on_worker(Store.purge_conversation)
    purge_deleted = _on_worker(Store.purge_deleted)
    get_message = _on_worker(Store.get_message)
    add_message = _on_worker(Store.add_message)
    current_path = _on_worker(Store.current_path)
    path_tail = _on_worker(Store.path_tail)
    current_leaf = _on_worker(Store.current_leaf)
    siblings = _on_worker(Store.siblings)
    all_messages = _on_worker(Store.all_messages)
    select_version = _on_worker(Store.select_version)
    edit_user_message = _on_worker(Store.edit_user_message)
    delete_message = _on_worker(Store.delete_message)
    drop_failed_reply = _on_worker(Store.drop_failed_reply)
    set_status = _on_worker(Store.set_status)
    interrupted_replies = _on_worker(Store.interrupted_replies)
    search = _on_worker(Store.search)
    children = _on_worker(Store.children)
    find_conversation = _on_worker(Store.find_conversation)

    async def add_messages_bulk(
        self,
        conversation_id: int,
        messages: Iterable[tuple[str, str]],
        *,
        parent_id: ParentRef = LEAF,
    ) -> list[int]:
        items = list(messages)
        return await self.call(
            lambda s: s.add_messages_bulk(conversation_id, items, parent_id=parent_id)
        )

    async def import_file(self, path: str | Path) -> ImportResult:
        """Import a DeskChat or ChatGPT export (see ``store.import_file``)."""
        # Here, not at import: the window opens the store before its first paint.
        from .importers import import_file

        return await self.call(lambda s: import_file(s, path))

    async def write_export(
        self,
        path: str | Path,
        conversation_ids: Iterable[int] | None = None,
        *,
        fmt: str | None = None,
    ) -> Path:
        """Write a JSON or Markdown export file (see ``store.write_export``)."""
        from .export import write_export

        ids = None if conversation_ids is None else list(conversation_ids)
        return await self.call(lambda s: write_export(s, path, ids, fmt=fmt))

    async def export_json(self, conversation_ids: Iterable[int] | None = None) -> str:
        from .export import export_json

        ids = None if conversation_ids is None else list(conversation_ids)
        return await self.call(lambda s: export_json(s, ids))

    async def to_markdown(self, conversation_ids: Iterable[int] | None = None) -> str:
        from .export import to_markdown

        ids = None if conversation_ids is None else list(conversation_ids)
        return await self.call(lambda s: to_markdown(s, ids))

    async def begin_reply(
        self,
        conversation_id: int,
        parent_id: ParentRef = LEAF,
        *,
        provider: str | None = None,
        model: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float = 0.2,
    ) -> AsyncReplyWriter:
        """A writer for a streaming reply; ``append`` never waits, ``finish`` is awaited."""
        inner = await self.call(
            lambda s: s.begin_reply(
                conversation_id, parent_id, provider=provider, model=model, interval=0.0
            )
        )
        return AsyncReplyWriter(self, inner, clock=clock, interval=interval)

    async def resume_reply(
        self,
        message_id: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        interval: float = 0.2,
    ) -> AsyncReplyWriter:
        """A writer that appends to the stored reply ``message_id`` (see ``Store.resume_reply``)."""
        inner = await self.call(lambda s: s.resume_reply(message_id, interval=0.0))
        return AsyncReplyWriter(self, inner, clock=clock, interval=interval)


class AsyncReplyWriter:
    """The async face of :class:`ReplyWriter`: throttles on the caller, writes on the worker.

    ``append(chunk)`` is a plain method (call it for every chunk); at most every
    ``interval`` seconds it queues a save. ``await finish(...)`` saves the rest.

    Attributes:
        text: everything appended so far.
    """

    def __init__(
        self,
        store: AsyncStore,
        inner: ReplyWriter,
        *,
        clock: Callable[[], float] = time.monotonic,
        interval: float = 0.2,
    ) -> None:
        self._store = store
        self._inner = inner  # lives on the worker thread; touched only there
        self.clock = clock
        self.interval = interval
        # What was sent, one string per save; and the chunks since. A save joins only
        # the chunks since the last one, never the whole reply (4 MB: ~3 ms a save
        # on the loop's thread, five times a second).
        self._parts: list[str] = []
        self._unsent: list[str] = []
        self._last: float | None = None

    @property
    def text(self) -> str:
        """Everything appended, saved or not."""
        sent = "".join(self._parts)
        self._parts = [sent] if sent else []
        return sent + "".join(self._unsent)

    def _fold(self) -> str:
        """Join the chunks appended since the last save into one part; return them."""
        new = "".join(self._unsent)
        self._unsent.clear()
        if new:
            self._parts.append(new)
        return new

    async def message_id(self) -> int | None:
        """The row's id (None until the first chunk was saved)."""
        return await self._store.call(lambda _s: self._inner.message_id)

    def append(self, chunk: str) -> None:
        """Add text; queue a save if this is the first chunk or ``interval`` has passed."""
        if not chunk:
            return
        self._unsent.append(chunk)
        now = self.clock()
        if self._last is None or now - self._last >= self.interval:
            self._send()
            self._last = now

    def flush(self) -> None:
        """Queue a save of everything appended so far (e.g. from a timer when chunks stall)."""
        self._send()
        self._last = self.clock()

    def _send(self) -> None:
        new = self._fold()
        if new:
            inner = self._inner
            self._store.call_soon(lambda _s: inner.append(new))

    async def save(self) -> None:
        """Save everything appended so far and leave the reply streaming: DeskChat is
        closing mid-reply, and the next start offers to continue it."""
        self._send()
        inner = self._inner
        await self._store.call(lambda _s: inner.flush())

    async def set_tools(self, tools: str | None) -> None:
        """Save the reply's tool calls (a JSON list) after the text appended so far."""
        self._send()
        inner = self._inner
        await self._store.call(lambda _s: inner.set_tools(tools))

    async def finish(
        self,
        status: str = "complete",
        *,
        error: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
    ) -> Message | None:
        """Save everything and the final status; see ``ReplyWriter.finish``."""
        self._send()
        inner = self._inner
        return await self._store.call(
            lambda _s: inner.finish(
                status,
                error=error,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
            )
        )
