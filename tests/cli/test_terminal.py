"""Terminal injection (#12, point 2): on a terminal, control sequences are shown, not obeyed.

A model's reply, a server's error text or an imported title may hold escape
sequences: OSC 52 writes the user's clipboard, OSC 8 makes a link whose text
lies about its target, CSI 2J clears the screen, OSC 0 sets the window title,
DCS talks to the terminal itself, and C1 controls (U+009B is CSI) do the same
in one character. On a terminal every control character except newline and
tab is shown in caret notation, as ``cat -v`` does (``^[`` for ESC), C1 and
bidirectional overrides as ``<U+009B>``, as ``less`` does. Piped output keeps
the text as it is, unless ``--safe`` says otherwise; ``--raw`` keeps it on a
terminal too.

The subprocess tests run ``deskchat`` with stdout (or stderr) on a
pseudo-terminal, so ``isatty()`` is true as in a real terminal.
"""

from __future__ import annotations

import asyncio
import os
import pty
import sys
import tty
from pathlib import Path

import pytest

from deskchat import store
from deskchat.cli import terminal
from deskchat.library import LibraryError
from tests.child import REPO, ask_args, child_env
from tests.fakes.openai_server import FakeOpenAI, chunk, json_reply, sse, stream_reply
from tests.fakes.scripted import serving

HOSTILE = [
    "OSC 52: \x1b]52;c;cm0gLXJmIH4=\x07|",
    "OSC 8: \x1b]8;;http://evil.example/\x1b\\https://bank.example\x1b]8;;\x1b\\|",
    "clear: \x1b[2J\x1b[H|",
    "title: \x1b]0;owned\x07|",
    'DCS: \x1bP$q"p\x1b\\|',
    "C1 CSI: \x9b31m|",
    "bidi: \u202eevil\u202c|",
    "CR: fake\rreal|",
    "keep: tab\tand newline\n",
]
SHOWN = [
    "OSC 52: ^[]52;c;cm0gLXJmIH4=^G|",
    "OSC 8: ^[]8;;http://evil.example/^[\\https://bank.example^[]8;;^[\\|",
    "clear: ^[[2J^[[H|",
    "title: ^[]0;owned^G|",
    'DCS: ^[P$q"p^[\\|',
    "C1 CSI: <U+009B>31m|",
    "bidi: <U+202E>evil<U+202C>|",
    "CR: fake^Mreal|",
    "keep: tab\tand newline\n",
]


# -- the neutraliser itself ---------------------------------------------------------------


def test_every_control_but_newline_and_tab_is_shown() -> None:
    assert terminal.neutralize("".join(HOSTILE)) == "".join(SHOWN)


def test_all_c0_c1_and_del_are_visible() -> None:
    shown = terminal.neutralize("".join(chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]))
    controls = [c for c in shown if c not in "\n\t" and (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0)]
    assert controls == []
    assert shown.startswith("^@^A^B")
    assert "^?" in shown
    assert "<U+0080>" in shown
    assert "<U+009F>" in shown


def test_ordinary_text_is_unchanged() -> None:
    text = "Привет, мир 🌍 — العربية עברית\u2028tab\tline\nend"
    assert terminal.neutralize(text) == text


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7])
def test_split_into_pieces_it_reads_the_same(size: int) -> None:
    text = "".join(HOSTILE) + "crlf\r\nend\r"
    stream = terminal.Neutralizer()
    pieces = [stream.feed(text[i : i + size]) for i in range(0, len(text), size)]
    pieces.append(stream.finish())
    assert "".join(pieces) == "".join(SHOWN) + "crlf\r\nend^M"


def test_crlf_is_a_line_end_even_split() -> None:
    stream = terminal.Neutralizer()
    assert stream.feed("one\r") == "one"
    assert stream.feed("\ntwo") == "\r\ntwo"
    assert stream.finish() == ""


