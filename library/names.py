"""Model names: ``OWNER/REPO[:QUANT]`` specs, quantisations in file names, split files.

The spec follows llama.cpp's ``-hf OWNER/REPO[:QUANT]`` and Ollama's
``hf.co/OWNER/REPO[:QUANT]``: QUANT picks the ``.gguf`` whose name contains it,
case-insensitively; without one, Q4_K_M, else the smallest file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from deskchat.gguf import is_projector as is_projector_name
from deskchat.i18n import _

from .errors import InvalidSpecError, QuantNotFoundError

__all__ = [
    "DEFAULT_QUANT",
    "GGUFGroup",
    "ModelSpec",
    "group_gguf_files",
    "is_projector",
    "looks_like_repo_spec",
    "parse_spec",
    "pick_group",
    "quant_from_filename",
    "split_part",
]

DEFAULT_QUANT = "Q4_K_M"

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?"
_SPEC = re.compile(rf"(?P<owner>{_NAME})/(?P<repo>{_NAME})(?::(?P<quant>[A-Za-z0-9._-]+))?")
_PREFIXES = ("https://huggingface.co/", "http://huggingface.co/", "huggingface.co/", "hf.co/")

# A quantisation label between separators: Q4_K_M, IQ3_XXS, Q4_0_4_4, Q8_0, BF16, F16...
_QUANT = re.compile(
    r"(?<![A-Za-z0-9])(I?Q[1-8](?:_[A-Z0-9]{1,3})*|BF16|FP16|F16|F32|MXFP4(?:_MOE)?)(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"^(?P<stem>.+)-(?P<index>\d{5})-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)


@dataclass(frozen=True)
class ModelSpec:
    """A Hugging Face repository and, optionally, the quantisation to take from it.

    Attributes:
        repo: ``OWNER/REPO``.
        quant: the text the file name must contain; None for the default choice.
    """

    repo: str
    quant: str | None = None

    def __str__(self) -> str:
        return f"{self.repo}:{self.quant}" if self.quant else self.repo


def looks_like_repo_spec(text: str) -> bool:
    """Whether ``text`` has the shape ``OWNER/REPO[:QUANT]`` (it may still not exist)."""
    return _SPEC.fullmatch(_strip_prefix(text.strip())) is not None


def parse_spec(text: str) -> ModelSpec:
    """``"OWNER/REPO[:QUANT]"`` (also with ``hf.co/`` or a huggingface.co URL in front).

    Raises:
        InvalidSpecError: not of that shape.
    """
    match = _SPEC.fullmatch(_strip_prefix(text.strip()))
    if match is None:
        raise InvalidSpecError(
            _(
                "'{text}' does not name a Hugging Face repository; write it as "
                "OWNER/REPO or OWNER/REPO:QUANT, e.g. "
                "bartowski/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M."
            ).format(text=text)
        )
    return ModelSpec(f"{match['owner']}/{match['repo']}", match["quant"] or None)


def _strip_prefix(text: str) -> str:
    for prefix in _PREFIXES:
        if text.lower().startswith(prefix):
            return text[len(prefix) :]
    return text


def quant_from_filename(name: str) -> str | None:
    """The quantisation label in a file name, upper-cased (the last one if several)."""
    found = _QUANT.findall(name.rsplit("/", 1)[-1].removesuffix(".gguf"))
    return found[-1].upper() if found else None


def split_part(name: str) -> tuple[str, int, int] | None:
    """``(stem, index, count)`` for ``stem-00001-of-00003.gguf``; None for a whole file."""
    match = _SPLIT.match(name)
    return (match["stem"], int(match["index"]), int(match["count"])) if match else None


def is_projector(name: str) -> bool:
    """Whether the file is a vision projector (``mmproj``), not a model to chat with."""
    return is_projector_name(name.rsplit("/", 1)[-1])


@dataclass(frozen=True)
class GGUFGroup:
    """One model in a repository: a single .gguf, or every part of a split one.

    Attributes:
        files: repository paths, the first part first.
        size: all parts together, in bytes.
    """

    files: tuple[str, ...]
    size: int

    @property
    def name(self) -> str:
        """The file llama.cpp is given (the first part of a split model)."""
        return self.files[0]

    @property
    def quant(self) -> str | None:
        return quant_from_filename(self.name)


def group_gguf_files(files: Iterable[tuple[str, int]]) -> list[GGUFGroup]:
    """The chat models among ``(path, size)`` pairs: split parts joined, projectors and
    incomplete splits left out; sorted by size."""
    whole: list[GGUFGroup] = []
    parts: dict[tuple[str, int], dict[int, tuple[str, int]]] = {}
    for path, size in files:
        if not path.lower().endswith(".gguf") or is_projector(path):
            continue
        split = split_part(path)
        if split is None:
            whole.append(GGUFGroup((path,), size))
        else:
            stem, index, count = split
            parts.setdefault((stem, count), {})[index] = (path, size)
    for (_stem, count), found in parts.items():
        if sorted(found) == list(range(1, count + 1)):
            ordered = [found[i] for i in range(1, count + 1)]
            whole.append(GGUFGroup(tuple(p for p, _ in ordered), sum(s for _, s in ordered)))
    return sorted(whole, key=lambda g: (g.size, g.name))


def pick_group(groups: Sequence[GGUFGroup], quant: str | None, repo: str) -> GGUFGroup:
    """The model to take for ``quant`` (see the module docstring).

    A file whose quantisation label is exactly ``quant`` beats one whose name
    merely contains it (``Q4_K`` picks ``…Q4_K.gguf`` over ``…Q4_K_M.gguf``);
    among equals, the smallest.

    Raises:
        QuantNotFoundError: no .gguf at all, or none matching ``quant``.
    """
    if not groups:
        raise QuantNotFoundError(_("{repo} has no .gguf model files.").format(repo=repo))
    wanted = (quant or DEFAULT_QUANT).upper()
    exact = [g for g in groups if g.quant == wanted]
    loose = [g for g in groups if wanted in g.name.upper()]
    chosen = exact or loose
    if chosen:
        return min(chosen, key=lambda g: (g.size, g.name))
    if quant is None:
        return min(groups, key=lambda g: (g.size, g.name))
    available = tuple(dict.fromkeys(g.quant or g.name for g in groups))
    raise QuantNotFoundError(
        _("{repo} has no .gguf file with '{quant}' in its name; it has: {join}.").format(
            repo=repo, quant=quant, join=", ".join(available)
        ),
        available,
    )
