"""The first-run setup panel: the ways to get a reply, one click each, in the issue's order.

Shown in the chat area while nothing is configured. What it offers comes from
the Qt-free :mod:`deskchat.chat.setup` (order, descriptions, the engine's
sentence) and a :class:`~deskchat.chat.connection.Survey` of this computer.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QCommandLinkButton,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from deskchat import library
from deskchat.chat import setup
from deskchat.chat.connection import Survey
from deskchat.chat.local_servers import LocalModel
from deskchat.i18n import N_, _
from deskchat.provider import ProviderInfo

from .downloads import Download

__all__ = ["SetupPanel"]

_NO_SERVER = N_(
    "None is running now (Ollama, llama.cpp's server and LM Studio are "
    "looked for on their usual ports)."
)
_NO_MODEL = N_(
    "No model files were found in DeskChat's folder, the Hugging Face cache, "
    "LM Studio, GPT4All or Ollama."
)


class SetupPanel(QScrollArea):
    """Offers every way to get a reply; a click (or Enter) on one chooses it.

    Up and Down move between the choices as Tab and Shift+Tab do.

    Args:
        survey: the servers and model files found, and whether the engine can run.
        offers: the catalogue models for this machine, the recommended one first.
        machine: this computer (for "will not fit" notes).
        hosted: the providers that take an API key.

    Signals:
        server_chosen(object): a :class:`~deskchat.chat.local_servers.LocalModel`.
        model_chosen(object): a :class:`deskchat.library.LocalModelInfo`.
        download_chosen(object): a :class:`deskchat.library.CatalogueEntry`.
        download_cancelled(str): Cancel on the download this panel started (its spec).
        api_key_chosen(str): the id of a hosted provider whose key the user will enter.
        chatgptfree_chosen(): try the free web widget.

    Attributes:
        choices: every choice's button, in order (focus moves along them).
        engine_note: the sentence shown when the built-in engine is unavailable, or None.
        download_spec: the spec of the download this panel started, if any.
    """

    server_chosen = Signal(object)
    model_chosen = Signal(object)
    download_chosen = Signal(object)
    download_cancelled = Signal(str)
    api_key_chosen = Signal(str)
    chatgptfree_chosen = Signal()

    def __init__(
        self,
        survey: Survey,
        offers: Sequence[setup.Offer],
        machine: library.Machine,
        hosted: Sequence[ProviderInfo],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("setupPanel")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAccessibleName(_("Set up DeskChat"))
        self.setAccessibleDescription(_("Choose what DeskChat answers with"))
        self.choices: list[QAbstractButton] = []
        self.engine_note: QLabel | None = None
        self.download_spec: str | None = None
        body = QWidget()
        self._layout = QVBoxLayout(body)
        self._layout.setContentsMargins(18, 12, 18, 12)
        self._layout.setSpacing(4)
        self._heading()
        self._servers(survey.servers)
        self._models(survey)
        self._downloads(survey.engine, offers, machine)
        self._hosted(hosted)
        self._chatgptfree()
        self._layout.addStretch(1)
        self.setWidget(body)

    # -- building --------------------------------------------------------------

    def _heading(self) -> None:
        title = QLabel(_("Set up DeskChat"))
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        title.setFont(font)
        self._layout.addWidget(title)
        intro = QLabel(
            _(
                "DeskChat needs something to answer with. Choose one below; File → "
                "Settings changes it later."
            )
        )
        intro.setWordWrap(True)
        self._layout.addWidget(intro)

    def _section(self, text: str) -> None:
        label = QLabel(text)
        font = label.font()
        font.setBold(True)
        label.setFont(font)
        self._layout.addSpacing(10)
        self._layout.addWidget(label)

    def _note(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._layout.addWidget(label)
        return label

    def _choice(self, title: str, description: str = "") -> QCommandLinkButton:
        button = QCommandLinkButton(title, description)
        button.installEventFilter(self)
        self._layout.addWidget(button)
        self.choices.append(button)
        return button

    def _servers(self, servers: Sequence[LocalModel]) -> None:
        self._section(_("A model server running on this computer"))
        if not servers:
            self._note(_(_NO_SERVER))
        for local in servers:
            button = self._choice(
                _("Use {model}").format(model=local.model),
                _("{server} at {where}").format(
                    server=local.server.display_name, where=_where(local)
                ),
            )
            button.clicked.connect(lambda _checked=False, m=local: self.server_chosen.emit(m))

    def _models(self, survey: Survey) -> None:
        self._section(_("A model file on this computer (the built-in engine)"))
        if not survey.engine:
            self.engine_note = self._note(_(setup.ENGINE_MISSING))
            return
        if not survey.models:
            self._note(_(_NO_MODEL))
        for model in survey.models:
            if model.problem:
                continue
            button = self._choice(
                _("Use {model}").format(model=model.name), setup.describe_local_model(model)
            )
            button.setToolTip(str(model.path))
            button.clicked.connect(lambda _checked=False, m=model: self.model_chosen.emit(m))

    def _downloads(
        self, engine: bool, offers: Sequence[setup.Offer], machine: library.Machine
    ) -> None:
        self._section(_("Download a model that runs on this computer's CPU"))
        if not engine:
            self._note(_(setup.ENGINE_MISSING))
            return
        for offer in offers:
            button = self._choice(
                _("Download {title}").format(title=offer.entry.title),
                setup.describe_offer(offer, machine),
            )
            button.setToolTip(f"{offer.entry.spec} ({offer.entry.licence})")
            button.clicked.connect(lambda _checked=False, e=offer.entry: self._on_download(e))
        self.progress_line = QLabel()
        self.progress_line.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.cancel_button = QPushButton(_("Cancel download"))
        self.cancel_button.clicked.connect(self._on_cancel)
        row = QHBoxLayout()
        row.addWidget(self.progress_bar, 1)
        row.addWidget(self.cancel_button)
        self.progress_box = QWidget()
        box = QVBoxLayout(self.progress_box)
        box.setContentsMargins(0, 4, 0, 4)
        box.addWidget(self.progress_line)
        box.addLayout(row)
        self.progress_box.hide()
        self._layout.addWidget(self.progress_box)

    def _hosted(self, hosted: Sequence[ProviderInfo]) -> None:
        self._section(_("A hosted provider, with your API key"))
        row = QHBoxLayout()
        for info in hosted:
            button = QPushButton(f"{info.display_name}…")
            button.setToolTip(
                _("Enter your {display_name} API key in the settings").format(
                    display_name=info.display_name
                )
            )
            button.installEventFilter(self)
            button.clicked.connect(lambda _checked=False, i=info.id: self.api_key_chosen.emit(i))
            self.choices.append(button)
            row.addWidget(button)
        row.addStretch(1)
        self._layout.addLayout(row)

    def _chatgptfree(self) -> None:
        self._section(_("Or try the free web widget"))
        button = self._choice(_("Try chatgptfree"), _(setup.CHATGPTFREE_NOTE))
        button.clicked.connect(self.chatgptfree_chosen.emit)

    # -- keyboard --------------------------------------------------------------

    def focus_first(self) -> None:
        """Put the focus on the first choice."""
        if self.choices:
            self._focus(self.choices[0])

    def _focus(self, button: QAbstractButton) -> None:
        button.setFocus(Qt.FocusReason.TabFocusReason)
        self.ensureWidgetVisible(button)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.KeyPress or watched not in self.choices:
            return False
        assert isinstance(event, QKeyEvent)
        assert isinstance(watched, QAbstractButton)
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            watched.click()
            return True
        step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1}.get(Qt.Key(key))
        if step is None:
            return False
        index = self.choices.index(watched) + step
        if 0 <= index < len(self.choices):
            self._focus(self.choices[index])
        return True

    # -- the download this panel started ---------------------------------------

    def _on_download(self, entry: library.CatalogueEntry) -> None:
        self.download_spec = entry.spec
        self.progress_line.setText(_("Downloading {title}…").format(title=entry.title))
        self.progress_bar.setValue(0)
        self.cancel_button.show()
        self.progress_box.show()
        self.download_chosen.emit(entry)

    @Slot()
    def _on_cancel(self) -> None:
        if self.download_spec is not None:
            self.download_cancelled.emit(self.download_spec)

    @Slot(str, object)
    def on_downloads_progressed(self, spec: str, download: Download) -> None:
        if spec != self.download_spec:
            return
        self.progress_line.setText(download.line())
        fraction = download.progress.fraction if download.progress is not None else None
        if fraction is None:
            self.progress_bar.setRange(0, 0)
        else:
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(round(fraction * 1000))

    @Slot(str, str)
    def on_downloads_failed(self, spec: str, sentence: str) -> None:
        if spec == self.download_spec:
            self.progress_line.setText(sentence)
            self.cancel_button.hide()

    @Slot(str)
    def on_downloads_cancelled(self, spec: str) -> None:
        if spec == self.download_spec:
            self.progress_line.setText(
                _("Download cancelled; the part downloaded so far is kept for next time.")
            )
            self.cancel_button.hide()


def _where(local: LocalModel) -> str:
    from urllib.parse import urlsplit

    return urlsplit(local.server.base_url).netloc or local.server.base_url