def test_a_subcommands_error_is_one_line_shown_not_obeyed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """pull, rm, add, export and import report through the same door as main."""

    @terminal.reports_errors
    def command(name: str) -> int:
        raise LibraryError(f"There is no file at {name}.")

    monkeypatch.setenv("DESKCHAT_OUTPUT", "safe")
    assert command("\x1b]52;c;aGk=\x07x.gguf") == 1
    assert capsys.readouterr().err == "deskchat: There is no file at ^[]52;c;aGk=^Gx.gguf.\n"


# -- deskchat on a pseudo-terminal ----------------------------------------------------------


async def _run(
    args: list[str], env: dict[str, str], *, tty_out: bool = True, tty_err: bool = False
) -> tuple[int, bytes, bytes]:
    """Run ``deskchat ARGS`` with stdout (and/or stderr) on a pty; (exit code, out, err)."""
    masters: dict[str, int] = {}
    slaves: dict[str, int] = {}
    for name, wanted in (("out", tty_out), ("err", tty_err)):
        if wanted:
            master, slave = pty.openpty()
            tty.setraw(slave)  # No "\n" -> "\r\n": the bytes as deskchat wrote them.
            masters[name], slaves[name] = master, slave
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "deskchat",
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=slaves.get("out", asyncio.subprocess.PIPE),
        stderr=slaves.get("err", asyncio.subprocess.PIPE),
        env=env,
        cwd=REPO,
    )
    for fd in slaves.values():
        os.close(fd)
    piped_out, piped_err = await asyncio.wait_for(proc.communicate(), 60)
    got = {name: _drain(fd) for name, fd in masters.items()}
    return (
        proc.returncode if proc.returncode is not None else -1,
        got.get("out", piped_out or b""),
        got.get("err", piped_err or b""),
    )


def _drain(master: int) -> bytes:
    data = bytearray()
    try:
        while chunk := os.read(master, 65536):
            data += chunk
    except OSError:
        pass  # EIO: the other side is closed and everything was read.
    finally:
        os.close(master)
    return bytes(data)


def _no_controls(data: bytes) -> None:
    text = data.decode("utf-8")
    bad = [c for c in text if c not in "\n\t" and (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0)]
    assert bad == [], text
    assert "\u202e" not in text


@pytest.fixture
async def hostile_server():
    fake = FakeOpenAI()
    fake.reply_with(stream_reply(sse([chunk(p) for p in HOSTILE] + [chunk(finish="stop")])))
    async with serving(fake.app, "/v1") as base:
        yield fake, base


def _ask(base: str, *flags: str) -> list[str]:
    return ask_args(base, "--no-save", *flags)


async def test_ask_on_a_terminal_shows_the_sequences(hostile_server, tmp_path: Path) -> None:
    _fake, base = hostile_server
    code, out, err = await _run(_ask(base), child_env(tmp_path / "data"))
    assert code == 0, err
    _no_controls(out)
    assert out.decode() == "".join(SHOWN)


async def test_ask_piped_keeps_the_text_as_it_is(hostile_server, tmp_path: Path) -> None:
    _fake, base = hostile_server
    code, out, err = await _run(_ask(base), child_env(tmp_path / "data"), tty_out=False)
    assert code == 0, err
    assert out.decode() == "".join(HOSTILE)


async def test_raw_keeps_the_sequences_on_a_terminal(hostile_server, tmp_path: Path) -> None:
    _fake, base = hostile_server
    code, out, _err = await _run(_ask(base, "--raw"), child_env(tmp_path / "data"))
    assert code == 0
    assert out.decode() == "".join(HOSTILE)


async def test_safe_neutralises_piped_output(hostile_server, tmp_path: Path) -> None:
    _fake, base = hostile_server
    code, out, _err = await _run(_ask(base, "--safe"), child_env(tmp_path / "data"), tty_out=False)
    assert code == 0
    assert out.decode() == "".join(SHOWN)


async def test_the_environment_can_ask_for_safe_output(hostile_server, tmp_path: Path) -> None:
    _fake, base = hostile_server
    env = child_env(tmp_path / "data", DESKCHAT_OUTPUT="safe")
    code, out, _err = await _run(_ask(base), env, tty_out=False)
    assert code == 0
    assert out.decode() == "".join(SHOWN)


