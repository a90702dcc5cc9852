"""Resources are found from the checkout (the wheel and frozen cases have their own tests)."""

from __future__ import annotations

import pytest

from deskchat import resources


def test_icon_and_desktop_entry_exist() -> None:
    assert resources.path("icons/deskchat.svg").read_text().startswith("<svg")
    assert "Exec=deskchat" in resources.path("deskchat.desktop").read_text()


def test_missing_resource_names_the_file() -> None:
    with pytest.raises(FileNotFoundError, match="nope.png"):
        resources.path("nope.png")
