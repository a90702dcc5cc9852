"""The line protocol between DeskChat and its llama.cpp child process (sans-I/O).

One JSON object per line, UTF-8, each tagged by ``type``. The window sends
requests on the child's stdin; the child answers on its stdout. Every message
carries the ``id`` of the request it answers (0 for the child's own
:class:`Ready`), so answers to a reply that was stopped are told apart from
the next reply's. Nothing here does I/O: :class:`MessageDecoder` takes bytes as
they arrive and hands out messages, :func:`encode` turns one into a line.

Parent to child: :class:`Load`, :class:`Chat`, :class:`Cancel`, :class:`Unload`,
:class:`Quit` (or EOF on stdin). Child to parent: :class:`Ready` once at start,
:class:`Progress` and :class:`Loaded` for a load, :class:`Delta` and
:class:`Done` for a reply, :class:`Cancelled`, :class:`Unloaded`, and
:class:`Failed` for anything that went wrong.

This module is imported by the child before llama.cpp: it must stay light.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Literal, TypeAlias

from .errors import ProtocolError

__all__ = [
    "FROZEN_FLAG",
    "SAMPLING_PARAMS",
    "Cancel",
    "Cancelled",
    "Chat",
    "Delta",
    "Done",
    "Failed",
    "FailureKind",
    "LineBuffer",
    "Load",
    "Loaded",
    "Message",
    "MessageDecoder",
    "Progress",
    "Quit",
    "Ready",
    "Reply",
    "Request",
    "Unload",
    "Unloaded",
    "decode",
    "encode",
]

FROZEN_FLAG = "--llama-worker"
"""The hidden argument that makes a frozen DeskChat executable run the child."""

SAMPLING_PARAMS = frozenset(
    {
        "temperature",
        "top_p",
        "top_k",
        "min_p",
        "typical_p",
        "max_tokens",
        "seed",
        "stop",
        "repeat_penalty",
        "presence_penalty",
        "frequency_penalty",
        "logit_bias",
        "mirostat_mode",
        "mirostat_tau",
        "mirostat_eta",
    }
)
"""``Chat.params`` the child passes to ``Llama.create_chat_completion``.

Both live here, not in the child's module, so that the window never imports
:mod:`~deskchat.provider.llama_worker` (ctypes and its own code, ~0.6 MB)."""

FailureKind: TypeAlias = Literal["missing", "load", "generate", "request"]
"""What failed: llama-cpp-python cannot be imported, a model did not load, a
reply failed, or a request the child could not read."""


# -- parent to child ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Load:
    """Load the model at ``path`` (unloading the current one first).

    Attributes:
        n_ctx: the context size in tokens.
        n_threads: threads for generation and for reading the prompt.
        n_gpu_layers: layers to offload to the GPU (-1 all); the child uses 0
            when its llama.cpp build cannot offload.
        mmproj: the model's vision projector, loaded with it so that its
            replies can read images (None: text only).
    """

    id: int
    path: str
    n_ctx: int
    n_threads: int
    n_gpu_layers: int = 0
    mmproj: str | None = None
    type: Literal["load"] = "load"


@dataclass(frozen=True, slots=True)
class Chat:
    """Reply to ``messages`` with the loaded model, streaming :class:`Delta` lines.

    Attributes:
        messages: ``{"role", "content"}`` dicts, the system prompt first if any;
            a message with images has OpenAI's content parts for ``content``
            (``text``, then ``image_url`` parts whose ``url`` is a ``data:`` URI),
            for a model loaded with its projector; with tools, an assistant
            message may carry ``tool_calls`` (arguments as objects, as chat
            templates expect) and ``tool`` messages the results.
        params: sampling settings in OpenAI's names (``temperature``,
            ``max_tokens``, ``seed``, ...); the child takes the ones it knows.
        tools: the tools offered, in OpenAI's ``tools`` shape, for the chat
            template to render (None: none). The calls come back as text.
    """

    id: int
    messages: list[dict[str, Any]]
    params: dict[str, Any] = field(default_factory=dict)
    tools: list[dict[str, Any]] | None = None
    type: Literal["chat"] = "chat"


@dataclass(frozen=True, slots=True)
class Cancel:
    """Stop request ``id`` (a load or a reply) at the next token or tensor."""

    id: int
    type: Literal["cancel"] = "cancel"


@dataclass(frozen=True, slots=True)
class Unload:
    """Free the loaded model, keeping the process."""

    id: int
    type: Literal["unload"] = "unload"


@dataclass(frozen=True, slots=True)
class Quit:
    """Exit (closing stdin means the same)."""

    id: int = 0
    type: Literal["quit"] = "quit"


# -- child to parent ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ready:
    """The child started and imported llama.cpp.

    Attributes:
        pid: the child's process id.
        version: llama-cpp-python's version.
        gpu_offload: the build can offload layers to a GPU.
        vision: the build has llama.cpp's multimodal library (mtmd), so a
            model loaded with a projector can read images.
    """

    pid: int
    version: str
    gpu_offload: bool
    vision: bool = False
    id: int = 0
    type: Literal["ready"] = "ready"


@dataclass(frozen=True, slots=True)
class Progress:
    """How far the load of request ``id`` is, 0.0 to 1.0."""

    id: int
    fraction: float
    type: Literal["progress"] = "progress"


@dataclass(frozen=True, slots=True)
class Loaded:
    """The model of request ``id`` is loaded.

    Attributes:
        n_ctx: the context it was given.
        n_ctx_train: the context it was trained with.
        n_gpu_layers: the layers actually offloaded (0 without GPU support).
        thinks_first: the chat template opens a ``<think>`` block itself, so
            the reply starts inside the reasoning.
        seconds: how long loading took.
        vision: the projector was loaded too: replies may carry images.
    """

    id: int
    path: str
    n_ctx: int
    n_ctx_train: int
    n_gpu_layers: int
    thinks_first: bool
    seconds: float
    vision: bool = False
    type: Literal["loaded"] = "loaded"


@dataclass(frozen=True, slots=True)
class Delta:
    """A piece of the reply's text (reasoning tags included, as the model wrote them)."""

    id: int
    text: str
    type: Literal["delta"] = "delta"


