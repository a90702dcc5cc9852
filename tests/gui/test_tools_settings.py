"""Settings → Tools: add, remove, enable, check a real MCP server; the tools made lazily."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from deskchat.gui.main_window import MainWindow
from deskchat.gui.tools_settings import ToolsSettingsDialog
from deskchat.gui.window_tools import WindowTools
from deskchat.store import Settings
from deskchat.tools import save_servers
from tests.fakes.keyrings import MemoryKeyring, isolated_secrets
from tests.gui.conftest import until
from tests.gui.fakes import ScriptedProvider
from tests.tools.conftest import alive, fake_server, pids


async def finished(dialog: ToolsSettingsDialog) -> None:
    """Wait for the dialog's own tasks: the check stops its server after enabling the button.

    A test that ended first would leave the subprocess transport for the garbage collector,
    whose "unclosed transport" warning then fails whichever test runs next.
    """
    import asyncio

    await asyncio.gather(*dialog.tasks)  # type: ignore[attr-defined]
    await asyncio.sleep(0)


def dialog_for(qtbot, tmp_path: Path, settings: Settings | None = None) -> ToolsSettingsDialog:
    import asyncio

    tasks: list[asyncio.Task[object]] = []
    dialog = ToolsSettingsDialog(
        tmp_path / "mcp.json",
        settings,
        spawn=lambda c: tasks.append(asyncio.ensure_future(c)),
        parent=None,
    )
    qtbot.addWidget(dialog)
    dialog.tasks = tasks  # type: ignore[attr-defined]
    dialog.load()
    dialog.open()
    return dialog


def saved(tmp_path: Path) -> dict[str, dict[str, object]]:
    return json.loads((tmp_path / "mcp.json").read_text())["mcpServers"]


def test_add_a_program_server_and_save_it(qtbot, tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.json")
    dialog = dialog_for(qtbot, tmp_path, settings)
    assert dialog.status_label.text() == "No tool servers yet: Add one."
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    form = dialog.form
    form.name.setText("files")
    form.command.setText("npx")
    form.args.setPlainText("-y\n@scope/server files\n/home/me")
    form.env.setPlainText("LEVEL=debug")
    dialog.steps.setValue(4)
    dialog.timeout.setValue(30)
    dialog.on_save()
    assert not dialog.isVisible()
    # Each argument as written, one a line: a space stays inside its argument.
    assert saved(tmp_path) == {
        "files": {
            "command": "npx",
            "args": ["-y", "@scope/server files", "/home/me"],
            "env": {"LEVEL": "debug"},
        }
    }
    again = Settings.load(tmp_path / "settings.json")
    assert (again.tool_steps, again.tool_timeout) == (4, 30)


def test_a_server_without_a_command_is_refused_with_a_sentence(qtbot, tmp_path: Path) -> None:
    dialog = dialog_for(qtbot, tmp_path)
    dialog.add_button.click()
    dialog.on_save()
    assert "needs a command to run or a url to reach" in dialog.error_label.text()
    assert dialog.isVisible()
    assert not (tmp_path / "mcp.json").exists()


def test_disable_and_remove_servers(qtbot, tmp_path: Path) -> None:
    save_servers(tmp_path / "mcp.json", [fake_server("one"), fake_server("two")])
    dialog = dialog_for(qtbot, tmp_path)
    assert dialog.server_list.count() == 2
    first = dialog.server_list.item(0)
    assert first.checkState() == Qt.CheckState.Checked
    first.setCheckState(Qt.CheckState.Unchecked)
    dialog.server_list.setCurrentRow(1)
    dialog.remove_button.click()
    assert dialog.server_list.count() == 1
    dialog.on_save()
    servers = saved(tmp_path)
    assert list(servers) == ["one"]
    assert servers["one"]["disabled"] is True
    # Back on: the key goes away again.
    dialog.load()
    dialog.server_list.item(0).setCheckState(Qt.CheckState.Checked)
    dialog.on_save()
    assert "disabled" not in saved(tmp_path)["one"]


def test_an_address_server_keeps_its_secret_header_in_the_keyring(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    with isolated_secrets(monkeypatch, backend=MemoryKeyring()):
        secret_header_kept(qtbot, tmp_path)


def secret_header_kept(qtbot, tmp_path: Path) -> None:
    import keyring

    dialog = dialog_for(qtbot, tmp_path)
    dialog.add_button.click()
    form = dialog.form
    form.name.setText("search")
    form.kind.setCurrentIndex(1)
    assert form.url.isVisibleTo(dialog)
    assert not form.command.isVisibleTo(dialog)
    form.url.setText("https://example.com/mcp")
    form.headers.setPlainText("X-Title: DeskChat")
    form.secrets.setPlainText("Authorization=Bearer s3cret")
    dialog.on_save()
    text = (tmp_path / "mcp.json").read_text()
    assert "s3cret" not in text
    assert saved(tmp_path)["search"] == {
        "url": "https://example.com/mcp",
        "headers": {"X-Title": "DeskChat", "Authorization": "${keyring}"},
    }
    assert keyring.get_password("deskchat", "mcp/search/Authorization") == "Bearer s3cret"
    # Shown again by name only; an empty value keeps the stored one.
    dialog.load()
    assert dialog.form.secrets.toPlainText() == "Authorization="
    dialog.on_save()
    assert keyring.get_password("deskchat", "mcp/search/Authorization") == "Bearer s3cret"


async def test_check_starts_the_real_server_and_lists_its_tools(qtbot, tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    save_servers(tmp_path / "mcp.json", [fake_server("fake", FAKE_MCP_PIDFILE=str(pidfile))])
    dialog = dialog_for(qtbot, tmp_path)
    assert "Not started yet" in dialog.status_label.text()
    dialog.check_button.click()
    assert not dialog.check_button.isEnabled()
    await until(lambda: dialog.check_button.isEnabled(), seconds=30, what="the check")
    assert dialog.status_label.text().startswith("It started and offers ")
    names = {dialog.tools_list.item(i).text() for i in range(dialog.tools_list.count())}
    assert {"add", "echo"} <= names
    # The check's server is stopped again.
    (pid,) = pids(pidfile)
    await until(lambda: not alive(pid), what="the checked server to stop")
    await finished(dialog)


async def test_check_of_a_missing_program_says_why_in_one_sentence(qtbot, tmp_path: Path) -> None:
    dialog = dialog_for(qtbot, tmp_path)
    dialog.add_button.click()
    dialog.form.command.setText(str(tmp_path / "no-such-program"))
    dialog.check_button.click()
    await until(lambda: dialog.check_button.isEnabled(), seconds=30, what="the check")
    text = dialog.status_label.text()
    assert text.startswith("The tool server “server” could not be started: the program ")
    assert "no-such-program was not found" in text
    assert text.count("\n") == 0
    assert dialog.tools_list.count() == 0
    await finished(dialog)


async def test_the_tools_are_made_lazily_and_no_server_starts(qtbot, tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    window = MainWindow(ScriptedProvider())
    qtbot.addWidget(window)
    window.data_dir = tmp_path
    # Building the window gives it no tools.
    assert window.session.tools is None
    assert window.findChild(WindowTools) is None
    tools = WindowTools.attach(window)
    assert window.session.tools is None  # no mcp.json: nothing offered
    menus = [m for m in window.menus.settings_action.associatedObjects() if isinstance(m, QMenu)]
    assert tools.tools_action in menus[0].actions()
    save_servers(tmp_path / "mcp.json", [fake_server("fake", FAKE_MCP_PIDFILE=str(pidfile))])
    tools.load()
    assert window.session.tools is tools.chat_tools
    assert tools.box is not None
    assert [s.state for s in tools.box.status()] == ["stopped"]
    assert not pidfile.exists()
    # A disabled server offers nothing either.
    save_servers(tmp_path / "mcp.json", [replace(fake_server("fake"), disabled=True)])
    tools.load()
    assert window.session.tools is None
    await tools.aclose()
    assert not pidfile.exists()
