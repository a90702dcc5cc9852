"""Help → About DeskChat names the version, Qt, Python and the data folder, without blocking."""

from __future__ import annotations

import platform

from PySide6.QtCore import qVersion

from deskchat.chat.version import version
from deskchat.gui.main_window import MainWindow
from deskchat.store import data_dir
from tests.gui.fakes import ScriptedProvider


def test_the_about_dialog_shows_the_version_and_the_data_folder(qtbot) -> None:
    window = MainWindow(ScriptedProvider())
    qtbot.addWidget(window)
    window.show()
    help_menu = [a.menu() for a in window.menuBar().actions() if a.text() == "&Help"]
    assert help_menu
    assert window.menus.about_action in help_menu[0].actions()

    window.menus.about_action.trigger()
    dialog = window.about_dialog
    assert dialog is not None
    # open(), not exec(): trigger() returned while the dialog is up.
    assert dialog.isVisible()
    text = dialog.text_label.text()
    assert f"DeskChat {version()}" in text
    assert version()
    assert f"Qt {qVersion()}" in text
    assert f"Python {platform.python_version()}" in text
    assert str(data_dir()) in text
    assert not dialog.icon_label.pixmap().isNull()
    assert not window.windowIcon().isNull()
    dialog.close()


def test_the_icon_is_the_pngs_in_every_size() -> None:
    from PySide6.QtCore import QSize

    from deskchat.gui.about import ICON_SIZES, app_icon

    sizes = app_icon().availableSizes()
    assert [QSize(n, n) for n in ICON_SIZES] == sizes
