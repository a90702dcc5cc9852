"""The settings dialog's extra headers: typed one a line, ticked secret, stored.

A header that carries a credential (named like one, or ticked secret) goes to
the keyring through ``provider.save_extra_headers`` and is shown masked; the
others go to ``settings.json``. The names the keyring holds are noted in the
settings (``keyring_headers``), so that a start reads the keyring only then.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import QFormLayout, QLabel, QListWidget, QListWidgetItem, QPlainTextEdit

from deskchat import provider
from deskchat.chat.options import parse_header
from deskchat.i18n import N_, _
from deskchat.store import Settings

from .errors import show_error

__all__ = ["MASK", "NO_KEYRING_HEADERS", "HeadersSection"]

NO_KEYRING_HEADERS = N_(
    "This system has no keyring to store the secret headers safely, so "
    "DeskChat keeps them for this session only."
)
MASK = "\u2022" * 8
"""What a secret header's value shows as; saving it unchanged keeps the stored value."""


class HeadersSection(QObject):
    """The extra headers' fields of the settings dialog, with what they were loaded from.

    Args:
        parent: the dialog (it lays the fields out with :meth:`add_rows`).

    Attributes:
        headers_edit: the headers, one ``Name: value`` a line (secret values masked).
        secret_list: the typed headers' names, each with a box to keep it secret.
        headers_note: says the secret headers last this session only (no keyring).
        keyring_headers: the names the keyring holds after the last :meth:`store`.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.headers_edit = QPlainTextEdit()
        self.headers_edit.setPlaceholderText(_("One per line, e.g. X-Title: DeskChat"))
        self.headers_edit.setToolTip(
            _(
                "Sent with every request. Headers that carry a credential (named like a "
                "key, token or secret, or ticked below) are kept in the system keyring "
                "and shown masked; the others are saved in the settings file."
            )
        )
        self.headers_edit.setFixedHeight(56)
        self.secret_list = QListWidget()
        self.secret_list.setToolTip(
            _("Tick a header to keep it in the system keyring instead of the settings file")
        )
        self.secret_list.setFixedHeight(56)
        self.headers_note = QLabel(_(NO_KEYRING_HEADERS))
        self.headers_note.setWordWrap(True)
        self.headers_note.hide()
        # The stored values of the headers shown masked, and the names ticked secret
        # (lowercase: header names ignore case).
        self._hidden: dict[str, str] = {}
        self._marked: set[str] = set()
        # The names of the headers the keyring holds once saved (noted in the settings).
        self.keyring_headers: tuple[str, ...] = ()
        self.headers_edit.textChanged.connect(self.on_headers_edit_changed)
        self.secret_list.itemChanged.connect(self.on_secret_list_changed)

    def add_rows(self, form: QFormLayout) -> None:
        """Lay the fields out in ``form``, each under its label."""
        form.addRow(_("Extra headers:"), self.headers_edit)
        form.addRow(_("Keep secret:"), self.secret_list)
        form.addRow("", self.headers_note)

    def load(self, settings: Settings) -> None:
        """Show the saved headers, the keyring's masked."""
        secret = provider.load_secret_headers()
        shown = {**settings.extra_headers, **secret}
        self._hidden = {
            name: value
            for name, value in shown.items()
            if name in secret or provider.is_secret_header(name)
        }
        self._marked = {name.lower() for name in secret if not provider.is_secret_header(name)}
        self.headers_edit.setPlainText(
            "\n".join(
                f"{name}: {MASK if name in self._hidden else value}"
                for name, value in shown.items()
            )
        )

    def shown(self) -> dict[str, str]:
        """The headers as typed now, masked values as stored; lines no header skipped."""
        headers: dict[str, str] = {}
        for line in self.headers_edit.toPlainText().splitlines():
            try:
                name, value = parse_header(line)
            except provider.ConfigurationError:
                continue  # said when saving
            headers[name] = self._hidden.get(name, value) if value == MASK else value
        return headers

    def typed(self, problem: Callable[[str], object]) -> dict[str, str]:
        """The headers to save, masked values as stored; a line no header said to ``problem``."""
        headers: dict[str, str] = {}
        try:
            headers = dict(
                parse_header(line)
                for line in self.headers_edit.toPlainText().splitlines()
                if line.strip()
            )
        except provider.ConfigurationError as exc:
            show_error(problem, exc, doing=_("read the extra headers"))
        return self._unmasked(headers, problem)

    @Slot()
    def on_headers_edit_changed(self) -> None:
        """List the typed headers' names, each with a box to keep it secret."""
        names: dict[str, None] = {}
        for line in self.headers_edit.toPlainText().splitlines():
            try:
                name, _value = parse_header(line)
            except provider.ConfigurationError:
                continue  # Said when saving; a line being typed is no header yet.
            names[name] = None
        self.secret_list.blockSignals(True)
        self.secret_list.clear()
        for name in names:
            item = QListWidgetItem(name)
            if provider.is_secret_header(name):
                # Named like a credential: always kept in the keyring.
                item.setFlags(Qt.ItemFlag.NoItemFlags)
                item.setCheckState(Qt.CheckState.Checked)
                item.setToolTip(_("Named like a credential: always kept in the keyring"))
            else:
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                checked = name.lower() in self._marked
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.secret_list.addItem(item)
        self.secret_list.blockSignals(False)

    @Slot(QListWidgetItem)
    def on_secret_list_changed(self, item: QListWidgetItem) -> None:
        name = item.text().lower()
        if item.checkState() == Qt.CheckState.Checked:
            self._marked.add(name)
        else:
            self._marked.discard(name)

    def marked_headers(self) -> list[str]:
        """The names of the shown headers ticked secret by the user."""
        items = (self.secret_list.item(i) for i in range(self.secret_list.count()))
        return [
            item.text()
            for item in items
            if item.flags() & Qt.ItemFlag.ItemIsUserCheckable
            and item.checkState() == Qt.CheckState.Checked
        ]

    def _unmasked(
        self, headers: dict[str, str], problem: Callable[[str], object]
    ) -> dict[str, str]:
        """``headers`` with each masked value left unchanged replaced by the stored one."""
        stored = {name.lower(): value for name, value in self._hidden.items()}
        out: dict[str, str] = {}
        for name, value in headers.items():
            if value == MASK:
                if name.lower() not in stored:
                    problem(
                        _("Type the value of the header {name}: it has none stored.").format(
                            name=name
                        )
                    )
                    continue
                value = stored[name.lower()]
            out[name] = value
        return out

    def store(
        self, headers: dict[str, str], problem: Callable[[str], object]
    ) -> tuple[dict[str, str] | None, str | None]:
        """Put the secret headers in the keyring (or this session).

        Returns the plain headers, for the settings file (None after a problem,
        said to ``problem``), and a note for the window (or None).
        """
        marked = self.marked_headers()
        try:
            plain = provider.save_extra_headers(headers, marked=marked)
        except provider.KeyringUnavailableError:
            # As for the key: no keyring is no error, the note says how long they last.
            plain = provider.save_extra_headers(headers, marked=marked, session_only=True)
            self.keyring_headers = ()
            secret = len(plain) < len(headers)
            self.headers_note.setVisible(secret)
            return plain, _(NO_KEYRING_HEADERS) if secret else None
        except provider.SecretStoreError as exc:
            show_error(problem, exc, doing=_("store the secret headers"))
            return None, None
        # Noted in the settings, so that no start reads the keyring for nothing.
        self.keyring_headers = tuple(name for name in headers if name not in plain)
        self.headers_note.hide()
        return plain, None
