"""Images in a chat message, and how each API wants them.

A user message may carry ``"images"``: a sequence of :class:`ImageInput`
(bytes already scaled and stripped of metadata by ``deskchat.attach``).
OpenAI-compatible servers take them as content parts (``image_url`` with a
``data:`` URI), Ollama as base64 strings in the message's ``images``.
A provider that takes none says so with :class:`ImagesNotSupportedError`
before anything is sent.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from deskchat.i18n import _

from .errors import ImagesNotSupportedError

__all__ = [
    "ImageInput",
    "has_images",
    "ollama_images",
    "openai_image_parts",
    "refuse_images",
]


@dataclass(frozen=True, slots=True)
class ImageInput:
    """One image to show the model.

    Attributes:
        mime: ``image/png`` or ``image/jpeg``.
        data: the encoded image.
        name: the file's name (for messages; never sent).
    """

    mime: str
    data: bytes = field(repr=False)
    name: str = ""

    def base64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")

    def data_uri(self) -> str:
        return f"data:{self.mime};base64,{self.base64()}"


def _images(message: Mapping[str, Any]) -> Sequence[ImageInput]:
    images = message.get("images") or ()
    return [image for image in images if isinstance(image, ImageInput)]


def has_images(messages: Sequence[Mapping[str, Any]]) -> bool:
    """Whether any message carries an image."""
    return any(_images(m) for m in messages)


def openai_image_parts(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``messages`` with each one's images as content parts: its text first, then each image."""

    def put(item: dict[str, Any], images: Sequence[ImageInput]) -> None:
        parts: list[dict[str, Any]] = []
        text = item.get("content")
        if isinstance(text, str) and text:
            parts.append({"type": "text", "text": text})
        parts.extend(
            {"type": "image_url", "image_url": {"url": image.data_uri()}} for image in images
        )
        item["content"] = parts

    return _with_images(messages, put)


def ollama_images(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``messages`` with each one's images as Ollama's base64 strings in ``images``."""

    def put(item: dict[str, Any], images: Sequence[ImageInput]) -> None:
        item["images"] = [image.base64() for image in images]

    return _with_images(messages, put)


def _with_images(
    messages: Sequence[Mapping[str, Any]],
    put: Callable[[dict[str, Any], Sequence[ImageInput]], None],
) -> list[dict[str, Any]]:
    """Copies of ``messages`` without their ``images``; ``put`` writes a message's images
    back in the provider's own shape."""
    out: list[dict[str, Any]] = []
    for message in messages:
        item = dict(message)
        images = _images(item)
        item.pop("images", None)
        if images:
            put(item, images)
        out.append(item)
    return out


def refuse_images(messages: Sequence[Mapping[str, Any]], who: str, model: str | None) -> None:
    """Raise the sentence for ``who`` (a provider's name) when a message carries an image."""
    if not has_images(messages):
        return
    if model:
        raise ImagesNotSupportedError(
            _(
                "{model} on {who} cannot look at images; remove the image, or choose a "
                "vision model (one that reads images) and send again."
            ).format(model=model, who=who)
        )
    raise ImagesNotSupportedError(
        _(
            "{who} cannot look at images; remove the image, or choose a provider with a "
            "vision model and send again."
        ).format(who=who)
    )
