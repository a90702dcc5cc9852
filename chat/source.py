"""Where the next reply comes from, as the window names it, and the stand-in provider used
before anything is set up. No Qt.

Light on purpose: the window imports this before its first paint, so the model
library is imported only when a model file's name is read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from deskchat import provider
from deskchat.i18n import N_, _

from .auto import LOCAL

__all__ = [
    "ENGINE_NAME",
    "NOTHING_YET",
    "NOT_SET_UP",
    "NoProvider",
    "model_label",
    "provider_label",
    "reply_source",
]

ENGINE_NAME = N_("Built-in engine")
NOTHING_YET = N_("Choose how DeskChat answers first (the choices are above).")
NOT_SET_UP = N_("Nothing set up yet")


class NoProvider:
    """Stands in until a provider is set up; answering with it is a sentence, never silence.

    The window keeps Send disabled meanwhile, so this is only a guard.
    """

    name = "none"
    display_name = NOT_SET_UP  # marked with N_; shown through _()
    default_model = ""
    models: Sequence[str] = ()

    async def create_async_generator(
        self,
        model: str | None,  # noqa: ARG002 - the Provider protocol's signature
        messages: Sequence[Any],  # noqa: ARG002
        **params: Any,  # noqa: ARG002
    ) -> AsyncIterator[str]:
        raise provider.ConfigurationError(_(NOTHING_YET))
        yield ""  # pragma: no cover - makes this an async generator


def provider_label(provider_id: str, base_url: str | None = None) -> str:
    """``Built-in engine``, ``Ollama (127.0.0.1:11434)``, ``OpenAI``."""
    if provider_id == LOCAL:
        return _(ENGINE_NAME)
    try:
        info = provider.get_provider_info(provider_id)
    except provider.ProviderError:
        return provider_id
    if not info.capabilities.local and provider_id != "openai-compatible":
        return info.display_name
    where = urlsplit(base_url or info.base_url or "").netloc
    return f"{info.display_name} ({where})" if where else info.display_name


def model_label(provider_id: str, model: str) -> str:
    """The model as a person knows it: a GGUF file's own name and quantisation."""
    if provider_id != LOCAL or not model.lower().endswith(".gguf"):
        return model
    path = Path(model)
    from deskchat import library

    try:
        info = library.read_gguf_info(path)
    except (library.GGUFError, OSError):
        return path.stem
    name = info.name or path.stem
    quant = info.quantization
    return f"{name} {quant}" if quant and quant.lower() not in name.lower() else name


def reply_source(provider_id: str, model: str, base_url: str | None = None) -> str:
    """``Built-in engine · Qwen2.5 1.5B Instruct Q4_K_M``: what the next reply will use."""
    where = provider_label(provider_id, base_url)
    shown = model_label(provider_id, model) if model else ""
    return f"{where} · {shown}" if shown else where
