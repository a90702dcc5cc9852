"""Finding the GGUF models already on this machine, in DeskChat's folder and other apps'.

Each app keeps its models its own way; each finder below reads one layout and
returns the models where they lie. Nothing is copied, moved or written.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from deskchat.gguf import GGUFError, find_projector, is_projector, read_gguf_info
from deskchat.i18n import _

from .added import read_added
from .models import LocalModelInfo, Source
from .names import group_gguf_files, quant_from_filename, split_part
from .paths import Locations

__all__ = [
    "find_downloaded",
    "find_gpt4all",
    "find_hf_cache",
    "find_lmstudio",
    "find_ollama",
    "local_models",
]

log = logging.getLogger("deskchat.library")

OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
_OLLAMA_REGISTRY = "registry.ollama.ai"


def local_models(
    data_dir: str | os.PathLike[str] | None = None, *, locations: Locations | None = None
) -> list[LocalModelInfo]:
    """Every GGUF model on this machine: DeskChat's downloads, the files the user added,
    the Hugging Face cache, LM Studio, GPT4All and Ollama, in that order.

    A file reachable twice (a link, or added from another app's folder) is listed
    once, under the first source that has it.
    """
    where = locations or Locations.default(data_dir)
    found: list[LocalModelInfo] = []
    seen: set[str] = set()
    for model in _all(where):
        key = _identity(model.path)
        if key not in seen:
            seen.add(key)
            found.append(model)
    return found


def _all(where: Locations) -> Iterator[LocalModelInfo]:
    yield from find_downloaded(where.models_dir)
    yield from find_added(where.added_models)
    yield from find_hf_cache(where.hf_cache)
    yield from find_lmstudio(where.lmstudio)
    yield from find_gpt4all(where.gpt4all)
    yield from find_ollama(where.ollama)


def _identity(path: Path) -> str:
    try:
        return os.path.normcase(os.path.realpath(path))
    except OSError:
        return os.path.normcase(str(path))


def describe(
    path: Path,
    *,
    name: str,
    source: Source,
    repo: str | None = None,
    parts: tuple[Path, ...] = (),
    projector: Path | None = None,
) -> LocalModelInfo:
    """One model, its header read (a broken header becomes ``problem``, not an error)."""
    parts = parts or (path,)
    size = sum(_size(p) for p in parts)
    try:
        info = read_gguf_info(path)
        problem = None
    except GGUFError as exc:
        info, problem = None, exc.text()
    except OSError as exc:
        info, problem = (
            None,
            _("{name} cannot be read: {value}.").format(name=path.name, value=exc.strerror or exc),
        )
    quant = (info.quantization if info else None) or quant_from_filename(path.name)
    return LocalModelInfo(name, path, size, source, quant, repo, parts, info, problem, projector)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _gguf_files(root: Path) -> list[Path]:
    """The .gguf files under ``root``, sorted; unreadable folders are skipped."""
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()  # followed links may loop back
    for folder, dirs, files in os.walk(root, onerror=_log_walk_error, followlinks=True):
        try:
            stat = os.stat(folder)
        except OSError:
            dirs[:] = []
            continue
        if (stat.st_dev, stat.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((stat.st_dev, stat.st_ino))
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(folder, f) for f in files if f.lower().endswith(".gguf"))
    return sorted(found)


def _log_walk_error(exc: OSError) -> None:
    log.debug("Skipping %s: %s", exc.filename, exc.strerror)


def _repo_models(repo: str, files: dict[str, Path], source: Source) -> Iterator[LocalModelInfo]:
    """The models of one repository folder: ``files`` maps repo paths to files on disk."""
    groups = group_gguf_files((rel, _size(path)) for rel, path in files.items())
    quants = [g.quant for g in groups]
    for group in groups:
        unique = group.quant is not None and quants.count(group.quant) == 1
        name = f"{repo}:{group.quant}" if unique else f"{repo}/{group.name}"
        parts = tuple(files[f] for f in group.files)
        projector = find_projector(parts[0])
        yield describe(
            parts[0], name=name, source=source, repo=repo, parts=parts, projector=projector
        )


def find_downloaded(models_dir: Path) -> Iterator[LocalModelInfo]:
    """DeskChat's own downloads: ``models_dir/OWNER/REPO/FILE.gguf``."""
    for owner in _subdirs(models_dir):
        for repo in _subdirs(owner):
            files = {p.relative_to(repo).as_posix(): p for p in _gguf_files(repo)}
            yield from _repo_models(f"{owner.name}/{repo.name}", files, "downloaded")


def _subdirs(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []


def find_added(added_json: Path) -> Iterator[LocalModelInfo]:
    """The .gguf files the user added by hand ("Add a .gguf file…")."""
    for path in read_added(added_json):
        if is_projector(path.name):
            continue  # added before DeskChat knew: a part of a model, not one
        parts = _split_siblings(path)
        projector = find_projector(path)
        yield describe(path, name=path.stem, source="added", parts=parts, projector=projector)


def _split_siblings(path: Path) -> tuple[Path, ...]:
    """All parts of a split model given its first part; just ``path`` otherwise."""
    split = split_part(path.name)
    if split is None or split[1] != 1:
        return (path,)
    stem, _index, count = split
    return tuple(path.with_name(f"{stem}-{i:05d}-of-{count:05d}.gguf") for i in range(1, count + 1))


def find_hf_cache(cache: Path) -> Iterator[LocalModelInfo]:
    """The Hugging Face cache: ``models--OWNER--REPO/snapshots/COMMIT/FILE.gguf``.

    The snapshot ``refs/main`` names comes first; a file in several snapshots is
    listed once. Links whose blob is missing (a download in progress) are skipped.
    """
    for folder in _subdirs(cache):
        kind, _sep, rest = folder.name.partition("--")
        owner, _sep, name = rest.partition("--")
        if kind != "models" or not owner or not name:
            continue
        files: dict[str, Path] = {}
        for snapshot in _snapshots(folder):
            for path in _gguf_files(snapshot):
                if path.exists():
                    files.setdefault(path.relative_to(snapshot).as_posix(), path)
        yield from _repo_models(f"{owner}/{name}", files, "huggingface")


def _snapshots(repo_folder: Path) -> list[Path]:
    snapshots = _subdirs(repo_folder / "snapshots")
    try:
        main = (repo_folder / "refs" / "main").read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        main = ""
    return sorted(snapshots, key=lambda s: (s.name != main, s.name))


def find_lmstudio(roots: Iterable[Path]) -> Iterator[LocalModelInfo]:
    """LM Studio's models folders: ``PUBLISHER/REPO/FILE.gguf``."""
    for root in roots:
        for publisher in _subdirs(root):
            for repo in _subdirs(publisher):
                files = {p.relative_to(repo).as_posix(): p for p in _gguf_files(repo)}
                yield from _repo_models(f"{publisher.name}/{repo.name}", files, "lmstudio")


def find_gpt4all(roots: Iterable[Path]) -> Iterator[LocalModelInfo]:
    """GPT4All's models folder: ``FILE.gguf`` side by side; ``incomplete-*`` are downloads
    in progress."""
    for root in roots:
        try:
            files = sorted(p for p in root.glob("*.gguf") if p.is_file())
        except OSError:
            continue
        for path in files:
            # GPT4All keeps every model in one folder: a projector there is no one's.
            if path.name.startswith("incomplete-") or is_projector(path.name):
                continue
            yield describe(path, name=path.stem, source="gpt4all")


def find_ollama(roots: Iterable[Path]) -> Iterator[LocalModelInfo]:
    """Ollama's models, read through their manifests:
    ``manifests/HOST/NAMESPACE/MODEL/TAG`` (JSON) names, in its layer of media type
    ``application/vnd.ollama.image.model``, the blob ``blobs/sha256-HEX`` (a GGUF file)."""
    for root in roots:
        manifests = root / "manifests"
        for manifest in _ollama_manifests(manifests):
            blob = _ollama_model_blob(root, manifest)
            if blob is None:
                continue
            name = _ollama_name(manifest.relative_to(manifests).parts)
            yield describe(blob, name=name, source="ollama")


def _ollama_manifests(manifests: Path) -> list[Path]:
    found = [
        Path(folder, f)
        for folder, _dirs, files in os.walk(manifests, onerror=_log_walk_error)
        for f in files
        if not f.startswith(".")
    ]
    # "latest" usually names the same blob as a numbered tag: list the numbered one.
    return sorted(found, key=lambda p: (p.name == "latest", str(p)))


def _ollama_model_blob(root: Path, manifest: Path) -> Path | None:
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        layers = data["layers"]
        digest = next(
            layer["digest"] for layer in layers if layer.get("mediaType") == OLLAMA_MODEL_LAYER
        )
    except (OSError, ValueError, KeyError, TypeError, StopIteration, AttributeError):
        log.debug("Skipping Ollama manifest %s: no model layer", manifest)
        return None
    blob = root / "blobs" / str(digest).replace(":", "-")
    return blob if blob.is_file() else None


def _ollama_name(parts: tuple[str, ...]) -> str:
    """``registry.ollama.ai/library/qwen2.5/0.5b`` -> ``qwen2.5:0.5b``, as Ollama writes it."""
    *path, tag = parts
    if len(path) == 3 and path[0] == _OLLAMA_REGISTRY:
        path = path[2:] if path[1] == "library" else path[1:]
    return f"{'/'.join(path)}:{tag}"
