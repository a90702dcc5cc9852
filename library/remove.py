"""``deskchat rm NAME``: delete a model DeskChat downloaded, and never another app's."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from deskchat.gguf import is_projector
from deskchat.i18n import _

from .added import forget_model_file
from .errors import LibraryError, NotOurModelError
from .lookup import find_local
from .models import LocalModelInfo
from .paths import Locations
from .transfer import PART_SUFFIX

__all__ = ["Removal", "remove_model"]


@dataclass(frozen=True)
class Removal:
    """What :func:`remove_model` did.

    Attributes:
        model: the model as it was listed.
        deleted: the files deleted (none when an added file was only forgotten); a
            vision model's projector too, when no other model in its folder uses it.
        freed: bytes freed on disk.
    """

    model: LocalModelInfo
    deleted: tuple[Path, ...]
    freed: int


def remove_model(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    locations: Locations | None = None,
) -> Removal:
    """Delete the model called ``name`` if DeskChat downloaded it.

    A file the user added is only taken off the list (the file stays). A model
    of the Hugging Face cache, LM Studio, GPT4All or Ollama is refused.

    Raises:
        ModelNotFoundError: no such local model.
        NotOurModelError: another application's model; the sentence names it.
        LibraryError: the file could not be deleted (in use, permissions).
    """
    where = locations or Locations.default(data_dir)
    model = find_local(name, locations=where)
    if model.source == "added":
        forget_model_file(model.path, where.data_dir)
        return Removal(model, (), 0)
    if model.source != "downloaded":
        raise NotOurModelError(
            _(
                "{name} belongs to {source_label} ({path}); DeskChat only deletes models "
                "it downloaded itself. Remove it from {source_label} instead."
            ).format(name=model.name, source_label=model.source_label, path=model.path)
        )
    deleted: list[Path] = []
    for part in model.parts or (model.path,):
        _delete(part, model)
        deleted.append(part)
        for leftover in (_sibling(part, PART_SUFFIX), _sibling(part, PART_SUFFIX + ".json")):
            leftover.unlink(missing_ok=True)
    freed = model.size
    projector = model.projector
    if projector is not None and not _models_beside(projector):
        # Its model was the last one in the folder to use it.
        freed += _file_size(projector)
        _delete(projector, model)
        deleted.append(projector)
    _prune_empty(model.path.parent, where.models_dir)
    return Removal(model, tuple(deleted), freed)


def _models_beside(projector: Path) -> bool:
    """Whether a chat model is still in the projector's folder."""
    try:
        return any(
            p.name.lower().endswith(".gguf") and not is_projector(p.name)
            for p in projector.parent.iterdir()
        )
    except OSError:
        return False


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _sibling(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _delete(path: Path, model: LocalModelInfo) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise LibraryError(
            _(
                "{name} could not be deleted ({value}); if the engine is using it, stop "
                "it first, then try again."
            ).format(name=model.name, value=exc.strerror or exc)
        ) from None


def _prune_empty(folder: Path, root: Path) -> None:
    """Remove the model's now-empty folders, up to (not including) the models folder."""
    root = root.resolve()
    current = folder.resolve()
    while current != root and root in current.parents:
        try:
            current.rmdir()
        except OSError:
            return
        current = current.parent
