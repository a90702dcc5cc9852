"""The model library: GGUF models downloaded, found on disk, and their facts. No Qt.

The one door: the window, the command line and the engine import from here,
never from ``deskchat.library._x``. The modules, bottom floor first: errors,
names (specs, quantisations), paths, models, progress, formatting; then added,
sources (discovery), hub, transfer, catalogue; then pulling (pull), lookup
(resolve), remove. The GGUF header reader is :mod:`deskchat.gguf`, shared with
the built-in engine; its names are re-exported here.
"""

from __future__ import annotations

from deskchat.gguf import FILE_TYPES, GGUFError, GGUFInfo, is_gguf, read_gguf_info

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
from .formatting import (
    format_duration,
    format_local_model,
    format_local_models,
    format_progress,
    format_size,
)
from .hub import Hub, RemoteFile, RepoListing
from .lookup import find_local, resolve
from .models import SOURCE_LABELS, SOURCES, LocalModelInfo, Source
from .names import DEFAULT_QUANT, ModelSpec, parse_spec, quant_from_filename
from .paths import Locations, models_dir
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
