"""Whether a server's model reads images: what its listings say, and its refusals.

Servers say it in different words (each read here, nothing else guessed):

- OpenRouter's ``GET /api/v1/models`` and newer llama.cpp's ``GET /v1/models``:
  ``architecture.input_modalities`` lists ``"image"`` for a vision model.
- LM Studio's ``GET /api/v0/models``: ``type`` is ``"vlm"`` or ``"llm"``.
- llama.cpp's ``GET /props``: ``modalities.vision`` (the one loaded model).
- Ollama's ``POST /api/show``: ``capabilities`` holds ``"vision"`` (0.6 and later).

What a server does not say stays unknown (None), and unknown means send: the
server decides, and a refusal that names images becomes :func:`probably_not`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deskchat.i18n import _

from .errors import ImagesNotSupportedError, said

__all__ = [
    "LOOK_UP_TIMEOUT",
    "from_listing_entry",
    "from_props",
    "is_image_refusal",
    "probably_not",
]

LOOK_UP_TIMEOUT = 3.0
"""Seconds the look-up before an image is sent may take in all; then it is sent unknown."""

# Words servers use when they refuse an image (llama.cpp without an mmproj,
# OpenAI, OpenRouter, LM Studio, Ollama); matched in the lowered body.
_REFUSALS = (
    "image input",
    "image_url is only supported",
    "does not support image",
    "doesn't support image",
    "not support images",
    "images are not supported",
    "image is not supported",
    "vision is not supported",
    "does not support vision",
    "not a vision model",
    "multimodal is not supported",
    "mmproj",
)


def from_listing_entry(entry: Any) -> bool | None:
    """Whether one entry of a model listing is a vision model; None when it does not say."""
    if not isinstance(entry, Mapping):
        return None
    architecture = entry.get("architecture")
    if isinstance(architecture, Mapping):
        modalities = architecture.get("input_modalities")
        if isinstance(modalities, list) and modalities:
            return "image" in modalities
    kind = entry.get("type")
    if kind == "vlm":
        return True
    if kind == "llm":
        return False
    capabilities = entry.get("capabilities")
    if isinstance(capabilities, Mapping) and isinstance(capabilities.get("vision"), bool):
        return bool(capabilities["vision"])
    if isinstance(capabilities, list) and "vision" in capabilities:
        return True
    # A list without "vision" proves nothing here: servers name other things in it.
    return None


def from_props(props: Any) -> bool | None:
    """llama.cpp's ``/props``: ``{"modalities": {"vision": bool}}``; None when it does not say."""
    if not isinstance(props, Mapping):
        return None
    modalities = props.get("modalities")
    if isinstance(modalities, Mapping) and isinstance(modalities.get("vision"), bool):
        return bool(modalities["vision"])
    return None


def is_image_refusal(status: int, body: str) -> bool:
    """Whether an HTTP error to a request with images says the model takes none."""
    if status < 400 or status in (401, 403, 408, 429):
        return False
    text = body.lower()
    return any(words in text for words in _REFUSALS)


def probably_not(who: str, model: str, detail: str) -> ImagesNotSupportedError:
    """The sentence for a server that refused a request because of its image."""
    text = _(
        "{model} on {who} probably does not take images (the server refused the message "
        "with the image); remove the image, or choose a vision model and send again."
    ).format(model=model, who=who)
    if detail:
        text += _(" The server said: {said}").format(said=said(detail))
    return ImagesNotSupportedError(text)
