"""The model library: GGUF models downloaded, found on disk, and their facts. No Qt.

The one door: the window, the command line and the engine import from here,
never from ``deskchat.library._x``. The modules, bottom floor first: errors,
names (specs, quantisations), paths, models, progress, formatting; then added,
sources (discovery), hub, transfer, catalogue; then pulling (pull), lookup
(resolve), remove. The GGUF header reader is :mod:`deskchat.gguf`, shared with
the built-in engine; its names are re-exported here.

The errors, the records and the folders load with the package; every other module
the first time one of its names is read (:data:`_LATER`): the window connecting
with a model given reads the disk's models and never downloads, so the hub, the
transfers and pulling stay unloaded until a download starts. mypy and other tools
see them as plain imports (the ``TYPE_CHECKING`` block).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deskchat.gguf import FILE_TYPES, GGUFError, GGUFInfo, is_gguf, read_gguf_info
from deskchat.lazy import on_first_use

from .errors import (
    AccessDeniedError,
    ChecksumMismatchError,
    DownloadCancelled,
    DownloadError,
    InvalidSpecError,
    LibraryError,
    ModelNotFoundError,
    NotEnoughDiskSpaceError,
    NotOurModelError,
    QuantNotFoundError,
    TokenRequiredError,
)
from .models import SOURCE_LABELS, SOURCES, LocalModelInfo, Source
from .paths import Locations, models_dir

if TYPE_CHECKING:
    from .added import add_model_file, forget_model_file
    from .catalogue import (
        CATALOGUE,
        DEFAULT_CONTEXT,
        CatalogueEntry,
        Machine,
        estimate_ram,
        fits,
        recommend,
    )
    from .formatting import (
        format_duration,
        format_local_model,
        format_local_models,
        format_progress,
        format_size,
    )
    from .hub import Hub, RemoteFile, RepoListing
    from .lookup import find_local, resolve
    from .names import DEFAULT_QUANT, ModelSpec, parse_spec, quant_from_filename
    from .progress import CancelToken, DownloadProgress, ProgressCallback
    from .pulling import PullPlan, adownload, aplan_pull, apull, download, plan_pull, pull
    from .remove import Removal, remove_model
    from .sources import local_models

__all__ = [
    "CATALOGUE",
    "DEFAULT_CONTEXT",
    "DEFAULT_QUANT",
    "FILE_TYPES",
    "SOURCES",
    "SOURCE_LABELS",
    "AccessDeniedError",
    "CancelToken",
    "CatalogueEntry",
    "ChecksumMismatchError",
    "DownloadCancelled",
    "DownloadError",
    "DownloadProgress",
    "GGUFError",
    "GGUFInfo",
    "Hub",
    "InvalidSpecError",
    "LibraryError",
    "LocalModelInfo",
    "Locations",
    "Machine",
    "ModelNotFoundError",
    "ModelSpec",
    "NotEnoughDiskSpaceError",
    "NotOurModelError",
    "ProgressCallback",
    "PullPlan",
    "QuantNotFoundError",
    "Removal",
    "RemoteFile",
    "RepoListing",
    "Source",
    "TokenRequiredError",
    "add_model_file",
    "adownload",
    "aplan_pull",
    "apull",
    "download",
    "estimate_ram",
    "find_local",
    "fits",
    "forget_model_file",
    "format_duration",
    "format_local_model",
    "format_local_models",
    "format_progress",
    "format_size",
    "is_gguf",
    "local_models",
    "models_dir",
    "parse_spec",
    "plan_pull",
    "pull",
    "quant_from_filename",
    "read_gguf_info",
    "recommend",
    "remove_model",
    "resolve",
]

_LATER = {
    "CATALOGUE": ".catalogue",
    "CancelToken": ".progress",
    "CatalogueEntry": ".catalogue",
    "DEFAULT_CONTEXT": ".catalogue",
    "DEFAULT_QUANT": ".names",
    "DownloadProgress": ".progress",
    "Hub": ".hub",
    "Machine": ".catalogue",
    "ModelSpec": ".names",
    "ProgressCallback": ".progress",
    "PullPlan": ".pulling",
    "RemoteFile": ".hub",
    "Removal": ".remove",
    "RepoListing": ".hub",
    "add_model_file": ".added",
    "adownload": ".pulling",
    "aplan_pull": ".pulling",
    "apull": ".pulling",
    "download": ".pulling",
    "estimate_ram": ".catalogue",
    "find_local": ".lookup",
    "fits": ".catalogue",
    "forget_model_file": ".added",
    "format_duration": ".formatting",
    "format_local_model": ".formatting",
    "format_local_models": ".formatting",
    "format_progress": ".formatting",
    "format_size": ".formatting",
    "local_models": ".sources",
    "parse_spec": ".names",
    "plan_pull": ".pulling",
    "pull": ".pulling",
    "quant_from_filename": ".names",
    "recommend": ".catalogue",
    "remove_model": ".remove",
    "resolve": ".lookup",
}
"""The names read from their modules the first time they are used."""

__getattr__, __dir__ = on_first_use(__name__, _LATER, globals())
