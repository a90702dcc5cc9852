"""The model picker: the provider's models, then the models of servers running on this computer."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox

from deskchat.chat.local_servers import LocalModel
from deskchat.chat.source import reply_source
from deskchat.chat.window_settings import ProviderChoice
from deskchat.i18n import _
from deskchat.provider import ProviderError

from .errors import show_error

__all__ = ["ModelPicker"]


class ModelPicker(QComboBox):
    """Chooses the model that answers; a local server's model switches the provider too.

    What an entry means is decided by the Qt-free
    :class:`~deskchat.chat.window_settings.ProviderChoice`; this box shows the
    entries and hands it the chosen one.

    Args:
        choice: switches the session's provider and model.

    Signals:
        status_message(str, int): a line for the status bar, and how long it
            stays in milliseconds (0: until the next one).

    Attributes:
        local_models: the models found on this computer, in picker order.
        main_base_url: the main provider's address, for :meth:`source` (None: its own).
    """

    status_message = Signal(str, int)

    def __init__(self, choice: ProviderChoice) -> None:
        super().__init__()
        self.choice = choice
        self.local_models: list[LocalModel] = []
        self.main_base_url: str | None = None
        self.setToolTip(_("The model that answers"))
        self.setAccessibleName(_("Model"))
        self.setAccessibleDescription(_("The model that answers the next message"))
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.currentIndexChanged.connect(self.on_model_picker_index_changed)

    async def discover(self) -> None:
        """Offer the models of servers running on this computer, below the provider's own."""
        servers = self.choice.local_servers
        if servers is None:
            return
        self.set_local_models(await servers.discover())

    @Slot(list)
    def set_local_models(self, found: list[LocalModel]) -> None:
        """Offer ``found`` (models of servers on this computer) below the provider's own."""
        self.local_models = found
        self._fill_local_models()
        if found:
            names = sorted({m.server.display_name for m in found})
            self.status_message.emit(
                _("Found {join} on this computer; its models are in the model list.").format(
                    join=", ".join(names)
                ),
                5000,
            )

    @Slot(list, str)
    def on_controller_models_loaded(self, names: list[str], selected: str) -> None:
        self.blockSignals(True)
        self.clear()
        self.addItems(names)
        self.setCurrentText(selected)
        self.blockSignals(False)
        self._fill_local_models()

    def _fill_local_models(self) -> None:
        """Put the local models after the provider's own, below a separator."""
        self.blockSignals(True)
        for index in range(self.count() - 1, -1, -1):
            if isinstance(self.itemData(index), LocalModel) or not self.itemText(index):
                self.removeItem(index)
        if self.local_models:
            self.insertSeparator(self.count())
            for local in self.local_models:
                self.addItem(local.label, local)
        self.blockSignals(False)

    @Slot(int)
    def on_model_picker_index_changed(self, index: int) -> None:
        if index < 0:
            return
        chosen = self.itemData(index)
        entry = chosen if isinstance(chosen, LocalModel) else self.itemText(index)
        try:
            said = self.choice.choose(entry)
        except ProviderError as exc:
            show_error(
                self._say, exc, doing=_("reach {itemText}").format(itemText=self.itemText(index))
            )
            return
        if said:
            self.status_message.emit(said, 5000)

    def source(self) -> str:
        """The provider and model the next reply uses, e.g. "Ollama (127.0.0.1:11434) · llama3"."""
        session, current = self.choice.session, self.currentData()
        if isinstance(current, LocalModel) and session.chat_provider is not (
            self.choice.main_provider
        ):
            server = current.server
            return reply_source(server.provider_id, session.model_name, server.base_url)
        return reply_source(session.provider_id, session.model_name, self.main_base_url)

    def _say(self, text: str) -> None:
        self.status_message.emit(text, 0)
