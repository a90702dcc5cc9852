"""First-run setup without Qt: when it is needed, what it offers in which order, and what a
choice saves.

The window's setup panel shows these offers; the decisions are here so they can
be tested without a QApplication.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib.util import find_spec

from deskchat import library, provider
from deskchat.i18n import N_, _
from deskchat.store import Settings

from .auto import AUTO
from .options import Options

__all__ = [
    "CHATGPTFREE",
    "CHATGPTFREE_NOTE",
    "ENGINE_MISSING",
    "Offer",
    "catalogue_offers",
    "describe_local_model",
    "describe_offer",
    "engine_available",
    "hosted_providers",
    "needs_setup",
    "remember",
]

CHATGPTFREE = "chatgptfree"
CHATGPTFREE_NOTE = N_("free web widget from the seed document; often blocked by Cloudflare")
ENGINE_MISSING = N_(
    "The built-in engine is unavailable because llama-cpp-python is not installed: run "
    "scripts/setup.sh again (it compiles llama.cpp, about 7 minutes on 2 cores) or pip "
    "install 'deskchat[local]', then restart DeskChat."
)


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
    catalogue: Sequence[library.CatalogueEntry] | None = None,
    machine: library.Machine | None = None,
) -> list[Offer]:
    """The catalogue (None: DeskChat's) for this machine: the recommended model first,
    then the rest in order."""
    if catalogue is None:
        catalogue = library.CATALOGUE
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
    text = _("{format_size} download · needs {format_size2} of RAM").format(
        format_size=library.format_size(entry.size),
        format_size2=library.format_size(entry.ram_needed()),
    )
    if offer.recommended:
        return _("{text} · recommended for this computer").format(text=text)
    if not offer.fits:
        machine = machine or library.Machine.current()
        free = library.format_size(machine.available_ram)
        return _("{text} · will not fit: {free} free now").format(text=text, free=free)
    return text


def describe_local_model(model: library.LocalModelInfo) -> str:
    """``Qwen2.5 0.5B Instruct · 398 MB · Q4_K_M · from LM Studio``."""
    shown = (model.info.name if model.info and model.info.name else None) or model.name
    parts = [shown, library.format_size(model.size)]
    if model.quantization:
        parts.append(model.quantization)
    # "added by you" reads as it is; the other sources are where the file came from.
    parts.append(
        model.source_label
        if model.source == "added"
        else _("from {source_label}").format(source_label=model.source_label)
    )
    return " · ".join(parts)


def hosted_providers() -> list[provider.ProviderInfo]:
    """The providers that need an API key, in the registry's order."""
    return [i for i in provider.PROVIDERS.values() if i.capabilities.needs_api_key]
