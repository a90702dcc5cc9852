"""The MCP client against a real server written with the SDK, over stdio and HTTP."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import keyring
import pytest

from deskchat.tools import (
    IN_KEYRING,
    McpTools,
    ServerConfig,
    ServerCrashedError,
    ToolTimeoutError,
    UnknownToolError,
)
from tests.fakes.keyrings import MemoryKeyring
from tests.fakes.mcp_server import HOSTILE_DESCRIPTION
from tests.tools.conftest import alive, fake_server, pids, wait_until

pytestmark = pytest.mark.slow


async def test_stdio_server_lists_its_tools_and_runs_one(toolbox_for) -> None:
    box: McpTools = toolbox_for(fake_server())
    names = {t.name for t in await box.tools()}
    assert {"add", "echo", "argv", "slow", "crash"} <= names
    add = box.find("add")
    assert add is not None
    assert add.server == "fake"
    assert add.schema["required"] == ["a", "b"]
    assert add.spec()["function"]["name"] == "add"
    output = await box.call("add", {"a": 2, "b": 40})
    assert output.text == "42"
    assert not output.is_error


async def test_servers_start_only_when_their_tools_are_first_needed(toolbox_for, pidfile) -> None:
    box = toolbox_for(fake_server(FAKE_MCP_PIDFILE=str(pidfile)))
    await asyncio.sleep(0.3)
    assert pids(pidfile) == []
    assert box.status()[0].state == "stopped"
    await box.tools()
    assert len(pids(pidfile)) == 1
    assert box.status()[0].state == "running"


async def test_shell_metacharacters_in_args_reach_the_server_literally(
    toolbox_for, tmp_path
) -> None:
    marker = tmp_path / "injected"
    hostile = ["; touch " + str(marker), "$(touch " + str(marker) + ")", "`id`", "a|b", "&&", "*"]
    box = toolbox_for(fake_server("fake", *hostile))
    await box.tools()
    output = await box.call("argv", {})
    assert output.text.splitlines()[1:] == hostile
    assert not marker.exists()


async def test_env_reaches_the_server_and_a_secret_comes_from_the_keyring(
    toolbox_for, monkeypatch
) -> None:
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend, raising=False)
    backend.set_password("deskchat", "mcp/fake/TOKEN", "s3cret")
    box = toolbox_for(fake_server(PLAIN="visible", TOKEN=IN_KEYRING))
    await box.tools()
    assert (await box.call("env", {"name": "PLAIN"})).text == "visible"
    assert (await box.call("env", {"name": "TOKEN"})).text == "s3cret"


async def test_a_secret_missing_from_the_keyring_is_a_sentence(toolbox_for) -> None:
    box = toolbox_for(fake_server(TOKEN=IN_KEYRING))
    assert await box.tools() == []
    (status,) = box.status()
    assert status.state == "failed"
    assert "TOKEN" in (status.problem or "")
    assert "keyring" in (status.problem or "")


async def test_a_command_that_does_not_exist_fails_with_a_sentence(toolbox_for) -> None:
    box = toolbox_for(ServerConfig("ghost", command="/nonexistent/mcp-server"), fake_server())
    names = {t.name for t in await box.tools()}
    assert "add" in names  # the other server still offers its tools
    ghost = box.status()[0]
    assert ghost.state == "failed"
    assert ghost.problem is not None
    assert "/nonexistent/mcp-server" in ghost.problem


async def test_a_missing_sdk_is_said_to_be_deskchats_not_the_servers(
    toolbox_for, monkeypatch, caplog
) -> None:
    import sys

    # What a bundle without the SDK's dependencies did: "No module named 'pydantic'".
    monkeypatch.setitem(sys.modules, "mcp", None)
    box = toolbox_for(fake_server())
    assert await box.tools() == []
    (fake,) = box.status()
    assert fake.state == "failed"
    assert fake.problem is not None
    assert "reinstall DeskChat" in fake.problem
    assert "handshake" not in fake.problem


async def test_a_disabled_server_is_listed_but_never_started(toolbox_for, pidfile) -> None:
    config = fake_server(FAKE_MCP_PIDFILE=str(pidfile))
    disabled = ServerConfig(**{**config.__dict__, "disabled": True})
    box = toolbox_for(disabled)
    assert await box.tools() == []
    assert pids(pidfile) == []
    (status,) = box.status()
    assert not status.enabled


async def test_no_orphan_process_after_close(toolbox_for, pidfile) -> None:
    box = toolbox_for(fake_server(FAKE_MCP_PIDFILE=str(pidfile)))
    await box.tools()
    (pid,) = pids(pidfile)
    assert alive(pid)
    await box.aclose()
    assert await wait_until(lambda: not alive(pid))
    assert box.status()[0].state == "stopped"


async def test_a_crashed_server_is_reported_and_restarted_on_the_next_call(
    toolbox_for, pidfile
) -> None:
    box = toolbox_for(fake_server(FAKE_MCP_PIDFILE=str(pidfile)))
    await box.tools()
    with pytest.raises(ServerCrashedError) as caught:
        await box.call("crash", {})
    assert "fake" in caught.value.text()
    assert "started again" in caught.value.text()
    assert box.status()[0].state == "crashed"
    assert (await box.call("add", {"a": 1, "b": 1})).text == "2"
    first, second = pids(pidfile)
    assert first != second
    assert not alive(first)
    assert box.status()[0].state == "running"


async def test_a_tool_that_does_not_answer_in_time_gives_a_sentence(toolbox_for) -> None:
    box = toolbox_for(fake_server())
    await box.tools()
    with pytest.raises(ToolTimeoutError) as caught:
        await box.call("slow", {"seconds": 30}, time_limit=0.5)
    assert caught.value.text() == "The tool slow did not answer within 0.5 s."
    # The server is still there for the next call.
    assert (await box.call("echo", {"text": "still here"})).text == "still here"


async def test_cancelling_a_call_leaves_the_server_usable(toolbox_for) -> None:
    box = toolbox_for(fake_server())
    await box.tools()
    task = asyncio.ensure_future(box.call("slow", {"seconds": 30}))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (await box.call("add", {"a": 3, "b": 4})).text == "7"


async def test_a_tool_error_is_output_the_model_reads(toolbox_for) -> None:
    box = toolbox_for(fake_server())
    await box.tools()
    output = await box.call("fail", {})
    assert output.is_error
    assert "fail" in output.text


async def test_an_unknown_tool_is_a_sentence(toolbox_for) -> None:
    box = toolbox_for(fake_server())
    await box.tools()
    with pytest.raises(UnknownToolError):
        await box.call("rm_rf", {})


async def test_huge_output_is_capped(toolbox_for) -> None:
    box = toolbox_for(fake_server("fake", "--hostile"), limit=10_000)
    await box.tools()
    output = await box.call("huge", {"megabytes": 4})
    assert len(output.text) < 10_200
    assert output.cut == 4 * 1024 * 1024 - 10_000
    assert "cut here" in output.text


async def test_a_hostile_description_is_passed_on_as_text(toolbox_for) -> None:
    box = toolbox_for(fake_server("fake", "--hostile"))
    await box.tools()
    read = box.find("read_file")
    assert read is not None
    assert read.description == HOSTILE_DESCRIPTION


async def test_invalid_json_rpc_from_a_server_does_not_break_the_client(toolbox_for) -> None:
    box = toolbox_for(fake_server("fake", "--broken"))
    names = {t.name for t in await box.tools()}
    assert "add" in names
    assert (await box.call("add", {"a": 1, "b": 2})).text == "3"


async def test_a_server_that_speaks_no_mcp_fails_with_a_sentence(toolbox_for, tmp_path) -> None:
    import sys

    box = toolbox_for(ServerConfig("mute", command=sys.executable, args=("-c", "print('hi')")))
    assert await box.tools() == []
    (status,) = box.status()
    assert status.state == "failed"
    assert "mute" in (status.problem or "")


async def test_the_same_tool_name_on_two_servers_gets_the_servers_names(toolbox_for) -> None:
    box = toolbox_for(fake_server("one"), fake_server("two"))
    names = {t.name for t in await box.tools()}
    assert {"one_add", "two_add"} <= names
    assert "add" not in names
    assert (await box.call("two_add", {"a": 1, "b": 1})).text == "2"


async def test_http_server_lists_and_runs_tools(toolbox_for, http_server) -> None:
    box = toolbox_for(ServerConfig("web", url=http_server, headers={"X-Test": "1"}))
    names = {t.name for t in await box.tools()}
    assert "add" in names
    assert (await box.call("add", {"a": 5, "b": 5})).text == "10"
    await box.aclose()
    assert box.status()[0].state == "stopped"


async def test_an_http_address_with_no_server_fails_with_a_sentence(toolbox_for) -> None:
    box = toolbox_for(ServerConfig("web", url="http://127.0.0.1:9/mcp"))
    assert await box.tools() == []
    (status,) = box.status()
    assert status.state == "failed"
    assert "web" in (status.problem or "")


def test_logs_of_a_stdio_server_go_to_a_file(tmp_path: Path) -> None:
    box = McpTools([fake_server("a b/c")], log_dir=tmp_path)
    server = box._servers["a b/c"]
    assert server._log_path() == tmp_path / "mcp-a_b_c.log"
    assert json.dumps(box.status()[0].where)
