"""Test the PyInstaller build users download: it answers, streams, and opens the window.

Builds dist/DeskChat with build.spec into a temporary folder (about a minute),
or uses the build that ``DESKCHAT_FROZEN_DIR`` points to (the folder holding the
``DeskChat`` executable), e.g. ``DESKCHAT_FROZEN_DIR=dist/DeskChat``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.attach.files import png, text_pdf, write
from tests.fakes.openai_server import FakeOpenAI, chunk, sse, stream_reply
from tests.fakes.scripted import serving
from tests.fakes.wordpress import FakeWordPress, stream
from tests.tools.conftest import fake_server

pytest.importorskip("PyInstaller", reason="PyInstaller is not installed (pip install pyinstaller)")

REPO = Path(__file__).resolve().parents[1]
EXE_NAME = "DeskChat.exe" if sys.platform == "win32" else "DeskChat"
# The build alone can take minutes on a cold CI machine; pytest's 120 s is per test.
pytestmark = [pytest.mark.frozen, pytest.mark.slow, pytest.mark.timeout(900)]


def _project_version() -> str:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return str(project["project"]["version"])


@pytest.fixture(scope="module")
def frozen_exe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The DeskChat executable: a prebuilt one, or built now from build.spec."""
    prebuilt = os.environ.get("DESKCHAT_FROZEN_DIR")
    if prebuilt:
        exe = Path(prebuilt).resolve() / EXE_NAME
        assert exe.is_file(), f"DESKCHAT_FROZEN_DIR has no {EXE_NAME}: {exe}"
        return exe
    out = tmp_path_factory.mktemp("frozen")
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level=WARN",
            "--distpath",
            str(out / "dist"),
            "--workpath",
            str(out / "build"),
            "build.spec",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )
    assert build.returncode == 0, build.stderr[-4000:]
    return out / "dist" / "DeskChat" / EXE_NAME


