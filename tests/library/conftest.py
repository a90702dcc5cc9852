"""Fixtures for the model library: a fake Hub on 127.0.0.1 and app folders in tmp dirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskchat.library import Hub, Locations
from tests.fakes.hf_hub import FakeHub, FakeRepo, make_gguf
from tests.fakes.scripted import serving

MB = 1_000_000


@pytest.fixture(autouse=True)
def _isolated_apps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No real token, cache, Hub or app folder: HOME and every variable point into tmp."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    for name in (
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "HF_ENDPOINT",
        "HF_HUB_CACHE",
        "HUGGINGFACE_HUB_CACHE",
        "HF_HUB_OFFLINE",
        "HF_OIDC_RESOURCE",
        "OLLAMA_MODELS",
        "XDG_CACHE_HOME",
        "XDG_DATA_HOME",
        "XDG_CONFIG_HOME",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HOME", str(home / ".cache" / "huggingface"))
    from huggingface_hub import constants

    # Read once at import: point the saved-token file (`hf auth login`) into tmp too.
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(home / "hf-token"))


@pytest.fixture
def locations(tmp_path: Path) -> Locations:
    """DeskChat's data folder and every app's folder, empty, under tmp."""
    home = tmp_path / "home"
    return Locations(
        data_dir=tmp_path / "data",
        hf_cache=home / ".cache" / "huggingface" / "hub",
        lmstudio=(home / ".lmstudio" / "models",),
        gpt4all=(home / ".local" / "share" / "nomic.ai" / "GPT4All",),
        ollama=(home / ".ollama" / "models",),
    )


def quant_file(quant: int, size: int, seed: int = 0) -> bytes:
    """A model file whose header names the llama.cpp file type ``quant``."""
    return make_gguf(file_type=quant, size=size, seed=seed)


@pytest.fixture
def fake_hub() -> FakeHub:
    """One repository with several quantisations, split parts and a projector."""
    return FakeHub(
        {
            "fake/Tiny-GGUF": FakeRepo(
                {
                    "README.md": b"# Tiny\n",
                    "Tiny-Q2_K.gguf": quant_file(10, MB // 2, seed=1),
                    "Tiny-Q4_K_M.gguf": quant_file(15, MB, seed=2),
                    "Tiny-Q8_0.gguf": quant_file(7, 2 * MB, seed=3),
                    "mmproj-Tiny-f16.gguf": quant_file(1, MB // 4, seed=4),
                }
            ),
        }
    )


@pytest.fixture
async def hub_url(fake_hub: FakeHub):
    async with serving(fake_hub.app) as url:
        yield url


@pytest.fixture
def hub(hub_url: str) -> Hub:
    return Hub(endpoint=hub_url)