@dataclass(frozen=True, slots=True)
class Done:
    """The reply ended: why, and how many tokens the prompt and the reply took."""

    id: int
    finish: str
    prompt_tokens: int
    completion_tokens: int
    type: Literal["done"] = "done"


@dataclass(frozen=True, slots=True)
class Cancelled:
    """Request ``id`` stopped on a :class:`Cancel`.

    Attributes:
        completion_tokens: tokens the reply had produced in all.
        after_cancel: tokens produced between the cancel's arrival and the stop.
    """

    id: int
    completion_tokens: int = 0
    after_cancel: int = 0
    type: Literal["cancelled"] = "cancelled"


@dataclass(frozen=True, slots=True)
class Unloaded:
    """The model is freed."""

    id: int
    type: Literal["unloaded"] = "unloaded"


@dataclass(frozen=True, slots=True)
class Failed:
    """Request ``id`` failed (``id`` 0: the child itself, e.g. no llama.cpp).

    Attributes:
        kind: see :data:`FailureKind`.
        message: the exception's text, for the log and the error sentence.
    """

    id: int
    kind: FailureKind
    message: str
    type: Literal["error"] = "error"


Request: TypeAlias = Load | Chat | Cancel | Unload | Quit
Reply: TypeAlias = Ready | Progress | Loaded | Delta | Done | Cancelled | Unloaded | Failed
Message: TypeAlias = Request | Reply

_TYPES: dict[str, type[Any]] = {
    "load": Load,
    "chat": Chat,
    "cancel": Cancel,
    "unload": Unload,
    "quit": Quit,
    "ready": Ready,
    "progress": Progress,
    "loaded": Loaded,
    "delta": Delta,
    "done": Done,
    "cancelled": Cancelled,
    "unloaded": Unloaded,
    "error": Failed,
}


def encode(message: Message) -> bytes:
    """One message as one line (``\\n`` ends it; JSON escapes any newline inside)."""
    body = {f.name: getattr(message, f.name) for f in fields(message)}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes | str) -> Message:
    """One line (without its newline) as a message.

    Raises:
        ProtocolError: not JSON, not an object, an unknown ``type``, or fields
            that do not match the type.
    """
    try:
        body = json.loads(line)
    except ValueError:
        raise ProtocolError(f"Not a JSON line: {_preview(line)}") from None
    if not isinstance(body, dict):
        raise ProtocolError(f"Not a JSON object: {_preview(line)}")
    cls = _TYPES.get(body.get("type"))  # type: ignore[arg-type]
    if cls is None:
        raise ProtocolError(f"Unknown message type: {_preview(line)}")
    try:
        message: Message = cls(**body)
    except TypeError as exc:
        raise ProtocolError(f"Bad {body['type']} message ({exc}): {_preview(line)}") from None
    return message


def _preview(line: bytes | str) -> str:
    text = line.decode(errors="replace") if isinstance(line, bytes) else line
    return repr(text[:200])


class LineBuffer:
    """Bytes in, complete lines out (without ``\\n``; a ``\\r`` before it is dropped)."""

    limit: ClassVar[int] = 64 * 1024 * 1024

    def __init__(self) -> None:
        self._pending = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Take the next bytes; return the lines they complete.

        Raises:
            ProtocolError: a line grew past :attr:`limit` without ending.
        """
        self._pending += data
        if b"\n" not in data:
            if len(self._pending) > self.limit:
                raise ProtocolError(f"A line longer than {self.limit} bytes.")
            return []
        *lines, rest = self._pending.split(b"\n")
        self._pending = bytearray(rest)
        return [bytes(line).removesuffix(b"\r") for line in lines]

    def finish(self) -> list[bytes]:
        """End of the stream: the last line, if it had no newline."""
        rest, self._pending = bytes(self._pending), bytearray()
        return [rest.removesuffix(b"\r")] if rest else []


class MessageDecoder:
    """Bytes in, messages out: a :class:`LineBuffer` and :func:`decode`.

    Blank lines are skipped. A bad line after good ones in the same chunk is
    held back, so the good ones are handed out first: :meth:`check` (or the
    next :meth:`feed` or :meth:`finish`) raises it. The lines after a bad one
    are dropped: a child that writes garbage is not to be trusted.
    """

    def __init__(self) -> None:
        self._lines = LineBuffer()
        self._error: ProtocolError | None = None

    def feed(self, data: bytes) -> list[Message]:
        """Take the next bytes; return the messages the lines they complete hold."""
        self.check()
        return self._decode(self._lines.feed(data))

    def finish(self) -> list[Message]:
        """End of the stream: a last line without a newline, or the error held back."""
        self.check()
        messages = self._decode(self._lines.finish())
        self.check()
        return messages

    def check(self) -> None:
        """Raise the bad line held back by the last :meth:`feed`, if there was one."""
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _decode(self, lines: list[bytes]) -> list[Message]:
        messages: list[Message] = []
        for line in lines:
            if not line.strip():
                continue
            try:
                messages.append(decode(line))
            except ProtocolError as exc:
                if not messages:
                    raise
                self._error = exc
                break
        return messages