async def test_a_servers_error_text_on_a_terminal_is_shown(tmp_path: Path) -> None:
    fake = FakeOpenAI()
    fake.reply_with(json_reply({"error": {"message": "no \x1b]0;owned\x07 way"}}, status=400))
    async with serving(fake.app, "/v1") as base:
        code, out, err = await _run(_ask(base), child_env(tmp_path / "data"), tty_err=True)
    assert code == 1
    assert out == b""
    _no_controls(err)
    assert "no ^[]0;owned^G way" in err.decode()


@pytest.fixture
def hostile_history(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    with store.Store(store.database_path(data)) as db:
        conv = db.create_conversation("Nice \x1b]52;c;cm0gLXJmIH4=\x07title\x9b2J")
        db.add_message(conv.id, "user", "question \x1b[2J")
        db.add_message(conv.id, "assistant", "answer \x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\")
    return data


async def test_export_list_on_a_terminal_shows_the_sequences(
    hostile_history: Path, tmp_path: Path
) -> None:
    code, out, err = await _run(["export", "--list"], child_env(hostile_history))
    assert code == 0, err
    _no_controls(out)
    assert out.decode().rstrip("\n").endswith("\tNice ^[]52;c;cm0gLXJmIH4=^Gtitle<U+009B>2J")


@pytest.mark.parametrize("fmt", ["markdown", "json"])
async def test_export_on_a_terminal_shows_the_sequences(hostile_history: Path, fmt: str) -> None:
    code, out, err = await _run(["export", "--format", fmt], child_env(hostile_history))
    assert code == 0, err
    _no_controls(out)
    text = out.decode()
    if fmt == "markdown":
        assert "question ^[[2J" in text
        assert "answer ^[]8;;http://evil/^[\\link^[]8;;^[\\" in text


async def test_export_piped_keeps_the_text_as_it_is(hostile_history: Path) -> None:
    code, out, err = await _run(["export"], child_env(hostile_history), tty_out=False)
    assert code == 0, err
    assert "question \x1b[2J" in out.decode()


async def test_export_to_a_file_is_never_changed(hostile_history: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.md"
    code, _out, err = await _run(["export", "-o", str(target)], child_env(hostile_history))
    assert code == 0, err
    assert "question \x1b[2J" in target.read_text(encoding="utf-8")


def test_help_documents_the_output_flags(capsys: pytest.CaptureFixture[str]) -> None:
    from deskchat.cli.main import main

    for command in ("ask", "export"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert "--raw" in text
        assert "--safe" in text
        assert "DESKCHAT_OUTPUT" in text


async def test_a_terminal_that_cannot_show_a_character_gets_a_question_mark(
    tmp_path: Path,
) -> None:
    fake = FakeOpenAI()
    fake.reply_with(stream_reply(sse([chunk("caf\u00e9 "), chunk("\U0001f600 ok")])))
    env = child_env(tmp_path / "data", PYTHONIOENCODING="ascii")
    async with serving(fake.app, "/v1") as base:
        code, out, err = await _run(_ask(base), env, tty_out=False)
    assert b"Traceback" not in err, err
    assert code == 0, err
    assert out == b"caf? ? ok\n"


async def test_models_on_a_terminal_shows_the_sequences(tmp_path: Path) -> None:
    """Model names come from the server too."""
    fake = FakeOpenAI()
    fake.listing = json_reply({"data": [{"id": "tiny\x1b]0;owned\x07.gguf"}, {"id": "plain"}]})
    async with serving(fake.app, "/v1") as base:
        args = ["models", "--provider", "openai-compatible", "--base-url", base, "--no-discover"]
        code, out, err = await _run(args, child_env(tmp_path / "data"))
    assert code == 0, err
    _no_controls(out)
    assert out.decode().splitlines() == [
        "openai-compatible\ttiny^[]0;owned^G.gguf",
        "openai-compatible\tplain",
    ]
