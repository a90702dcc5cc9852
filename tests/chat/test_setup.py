"""First-run setup without Qt: when it shows, what it offers in which order, what it saves."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskchat import library, provider
from deskchat.chat import setup
from deskchat.chat.options import Options
from deskchat.store import Settings
from tests.fakes.hf_hub import make_gguf

GB = 1_000_000_000


def entry(title: str, size: int) -> library.CatalogueEntry:
    return library.CatalogueEntry(
        title, f"fake/{title}-GGUF", f"{title}-Q4_K_M.gguf", "Q4_K_M", size, 1.0, 16, 2, 64,
        "MIT", "https://example.invalid",
    )  # fmt: skip


BIG, SMALL, TINY = entry("Big", 6 * GB), entry("Small", 1 * GB), entry("Tiny", GB // 10)


def test_setup_is_needed_only_when_nothing_is_configured(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.json")
    assert setup.needs_setup(Options(), settings)
    # auto typed on the command line (or set in DESKCHAT_PROVIDER) is a choice.
    assert not setup.needs_setup(Options(given=frozenset({"provider"})), settings)
    assert not setup.needs_setup(Options(provider="ollama"), settings)
    settings.setup_choice = "auto"
    assert not setup.needs_setup(Options(), settings)


def test_remember_saves_the_choice(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.json")
    settings.model = "old"
    setup.remember(
        settings, "server", "ollama", model="llama3.2", base_url="http://127.0.0.1:11434"
    )
    settings.save()
    again = Settings.load(settings.path)
    assert (again.provider, again.model, again.base_url, again.setup_choice) == (
        "ollama",
        "llama3.2",
        "http://127.0.0.1:11434",
        "server",
    )
    assert not setup.needs_setup(Options(), again)


def test_the_recommended_model_comes_first_and_the_others_are_marked() -> None:
    machine = library.Machine(total_ram=8 * GB, available_ram=3 * GB, cores=4)
    offers = setup.catalogue_offers((BIG, SMALL, TINY), machine)
    assert [o.entry for o in offers] == [SMALL, BIG, TINY]
    marks = [(o.recommended, o.fits) for o in offers]
    assert marks == [(True, True), (False, False), (False, True)]
    assert setup.describe_offer(offers[0], machine).endswith("recommended for this computer")
    assert setup.describe_offer(offers[1], machine) == (
        "6.00 GB download · needs 6.17 GB of RAM · will not fit: 3.00 GB free now"
    )
    assert "will not fit" not in setup.describe_offer(offers[2], machine)


def test_the_real_catalogue_follows_the_librarys_recommendation() -> None:
    machine = library.Machine(total_ram=16 * GB, available_ram=8 * GB, cores=2)
    offers = setup.catalogue_offers(machine=machine)
    assert offers[0].entry == library.recommend(machine)
    assert offers[0].recommended
    assert sorted(o.entry.spec for o in offers) == sorted(e.spec for e in library.CATALOGUE)


def test_nothing_fits() -> None:
    machine = library.Machine(total_ram=GB, available_ram=GB // 100, cores=1)
    offers = setup.catalogue_offers((SMALL, TINY), machine)
    assert not any(o.recommended or o.fits for o in offers)


def test_a_model_on_disk_is_described_by_its_header(tmp_path: Path) -> None:
    path = tmp_path / "qwen.gguf"
    path.write_bytes(make_gguf(name="Qwen2.5 0.5B Instruct", file_type=15, size=20_000))
    model = library.local_models(
        locations=library.Locations(tmp_path / "data", tmp_path / "hf", gpt4all=(tmp_path,))
    )[0]
    assert setup.describe_local_model(model) == (
        "Qwen2.5 0.5B Instruct · 20.0 kB · Q4_K_M · from GPT4All"
    )


def test_the_engine_is_found_without_importing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def find_spec(name: str) -> None:
        asked.append(name)

    monkeypatch.setattr(setup, "find_spec", find_spec)
    assert not setup.engine_available()
    assert asked == ["llama_cpp"]
    assert "llama-cpp-python" in setup.ENGINE_MISSING
    assert "pip install 'deskchat[local]'" in setup.ENGINE_MISSING


def test_hosted_providers_are_the_ones_taking_a_key() -> None:
    hosted = [i.id for i in setup.hosted_providers()]
    assert hosted == [i.id for i in provider.PROVIDERS.values() if i.capabilities.needs_api_key]
    assert "openai" in hosted
    assert "chatgptfree" not in hosted