def _env(**extra: str) -> dict[str, str]:
    """The test's environment without anything that could reach the source tree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    # Keep the in-memory keyring setting (headless machines have no backend).
    env["PYTHON_KEYRING_BACKEND"] = os.environ.get(
        "PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring"
    )
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.update(extra)
    return env


async def _run(exe: Path, *args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """Run the executable without blocking the loop the fake server runs on."""
    process = await asyncio.create_subprocess_exec(
        str(exe),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=cwd,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def test_version_reports_the_release(frozen_exe: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(frozen_exe), "--version"],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # Not "+source": the build carries deskchat's metadata.
    assert result.stdout.strip() == f"DeskChat {_project_version()}"


def test_bundle_keeps_resources_where_resources_path_looks(frozen_exe: Path) -> None:
    # resources.path() looks under sys._MEIPASS/"resources"; onedir's _MEIPASS is _internal.
    internal = frozen_exe.parent / "_internal"
    assert (internal / "resources" / "icons" / "deskchat.svg").read_text().startswith("<svg")
    assert (internal / "resources" / "icons" / "deskchat-256.png").is_file()
    assert (internal / "resources" / "deskchat.desktop").is_file()
    # What build.spec promises to leave out.
    qt = internal / "PySide6" / "Qt"
    # Of Qt's translations only its own words in the languages DeskChat speaks.
    assert sorted(p.name for p in (qt / "translations").iterdir()) == ["qtbase_ru.qm"]
    assert not list(qt.glob("lib/libQt6Qml*")), "Qt Quick/QML should not be bundled"
    assert not list(qt.glob("plugins/platformthemes/libqgtk3*"))


def test_search_stems_russian_in_the_bundle(frozen_exe: Path, tmp_path: Path) -> None:
    # PyStemmer's C extension is imported only when search runs: the bundle must have it.
    def search(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(frozen_exe), "search", "--data-dir", str(tmp_path / "data"), *args],
            capture_output=True,
            text=True,
            env=_env(),
            cwd=tmp_path,
            timeout=60,
            check=False,
        )

    assert search("репликацию").returncode == 1  # creates the history, finds nothing
    db = tmp_path / "data" / "deskchat.sqlite3"
    with sqlite3.connect(db) as raw:
        raw.execute("INSERT INTO conversations (title, created_at, updated_at) VALUES ('x', 1, 1)")
        raw.execute(
            "INSERT INTO messages (conversation_id, role, content, created_at)"
            " VALUES (1, 'user', 'Репликация настроена', 1)"
        )
    found = search("--format", "tsv", "репликацию")
    assert found.returncode == 0, found.stderr
    assert found.stdout.split("\t")[4].strip() == "Репликация настроена"


async def _ask_the_site(exe: Path, site: str, cwd: Path) -> tuple[int, str, str]:
    """``DeskChat ask hi`` to the fake chatgptfree site (the default provider is auto)."""
    args = ("ask", "--provider", "chatgptfree", "--base-url", site, "hi")
    return await _run(exe, *args, env=_env(), cwd=cwd)


async def test_ask_streams_the_reply(
    frozen_exe: Path, wordpress: str, fake_site: FakeWordPress, tmp_path: Path
) -> None:
    fake_site.reply = stream(["Frozen ", "and ", "streaming ", "fine."], seed=7)
    code, out, err = await _ask_the_site(frozen_exe, wordpress, tmp_path)
    assert (code, out) == (0, "Frozen and streaming fine.\n"), err
    assert "Traceback" not in err
    assert fake_site.posts, "the frozen app never reached the server"


async def test_ask_reports_a_server_error_in_one_sentence(
    frozen_exe: Path, wordpress: str, fake_site: FakeWordPress, tmp_path: Path
) -> None:
    fake_site.page_status = 503
    code, out, err = await _ask_the_site(frozen_exe, wordpress, tmp_path)
    assert code == 1
    assert out == ""
    assert err.startswith("deskchat: ")
    assert "Traceback" not in err


async def test_window_opens_streams_and_quits_cleanly(
    frozen_exe: Path, wordpress: str, fake_site: FakeWordPress, tmp_path: Path
) -> None:
    if not (REPO / "gui" / "app.py").is_file():
        pytest.skip("gui/app.py has not landed yet, so the build has no window")
    code, _out, err = await _run(
        frozen_exe,
        "--provider",
        "chatgptfree",
        "--base-url",
        wordpress,  # The window may list models at start: keep it off the internet.
        # gui/app.py's smoke hooks: send one message at start, close after 1.5 s.
        env=_env(DESKCHAT_QUIT_AFTER_MS="1500", DESKCHAT_SMOKE_MESSAGE="hi from the window"),
        cwd=tmp_path,
    )
    assert code == 0, err
    # The frozen window's qasync loop and aiohttp session really streamed a reply.
    assert any("hi from the window" in str(post["form"]) for post in fake_site.posts), (
        fake_site.posts
    )
    assert "Traceback" not in err
    # gui logs a warning when resources.path() cannot find the icon.
    assert "is missing" not in err
    assert "Could not find the Qt platform plugin" not in err


async def test_the_built_in_engine_streams_a_reply_from_a_tiny_model(
    frozen_exe: Path, tmp_path: Path
) -> None:
    """llama.cpp's libraries are bundled and the engine's child is the executable itself."""
    if not (frozen_exe.parent / "_internal" / "llama_cpp").is_dir():
        pytest.skip("llama-cpp-python was not installed when this build was made")
    pytest.importorskip("gguf", reason="pip install gguf to write the test model")
    from tests.fakes.tiny_gguf import write_tiny_model

    model = write_tiny_model(tmp_path / "tiny.gguf")
    code, out, err = await _run(
        frozen_exe,
        "ask",
        "--no-save",
        "--provider",
        "local",
        "--model",
        str(model),
        "hello",
        env=_env(),
        cwd=tmp_path,
    )
    assert code == 0, err
    assert out.strip(), "the tiny model wrote nothing"
    assert "Traceback" not in err


def test_the_bundle_reads_a_long_replys_search_terms_in_its_child(
    frozen_exe: Path, tmp_path: Path
) -> None:
    # A long reply's terms are found by the bundle's own executable as a child
    # (DeskChat --terms-worker, deskchat.store.terms): it must stem, not open a window.
    result = subprocess.run(
        [str(frozen_exe), "--terms-worker"],
        input="Репликация ошибок, **errors** ёлки".encode(),
        capture_output=True,
        env=_env(),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == "репликация ошибок errors елки\0репликац ошибок error елк".encode()


async def test_ask_attaches_an_image_and_a_pdf_in_the_bundle(
    frozen_exe: Path, tmp_path: Path
) -> None:
    # Pillow scales the image in the window's process; the PDF is read by the bundle's
    # own executable as its child (DeskChat --pdf-worker): both must be in the bundle.
    fake = FakeOpenAI()
    fake.reply_with(stream_reply(sse([chunk("Seen.")])))
    write(tmp_path, "shot.png", png(40, 30))
    write(tmp_path, "paper.pdf", text_pdf("Frozen words"))
    async with serving(fake.app, "/v1") as base:
        args = ("ask", "--provider", "openai-compatible", "--base-url", base, "--model", "m")
        files = ("-a", "shot.png", "-a", "paper.pdf")
        code, out, err = await _run(
            frozen_exe, *args, *files, "What", "are these?", env=_env(), cwd=tmp_path
        )
    assert (code, out) == (0, "Seen.\n"), err
    # Before the chat, the bundle asks the server's listing whether "m" reads images.
    (request,) = [r for r in fake.requests if r["path"] == "/v1/chat/completions"]
    (user,) = [m for m in request["json"]["messages"] if m["role"] == "user"]
    text, image = user["content"]
    assert "```paper.pdf\n[Page 1]\nFrozen words\n```" in text["text"]
    assert image["image_url"]["url"].startswith("data:image/")


async def test_the_bundle_starts_an_mcp_server_and_lists_its_tools(
    frozen_exe: Path, tmp_path: Path
) -> None:
    # The MCP client (the mcp SDK and its transports) must be in the bundle; the
    # server is this test's Python running tests/fakes/mcp_server.py.
    data = tmp_path / "data"
    data.mkdir()
    server = fake_server("fake").as_json()
    (data / "mcp.json").write_text(json.dumps({"mcpServers": {"fake": server}}))
    code, out, err = await _run(
        frozen_exe, "tools", "--data-dir", str(data), "--start", env=_env(), cwd=tmp_path
    )
    assert code == 0, err
    assert out.startswith("fake\trunning\t"), out + err
    assert "\tadd\tAdd two integers.\n" in out
