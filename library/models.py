"""A model on this machine: where it is, where it came from, and what its header says."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from deskchat.gguf import GGUFInfo
from deskchat.i18n import N_, _

__all__ = ["SOURCE_LABELS", "SOURCES", "LocalModelInfo", "Source"]

Source = Literal["downloaded", "added", "huggingface", "lmstudio", "gpt4all", "ollama"]

SOURCES: tuple[Source, ...] = get_args(Source)
"""In the order a name is looked up: DeskChat's own first."""

SOURCE_LABELS: dict[Source, str] = {
    "downloaded": "DeskChat",
    "added": N_("added by you"),
    "huggingface": N_("the Hugging Face cache"),
    "lmstudio": "LM Studio",
    "gpt4all": "GPT4All",
    "ollama": "Ollama",
}


@dataclass(frozen=True)
class LocalModelInfo:
    """A GGUF model found on this machine, used where it lies (never copied).

    Attributes:
        name: what to type to use it (``OWNER/REPO:QUANT``, ``qwen2.5:0.5b``, a file stem).
        path: the file the engine loads (the first part of a split model).
        size: bytes on disk, all parts together.
        source: who put it there (see :data:`SOURCES`).
        quantization: from the header's ``general.file_type``, else from the file name.
        repo: ``OWNER/REPO`` when known (downloads, the Hugging Face cache, LM Studio).
        parts: every file of the model (one, or the parts of a split model).
        info: the header's facts; None when it could not be read (see ``problem``).
        problem: why the header could not be read, as a sentence.
        projector: the vision projector beside it (its ``mmproj`` .gguf), which the
            built-in engine loads with it to read images; None for a text model.
    """

    name: str
    path: Path
    size: int
    source: Source
    quantization: str | None = None
    repo: str | None = None
    parts: tuple[Path, ...] = ()
    info: GGUFInfo | None = None
    problem: str | None = None
    projector: Path | None = None

    @property
    def vision(self) -> bool:
        """Whether the built-in engine can show it images (it has a projector)."""
        return self.projector is not None

    @property
    def source_label(self) -> str:
        """Who owns the file, for sentences: ``"LM Studio"``, ``"DeskChat"``..."""
        return _(SOURCE_LABELS[self.source])

    @property
    def removable(self) -> bool:
        """Only what DeskChat downloaded may be deleted by DeskChat."""
        return self.source == "downloaded"

    @property
    def architecture(self) -> str | None:
        return self.info.architecture if self.info else None

    @property
    def context_length(self) -> int | None:
        return self.info.context_length if self.info else None

    @property
    def has_chat_template(self) -> bool:
        return bool(self.info and self.info.has_chat_template)

    @property
    def parameter_count(self) -> int | None:
        return self.info.parameter_count if self.info else None
