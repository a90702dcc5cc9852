"""Attachments between the reader, the providers and the history: one user message's files.

``deskchat.attach`` reads a file; this module turns the result into what a
provider is sent (text files and PDFs as fenced blocks before the typed text,
images as :class:`~deskchat.provider.ImageInput`) and into what the history
keeps, and back. No Qt; nothing here reads a file on the caller's thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deskchat.attach import DEFAULT_LIMITS, Attachment, Limits
from deskchat.i18n import _
from deskchat.provider import ConfigurationError, ImagesNotSupportedError, get_provider_info

if TYPE_CHECKING:
    from deskchat.store import Message as StoredMessage
    from deskchat.store.models import StoredAttachment

__all__ = [
    "check_images",
    "files_line",
    "from_stored",
    "limits_for",
    "look_up_images",
    "needs_look_up",
    "prompt_message",
    "read_attachments",
    "stored_attachments",
    "to_stored",
]


def prompt_message(text: str, attachments: Sequence[Attachment]) -> dict[str, Any]:
    """A user message with its files: text and PDFs fenced before ``text``, images beside it."""
    blocks = [a.prompt_block() for a in attachments if not a.is_image]
    content = "\n\n".join([*blocks, text]) if blocks and text else "\n\n".join(blocks) or text
    message: dict[str, Any] = {"role": "user", "content": content}
    images = [a for a in attachments if a.is_image]
    if images:
        from deskchat.provider import ImageInput

        message["images"] = [ImageInput(a.mime, a.data, a.name) for a in images]
    return message


def files_line(attachments: Sequence[Attachment]) -> str:
    """The line under a sent message naming its files: ``Attached: a.png · 41 kB, b.md · 2 kB``."""
    if not attachments:
        return ""
    from deskchat.attach import format_size

    names = ", ".join(f"{a.name} · {format_size(a.size)}" for a in attachments)
    return _("Attached: {files}").format(files=names)


def limits_for(
    provider_id: str, *, max_tokens: int | None = None, allow_partial: bool = False
) -> Limits:
    """The reading limits for ``provider_id``: its image side, the context's tokens if known."""
    side = DEFAULT_LIMITS.image_side
    try:
        side = get_provider_info(provider_id).capabilities.image_side
    except ConfigurationError:
        pass  # A provider the registry does not know (a test's, a plug-in's): the defaults.
    return Limits(
        image_side=side,
        max_tokens=max_tokens or DEFAULT_LIMITS.max_tokens,
        allow_partial=allow_partial,
    )


def check_images(
    provider_id: str,
    attachments: Iterable[Attachment],
    chat: object = None,
    model: str = "",
) -> None:
    """Refuse images, before anything is sent, for a provider that takes none, or for a
    ``model`` that ``chat`` (the provider) knows reads none: its own ``refuse_images``
    raises with its own sentence, or its ``takes_images`` has learned it."""
    if not any(a.is_image for a in attachments):
        return
    try:
        info = get_provider_info(provider_id)
    except ConfigurationError:
        info = None
    if info is not None and not info.capabilities.images:
        raise ImagesNotSupportedError(
            _(
                "{provider} cannot look at images; remove the image, or choose a provider "
                "with a vision model and send again."
            ).format(provider=info.display_name)
        )
    refuse_images = getattr(chat, "refuse_images", None)
    if model and refuse_images is not None:
        refuse_images(model)  # the provider's own sentence (the built-in engine's)
    takes_images = getattr(chat, "takes_images", None)
    if model and takes_images is not None and takes_images(model) is False:
        who = getattr(chat, "what", None) or (info.display_name if info else provider_id)
        raise ImagesNotSupportedError(
            _(
                "{model} on {who} cannot look at images; remove the image, or choose a "
                "vision model (one that reads images) and send again."
            ).format(model=model, who=who)
        )


def needs_look_up(chat: object, model: str, attachments: Iterable[Attachment]) -> bool:
    """Whether an image in ``attachments`` would go to a ``model`` that ``chat`` (the
    provider) has not asked its server about yet (see :func:`look_up_images`)."""
    asked = getattr(chat, "asked_about_images", None)
    if not model or asked is None or not hasattr(chat, "look_up_images"):
        return False
    return any(a.is_image for a in attachments) and not asked(model)


async def look_up_images(chat: object, model: str, attachments: Iterable[Attachment]) -> None:
    """Let ``chat`` ask its server whether ``model`` reads images (once per model, a few
    seconds at most) when an image is about to be sent, so :func:`check_images` can say
    so before anything is sent. A failure leaves it unknown: the image is sent."""
    if needs_look_up(chat, model, attachments):
        await chat.look_up_images(model)  # type: ignore[attr-defined]


async def read_attachments(
    paths: Iterable[str | Path], limits: Limits = DEFAULT_LIMITS
) -> list[Attachment]:
    """Read each of ``paths`` on a worker thread (never the caller's: decoding takes a while)."""
    import asyncio

    from deskchat.attach import read_files

    chosen = list(paths)
    return await asyncio.to_thread(read_files, chosen, limits)


def to_stored(attachment: Attachment) -> StoredAttachment:
    """What the history keeps of an attachment."""
    from deskchat.store.models import StoredAttachment

    info: dict[str, Any] = {}
    for key in ("width", "height", "pages"):
        if getattr(attachment, key):
            info[key] = getattr(attachment, key)
    if attachment.truncated:
        info["truncated"] = True
    return StoredAttachment(
        sha256=attachment.sha256,
        name=attachment.name,
        kind=attachment.kind,
        mime=attachment.mime,
        data=attachment.data,
        size=attachment.size,
        info=info,
    )


def stored_attachments(attachments: Iterable[Attachment]) -> list[StoredAttachment]:
    return [to_stored(a) for a in attachments]


def from_stored(stored: StoredAttachment) -> Attachment:
    """An attachment read back from the history, as it was sent."""
    info = stored.info

    def number(key: str) -> int:
        value = info.get(key, 0)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    kind = stored.kind if stored.kind in ("image", "text", "pdf") else "text"
    return Attachment(
        stored.name,
        kind,  # type: ignore[arg-type]
        stored.mime,
        stored.data,
        size=stored.size,
        width=number("width"),
        height=number("height"),
        pages=number("pages"),
        truncated=bool(info.get("truncated")),
        sha256=stored.sha256,
    )


def attachments_of(stored: StoredMessage) -> tuple[Attachment, ...]:
    """The attachments of a stored message, as the session shows and sends them."""
    return tuple(from_stored(a) for a in stored.attachments)
