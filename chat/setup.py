"""First-run setup without Qt: when it is needed, what it offers in which order, what a
choice saves, and the line that names where replies come from.

The window's setup panel shows these offers; the decisions are here so they can
be tested without a QApplication.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from deskchat import library, provider
from deskchat.store import Settings

from .auto import AUTO, LOCAL
from .options import Options

__all__ = [
    "CHATGPTFREE",
    "CHATGPTFREE_NOTE",
    "ENGINE_MISSING",
    "ENGINE_NAME",
    "NOTHING_YET",
    "NOT_SET_UP",
    "NoProvider",
    "Offer",
    "catalogue_offers",
    "describe_local_model",
    "describe_offer",
    "engine_available",
    "hosted_providers",
    "model_label",
    "needs_setup",
    "provider_label",
    "remember",
    "reply_source",
]

CHATGPTFREE = "chatgptfree"
CHATGPTFREE_NOTE = "free web widget from the seed document; often blocked by Cloudflare"
ENGINE_NAME = "Built-in engine"
ENGINE_MISSING = (
    "The built-in engine is unavailable because llama-cpp-python is not installed: "
    "run scripts/setup.sh again (it compiles llama.cpp, about 7 minutes on 2 cores) "
    "or pip install 'deskchat[local]', then restart DeskChat."
)
NOTHING_YET = "Choose how DeskChat answers first (the choices are above)."
NOT_SET_UP = "Nothing set up yet"


def engine_available() -> bool:
    """Whether llama-cpp-python is installed (found, not imported: that takes a second)."""
    return find_spec("llama_cpp") is not None


def needs_setup(options: Options, settings: Settings) -> bool:
    """True when nothing is configured: provider ``auto`` by default and no choice saved.

    ``auto`` given on the command line or in ``DESKCHAT_PROVIDER`` is a choice.
    """
    return (
        options.provider == AUTO and "provider" not in options.given and not (settings.setup_choice)
    )


def remember(
    settings: Settings,
    choice: str,
    provider_id: str,
    *,
    model: str = "",
    base_url: str = "",
) -> None:
    """Put a setup choice in ``settings`` (the caller saves them).

    Args:
        choice: what was chosen, one of ``store.settings.SETUP_CHOICES``.
        provider_id: the provider replies come from now.
        model: the model to ask it for ("" for its default).
        base_url: the server's address ("" for the provider's own).
    """
    settings.provider = provider_id
    settings.model = model
    settings.base_url = base_url
    settings.setup_choice = choice


class NoProvider:
    """Stands in until a provider is set up; answering with it is a sentence, never silence.

    The window keeps Send disabled meanwhile, so this is only a guard.
    """

    name = "none"
    display_name = "Nothing set up yet"
    default_model = ""
    models: Sequence[str] = ()

    async def create_async_generator(
        self,
        model: str | None,  # noqa: ARG002 - the Provider protocol's signature
        messages: Sequence[Any],  # noqa: ARG002
        **params: Any,  # noqa: ARG002
    ) -> AsyncIterator[str]:
        raise provider.ConfigurationError(NOTHING_YET)
        yield ""  # pragma: no cover - makes this an async generator


# -- what the panel offers ----------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """A catalogue model offered for download.

    Attributes:
        entry: the catalogue entry.
        fits: its estimated RAM is free on this machine now.
        recommended: the one :func:`deskchat.library.recommend` picks for this machine.
    """

    entry: library.CatalogueEntry
    fits: bool
    recommended: bool


def catalogue_offers(
    catalogue: Sequence[library.CatalogueEntry] = library.CATALOGUE,
    machine: library.Machine | None = None,
) -> list[Offer]:
    """The catalogue for this machine: the recommended model first, then the rest in order."""
    machine = machine or library.Machine.current()
    best = _recommend(catalogue, machine)
    offers = [Offer(e, library.fits(e, machine), e == best) for e in catalogue]
    return sorted(offers, key=lambda o: not o.recommended)


def _recommend(
    catalogue: Sequence[library.CatalogueEntry], machine: library.Machine
) -> library.CatalogueEntry | None:
    if tuple(catalogue) == library.CATALOGUE:
        return library.recommend(machine)
    # Another list (a test's): the first entry that fits.
    return next((e for e in catalogue if library.fits(e, machine)), None)


def describe_offer(offer: Offer, machine: library.Machine | None = None) -> str:
    """``986 MB download · needs 1.64 GB of RAM``, and whether it is recommended or will not fit."""
    entry = offer.entry
    text = (
        f"{library.format_size(entry.size)} download · "
        f"needs {library.format_size(entry.ram_needed())} of RAM"
    )
    if offer.recommended:
        return f"{text} · recommended for this computer"
    if not offer.fits:
        machine = machine or library.Machine.current()
        free = library.format_size(machine.available_ram)
        return f"{text} · will not fit: {free} free now"
    return text


def describe_local_model(model: library.LocalModelInfo) -> str:
    """``Qwen2.5 0.5B Instruct · 398 MB · Q4_K_M · from LM Studio``."""
    shown = (model.info.name if model.info and model.info.name else None) or model.name
    parts = [shown, library.format_size(model.size)]
    if model.quantization:
        parts.append(model.quantization)
    parts.append(f"from {model.source_label}")
    return " · ".join(parts)


def hosted_providers() -> list[provider.ProviderInfo]:
    """The providers that need an API key, in the registry's order."""
    return [i for i in provider.PROVIDERS.values() if i.capabilities.needs_api_key]


# -- where replies come from ----------------------------------------------------


def provider_label(provider_id: str, base_url: str | None = None) -> str:
    """``Built-in engine``, ``Ollama (127.0.0.1:11434)``, ``OpenAI``."""
    if provider_id == LOCAL:
        return ENGINE_NAME
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
