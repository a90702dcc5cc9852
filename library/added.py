"""The .gguf files the user added by hand, remembered in a small JSON file in the data folder.

Format: ``{"version": 1, "paths": ["/abs/path/model.gguf", ...]}``. The files stay
where they are; forgetting one never deletes it.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

from deskchat.gguf import GGUFError, is_projector, read_gguf_info
from deskchat.i18n import _

from .errors import LibraryError
from .paths import added_models_path

__all__ = ["add_model_file", "forget_model_file", "read_added"]

log = logging.getLogger("deskchat.library")


def read_added(path: Path) -> list[Path]:
    """The remembered paths, in the order they were added; [] if there is no list yet.

    A damaged list is logged and read as empty (it is rewritten on the next add).
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        log.warning("Ignoring the list of added models in %s: %s", path, exc)
        return []
    paths = data.get("paths", []) if isinstance(data, dict) else []
    return [Path(p) for p in paths if isinstance(p, str)]


def add_model_file(
    file: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None
) -> Path:
    """Remember ``file`` so it is listed and can be used by name; returns its absolute path.

    Raises:
        LibraryError: the file does not exist, is not a GGUF model (or is a vision
            projector, a part of one), or the list cannot be written.
    """
    target = Path(file).expanduser().resolve()
    if not target.is_file():
        raise LibraryError(_("There is no file at {target}.").format(target=target))
    try:
        info = read_gguf_info(target)
    except GGUFError as exc:
        raise LibraryError(
            _("{text} Only .gguf models can be added.").format(text=exc.text())
        ) from None
    except OSError as exc:
        raise LibraryError(
            _("{target} cannot be read: {value}.").format(target=target, value=exc.strerror or exc)
        ) from None
    if info.is_projector or is_projector(target.name):
        raise LibraryError(
            _(
                "{name} is a vision projector, a part of a vision model: add the model "
                "file beside it instead; the projector is used with it."
            ).format(name=target.name)
        )
    store = added_models_path(data_dir)
    paths = read_added(store)
    if target not in paths:
        _write(store, [*paths, target])
    return target


def forget_model_file(
    file: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None = None
) -> bool:
    """Take ``file`` off the list (the file itself stays); False if it was not on it."""
    target = Path(file).expanduser().resolve()
    store = added_models_path(data_dir)
    paths = read_added(store)
    kept = [p for p in paths if p != target]
    if len(kept) == len(paths):
        return False
    _write(store, kept)
    return True


def _write(store: Path, paths: list[Path]) -> None:
    """Replace the list atomically: a crash leaves the old list or the new, never half."""
    text = json.dumps({"version": 1, "paths": [str(p) for p in paths]}, indent=2)
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".added-", suffix=".json", dir=store.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text + "\n")
        os.replace(tmp, store)
    except OSError as exc:
        raise LibraryError(
            _("The list of added models cannot be saved in {parent}: {value}.").format(
                parent=store.parent, value=exc.strerror or exc
            )
        ) from None
