"""Save screenshots of the first-run setup panel and of a download in the Models dialog.

Run from the repository:
``QT_QPA_PLATFORM=offscreen python -m tests.gui.make_setup_screenshots``.
Writes docs/screenshot-setup.png and docs/screenshot-download.png. Nothing leaves
the machine: a fake Ollama and a fake Hugging Face Hub (tests/fakes/) answer on
127.0.0.1, the model on disk is a sparse file with a real GGUF header in a fake
LM Studio folder, and the computer is fixed (16 GB, 3 GB free, 4 cores) so the
catalogue's marks are the same on every machine. The Hub's file is 24 MB (the
catalogue lists the real one's size).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

from deskchat import library  # noqa: E402
from deskchat.chat.connection import Connection  # noqa: E402
from deskchat.chat.options import Options  # noqa: E402
from deskchat.gui.main_window import MainWindow  # noqa: E402
from deskchat.store import Settings  # noqa: E402
from tests.fakes.hf_hub import FakeHub, FakeRepo, make_gguf  # noqa: E402
from tests.fakes.ollama_server import FakeOllama  # noqa: E402
from tests.fakes.scripted import serving  # noqa: E402
from tests.gui.conftest import until  # noqa: E402
from tests.gui.make_screenshot import LANGUAGE, SUFFIX, application, run  # noqa: E402
from tests.gui.setup_helpers import GB, MB, ollama_probe  # noqa: E402

log = logging.getLogger("deskchat.screenshot")
DOCS = Path(__file__).resolve().parents[2] / "docs"
MACHINE = library.Machine(total_ram=16 * GB, available_ram=3 * GB, cores=4)
DOWNLOADED = next(e for e in library.CATALOGUE if e.title == "Qwen2.5 1.5B Instruct")


def lmstudio_model(root: Path) -> None:
    """Qwen2.5 0.5B in LM Studio's layout: a real header, then a hole up to the real size."""
    folder = root / "bartowski" / "Qwen2.5-0.5B-Instruct-GGUF"
    folder.mkdir(parents=True)
    path = folder / "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf"
    path.write_bytes(make_gguf(name="Qwen2.5 0.5B Instruct", file_type=15))
    with path.open("r+b") as file:
        file.truncate(397_807_936)


def fake_hub() -> FakeHub:
    data = make_gguf(name=DOWNLOADED.title, file_type=15, size=24 * MB)
    hub = FakeHub({DOWNLOADED.repo: FakeRepo({DOWNLOADED.filename: data})})
    hub.repos[DOWNLOADED.repo].slow = 0.01
    return hub


async def shoot(folder: Path) -> None:
    where = library.Locations(
        folder / "data", folder / "hf-cache", lmstudio=(folder / "lmstudio" / "models",)
    )
    lmstudio_model(where.lmstudio[0])
    settings = Settings(folder / "settings.json")
    async with serving(FakeOllama().app) as ollama, serving(fake_hub().app) as hub:
        os.environ["HF_ENDPOINT"] = hub

        def connect() -> Connection:
            return Connection(
                Options(data_dir=str(where.data_dir)),
                settings,
                locations=where,
                probes=ollama_probe(ollama),
                machine=MACHINE,
            )

        window = MainWindow(None, settings=settings, connect=connect)
        window.resize(1100, 980)
        window.show()
        window.start()
        await until(lambda: window.setup is not None and window.setup.panel is not None)
        await asyncio.sleep(0.2)
        save(window.grab(), DOCS / f"screenshot-setup{SUFFIX}.png")

        window.menus.models_action.trigger()
        assert window.setup is not None
        dialog = window.setup.models_dialog
        assert dialog is not None
        dialog.resize(820, 660)
        await until(lambda: dialog.local_list.topLevelItemCount() > 0, what="the models on disk")
        window.setup.downloads.start(DOWNLOADED.spec, DOWNLOADED.title)
        download = window.setup.downloads.get(DOWNLOADED.spec)
        assert download is not None

        def far_enough() -> bool:
            progress = download.progress
            return bool(progress and progress.eta and (progress.fraction or 0) > 0.3)

        await until(far_enough, seconds=60, what="a third of the download")
        await asyncio.sleep(0.1)
        save(dialog.grab(), DOCS / f"screenshot-download{SUFFIX}.png")
        window.setup.downloads.cancel(DOWNLOADED.spec)
        window.close()
        await window.shutdown()


def save(pixmap, out: Path) -> None:  # noqa: ANN001 - a QPixmap
    out.parent.mkdir(exist_ok=True)
    pixmap.save(str(out))
    log.info("saved %s", out)


def main() -> int:
    app = application()
    from deskchat.gui import translation

    translation.install(app, LANGUAGE)
    with tempfile.TemporaryDirectory(prefix="deskchat-shots-") as folder:
        return run(shoot(Path(folder)), app)


if __name__ == "__main__":
    sys.exit(main())
