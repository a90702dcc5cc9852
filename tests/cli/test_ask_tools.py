"""`deskchat ask --tools`: the enabled MCP servers, asked about on the terminal, --yes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from deskchat.chat.conversation import Conversation
from deskchat.chat.options import Options
from deskchat.chat.tool_uses import ToolUse
from deskchat.chat.tools_loop import Decision, ToolRequest
from deskchat.cli.main import ask, main
from deskchat.cli.tools import terminal_approver
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.scripted import serving
from tests.fakes.tool_streams import openai_text_reply, openai_tools_reply
from tests.tools.conftest import fake_server

pytestmark = pytest.mark.slow


def write_config(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    server = fake_server("fake").as_json()
    (folder / "mcp.json").write_text(json.dumps({"mcpServers": {"fake": server}}))


@pytest.fixture
async def openai():
    fake = FakeOpenAI()
    fake.reply_with(
        openai_tools_reply([("c1", "add", {"a": 40, "b": 2})], seed=5),
        openai_text_reply("The sum is 42."),
    )
    async with serving(fake.app, "/v1") as url:
        yield fake, url


def options(url: str, folder: Path) -> Options:
    return Options(provider="openai-compatible", base_url=url, model="m", data_dir=str(folder))


async def test_yes_runs_the_calls_and_shows_them(openai, tmp_path, capsys) -> None:
    fake, url = openai
    write_config(tmp_path / "data")
    out = io.StringIO()
    code = await ask(options(url, tmp_path / "data"), "add", out, tools=True, yes=True, save=False)
    assert code == 0
    assert out.getvalue() == "The sum is 42.\n"
    err = capsys.readouterr().err
    assert "the tool add of the server fake" in err
    assert '"a": 40' in err
    tool = [m for m in fake.requests[-1]["json"]["messages"] if m["role"] == "tool"]
    assert tool[0]["content"] == "42"


async def test_without_a_terminal_or_yes_calls_are_denied(openai, tmp_path, capsys) -> None:
    fake, url = openai
    write_config(tmp_path / "data")
    out = io.StringIO()
    code = await ask(options(url, tmp_path / "data"), "add", out, tools=True, save=False)
    assert code == 0
    err = capsys.readouterr().err
    assert "Denied: there is no terminal to ask" in err
    tool = [m for m in fake.requests[-1]["json"]["messages"] if m["role"] == "tool"]
    assert tool[0]["content"] == "The user denied this tool call."


async def test_without_tools_none_are_offered(openai, tmp_path) -> None:
    fake, url = openai
    write_config(tmp_path / "data")
    fake.reply_with(openai_text_reply("plain"))
    await ask(options(url, tmp_path / "data"), "hi", io.StringIO(), save=False)
    assert "tools" not in fake.requests[-1]["json"]


@pytest.mark.parametrize(
    ("answer", "decision"),
    [("y\n", Decision.ONCE), ("a\n", Decision.ALWAYS), ("\n", Decision.DENY), ("", Decision.DENY)],
)
async def test_the_terminal_prompt(answer: str, decision: Decision) -> None:
    err = io.StringIO()
    approve = terminal_approver(yes=False, interactive=True, ask=lambda _p: answer, err=err)
    use = ToolUse("c", "rm", '{"path": "/\\u001b[2J"}', server="files")
    assert await approve(ToolRequest(use, "", Conversation())) == decision
    shown = err.getvalue()
    assert "the tool rm of the server files" in shown
    # A control sequence in the arguments is shown, not obeyed.
    assert "\x1b" not in shown


def test_tools_lists_servers_and_their_tools(tmp_path, capsys) -> None:
    write_config(tmp_path / "data")
    assert main(["tools", "--data-dir", str(tmp_path / "data"), "--start"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("fake\trunning\t")
    assert "\tadd\tAdd two integers.\n" in out


def test_tools_without_a_config_says_where_to_put_one(tmp_path, capsys) -> None:
    assert main(["tools", "--data-dir", str(tmp_path / "empty")]) == 0
    assert "mcp.json" in capsys.readouterr().err


async def test_ask_tools_uses_the_settings_step_limit_and_timeout(tmp_path) -> None:
    from deskchat.cli.tools import open_tools
    from deskchat.store import Settings, settings_path

    folder = tmp_path / "data"
    write_config(folder)
    settings = Settings.load(settings_path(str(folder)))
    settings.tool_steps, settings.tool_timeout = 3, 5
    settings.save()
    chat_tools, box = await open_tools(str(folder), yes=True)
    try:
        assert (chat_tools.steps, chat_tools.time_limit) == (3, 5.0)
    finally:
        await box.aclose()
