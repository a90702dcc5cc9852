"""The plain records the store hands out: conversations, messages, search hits, titles.

No sqlite3 at import: the window reads these names before its first frame.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast

if TYPE_CHECKING:
    import sqlite3

__all__ = [
    "HIGHLIGHT_END",
    "HIGHLIGHT_START",
    "LEAF",
    "Conversation",
    "Message",
    "MessageStatus",
    "ParentRef",
    "Role",
    "SearchHit",
    "StoredAttachment",
    "make_title",
]

LEAF: Literal["leaf"] = "leaf"
# Where a new message goes: after the current leaf, under a given message, or as a root.
ParentRef: TypeAlias = int | None | Literal["leaf"]
_TITLE_CHARS = 60


def make_title(text: str) -> str:
    """A conversation title from a message: its first line, at most ~60 characters."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    line = " ".join(line.split())
    if len(line) <= _TITLE_CHARS:
        return line
    cut = line[:_TITLE_CHARS]
    # Break at a word when one ends reasonably late, so titles don't end mid-word.
    space = cut.rfind(" ")
    if space > _TITLE_CHARS // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


Role: TypeAlias = Literal["system", "user", "assistant"]
MessageStatus: TypeAlias = Literal["complete", "streaming", "stopped", "error"]
ROLES: tuple[str, ...] = ("system", "user", "assistant")
STATUSES: tuple[str, ...] = ("complete", "streaming", "stopped", "error")


@dataclass(frozen=True, slots=True)
class Conversation:
    """One conversation (a tree of messages with one current path).

    Attributes:
        id: the database id.
        title: "" until set by the user or taken from the first user message.
        created_at, updated_at: seconds since the epoch (UTC).
        provider, model, system_prompt: what the conversation was set up with.
        params: provider parameters (temperature and the like).
        deleted_at: when it was moved to the bin (None when not deleted).
        source, source_id: where it came from ("deskchat" + a random id for
            conversations made here, "chatgpt" + the export's id for imports).
        title_chosen: the title was chosen (renamed by the user, or given when
            the conversation was made or imported): no message changes it. Else
            it follows the first question's latest version.
        tools_always: the tools the user let run without asking in it.
    """

    id: int
    title: str
    created_at: float
    updated_at: float
    provider: str | None = None
    model: str | None = None
    system_prompt: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    deleted_at: float | None = None
    source: str = "deskchat"
    source_id: str = ""
    title_chosen: bool = False
    tools_always: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredAttachment:
    """A file attached to a message, as the history keeps it (see ``deskchat.attach``).

    The bytes are stored once per ``sha256``, however many messages attach them.

    Attributes:
        sha256: the hex digest of ``data``.
        name: the file's name as it was attached.
        kind: "image", "text" or "pdf".
        mime: what ``data`` is (``image/png``, ``image/jpeg``, ``text/plain``).
        data: what was sent: the image, or the text as UTF-8.
        size: the file's size on disk when it was attached.
        info: the rest, as ``deskchat.attach.Attachment`` has it (width, height,
            pages, truncated).
    """

    sha256: str
    name: str
    kind: str
    mime: str
    data: bytes = field(repr=False)
    size: int = 0
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Message:
    """One message; edits and regenerations are siblings (same parent).

    Attributes:
        parent_id: the message this one answers or follows (None for the first).
        status: complete, streaming (still writing, or interrupted by a crash),
            stopped (by the user) or error (then ``error`` holds the sentence).
        active: True when this is the selected version among its siblings.
        version, versions: 1-based position among its siblings and their count,
            so the UI can show ``< 2/3 >``.
        tools: the tools a reply called, in order: ``{"id", "name", "server", "tool",
            "arguments" (JSON text), "status" (pending, ok, error, denied, timeout,
            stopped, skipped), "output", "step", "at" (characters of the reply's text
            before the call)}``; empty for a reply that called none.
        attachments: the files attached to a user message, in order.
    """

    id: int
    conversation_id: int
    parent_id: int | None
    role: Role
    content: str
    created_at: float
    provider: str | None = None
    model: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    status: MessageStatus = "complete"
    error: str | None = None
    active: bool = True
    version: int = 1
    versions: int = 1
    tools: tuple[dict[str, Any], ...] = ()
    attachments: tuple[StoredAttachment, ...] = ()

    @property
    def interrupted(self) -> bool:
        """True for a reply still marked streaming: the app stopped while writing it."""
        return self.status == "streaming"


