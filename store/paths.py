"""The history database and the settings file, in the data folder of :mod:`deskchat.paths`.

Nothing is created here; the store and the settings create the folder when they write.
"""

from __future__ import annotations

from pathlib import Path

from deskchat.paths import data_dir

__all__ = ["DATABASE_NAME", "SETTINGS_NAME", "data_dir", "database_path", "settings_path"]

DATABASE_NAME = "deskchat.sqlite3"
SETTINGS_NAME = "settings.json"


def database_path(override: str | Path | None = None) -> Path:
    """The history database file inside :func:`data_dir`."""
    return data_dir(override) / DATABASE_NAME


def settings_path(override: str | Path | None = None) -> Path:
    """The settings file inside :func:`data_dir`."""
    return data_dir(override) / SETTINGS_NAME
