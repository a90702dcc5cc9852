"""Settings every test shares: no display, no real keyring, no user data touched."""

from __future__ import annotations

import os

# Before anything imports Qt: no display on CI, and qasync must pick PySide6.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
# Headless machines have no keyring backend; tests use an in-memory one or none.
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
# The tests read English: the language is pinned over the setting and the locale
# (child processes inherit it). Russian tests switch with the `russian` fixture.
os.environ["DESKCHAT_LANGUAGE"] = "en"

import aiohttp  # noqa: E402
import pytest  # noqa: E402

from tests.fakes.scripted import serving  # noqa: E402
from tests.fakes.wordpress import FakeWordPress  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch):
    """Never read or write the real user's data or settings."""
    monkeypatch.setenv("DESKCHAT_DATA_DIR", str(tmp_path / "data"))
    # Nor find the real user's models (other apps' folders are scanned for GGUF files).
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "ollama-models"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setattr("deskchat.library.paths._home", lambda: tmp_path / "home")
    for name in ("DESKCHAT_BASE_URL", "DESKCHAT_PROXY", "DESKCHAT_MODEL", "DESKCHAT_PROVIDER"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def russian():
    """Strings in Russian for the test, English again after it."""
    from deskchat import i18n

    i18n.use("ru")
    yield
    i18n.use("en")


@pytest.fixture
def fake_site() -> FakeWordPress:
    return FakeWordPress()


@pytest.fixture
async def wordpress(fake_site: FakeWordPress):
    """The fake site served on 127.0.0.1; yields its base URL."""
    async with serving(fake_site.app) as url:
        yield url


@pytest.fixture
async def session():
    """An aiohttp session to inject into providers, closed after the test."""
    async with aiohttp.ClientSession() as shared:
        yield shared