HIGHLIGHT_START = "\x02"
"""Where a matched word begins in a hit's snippet."""
HIGHLIGHT_END = "\x03"
"""Where a matched word ends in a hit's snippet."""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One search result.

    Attributes:
        message_id: None when the hit is the conversation title.
        snippet: the matching text with the search words between the start and
            end markers (``\\x02`` and ``\\x03`` unless asked otherwise).
        rank: the hit's place among the hits of its search, lower first.
        created_at: when the message was written (a title: when its
            conversation last changed), seconds since 1970.
        terms: the matched words as the snippet writes them (to find them
            again in the message).
    """

    conversation_id: int
    message_id: int | None
    title: str
    snippet: str
    rank: float
    created_at: float = 0.0
    terms: tuple[str, ...] = ()


def conversation_from_row(row: sqlite3.Row) -> Conversation:
    """A Conversation from a ``SELECT * FROM conversations`` row."""
    return Conversation(
        id=row["id"],
        title=row["title"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        provider=row["provider"],
        model=row["model"],
        system_prompt=row["system_prompt"],
        params=json.loads(row["params"] or "{}"),
        deleted_at=row["deleted_at"],
        source=row["source"],
        source_id=row["source_id"],
        title_chosen=bool(row["title_chosen"]),
        tools_always=_names(row["tools_always"]),
    )


def _names(value: str | None) -> tuple[str, ...]:
    """A JSON list of names as kept; a broken value reads as none."""
    try:
        names = json.loads(value) if value else []
    except ValueError:
        return ()
    return tuple(n for n in names if isinstance(n, str)) if isinstance(names, list) else ()


def message_from_row(row: sqlite3.Row) -> Message:
    """A Message from a messages row, with optional ``version``/``versions`` columns."""
    return message_reader(row.keys())(row)


# Building a Message without its generated __init__: that one calls
# object.__setattr__ by name for each of the 17 fields (the class is frozen),
# a third of reading a 10,000-message path. Each slot's own setter, taken once,
# fills the same fields; the instance is the same frozen dataclass (equality,
# hash, repr and dataclasses.replace as before). Message has no __post_init__.
# Measured on 10,000 rows: 27 ms through __init__, 18 ms through the setters.
# message_reader fills every field (tests/store/test_message_reader.py checks
# it against the dataclass's own fields).


def _setter(name: str) -> Callable[[Message, Any], None]:
    """The slot's own setter (a frozen dataclass refuses plain assignment)."""
    return cast(Callable[[Message, Any], None], Message.__dict__[name].__set__)


_put_id = _setter("id")
_put_conversation_id = _setter("conversation_id")
_put_parent_id = _setter("parent_id")
_put_role = _setter("role")
_put_content = _setter("content")
_put_created_at = _setter("created_at")
_put_provider = _setter("provider")
_put_model = _setter("model")
_put_prompt_tokens = _setter("prompt_tokens")
_put_completion_tokens = _setter("completion_tokens")
_put_status = _setter("status")
_put_error = _setter("error")
_put_active = _setter("active")
_put_version = _setter("version")
_put_versions = _setter("versions")
_put_tools = _setter("tools")
_put_attachments = _setter("attachments")
_new = object.__new__


def message_reader(columns: Iterable[str]) -> Callable[[Sequence[Any]], Message]:
    """A Message maker for the rows of one query, reading them by position.

    ``columns``: the query's column names, in order (``row.keys()``, or the
    first item of each of ``cursor.description``): a messages row, with or
    without ``version``, ``versions`` and ``tools`` columns (then 1, 1 and no
    tools). The positions are looked up once here, not by name for each row;
    a row may be a tuple or a ``sqlite3.Row``. A name given twice is read from
    its first column, as ``sqlite3.Row`` reads it.
    """
    at: dict[str, int] = {}
    for i, name in enumerate(columns):
        at.setdefault(name, i)
    id_, conversation_id, parent_id = at["id"], at["conversation_id"], at["parent_id"]
    role, content, created_at = at["role"], at["content"], at["created_at"]
    provider, model = at["provider"], at["model"]
    prompt_tokens, completion_tokens = at["prompt_tokens"], at["completion_tokens"]
    status, error, active = at["status"], at["error"], at["active"]
    version, versions, tools = at.get("version"), at.get("versions"), at.get("tools")

    def read(row: Sequence[Any]) -> Message:
        message: Message = _new(Message)
        _put_id(message, row[id_])
        _put_conversation_id(message, row[conversation_id])
        _put_parent_id(message, row[parent_id])
        _put_role(message, row[role])
        _put_content(message, row[content])
        _put_created_at(message, row[created_at])
        _put_provider(message, row[provider])
        _put_model(message, row[model])
        _put_prompt_tokens(message, row[prompt_tokens])
        _put_completion_tokens(message, row[completion_tokens])
        _put_status(message, row[status])
        _put_error(message, row[error])
        _put_active(message, bool(row[active]))
        _put_version(message, 1 if version is None else row[version])
        _put_versions(message, 1 if versions is None else row[versions])
        _put_tools(message, () if tools is None else _tools(row[tools]))
        _put_attachments(message, ())
        return message

    return read


def _tools(text: str | None) -> tuple[dict[str, Any], ...]:
    """The ``tools`` column: a JSON list of objects; anything else reads as none."""
    if not text:
        return ()
    try:
        value = json.loads(text)
    except ValueError:
        return ()
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, dict))
