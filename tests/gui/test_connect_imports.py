"""What the window imports between its start and its first send, with a provider given on
the command line and a fresh data folder (issue #10's memory budget): neither the tools
(there is no mcp.json) nor the model library's downloads and the setup panel (not shown)."""

from __future__ import annotations

from tests.fakes.wordpress import FakeWordPress
from tests.gui.conftest import GUI_TESTS
from tests.gui.test_app_process import run_probe

PROBE = GUI_TESTS / "connect_imports_probe.py"

TOOLS = (
    "deskchat.tools.config",
    "deskchat.tools.errors",
    "deskchat.tools.output",
    "deskchat.tools.secrets",
    "deskchat.tools.server",
    "deskchat.tools.toolbox",
    "deskchat.chat.tools_loop",
    "deskchat.gui.tool_card",
)
SETUP = (
    "deskchat.library.hub",
    "deskchat.library.pulling",
    "deskchat.library.transfer",
    "deskchat.library.remove",
    "deskchat.gui.downloads",
    "deskchat.gui.models_dialog",
    "deskchat.gui.setup_panel",
)


async def run_window(env: dict[str, str], *args: str) -> list[str]:
    env["DESKCHAT_SMOKE_MESSAGE"] = "Hello"
    env["DESKCHAT_QUIT_AFTER_MS"] = "2500"
    seen = await run_probe(PROBE, args, env)
    modules: list[str] = seen["at send"]
    return modules


async def test_without_mcp_json_connecting_loads_no_tools(
    repo_env: dict[str, str], wordpress: str, fake_site: FakeWordPress, tmp_path
) -> None:
    args = ["--provider", "chatgptfree", "--base-url", wordpress, "--data-dir", str(tmp_path)]
    modules = await run_window(repo_env, *args)
    # The window did connect and send (its tools' menu entry is there all the same).
    assert "deskchat.chat.connection" in modules
    assert "deskchat.gui.window_tools" in modules
    assert [m for m in TOOLS if m in modules] == []
    assert len(fake_site.posts) == 1


async def test_with_a_provider_given_connecting_loads_no_downloads_and_no_setup_panel(
    repo_env: dict[str, str], wordpress: str, fake_site: FakeWordPress, tmp_path
) -> None:
    args = ["--provider", "chatgptfree", "--base-url", wordpress, "--data-dir", str(tmp_path)]
    modules = await run_window(repo_env, *args)
    assert "deskchat.gui.setup_flow" in modules
    assert [m for m in SETUP if m in modules] == []
    assert len(fake_site.posts) == 1


async def test_with_an_enabled_server_in_mcp_json_the_tools_load_at_connect(
    repo_env: dict[str, str], wordpress: str, fake_site: FakeWordPress, tmp_path
) -> None:
    from deskchat.tools import ServerConfig, save_servers

    save_servers(tmp_path / "mcp.json", [ServerConfig(name="fake", command="true")])
    args = ["--provider", "chatgptfree", "--base-url", wordpress, "--data-dir", str(tmp_path)]
    modules = await run_window(repo_env, *args)
    # The same check would see them: they are imported once there is a server to offer.
    assert "deskchat.tools.toolbox" in modules
    assert "deskchat.gui.tool_card" in modules


def test_the_window_looks_for_the_tools_own_config_name(tmp_path) -> None:
    from deskchat.gui import window_tools
    from deskchat.tools import CONFIG_NAME, config_path

    assert window_tools.CONFIG_NAME == CONFIG_NAME
    assert config_path(tmp_path) == tmp_path / window_tools.CONFIG_NAME
