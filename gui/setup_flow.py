"""Where replies come from, decided after the window's first paint: the route found, or
the setup panel and the user's choice (saved, and used at once).

The window starts this once it has painted (nothing network-related loads
before); it wires the signals here to the window's parts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QWidget

from deskchat import library
from deskchat.chat import setup, source
from deskchat.chat.auto import AUTO, LOCAL, Route
from deskchat.chat.connection import Connection, Survey
from deskchat.chat.local_servers import LocalModel
from deskchat.chat.routes import Built
from deskchat.i18n import _
from deskchat.provider import Provider
from deskchat.store import Settings

from .chat_pane import ChatPane
from .errors import show_error
from .model_picker import ModelPicker

if TYPE_CHECKING:
    from .downloads import Downloads
    from .models_dialog import ModelsDialog
    from .setup_panel import SetupPanel

__all__ = ["SetupFlow"]

log = logging.getLogger("deskchat.gui")

Spawn = Callable[[Coroutine[Any, Any, Any]], None]


class SetupFlow(QObject):
    """Finds the provider, or offers the setup panel and applies what the user picks.

    Args:
        connection: builds providers and surveys this computer.
        settings: where a choice is saved; None saves nothing.
        chat: the chat pane the panel is shown in.
        model_picker: gets the found servers' models, and switches the provider.
        spawn: runs a coroutine in the window's background.

    Signals:
        connected(): the network is set up and the servers are known.
        ready(): a provider answers now (built and given to the session).
        status_message(str, int): a line for the status bar, and for how many ms (0: until
            the next one).
        settings_requested(str): open the settings on this provider (to enter its key).

    Attributes:
        connection: as given.
        downloads: the model downloads (they outlive the Models dialog); made, and
            the download modules imported, when the panel or the dialog first needs them.
        panel: the setup panel while it is shown, else None.
        survey: what the last look at this computer found.
        models_dialog: the Models dialog, once opened.
    """

    connected = Signal()
    ready = Signal()
    status_message = Signal(str, int)
    settings_requested = Signal(str)

    def __init__(
        self,
        connection: Connection,
        settings: Settings | None,
        chat: ChatPane,
        model_picker: ModelPicker,
        spawn: Spawn,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.connection = connection
        self.settings = settings
        self.chat = chat
        self.model_picker = model_picker
        self._spawn = spawn
        self._downloads: Downloads | None = None
        self.panel: SetupPanel | None = None
        self.survey: Survey | None = None
        self.models_dialog: ModelsDialog | None = None

    @property
    def downloads(self) -> Downloads:
        """The model downloads, made on first use (a provider given needs none)."""
        if self._downloads is None:
            from .downloads import Downloads

            connection = self.connection
            self._downloads = Downloads(lambda: connection.locations, self)
            self._downloads.finished.connect(self.on_downloads_finished)
        return self._downloads

    # -- finding the route -------------------------------------------------------

    async def find(self) -> None:
        """Look at this computer; use the route found, or show the setup panel."""
        connection = self.connection
        self.chat.set_ready(False, _("Looking for a model…"))
        try:
            survey = await connection.survey()
        except Exception as exc:  # noqa: BLE001 - any failure leaves the panel's choices
            show_error(self._say, exc, doing=_("look for models on this computer"))
            survey = Survey(Route("none"), engine=setup.engine_available())
        self.survey = survey
        self.model_picker.choice.local_servers = connection.local_servers
        self.model_picker.set_local_models(survey.servers)
        self.connected.emit()
        settings = self.settings or Settings(Path("unused-settings.json"))
        if setup.needs_setup(connection.options, settings) or survey.route.kind == "none":
            self.show_panel(survey)
            return
        try:
            built = connection.build(survey.route)
        except Exception as exc:  # noqa: BLE001 - said, then the choices are offered
            show_error(self._say, exc, doing=f"use {survey.route.provider_id}")
            self.show_panel(survey)
            return
        self.use(built)

    def use(self, built: Built) -> None:
        """Answer with ``built`` from the next reply on (an engine no longer used stops)."""
        choice = self.model_picker.choice
        old = choice.session.chat_provider
        self.model_picker.main_base_url = built.route.base_url
        choice.use_main(built.chat, built.provider_id)
        choice.session.request_model(built.model)
        # At once, so the window names it before the models are listed.
        choice.session.set_model_name(built.model or str(built.chat.default_model or ""))
        self._spawn(choice.session.load_models())
        self.retire(old)
        self.ready.emit()

    def retire(self, old: Provider) -> None:
        """Stop ``old`` if it is a built-in engine no reply uses any more."""
        session = self.model_picker.choice.session
        if old is not session.chat_provider and not session.busy:
            self._spawn(self.connection.retire(old))

    def show_panel(self, survey: Survey) -> None:
        """Offer every way to get a reply in the chat area (focus on the first)."""
        from .setup_panel import SetupPanel

        machine = self.connection.machine
        panel = SetupPanel(survey, self.connection.offers(), machine, setup.hosted_providers())
        panel.server_chosen.connect(self.on_setup_panel_server_chosen)
        panel.model_chosen.connect(self.on_setup_panel_model_chosen)
        panel.download_chosen.connect(self.on_setup_panel_download_chosen)
        panel.download_cancelled.connect(self.downloads.cancel)
        panel.api_key_chosen.connect(self.settings_requested.emit)
        panel.chatgptfree_chosen.connect(self.on_setup_panel_chatgptfree_chosen)
        self.downloads.progressed.connect(panel.on_downloads_progressed)
        self.downloads.failed.connect(panel.on_downloads_failed)
        self.downloads.cancelled.connect(panel.on_downloads_cancelled)
        if self.panel is not None:
            self.panel.deleteLater()
        self.panel = panel
        self.chat.set_ready(False, _(source.NOTHING_YET), _(source.NOT_SET_UP))
        self.chat.show_panel(panel)
        panel.focus_first()

    def finish(self) -> None:
        """A provider answers now: the normal chat shows, the focus goes to the input."""
        if self.panel is not None:
            self.chat.hide_panel()
            self.panel.deleteLater()
            self.panel = None
        self.chat.input_box.setFocus()

    # -- what the user chose -------------------------------------------------

    @Slot(object)
    def on_setup_panel_server_chosen(self, local: LocalModel) -> None:
        server = local.server
        self._use(
            lambda: self.connection.build_server(local),
            "server",
            server.provider_id,
            model=local.model,
            base_url=server.base_url,
        )

    @Slot(object)
    def on_setup_panel_model_chosen(self, model: library.LocalModelInfo) -> None:
        self.use_model(str(model.path))

    def use_model(self, path: str, choice: str = "model") -> None:
        """Answer with the built-in engine and the model file at ``path`` (saved)."""
        self._use(lambda: self.connection.build_model(path), choice, LOCAL, model=path)

    @Slot(object)
    def on_setup_panel_download_chosen(self, entry: library.CatalogueEntry) -> None:
        if not self.downloads.start(entry.spec, entry.title):
            self._say(_("{title} is already downloading.").format(title=entry.title))

    @Slot(str, str)
    def on_downloads_finished(self, spec: str, path: str) -> None:
        panel = self.panel
        if panel is not None and panel.download_spec == spec:
            self.use_model(path, "download")

    @Slot()
    def on_setup_panel_chatgptfree_chosen(self) -> None:
        chosen = setup.CHATGPTFREE
        where = self.connection.options.base_url or ""
        self._use(lambda: self.connection.build_chosen(chosen), chosen, chosen, base_url=where)

    def _use(
        self,
        build: Callable[[], Built],
        choice: str,
        provider_id: str,
        *,
        model: str = "",
        base_url: str = "",
    ) -> None:
        try:
            built = build()
        except Exception as exc:  # noqa: BLE001 - the panel stays, with the reason
            show_error(self._say, exc, doing=f"use {model or provider_id}")
            return
        self.connection.options = replace(
            self.connection.options,
            provider=provider_id,
            model=model or None,
            base_url=base_url or None,
        )
        settings = self.settings
        if settings is not None:
            setup.remember(settings, choice, provider_id, model=model, base_url=base_url)
            try:
                settings.save()
            except OSError as exc:
                show_error(self._say, exc, doing=_("save the choice in the settings"))
        self.use(built)
        self.finish()

    def follow_settings(self, settings: Settings) -> None:
        """The settings changed: look again when they say ``auto``."""
        self.connection.options = replace(
            self.connection.options,
            provider=settings.provider,
            model=settings.model or None,
            base_url=settings.base_url or None,
        )
        if settings.provider == AUTO:
            self._spawn(self.find())

    def open_models_dialog(self, parent: QWidget) -> ModelsDialog:
        """Open the Models dialog (made on first use; its downloads live here)."""
        if self.models_dialog is None:
            from .models_dialog import ModelsDialog

            connection = self.connection
            self.models_dialog = ModelsDialog(
                self.downloads,
                lambda: connection.locations,
                self._spawn,
                connection.offers(),
                connection.machine,
                parent,
            )
            self.models_dialog.use_requested.connect(self.use_model)
        self.models_dialog.open()
        return self.models_dialog

    async def aclose(self) -> None:
        """Cancel the downloads, then stop the engines and close the network session."""
        if self._downloads is not None:
            await self._downloads.aclose()
        await self.connection.aclose()

    def _say(self, text: str) -> None:
        self.status_message.emit(text, 0)
