"""The settings dialog: provider, model, server, prompt, looks, the API key, the engine.

Open it with ``.open()`` (never ``.exec()``): the loop keeps running, so a
reply keeps streaming behind it. Settings go to ``settings.json`` through
:class:`store.Settings`; an API key goes to the OS keyring through
``provider.set_api_key`` and never into a file or the history, and so does a
password typed in the proxy address (:mod:`gui.proxy`) and every extra header
that carries a credential (named like one, or ticked secret): those go to the
keyring through ``provider.save_extra_headers`` and are shown masked.

Choosing a provider fills in its address unless one was typed; the model list
is asked from the server shown (still editable, with a sentence when it cannot
be had), and "Test connection" says in one sentence what it found. Both run as
tasks of the window (``spawn``), never blocking the loop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from deskchat import provider
from deskchat.chat import proxy, stored_keys
from deskchat.chat.auto import AUTO, LOCAL
from deskchat.chat.probe import Probe, connection_sentence, models_sentence
from deskchat.i18n import N_, _
from deskchat.store import Settings

from .errors import show_error
from .settings_fields import EngineFields, LooksFields
from .settings_headers import MASK, HeadersSection

__all__ = ["MASK", "SettingsDialog"]

_AUTO_LABEL = N_("Automatic: a model server found running, else a model on disk")
_LOCAL_LABEL = N_("Built-in engine (llama.cpp)")
NO_KEYRING = N_(
    "This system has no keyring to store the key safely, so DeskChat keeps "
    "it for this session only."
)


class SettingsDialog(QDialog):
    """Edits a :class:`store.Settings`; Save writes it and emits :attr:`saved`.

    Args:
        settings: the settings to show and change (saved in place).
        parent: the window (the dialog is modal to it but does not block the loop).
        probe: asks a server for its models (``chat.probe.server_models``); None:
            the model is typed only and there is no "Test connection".
        spawn: runs a coroutine as a task the window keeps (its ``_spawn``).

    Signals:
        saved(object): the Settings were written; the window applies them.
    """

    saved = Signal(object)

    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        probe: Callable[[Probe], Awaitable[list[str]]] | None = None,
        spawn: Callable[[Coroutine[Any, Any, Any]], object] | None = None,
    ) -> None:
        super().__init__(parent)
        self._probe = probe
        self._spawn = spawn
        self._asked = 0
        """Counts the model lists asked for: only the latest answer is shown."""
        self._url_typed = False
        """The user typed the address since the dialog was loaded: a provider keeps it."""
        self.setWindowTitle(_("DeskChat settings"))
        self.settings = settings
        self.notice: str | None = None
        """A sentence for the window after the last save (e.g. a session-only password)."""
        self.provider_box = QComboBox()
        self.provider_box.addItem(_(_AUTO_LABEL), AUTO)
        if LOCAL not in provider.PROVIDERS:
            self.provider_box.addItem(_(_LOCAL_LABEL), LOCAL)
        for info in provider.PROVIDERS.values():
            self.provider_box.addItem(info.display_name, info.id)
        self.fallback_box = QComboBox()
        self.fallback_box.setToolTip(
            _("Asked when the chosen provider fails before it starts to reply")
        )
        self.fallback_box.addItem(_("None"), "")
        for info in provider.PROVIDERS.values():
            self.fallback_box.addItem(info.display_name, info.id)
        # A list from the server, still editable: any name can be typed.
        self.model_box = QComboBox()
        self.model_box.setEditable(True)
        self.model_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        model_edit = self.model_box.lineEdit()
        assert model_edit is not None
        self.model_edit: QLineEdit = model_edit
        self.model_edit.setPlaceholderText(_("The provider's default"))
        self.model_note = QLabel()
        self.model_note.setWordWrap(True)
        self.model_note.hide()
        self.test_button = QPushButton(_("Test connection"))
        self.test_button.setToolTip(_("Ask the server for its models with the values shown"))
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.base_url_edit = QLineEdit()
        self.proxy_edit = QLineEdit()
        self.proxy_edit.setPlaceholderText(_("none, e.g. http://host:3128"))
        self.proxy_edit.setToolTip(
            _(
                "A password in the address (http://user:password@host:3128) is kept in "
                "the system keyring, not in the settings file."
            )
        )
        self.proxy_note = QLabel(_(proxy.NO_KEYRING))
        self.proxy_note.setWordWrap(True)
        self.proxy_note.hide()
        self.headers = HeadersSection(self)
        # The sections' fields, as the dialog's own (the window and the tests use them).
        self.headers_edit = self.headers.headers_edit
        self.secret_list = self.headers.secret_list
        self.headers_note = self.headers.headers_note
        self.system_prompt_edit = QPlainTextEdit()
        self.system_prompt_edit.setPlaceholderText(_("Instructions sent before every conversation"))
        self.system_prompt_edit.setFixedHeight(80)
        self.temperature_box = QDoubleSpinBox()
        self.temperature_box.setRange(0.0, 2.0)
        self.temperature_box.setSingleStep(0.1)
        self.looks = LooksFields(self)
        self.font_size_box = self.looks.font_size_box
        self.theme_box = self.looks.theme_box
        self.send_key_box = self.looks.send_key_box
        self.language_box = self.looks.language_box
        self.engine = EngineFields(self)
        self.context_box = self.engine.context_box
        self.gpu_box = self.engine.gpu_box
        self.idle_box = self.engine.idle_box
        self.api_key_label = QLabel(_("API key:"))
        self.api_key_edit = QLineEdit()
        self.api_key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key_edit.setPlaceholderText(_("Leave empty to keep the stored key"))
        self.key_note = QLabel(_(NO_KEYRING))
        self.key_note.setWordWrap(True)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        form = QFormLayout()
        form.addRow(_("Provider:"), self.provider_box)
        form.addRow(_("Fallback provider:"), self.fallback_box)
        form.addRow(_("Model:"), self.model_box)
        form.addRow("", self.model_note)
        form.addRow(_("Server address:"), self.base_url_edit)
        form.addRow(_("Proxy:"), self.proxy_edit)
        form.addRow("", self.proxy_note)
        form.addRow(self.api_key_label, self.api_key_edit)
        form.addRow("", self.key_note)
        testing = QHBoxLayout()
        testing.addWidget(self.test_button)
        testing.addWidget(self.test_result, 1)
        form.addRow("", testing)
        self.headers.add_rows(form)
        form.addRow(_("System prompt:"), self.system_prompt_edit)
        form.addRow(_("Temperature:"), self.temperature_box)
        self.looks.add_rows(form)
        self.engine.add_rows(form)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        self.buttons.accepted.connect(self.on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        self.provider_box.currentIndexChanged.connect(self.on_provider_box_changed)
        self.base_url_edit.textEdited.connect(self.on_base_url_edit_edited)
        self.base_url_edit.editingFinished.connect(self.on_base_url_edit_finished)
        self.test_button.clicked.connect(self.on_test_button_clicked)
        self.load()

    def load(self) -> None:
        """Show the values in :attr:`settings`."""
        s = self.settings
        index = self.provider_box.findData(s.provider)
        self.provider_box.setCurrentIndex(max(index, 0))
        self.fallback_box.setCurrentIndex(max(self.fallback_box.findData(s.fallback_provider), 0))
        self._url_typed = False
        self.model_box.clear()
        self.model_edit.setText(s.model)
        self.base_url_edit.setText(s.base_url)
        self.test_result.clear()
        self.proxy_edit.setText(s.proxy)
        # A proxy user without a keyring: its password (if any) lasts this session only.
        self.proxy_note.setVisible("@" in s.proxy and not provider.keyring_available())
        self.headers.load(s)
        self.system_prompt_edit.setPlainText(s.system_prompt)
        self.temperature_box.setValue(s.temperature)
        self.looks.load(s)
        self.engine.load(s)
        self.api_key_edit.clear()
        self.on_provider_box_changed()

    @property
    def provider_id(self) -> str:
        return str(self.provider_box.currentData())

    def choose_provider(self, provider_id: str) -> None:
        """Show ``provider_id`` chosen, and start in its key's field (if it takes one)."""
        index = self.provider_box.findData(provider_id)
        if index >= 0:
            self.provider_box.setCurrentIndex(index)
        if self.takes_api_key():
            self.api_key_edit.setFocus()
            # A dialog being opened focuses its first field; this one goes first instead.
            QTimer.singleShot(0, self.api_key_edit.setFocus)

    def _info(self) -> provider.ProviderInfo | None:
        """The chosen provider's registry entry (None for auto, or a not registered one)."""
        try:
            return provider.get_provider_info(self.provider_id)
        except provider.ConfigurationError:
            return None

    def takes_api_key(self) -> bool:
        """Whether the chosen provider sends a key (the key field shows only then).

        Hosted providers need one; an OpenAI-compatible server may take one, and so
        may llama.cpp, vLLM and LM Studio (started with ``--api-key``).
        """
        info = self._info()
        return info is not None and info.capabilities.accepts_api_key

    @Slot()
    def on_provider_box_changed(self) -> None:
        info = self._info()
        own = info.base_url if info is not None else None
        self.base_url_edit.setPlaceholderText(own or _("the provider's own"))
        if not self._url_typed:
            # The saved address belongs to the saved provider; another one gets its own.
            saved = self.provider_id == self.settings.provider
            self.base_url_edit.setText(self.settings.base_url if saved else own or "")
        takes_key = self.takes_api_key()
        self.api_key_label.setVisible(takes_key)
        self.api_key_edit.setVisible(takes_key)
        self.key_note.setVisible(takes_key and not provider.keyring_available())
        self.api_key_edit.setPlaceholderText(self._key_placeholder())
        asks = self._probe is not None and info is not None
        self.test_button.setVisible(asks)
        self.test_result.clear()
        self.model_note.hide()
        self.ask_for_models()

    def _key_placeholder(self) -> str:
        """What the empty key field says: a server's key is only for a server that has one."""
        chosen = self.provider_id
        if stored_keys.optional_key(chosen) and not stored_keys.noted_key(self.settings, chosen):
            return _("Only if the server was started with an API key")
        return _("Leave empty to keep the stored key")

    @Slot(str)
    def on_base_url_edit_edited(self, _text: str) -> None:
        self._url_typed = True

    @Slot()
    def on_base_url_edit_finished(self) -> None:
        if self.base_url_edit.isModified():
            self.base_url_edit.setModified(False)
            self.ask_for_models()

    @Slot()
    def on_test_button_clicked(self) -> None:
        self.test_result.setText(_("Connecting…"))
        self.ask_for_models(testing=True)

    def probe(self) -> Probe:
        """The provider as shown now: the typed address, proxy, key and headers."""
        return Probe(
            self.provider_id,
            base_url=self.base_url_edit.text().strip(),
            proxy=self.proxy_edit.text().strip(),
            api_key=self.api_key_edit.text().strip() if self.takes_api_key() else "",
            extra_headers=self.headers.shown(),
            keyring_key=stored_keys.noted_key(self.settings, self.provider_id),
        )

    def ask_for_models(self, *, testing: bool = False) -> None:
        """Ask the server shown for its models, in the background; the list fills when
        the answer comes (an answer for an older choice is dropped)."""
        if self._probe is None or self._spawn is None or self._info() is None:
            return
        self._asked += 1
        self._spawn(self._fill_models(self._asked, self.probe(), testing))

    async def _fill_models(self, asked: int, probe: Probe, testing: bool) -> None:
        assert self._probe is not None
        try:
            models = await self._probe(probe)
        except provider.ProviderError as exc:
            if asked == self._asked:
                self.model_note.setText(models_sentence(exc))
                self.model_note.show()
                if testing:
                    self.test_result.setText(exc.text())
            return
        if asked != self._asked:
            return
        typed = self.model_edit.text()
        self.model_box.blockSignals(True)
        self.model_box.clear()
        self.model_box.addItems(models)
        self.model_box.setCurrentIndex(-1)
        self.model_edit.setText(typed)
        self.model_box.blockSignals(False)
        self.model_note.hide()
        if testing:
            self.test_result.setText(connection_sentence(models))

    def marked_headers(self) -> list[str]:
        """The names of the shown headers ticked secret by the user."""
        return self.headers.marked_headers()

    @Slot()
    def on_buttons_accepted(self) -> None:
        problems: list[str] = []
        self._store_key(problems.append)
        kept = proxy.keep_password(self.proxy_edit.text())
        if kept.error:
            problems.append(kept.error)
        headers = self.headers.typed(problems.append)
        if problems:
            self._show_problem(problems[0])
            return
        plain, headers_note = self.headers.store(headers, problems.append)
        if plain is None:
            self._show_problem(problems[0])
            return
        self.notice = kept.note or headers_note
        self.proxy_edit.setText(kept.proxy)
        s = self.settings
        previous = s.provider
        s.provider = self.provider_id
        s.fallback_provider = str(self.fallback_box.currentData())
        s.model = self.model_edit.text().strip()
        s.base_url = self.base_url_edit.text().strip()
        s.proxy = kept.proxy
        s.extra_headers = plain
        s.keyring_headers = self.headers.keyring_headers
        s.system_prompt = self.system_prompt_edit.toPlainText().strip()
        s.temperature = round(self.temperature_box.value(), 2)
        self.looks.save(s)
        self.engine.save(s)
        if s.provider != AUTO:
            s.setup_choice = "settings"  # a provider chosen here: the first-run setup is done
        elif previous != AUTO:
            s.setup_choice = "auto"  # auto chosen on purpose
        try:
            s.save()
        except OSError as exc:
            show_error(
                self._show_problem,
                exc,
                doing=_("save the settings"),
                advice=_("check that the data folder is writable"),
            )
            return
        self.error_label.hide()
        self.saved.emit(s)
        self.accept()

    def _show_problem(self, text: str) -> None:
        """Say under the form why the settings were not saved."""
        self.error_label.setText(text)
        self.error_label.show()

    def _store_key(self, problem: Callable[[str], object]) -> None:
        """Put a typed key in the keyring (or this session); say a problem to ``problem``."""
        key = self.api_key_edit.text().strip()
        if not key or not self.takes_api_key():
            return
        try:
            provider.set_api_key(self.provider_id, key)
            # Noted, so that building the provider reads the keyring for it (only then).
            stored_keys.note_stored_key(self.settings, self.provider_id)
        except provider.KeyringUnavailableError:
            # No keyring is no error: the key is kept for this session, and the note says so.
            provider.set_session_key(self.provider_id, key)
            self.key_note.show()
        except provider.SecretStoreError as exc:
            show_error(problem, exc, doing=_("store the API key"))
            return
        self.api_key_edit.clear()
