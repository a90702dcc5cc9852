"""DeskChat's history store: conversations in SQLite, export/import, settings.

This package is the one door the GUI and the CLI use: import names from here,
not from the modules behind it. Nothing here imports Qt.

The database itself (:class:`Store`, :class:`AsyncStore` with asyncio, the schema,
search), export and import (:data:`_LATER`) are imported the first time one of
their names is read: the window shows its first frame with the records, paths and
settings only (no sqlite3, no asyncio) and opens the store after it. mypy and other
tools see them as plain imports (the ``TYPE_CHECKING`` block).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deskchat.lazy import on_first_use

from .errors import (
    BadImportFileError,
    DatabaseBusyError,
    DiskError,
    DiskFullError,
    MigrationError,
    NoSuchRecordError,
    ReadOnlyError,
    StoreError,
)
from .models import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    LEAF,
    Conversation,
    Message,
    MessageStatus,
    ParentRef,
    Role,
    SearchHit,
    make_title,
)
from .paths import DATABASE_NAME, SETTINGS_NAME, data_dir, database_path, settings_path
from .settings import SEND_KEYS, THEMES, Settings, join_proxy_password, split_proxy_password

if TYPE_CHECKING:
    from .aio import AsyncReplyWriter, AsyncStore
    from .export import (
        EXPORT_FORMAT,
        EXPORT_VERSION,
        export_json,
        export_markdown,
        to_json_data,
        to_markdown,
        write_export,
    )
    from .importers import ImportResult, import_chatgpt, import_deskchat, import_file
    from .reply import ReplyWriter
    from .schema import SCHEMA_VERSION
    from .search import fts_query
    from .store import LOCK_WAIT, Store

_LATER = {
    **dict.fromkeys(("AsyncReplyWriter", "AsyncStore"), ".aio"),
    "ReplyWriter": ".reply",
    "SCHEMA_VERSION": ".schema",
    "fts_query": ".search",
    **dict.fromkeys(("LOCK_WAIT", "Store"), ".store"),
    **dict.fromkeys(
        (
            "EXPORT_FORMAT",
            "EXPORT_VERSION",
            "export_json",
            "export_markdown",
            "to_json_data",
            "to_markdown",
            "write_export",
        ),
        ".export",
    ),
    **dict.fromkeys(
        ("ImportResult", "import_chatgpt", "import_deskchat", "import_file"), ".importers"
    ),
}
"""Names imported on first use, and the module of each (the TYPE_CHECKING block above)."""


__getattr__, __dir__ = on_first_use(__name__, _LATER, globals())


__all__ = [
    "DATABASE_NAME",
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "HIGHLIGHT_END",
    "HIGHLIGHT_START",
    "LEAF",
    "LOCK_WAIT",
    "SCHEMA_VERSION",
    "SEND_KEYS",
    "SETTINGS_NAME",
    "THEMES",
    "AsyncReplyWriter",
    "AsyncStore",
    "BadImportFileError",
    "Conversation",
    "DatabaseBusyError",
    "DiskError",
    "DiskFullError",
    "ImportResult",
    "Message",
    "MessageStatus",
    "MigrationError",
    "NoSuchRecordError",
    "ParentRef",
    "ReadOnlyError",
    "ReplyWriter",
    "Role",
    "SearchHit",
    "Settings",
    "Store",
    "StoreError",
    "data_dir",
    "database_path",
    "export_json",
    "export_markdown",
    "fts_query",
    "import_chatgpt",
    "import_deskchat",
    "import_file",
    "make_title",
    "settings_path",
    "split_proxy_password",
    "join_proxy_password",
    "to_json_data",
    "to_markdown",
    "write_export",
]
