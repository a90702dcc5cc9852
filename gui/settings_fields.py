"""Two groups of the settings dialog's fields: the looks and the built-in engine.

Each group makes its fields, lays them out in the dialog's form, shows the
values of a :class:`store.Settings` and writes them back.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QSpinBox

from deskchat.i18n import LANGUAGES, N_, _
from deskchat.store import Settings
from deskchat.store.settings import GPU_LAYERS, MAX_ENGINE_CONTEXT, MAX_IDLE_MINUTES

__all__ = ["EngineFields", "LooksFields"]

_THEMES = {"system": N_("Follow the system"), "light": N_("Light"), "dark": N_("Dark")}
_SEND_KEYS = {"enter": N_("Enter (Shift+Enter for a new line)"), "ctrl+enter": "Ctrl+Enter"}
_GPU_LAYERS = {
    "auto": N_("Automatic (all, when this llama.cpp can use a GPU)"),
    "none": N_("None (CPU only)"),
    "all": N_("All"),
}
assert set(_GPU_LAYERS) == set(GPU_LAYERS)


class LooksFields(QObject):
    """The font size, the theme, the send key and the language.

    Attributes:
        font_size_box, theme_box, send_key_box, language_box: the fields.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.font_size_box = QSpinBox()
        self.font_size_box.setRange(6, 72)
        self.theme_box = QComboBox()
        for key, label in _THEMES.items():
            self.theme_box.addItem(_(label), key)
        self.language_box = QComboBox()
        self.language_box.addItem(_("Follow the system"), "")
        for code, name in LANGUAGES.items():
            self.language_box.addItem(name, code)  # each language named in itself
        self.language_box.setToolTip(_("Takes effect the next time DeskChat starts"))
        self.send_key_box = QComboBox()
        for key, label in _SEND_KEYS.items():
            self.send_key_box.addItem(_(label), key)

    def add_rows(self, form: QFormLayout) -> None:
        """Lay the fields out in ``form``, each under its label."""
        form.addRow(_("Font size:"), self.font_size_box)
        form.addRow(_("Theme:"), self.theme_box)
        form.addRow(_("Send with:"), self.send_key_box)
        form.addRow(_("Language:"), self.language_box)

    def load(self, s: Settings) -> None:
        """Show the values in ``s``."""
        self.font_size_box.setValue(s.font_size)
        self.theme_box.setCurrentIndex(max(self.theme_box.findData(s.theme), 0))
        self.send_key_box.setCurrentIndex(max(self.send_key_box.findData(s.send_key), 0))
        self.language_box.setCurrentIndex(max(self.language_box.findData(s.language), 0))

    def save(self, s: Settings) -> None:
        """Write the values shown into ``s`` (not to its file)."""
        s.font_size = self.font_size_box.value()
        s.theme = str(self.theme_box.currentData())
        s.send_key = str(self.send_key_box.currentData())
        s.language = str(self.language_box.currentData())


class EngineFields(QObject):
    """The built-in engine's context size, GPU layers and idle time.

    Attributes:
        context_box, gpu_box, idle_box: the fields.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context_box = QSpinBox()
        self.context_box.setRange(0, MAX_ENGINE_CONTEXT)
        self.context_box.setSingleStep(1024)
        self.context_box.setSuffix(_(" tokens"))
        self.context_box.setSpecialValueText(_("Automatic (fits this computer's memory)"))
        self.gpu_box = QComboBox()
        for key, label in _GPU_LAYERS.items():
            self.gpu_box.addItem(_(label), key)
        self.idle_box = QSpinBox()
        self.idle_box.setRange(0, MAX_IDLE_MINUTES)
        self.idle_box.setSuffix(_(" min"))
        self.idle_box.setSpecialValueText(_("Never (keep the model loaded)"))
        self.idle_box.setToolTip(_("Free the model's memory after this long without a reply"))

    def add_rows(self, form: QFormLayout) -> None:
        """Lay the fields out in ``form`` under a heading."""
        form.addRow(_bold(_("Built-in engine")))
        form.addRow(_("Context size:"), self.context_box)
        form.addRow(_("GPU layers:"), self.gpu_box)
        form.addRow(_("Unload after idle:"), self.idle_box)

    def load(self, s: Settings) -> None:
        """Show the values in ``s``."""
        self.context_box.setValue(s.engine_context)
        self.gpu_box.setCurrentIndex(max(self.gpu_box.findData(s.engine_gpu_layers), 0))
        self.idle_box.setValue(s.engine_idle_minutes)

    def save(self, s: Settings) -> None:
        """Write the values shown into ``s`` (not to its file)."""
        s.engine_context = self.context_box.value()
        s.engine_gpu_layers = str(self.gpu_box.currentData())
        s.engine_idle_minutes = self.idle_box.value()


def _bold(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label
