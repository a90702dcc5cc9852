"""Settings → Tools: the MCP servers of ``mcp.json``, the step limit and the tool timeout.

Add, remove, enable or disable servers: a command with its arguments (one a
line, never through a shell) and environment, or a Streamable HTTP address
with its headers. Secrets go to the keyring: ``mcp.json`` holds
``${keyring}`` in their place (:mod:`deskchat.tools.secrets`). Check starts
the server shown (as edited) in the background and lists its tools, or says
in one sentence why it did not start.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from deskchat.i18n import _, ngettext, number
from deskchat.store.settings import MAX_TOOL_STEPS, MAX_TOOL_TIMEOUT
from deskchat.tools import (
    IN_KEYRING,
    McpServer,
    ServerConfig,
    ToolError,
    load_servers,
    parse_servers,
    save_servers,
    set_secret,
)

from .errors import show_error

if TYPE_CHECKING:
    from deskchat.store import Settings
    from deskchat.tools import ServerStatus

__all__ = ["ToolsSettingsDialog"]

log = logging.getLogger("deskchat.gui")

Spawn = Callable[[Coroutine[Any, Any, Any]], None]


def _pairs(text: str, sep: str) -> dict[str, str]:
    """``NAME<sep>value`` lines as a mapping (blank lines skipped)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip():
            name, _sep, value = line.partition(sep)
            out[name.strip()] = value.strip()
    return out


def _lines(values: Mapping[str, str], sep: str, *, secret: bool) -> str:
    """The entries kept in the keyring (``secret``: names only) or written in the file."""
    return "\n".join(
        f"{k}{sep}" if secret else f"{k}{sep}{v}"
        for k, v in values.items()
        if (v == IN_KEYRING) == secret
    )


