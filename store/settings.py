"""The settings file: small JSON in the data folder, written atomically.

API keys never go here; they live in the OS keyring (see provider.secrets).
Neither does a proxy's password: the proxy address is saved without it
(:func:`split_proxy_password`), and the window keeps the password in the keyring.
Keys this version does not know are kept as they are, so a newer DeskChat's
settings survive a run of an older one.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

from deskchat.i18n import LANGUAGES, _

from .paths import settings_path
from .private import make_private_folder, write_private

__all__ = [
    "GPU_LAYERS",
    "MAX_ENGINE_CONTEXT",
    "MAX_IDLE_MINUTES",
    "MAX_TOOL_STEPS",
    "MAX_TOOL_TIMEOUT",
    "SEND_KEYS",
    "SETUP_CHOICES",
    "THEMES",
    "Settings",
    "join_proxy_password",
    "saved_language",
    "split_proxy_password",
]

log = logging.getLogger("deskchat.store")

THEMES = ("system", "light", "dark")
SEND_KEYS = ("enter", "ctrl+enter")
GPU_LAYERS = ("auto", "none", "all")
"""How many of a model's layers the built-in engine puts on a GPU: as many as the
installed llama.cpp can (auto), none, or all."""
SETUP_CHOICES = ("server", "model", "download", "settings", "chatgptfree", "auto")
"""What the first-run setup recorded: a found server, a model on disk, a downloaded
model, a provider set in the settings dialog, chatgptfree, or auto chosen on purpose."""
MAX_ENGINE_CONTEXT = 1 << 20
MAX_IDLE_MINUTES = 24 * 60
MAX_TOOL_STEPS = 100
MAX_TOOL_TIMEOUT = 3600
# Names that look like secrets are dropped on save: a key typed in by hand
# must not sit in a plain file (DeskChat itself never writes one).
_SECRET_HINTS = ("api_key", "apikey", "secret", "password", "token")


def saved_language(path: str | Path | None = None) -> str:
    """The Language setting ("" for the system's) read from the file without :meth:`Settings.load`'s
    side effects (a broken file is left where it is): for the command line, before it parses."""
    try:
        data = json.loads(Path(path or settings_path()).read_bytes().decode("utf-8-sig"))
    except (OSError, ValueError):
        return ""
    value = data.get("language") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value in LANGUAGES else ""


class Settings:
    """Typed settings with defaults, backed by ``settings.json``.

    Read with :meth:`load`, change the attributes, then :meth:`save`. A value
    of the wrong type in the file reads as its default.

    Attributes:
        path: the settings file.
        notice: a sentence when a broken file was moved aside at load, else None.
    """

    DEFAULTS: dict[str, Any] = {
        "provider": "auto",
        "model": "",
        "base_url": "",
        "proxy": "",
        "system_prompt": "",
        "temperature": 0.7,
        "font_size": 11,
        "theme": "system",
        "send_key": "enter",
        "fallback_provider": "",
        "extra_headers": {},
        "setup_choice": "",
        "engine_context": 0,
        "engine_gpu_layers": "auto",
        "engine_idle_minutes": 10,
        "language": "",
        "tool_steps": 10,
        "tool_timeout": 60,
    }

    RECORDS = ("keyring_headers", "keyring_keys")
    """What DeskChat notes for itself in the file: not settings (not in :meth:`as_dict`)."""

    def __init__(self, path: str | Path | None = None, data: dict[str, Any] | None = None) -> None:
        self.path = Path(path) if path is not None else settings_path()
        self._data: dict[str, Any] = dict(data or {})
        self.notice: str | None = None

    @classmethod
    def load(cls, path: str | Path | None = None) -> Settings:
        """Read the file; a missing file gives defaults, a broken one is moved aside."""
        self = cls(path)
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            # Nothing was ever saved, so no extra header or key can be in the keyring either.
            self.keyring_headers = ()
            self.keyring_keys = ()
            return self
        except OSError as exc:
            log.warning("cannot read %s: %s", self.path, exc)
            self.notice = _(
                "DeskChat could not read its settings ({exc}), so it uses the defaults."
            ).format(exc=exc)
            return self
        try:
            data = json.loads(raw.decode("utf-8-sig"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            moved = self.path.with_name(f"{self.path.name}.broken-{time.strftime('%Y%m%d-%H%M%S')}")
            self.path.replace(moved)
            log.warning("settings file %s is broken (%s); moved to %s", self.path, exc, moved)
            self.notice = _(
                "Your settings file was damaged, so DeskChat went back to the defaults; "
                "the old file was kept at {moved}."
            ).format(moved=moved)
            return self
        self._data = data
        return self

    def save(self) -> None:
        """Write the file atomically (temporary file, then rename over the old one)."""
        data = {k: v for k, v in self._data.items() if not _looks_secret(k)}
        if isinstance(data.get("proxy"), str):
            # The proxy's address is a setting, its password a secret.
            data["proxy"] = split_proxy_password(data["proxy"])[0]
        make_private_folder(self.path.parent)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            with write_private(tmp) as fh:
                json.dump(data, fh, ensure_ascii=False, indent=2, sort_keys=True)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)

    def as_dict(self) -> dict[str, Any]:
        """Every known setting with its effective value."""
        return {k: getattr(self, k) for k in self.DEFAULTS}

    @property
    def extra(self) -> dict[str, Any]:
        """Keys in the file this version does not know (kept on save)."""
        known = (*self.DEFAULTS, *self.RECORDS)
        return {k: v for k, v in self._data.items() if k not in known}

    # -- typed accessors ------------------------------------------------------

    def _get(self, key: str, kind: type | tuple[type, ...]) -> Any:
        value = self._data.get(key, self.DEFAULTS[key])
        if isinstance(value, bool) or not isinstance(value, kind):
            return self.DEFAULTS[key]
        return value

    def _text(self, key: str) -> str:
        return str(self._get(key, str))

    @property
    def provider(self) -> str:
        return self._text("provider")

    @provider.setter
    def provider(self, value: str) -> None:
        self._data["provider"] = str(value)

    @property
    def model(self) -> str:
        return self._text("model")

    @model.setter
    def model(self, value: str) -> None:
        self._data["model"] = str(value)

    @property
    def base_url(self) -> str:
        return self._text("base_url")

    @base_url.setter
    def base_url(self, value: str) -> None:
        self._data["base_url"] = str(value)

    @property
    def proxy(self) -> str:
        return self._text("proxy")

    @proxy.setter
    def proxy(self, value: str) -> None:
        self._data["proxy"] = str(value)

    @property
    def fallback_provider(self) -> str:
        """The provider id to ask when the chosen one fails before replying ("" for none)."""
        return self._text("fallback_provider")

    @fallback_provider.setter
    def fallback_provider(self, value: str) -> None:
        self._data["fallback_provider"] = str(value)

    @property
    def extra_headers(self) -> dict[str, str]:
        """Headers sent with every request (e.g. OpenRouter's ``X-Title``); not for secrets."""
        value = self._get("extra_headers", dict)
        return {str(k): str(v) for k, v in value.items() if isinstance(v, str)}

    @extra_headers.setter
    def extra_headers(self, value: dict[str, str]) -> None:
        self._data["extra_headers"] = {str(k): str(v) for k, v in value.items()}

    @property
    def keyring_headers(self) -> tuple[str, ...] | None:
        """The names of the extra headers kept in the keyring (never their values).

        ``()`` says the keyring holds none, so it need not be asked (reading it
        loads its backend, about 12 MB); None that it is not known: settings
        written before DeskChat noted them (the keyring is asked once), or
        made without a file. A record, not a setting (see :data:`RECORDS`).
        """
        value = self._data.get("keyring_headers")
        if not isinstance(value, list):
            return None
        return tuple(str(name) for name in value)

    @keyring_headers.setter
    def keyring_headers(self, value: Sequence[str] | None) -> None:
        self._data["keyring_headers"] = None if value is None else [str(n) for n in value]

    @property
    def keyring_keys(self) -> tuple[str, ...] | None:
        """The ids of the providers whose optional API key the keyring holds (never the keys).

        For a server that takes a key only if it was started with one (llama.cpp,
        vLLM, LM Studio, ``openai-compatible``): ``()`` says the keyring holds none,
        so building their providers need not ask it (its backend is about 11 MiB);
        None that it is not known (settings written before DeskChat noted them, or
        made without a file). A record, not a setting (see :data:`RECORDS`).
        """
        value = self._data.get("keyring_keys")
        if not isinstance(value, list):
            return None
        return tuple(str(name) for name in value)

    @keyring_keys.setter
    def keyring_keys(self, value: Sequence[str] | None) -> None:
        self._data["keyring_keys"] = None if value is None else [str(n) for n in value]

    @property
    def system_prompt(self) -> str:
        return self._text("system_prompt")

    @system_prompt.setter
    def system_prompt(self, value: str) -> None:
        self._data["system_prompt"] = str(value)

    @property
    def temperature(self) -> float:
        value = float(self._get("temperature", (int, float)))
        return value if 0.0 <= value <= 2.0 else float(self.DEFAULTS["temperature"])

    @temperature.setter
    def temperature(self, value: float) -> None:
        if not 0.0 <= float(value) <= 2.0:
            raise ValueError("temperature must be between 0 and 2")
        self._data["temperature"] = float(value)

    @property
    def font_size(self) -> int:
        value = self._get("font_size", int)
        return int(value) if 6 <= value <= 72 else int(self.DEFAULTS["font_size"])

    @font_size.setter
    def font_size(self, value: int) -> None:
        if not 6 <= int(value) <= 72:
            raise ValueError("font_size must be between 6 and 72")
        self._data["font_size"] = int(value)

    @property
    def theme(self) -> str:
        value = self._text("theme")
        return value if value in THEMES else str(self.DEFAULTS["theme"])

    @theme.setter
    def theme(self, value: str) -> None:
        if value not in THEMES:
            raise ValueError(f"theme must be one of {', '.join(THEMES)}")
        self._data["theme"] = value

    @property
    def language(self) -> str:
        """The language DeskChat speaks ("en", "ru"), or "" to follow the system's locale."""
        value = self._text("language")
        return value if value in LANGUAGES else ""

    @language.setter
    def language(self, value: str) -> None:
        if value and value not in LANGUAGES:
            raise ValueError(f"language must be empty or one of {', '.join(LANGUAGES)}")
        self._data["language"] = value

    @property
    def send_key(self) -> str:
        value = self._text("send_key")
        return value if value in SEND_KEYS else str(self.DEFAULTS["send_key"])

    @send_key.setter
    def send_key(self, value: str) -> None:
        if value not in SEND_KEYS:
            raise ValueError(f"send_key must be one of {', '.join(SEND_KEYS)}")
        self._data["send_key"] = value

    @property
    def setup_choice(self) -> str:
        """What the first-run setup chose (see :data:`SETUP_CHOICES`); "" before any choice."""
        value = self._text("setup_choice")
        return value if value in SETUP_CHOICES else ""

    @setup_choice.setter
    def setup_choice(self, value: str) -> None:
        if value and value not in SETUP_CHOICES:
            raise ValueError(f"setup_choice must be empty or one of {', '.join(SETUP_CHOICES)}")
        self._data["setup_choice"] = value

    # -- the built-in engine ---------------------------------------------------

    @property
    def engine_context(self) -> int:
        """The built-in engine's context in tokens; 0 fits it to the machine and the model."""
        value = self._get("engine_context", int)
        return int(value) if 0 <= value <= MAX_ENGINE_CONTEXT else 0

    @engine_context.setter
    def engine_context(self, value: int) -> None:
        if not 0 <= int(value) <= MAX_ENGINE_CONTEXT:
            raise ValueError(f"engine_context must be between 0 and {MAX_ENGINE_CONTEXT}")
        self._data["engine_context"] = int(value)

    @property
    def engine_gpu_layers(self) -> str:
        """One of :data:`GPU_LAYERS`."""
        value = self._text("engine_gpu_layers")
        return value if value in GPU_LAYERS else str(self.DEFAULTS["engine_gpu_layers"])

    @engine_gpu_layers.setter
    def engine_gpu_layers(self, value: str) -> None:
        if value not in GPU_LAYERS:
            raise ValueError(f"engine_gpu_layers must be one of {', '.join(GPU_LAYERS)}")
        self._data["engine_gpu_layers"] = value

    @property
    def engine_idle_minutes(self) -> int:
        """Minutes without a reply before the engine frees the model's memory; 0 never."""
        value = self._get("engine_idle_minutes", int)
        default = int(self.DEFAULTS["engine_idle_minutes"])
        return int(value) if 0 <= value <= MAX_IDLE_MINUTES else default

    @engine_idle_minutes.setter
    def engine_idle_minutes(self, value: int) -> None:
        if not 0 <= int(value) <= MAX_IDLE_MINUTES:
            raise ValueError(f"engine_idle_minutes must be between 0 and {MAX_IDLE_MINUTES}")
        self._data["engine_idle_minutes"] = int(value)

    @property
    def tool_steps(self) -> int:
        """Rounds of tool calls one reply may make (1 to :data:`MAX_TOOL_STEPS`)."""
        value = self._get("tool_steps", int)
        return int(value) if 1 <= value <= MAX_TOOL_STEPS else int(self.DEFAULTS["tool_steps"])

    @tool_steps.setter
    def tool_steps(self, value: int) -> None:
        if not 1 <= int(value) <= MAX_TOOL_STEPS:
            raise ValueError(f"tool_steps must be between 1 and {MAX_TOOL_STEPS}")
        self._data["tool_steps"] = int(value)

    @property
    def tool_timeout(self) -> int:
        """Seconds one tool call may take (1 to :data:`MAX_TOOL_TIMEOUT`)."""
        value = self._get("tool_timeout", int)
        default = int(self.DEFAULTS["tool_timeout"])
        return int(value) if 1 <= value <= MAX_TOOL_TIMEOUT else default

    @tool_timeout.setter
    def tool_timeout(self, value: int) -> None:
        if not 1 <= int(value) <= MAX_TOOL_TIMEOUT:
            raise ValueError(f"tool_timeout must be between 1 and {MAX_TOOL_TIMEOUT}")
        self._data["tool_timeout"] = int(value)


def _looks_secret(key: str) -> bool:
    low = key.lower()
    return any(hint in low for hint in _SECRET_HINTS)


def _split(url: str) -> tuple[SplitResult, str, str, str] | None:
    """The URL's parts, its user, password and host:port; None without a user part.

    The user and password stay exactly as typed (percent-escapes included), so
    joining them back gives the same URL.
    """
    text = url.strip()
    # "user:pw@host:3128" without a scheme would read "user" as the scheme.
    parts = urlsplit(text if "://" in text else "//" + text)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at:
        return None
    user, _colon, password = userinfo.partition(":")
    return parts, user, password, hostport


def _unsplit(url: str, parts: SplitResult, netloc: str) -> str:
    joined = urlunsplit(parts._replace(netloc=netloc))
    return joined if "://" in url else joined.removeprefix("//")


def split_proxy_password(url: str) -> tuple[str, str | None]:
    """``url`` without its password (scheme, user, host and port kept), and the password.

    ``http://me:secret@proxy:3128`` gives ``("http://me@proxy:3128", "secret")``;
    a URL without a password comes back unchanged with None.
    """
    split = _split(url)
    if split is None or not split[2]:
        return url, None
    parts, user, password, hostport = split
    return _unsplit(url.strip(), parts, f"{user}@{hostport}"), password


def join_proxy_password(url: str, password: str | None) -> str:
    """``url`` with ``password`` put back after its user (unchanged without a user part,
    with a password already there, or without ``password``)."""
    split = _split(url)
    if not password or split is None or split[2]:
        return url
    parts, user, _password, hostport = split
    return _unsplit(url.strip(), parts, f"{user}:{password}@{hostport}")
