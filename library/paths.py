"""Where models live: DeskChat's own folder, and the folders of the apps whose models we reuse.

Every path follows the app's own rules (its environment variables first, then
its default for this platform). Nothing here creates a folder.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from deskchat.paths import data_dir

__all__ = [
    "ADDED_MODELS_NAME",
    "MODELS_DIR_NAME",
    "Locations",
    "added_models_path",
    "data_dir",
    "models_dir",
]

MODELS_DIR_NAME = "models"
ADDED_MODELS_NAME = "added-models.json"


def models_dir(data: str | os.PathLike[str] | None = None) -> Path:
    """The folder DeskChat downloads into: ``<data dir>/models/OWNER/REPO/FILE.gguf``."""
    return data_dir(data) / MODELS_DIR_NAME


def added_models_path(data: str | os.PathLike[str] | None = None) -> Path:
    """The JSON file that remembers the .gguf files the user added by hand."""
    return data_dir(data) / ADDED_MODELS_NAME


def _home() -> Path:
    return Path.home()


def hf_hub_cache() -> Path:
    """The Hugging Face cache, by huggingface_hub's rule: $HF_HUB_CACHE, $HF_HOME/hub,
    else $XDG_CACHE_HOME/huggingface/hub (~/.cache/huggingface/hub)."""
    env = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    if env:
        return Path(os.path.expandvars(env)).expanduser()
    home = os.environ.get("HF_HOME")
    if home:
        return Path(os.path.expandvars(home)).expanduser() / "hub"
    cache = os.environ.get("XDG_CACHE_HOME") or str(_home() / ".cache")
    return Path(cache).expanduser() / "huggingface" / "hub"


def lmstudio_models() -> list[Path]:
    """LM Studio's models folders: the home that ~/.lmstudio-home-pointer names (or
    ~/.lmstudio), then the folder of LM Studio before 0.3 (~/.cache/lm-studio)."""
    home = _home()
    lmstudio = home / ".lmstudio"
    try:
        pointed = (home / ".lmstudio-home-pointer").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        pointed = ""
    if pointed:
        lmstudio = Path(pointed).expanduser()
    return [lmstudio / "models", home / ".cache" / "lm-studio" / "models"]


def gpt4all_models() -> list[Path]:
    """GPT4All's models folder (the chat app's download path, or its default for this
    platform), then the Python bindings' ~/.cache/gpt4all."""
    home = _home()
    found: list[Path] = []
    configured = _gpt4all_configured_path(home)
    if configured is not None:
        found.append(configured)
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        found.append(Path(local) / "nomic.ai" / "GPT4All")
    elif sys.platform == "darwin":
        found.append(home / "Library" / "Application Support" / "nomic.ai" / "GPT4All")
    else:
        data = os.environ.get("XDG_DATA_HOME") or str(home / ".local" / "share")
        found.append(Path(data) / "nomic.ai" / "GPT4All")
    found.append(home / ".cache" / "gpt4all")
    return list(dict.fromkeys(found))


def _gpt4all_configured_path(home: Path) -> Path | None:
    """The ``modelPath`` the GPT4All chat app saved in its settings (Linux), if any."""
    config = os.environ.get("XDG_CONFIG_HOME") or str(home / ".config")
    settings = Path(config) / "nomic.ai" / "GPT4All.ini"
    if not settings.is_file():
        # Most machines have no GPT4All: configparser (~0.3 MiB) then stays unloaded.
        return None
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(settings, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None
    value = parser.get("General", "modelPath", fallback="").strip().strip('"')
    return Path(value).expanduser() if value else None


def ollama_models() -> list[Path]:
    """Ollama's models folder: $OLLAMA_MODELS, else ~/.ollama/models, then the Linux
    service's /usr/share/ollama/.ollama/models."""
    env = os.environ.get("OLLAMA_MODELS")
    if env:
        return [Path(env).expanduser()]
    found = [_home() / ".ollama" / "models"]
    if sys.platform.startswith("linux"):
        found.append(Path("/usr/share/ollama/.ollama/models"))
    return found


@dataclass(frozen=True)
class Locations:
    """The folders discovery looks in. Tests and the settings may point them elsewhere.

    Attributes:
        data_dir: DeskChat's data folder (its downloads and the added-models list).
        hf_cache: the Hugging Face hub cache.
        lmstudio: LM Studio's models folders.
        gpt4all: GPT4All's models folders.
        ollama: Ollama's models folders (each with ``manifests/`` and ``blobs/``).
    """

    data_dir: Path
    hf_cache: Path
    lmstudio: tuple[Path, ...] = field(default=())
    gpt4all: tuple[Path, ...] = field(default=())
    ollama: tuple[Path, ...] = field(default=())

    @classmethod
    def default(cls, data: str | os.PathLike[str] | None = None) -> Locations:
        """The folders as the apps themselves would find them on this machine now."""
        return cls(
            data_dir=data_dir(data),
            hf_cache=hf_hub_cache(),
            lmstudio=tuple(lmstudio_models()),
            gpt4all=tuple(gpt4all_models()),
            ollama=tuple(ollama_models()),
        )

    @property
    def models_dir(self) -> Path:
        return self.data_dir / MODELS_DIR_NAME

    @property
    def added_models(self) -> Path:
        return self.data_dir / ADDED_MODELS_NAME