class ServerForm(QWidget):
    """The fields of one server."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = QLineEdit()
        self.kind = QComboBox()
        self.kind.addItem(_("A program (stdio)"), "stdio")
        self.kind.addItem(_("An address (Streamable HTTP)"), "http")
        self.command = QLineEdit()
        self.command.setPlaceholderText("npx")
        self.args = QPlainTextEdit()
        self.args.setPlaceholderText(_("One argument a line"))
        self.env = QPlainTextEdit()
        self.env.setPlaceholderText("NAME=value")
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://example.com/mcp")
        self.headers = QPlainTextEdit()
        self.headers.setPlaceholderText("Name: value")
        self.secrets = QPlainTextEdit()
        self.secrets.setPlaceholderText("TOKEN=…")
        self.secrets.setToolTip(
            _(
                "NAME=value, one a line: kept in the system keyring, never in mcp.json "
                "(an empty value keeps the one stored)"
            )
        )
        for box in (self.args, self.env, self.headers, self.secrets):
            box.setTabChangesFocus(True)
            box.setMaximumHeight(70)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(_("Name:"), self.name)
        form.addRow(_("Kind:"), self.kind)
        form.addRow(_("Command:"), self.command)
        form.addRow(_("Arguments:"), self.args)
        form.addRow(_("Environment:"), self.env)
        form.addRow(_("Address:"), self.url)
        form.addRow(_("Headers:"), self.headers)
        form.addRow(_("Secrets:"), self.secrets)
        self._form = form
        self.kind.currentIndexChanged.connect(self._show_kind)
        self._show_kind()

    def _show_kind(self) -> None:
        http = self.kind.currentData() == "http"
        for field, shown in (
            (self.command, not http),
            (self.args, not http),
            (self.env, not http),
            (self.url, http),
            (self.headers, http),
        ):
            self._form.setRowVisible(field, shown)

    def show_config(self, config: ServerConfig) -> None:
        self.name.setText(config.name)
        self.kind.setCurrentIndex(1 if config.kind == "http" else 0)
        self.command.setText(config.command or "")
        self.args.setPlainText("\n".join(config.args))
        self.env.setPlainText(_lines(config.env, "=", secret=False))
        self.url.setText(config.url or "")
        self.headers.setPlainText(_lines(config.headers, ": ", secret=False))
        kept = config.headers if config.kind == "http" else config.env
        self.secrets.setPlainText(_lines(kept, "=", secret=True))

    def config(self, old: ServerConfig) -> tuple[ServerConfig, dict[str, str]]:
        """The server as the fields say (``old``'s other keys kept), and new secret values."""
        secrets = _pairs(self.secrets.toPlainText(), "=")
        marked = {name: IN_KEYRING for name in secrets}
        http = self.kind.currentData() == "http"
        env = {} if http else {**_pairs(self.env.toPlainText(), "="), **marked}
        headers = {**_pairs(self.headers.toPlainText(), ":"), **marked} if http else {}
        config = replace(
            old,
            name=self.name.text().strip(),
            command=None if http else self.command.text().strip(),
            args=() if http else tuple(a for a in self.args.toPlainText().splitlines() if a),
            env=env,
            url=self.url.text().strip() if http else None,
            headers=headers,
        )
        return config, {name: value for name, value in secrets.items() if value}


class ToolsSettingsDialog(QDialog):
    """The servers of ``path`` and the tool limits of ``settings``.

    Signals:
        saved(): ``mcp.json`` (and the settings) were written.

    Attributes:
        server_list: the servers; checked ones are enabled.
        form: the shown server's fields.
        status_label, tools_list: its state and the tools it offered.
        check_button, add_button, remove_button: as named.
        steps, timeout: the step limit and the tool timeout.
        error_label: why the last save or check failed.
    """

    saved = Signal()

    def __init__(
        self,
        path: Path,
        settings: Settings | None,
        *,
        spawn: Spawn,
        folder: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Tools"))
        self.resize(720, 520)
        self.path = path
        self.settings = settings
        self._spawn = spawn
        self._log_dir = (folder or path.parent) / "logs"
        self._configs: list[ServerConfig] = []
        self._secrets: dict[tuple[str, str], str] = {}
        self._statuses: dict[str, Any] = {}
        self._row = -1
        self.checking: McpServer | None = None
        self._build()

    def _build(self) -> None:
        self.server_list = QListWidget()
        self.server_list.setAccessibleName(_("Tool servers"))
        self.add_button = QPushButton(_("Add"))
        self.remove_button = QPushButton(_("Remove"))
        self.check_button = QPushButton(_("Check"))
        self.check_button.setToolTip(_("Start this server and list its tools"))
        self.form = ServerForm()
        self.status_label = QLabel()
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.setWordWrap(True)
        self.tools_list = QListWidget()
        self.tools_list.setAccessibleName(_("The server's tools"))
        self.tools_list.setMaximumHeight(110)
        self.steps = QSpinBox()
        self.steps.setRange(1, MAX_TOOL_STEPS)
        self.steps.setToolTip(_("Rounds of tool calls one reply may make"))
        self.timeout = QSpinBox()
        self.timeout.setRange(1, MAX_TOOL_TIMEOUT)
        self.timeout.setSuffix(_(" s"))
        self.error_label = QLabel()
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setWordWrap(True)
        self.error_label.setObjectName("errorLabel")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.on_save)
        buttons.rejected.connect(self.reject)

        left = QVBoxLayout()
        left.addWidget(self.server_list, 1)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        left.addLayout(row)
        right = QVBoxLayout()
        right.addWidget(self.form)
        checking = QHBoxLayout()
        checking.addWidget(self.status_label, 1)
        checking.addWidget(self.check_button, 0, Qt.AlignmentFlag.AlignTop)
        right.addLayout(checking)
        right.addWidget(self.tools_list)
        top = QHBoxLayout()
        top.addLayout(left, 1)
        top.addLayout(right, 2)
        limits = QFormLayout()
        limits.addRow(_("Tool rounds per reply:"), self.steps)
        limits.addRow(_("Tool timeout:"), self.timeout)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addLayout(limits)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.server_list.currentRowChanged.connect(self.on_server_list_current_row_changed)
        self.server_list.itemChanged.connect(self.on_server_list_item_changed)
        self.add_button.clicked.connect(self.on_add_button_clicked)
        self.remove_button.clicked.connect(self.on_remove_button_clicked)
        self.check_button.clicked.connect(self.on_check_button_clicked)

    # -- loading -------------------------------------------------------------

    def load(self, statuses: Mapping[str, ServerStatus] | None = None) -> None:
        """Show the file's servers (and how the running ones are doing)."""
        self._statuses = dict(statuses or {})
        self._secrets.clear()
        self.error_label.clear()
        try:
            self._configs = load_servers(self.path)
        except ToolError as exc:
            self._configs = []
            self.error_label.setText(exc.text())
        steps = self.settings.tool_steps if self.settings else 10
        seconds = self.settings.tool_timeout if self.settings else 60
        self.steps.setValue(steps)
        self.timeout.setValue(seconds)
        self._fill()

    def _fill(self, current: int = 0) -> None:
        self._row = -1
        self.server_list.blockSignals(True)
        self.server_list.clear()
        for config in self._configs:
            item = QListWidgetItem(config.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Unchecked if config.disabled else Qt.CheckState.Checked
            )
            item.setToolTip(config.where)
            self.server_list.addItem(item)
        self.server_list.blockSignals(False)
        has = bool(self._configs)
        self.form.setEnabled(has)
        self.remove_button.setEnabled(has)
        self.check_button.setEnabled(has)
        if has:
            self.server_list.setCurrentRow(min(current, len(self._configs) - 1))
        else:
            self._show_status(None)

    # -- editing -------------------------------------------------------------

    def _commit(self) -> None:
        """Keep the form's edits of the shown server."""
        row = self._row
        if not 0 <= row < len(self._configs):
            return
        config, secrets = self.form.config(self._configs[row])
        self._configs[row] = config
        for name, value in secrets.items():
            self._secrets[(config.name, name)] = value
        item = self.server_list.item(row)
        if item is not None and item.text() != config.name:
            self.server_list.blockSignals(True)
            item.setText(config.name)
            self.server_list.blockSignals(False)

    @Slot(int)
    def on_server_list_current_row_changed(self, row: int) -> None:
        self._commit()
        self._row = row
        if 0 <= row < len(self._configs):
            config = self._configs[row]
            self.form.show_config(config)
            self._show_status(config)

    @Slot(QListWidgetItem)
    def on_server_list_item_changed(self, item: QListWidgetItem) -> None:
        row = self.server_list.row(item)
        if 0 <= row < len(self._configs):
            disabled = item.checkState() != Qt.CheckState.Checked
            self._configs[row] = replace(self._configs[row], disabled=disabled)

    @Slot()
    def on_add_button_clicked(self) -> None:
        self._commit()
        taken = {c.name for c in self._configs}
        name, n = _("server"), 2
        while name in taken:
            name = _("server {n}").format(n=n)
            n += 1
        self._configs.append(ServerConfig(name=name, command=""))
        self._fill(len(self._configs) - 1)
        self.form.name.setFocus()
        self.form.name.selectAll()

    @Slot()
    def on_remove_button_clicked(self) -> None:
        row = self.server_list.currentRow()
        if 0 <= row < len(self._configs):
            del self._configs[row]
            self._fill(row)

    # -- status and Check ----------------------------------------------------

    def _show_status(self, config: ServerConfig | None, status: Any = None) -> None:
        self.tools_list.clear()
        if config is None:
            self.status_label.setText(_("No tool servers yet: Add one."))
            return
        status = status or self._statuses.get(config.name)
        if config.disabled:
            text = _("Disabled: its tools are not offered.")
        elif status is None or status.state == "stopped":
            text = _("Not started yet: it starts with the first reply that may use tools.")
        elif status.problem:
            text = status.problem
        else:
            text = _("Running.")
        self.status_label.setText(text)
        for tool in status.tools if status is not None else ():
            first = tool.description.strip().splitlines()[0] if tool.description.strip() else ""
            self.tools_list.addItem(f"{tool.name} — {first}" if first else tool.name)

    @Slot()
    def on_check_button_clicked(self) -> None:
        self._commit()
        row = self.server_list.currentRow()
        if not 0 <= row < len(self._configs) or self.checking is not None:
            return
        try:
            (config,) = parse_servers({"mcpServers": {**self._as_json([self._configs[row]])}})
        except ToolError as exc:
            self.status_label.setText(exc.text())
            return
        self.check_button.setEnabled(False)
        self.status_label.setText(_("Starting {name}…").format(name=config.name))
        self._spawn(self._check(config))

    async def _check(self, config: ServerConfig) -> None:
        pending = {n: v for (s, n), v in self._secrets.items() if s == config.name}

        def secret(server: str, name: str) -> str | None:
            if name in pending:
                return pending[name]
            from deskchat.tools import keyring_secret

            return keyring_secret(server, name)

        server = self.checking = McpServer(config, log_dir=self._log_dir, secrets=secret)
        try:
            tools = await server.start()
        except ToolError as exc:
            self.status_label.setText(exc.text())
            self.tools_list.clear()
        else:
            self.status_label.setText(
                ngettext(
                    "It started and offers {n} tool.",
                    "It started and offers {n} tools.",
                    len(tools),
                ).format(n=number(len(tools)))
                if tools
                else _("It started but offers no tools.")
            )
            self.tools_list.clear()
            for tool in tools:
                self.tools_list.addItem(tool.name)
        finally:
            self.checking = None
            self.check_button.setEnabled(True)
            await server.aclose()

    # -- saving --------------------------------------------------------------

    @staticmethod
    def _as_json(configs: list[ServerConfig]) -> dict[str, Any]:
        return {c.name: c.as_json() for c in configs}

    @Slot()
    def on_save(self) -> None:
        self._commit()
        names = [c.name for c in self._configs]
        if len(set(names)) != len(names):
            self.error_label.setText(_("Two servers have the same name; rename one."))
            return
        try:
            # The same checks as reading the file back: a server DeskChat could not use is refused.
            parse_servers({"mcpServers": self._as_json(self._configs)})
            for (server, name), value in self._secrets.items():
                if server in names:
                    set_secret(server, name, value)
            save_servers(self.path, self._configs)
        except ToolError as exc:
            self.error_label.setText(exc.text())
            return
        self._save_limits()
        self._secrets.clear()
        self.saved.emit()
        self.accept()

    def _save_limits(self) -> None:
        settings = self.settings
        if settings is None:
            return
        settings.tool_steps = self.steps.value()
        settings.tool_timeout = self.timeout.value()
        try:
            settings.save()
        except OSError as exc:
            show_error(self.error_label.setText, exc, doing=_("save the settings"))
