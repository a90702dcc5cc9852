"""Windows that set themselves up after the first paint, against fakes on loopback and tmp dirs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from deskchat import library
from deskchat.chat.connection import Connection
from deskchat.chat.options import Options
from deskchat.gui.main_window import MainWindow
from deskchat.provider.discovery import Probe
from deskchat.provider.ollama import parse_tags
from deskchat.store import Settings
from tests.fakes.hf_hub import FakeHub, FakeRepo, make_gguf
from tests.fakes.scripted import serving
from tests.gui.conftest import until

GB = 1_000_000_000
MB = 1_000_000

MACHINE = library.Machine(total_ram=16 * GB, available_ram=8 * GB, cores=8)
"""A computer every small model fits, whatever the test machine has free."""

TINY = library.CatalogueEntry(
    "Tiny Chat", "fake/Tiny-GGUF", "Tiny-Q4_K_M.gguf", "Q4_K_M", MB, 0.01, 1, 1, 16, "MIT",
    "http://127.0.0.1/fake",
)  # fmt: skip
HUGE = library.CatalogueEntry(
    "Huge Chat", "fake/Huge-GGUF", "Huge-Q4_K_M.gguf", "Q4_K_M", 100 * GB, 200.0, 80, 8, 128,
    "MIT", "http://127.0.0.1/fake",
)  # fmt: skip
CATALOGUE = (HUGE, TINY)

NOBODY = [Probe("ollama", "Ollama", 9, "/api/tags", "", parse_tags)]
"""Port 9 (discard) on loopback: nothing listens there in a test run."""


def ollama_probe(url: str) -> list[Probe]:
    """Probes that find the fake Ollama served at ``url``."""
    return [Probe("ollama", "Ollama", int(url.rsplit(":", 1)[1]), "/api/tags", "", parse_tags)]


def tmp_locations(tmp_path: Path) -> library.Locations:
    """DeskChat's data folder in tmp, and no other app's folder."""
    return library.Locations(tmp_path / "data", tmp_path / "hf-cache")


def put_model(locations: library.Locations, *, real: bool = False) -> Path:
    """A downloaded model in DeskChat's folder: a real tiny llama (``real``) or just a header."""
    folder = locations.models_dir / "fake" / "Tiny-GGUF"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "Tiny-Q4_K_M.gguf"
    if real:
        from tests.fakes.tiny_gguf import write_tiny_model

        write_tiny_model(path, name="Tiny Chat")
    else:
        path.write_bytes(make_gguf(name="Tiny Chat", size=20_000))
    return path


@asynccontextmanager
async def setup_window(
    qtbot,
    tmp_path: Path,
    *,
    probes: Sequence[Probe] = NOBODY,
    locations: library.Locations | None = None,
    settings: Settings | None = None,
    options: Options | None = None,
    catalogue: Sequence[library.CatalogueEntry] = CATALOGUE,
) -> AsyncIterator[MainWindow]:
    """A window made as the app makes it (no provider; a connection after the first paint),
    shown, started and set up; stopped on exit (engines, downloads, the session)."""
    where = locations or tmp_locations(tmp_path)
    settings = settings if settings is not None else Settings(tmp_path / "settings.json")
    chosen = options or Options(data_dir=str(where.data_dir))
    made: list[Connection] = []

    def connect() -> Connection:
        connection = Connection(
            chosen,
            settings,
            locations=where,
            probes=probes,
            machine=MACHINE,
            catalogue=catalogue,
        )
        made.append(connection)
        return connection

    window = MainWindow(None, settings=settings, connect=connect)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    window.start()
    await until(lambda: window.setup is not None and window.setup.survey is not None, what="setup")
    try:
        yield window
    finally:
        await window.session.aclose()
        window.close()
        await window.shutdown()


def choice_titles(window: MainWindow) -> list[str]:
    """The setup panel's choices, in order."""
    assert window.setup is not None
    assert window.setup.panel is not None
    return [b.text() for b in window.setup.panel.choices]


def choice(window: MainWindow, title: str):
    """The setup panel's button whose title is ``title``."""
    assert window.setup is not None
    assert window.setup.panel is not None
    [button] = [b for b in window.setup.panel.choices if b.text() == title]
    return button


@asynccontextmanager
async def fake_hub(
    monkeypatch, tmp_path: Path, *, slow: float = 0.0, size: int = MB
) -> AsyncIterator[FakeHub]:
    """The fake Hugging Face Hub on loopback, reached through HF_ENDPOINT as a user would,
    with ``fake/Tiny-GGUF`` (the :data:`TINY` entry's file) in it."""
    hub = FakeHub(
        {"fake/Tiny-GGUF": FakeRepo({"Tiny-Q4_K_M.gguf": make_gguf(name="Tiny Chat", size=size)})}
    )
    hub.repos["fake/Tiny-GGUF"].slow = slow
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    from huggingface_hub import constants

    # Read once at import: no saved `hf auth login` token from the real home.
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "hf-token"))
    async with serving(hub.app) as url:
        monkeypatch.setenv("HF_ENDPOINT", url)
        yield hub
