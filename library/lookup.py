"""From what the user typed to the .gguf file the engine loads."""

from __future__ import annotations

import os
from pathlib import Path

from deskchat.i18n import _

from .errors import ModelNotFoundError
from .models import LocalModelInfo
from .names import DEFAULT_QUANT, GGUFGroup, looks_like_repo_spec, parse_spec, pick_group
from .paths import Locations
from .sources import local_models

__all__ = ["find_local", "resolve"]


def resolve(
    spec: str | os.PathLike[str],
    data_dir: str | os.PathLike[str] | None = None,
    *,
    locations: Locations | None = None,
) -> Path:
    """The .gguf file for ``spec``, which is one of:

    - a path to a .gguf file;
    - ``OWNER/REPO[:QUANT]``, as pulled, or found in the Hugging Face cache or LM
      Studio (QUANT picks the file as ``deskchat pull`` would; default Q4_K_M);
    - a name from the local list (``deskchat models``), e.g. ``qwen2.5:0.5b`` from Ollama.

    Raises:
        ModelNotFoundError: with the sentence to show, e.g. "… is not downloaded;
            run `deskchat pull OWNER/REPO:QUANT`."
    """
    text = os.fspath(spec).strip()
    if _looks_like_path(text):
        path = Path(text).expanduser()
        if path.is_file():
            # absolute(), not resolve(): a cache's symlink keeps the name llama.cpp reads.
            return path.absolute()
        raise ModelNotFoundError(_("There is no model file at {path}.").format(path=path))
    return find_local(text, data_dir, locations=locations).path


def find_local(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    locations: Locations | None = None,
) -> LocalModelInfo:
    """The local model called ``name`` (its name in the list, ``OWNER/REPO[:QUANT]``, or
    its file's path).

    Raises:
        ModelNotFoundError: see :func:`resolve`.
    """
    text = name.strip()
    models = local_models(data_dir, locations=locations)
    found = _by_name(models, text) or _by_path(models, text)
    if found is not None:
        return found
    if looks_like_repo_spec(text):
        wanted = parse_spec(text)
        found = _by_repo(models, wanted.repo, wanted.quant)
        if found is not None:
            return found
        quant = wanted.quant or DEFAULT_QUANT
        raise ModelNotFoundError(
            _("{repo}:{quant} is not downloaded; run `deskchat pull {repo}:{quant}`.").format(
                repo=wanted.repo, quant=quant
            )
        )
    raise ModelNotFoundError(
        _(
            "No model on this machine is called '{text}'. `deskchat models` lists "
            "them; `deskchat pull OWNER/REPO:QUANT` downloads one from Hugging Face."
        ).format(text=text)
    )


def _looks_like_path(text: str) -> bool:
    return (
        text.lower().endswith(".gguf")
        or text.startswith(("/", "~", ".", "\\"))
        or "\\" in text
        or (len(text) > 2 and text[1] == ":" and text[2] in "/\\")  # C:\ on Windows
    )


def _by_path(models: list[LocalModelInfo], text: str) -> LocalModelInfo | None:
    if not _looks_like_path(text):
        return None
    try:
        target = Path(text).expanduser().resolve()
    except OSError:
        return None
    return next((m for m in models if m.path.resolve() == target), None)


def _by_name(models: list[LocalModelInfo], text: str) -> LocalModelInfo | None:
    for model in models:
        if model.name == text:
            return model
    folded = text.casefold()
    matches = [m for m in models if m.name.casefold() == folded]
    return matches[0] if matches else None


def _by_repo(models: list[LocalModelInfo], repo: str, quant: str | None) -> LocalModelInfo | None:
    """The model of ``repo`` that ``quant`` picks, among those on disk (DeskChat's first)."""
    mine = [m for m in models if m.repo is not None and m.repo.casefold() == repo.casefold()]
    if not mine:
        return None
    groups = [GGUFGroup((m.path.name,), m.size) for m in mine]
    try:
        chosen = pick_group(groups, quant, repo)
    except ModelNotFoundError:
        return None
    return next(m for m, g in zip(mine, groups, strict=True) if g is chosen)
