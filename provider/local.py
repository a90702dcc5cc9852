"""The built-in engine, provider ``local``: GGUF models run by llama.cpp in a child process.

The window never loads llama.cpp itself. :class:`LlamaEngine` starts
``python -m deskchat.provider.llama_worker`` (``DeskChat --llama-worker`` when
frozen) and talks to it in :mod:`~deskchat.provider.llama_protocol` lines on
its pipes: a native crash, an out-of-memory kill or a hung model ends that
process, not the window, and stopping the process gives all its memory back.
:class:`LocalProvider` is the provider on top: it checks the file and the
memory before loading, loads the model on first use with progress, keeps it
loaded, stops the child after an idle time, and turns every failure into a
sentence, keeping the part of the reply that had arrived.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import signal
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from deskchat.children import child_command
from deskchat.gguf import (
    GGUFError,
    GGUFInfo,
    NotGGUFError,
    find_projector,
    is_projector,
    read_gguf_info,
)
from deskchat.i18n import N_, _

from .base import Message
from .errors import (
    ConfigurationError,
    ContextFullError,
    CorruptModelError,
    EngineStoppedError,
    GenerationError,
    ImagesNotSupportedError,
    LlamaNotInstalledError,
    LocalEngineError,
    ModelFileNotFoundError,
    ModelLoadError,
    NotAGGUFError,
    NotEnoughMemoryError,
    ProtocolError,
    ToolsNotSupportedError,
)
from .events import Event, FinishEvent, LoadProgress, TextDelta, UsageEvent
from .images import ImageInput, has_images
from .llama_protocol import (
    FROZEN_FLAG,
    SAMPLING_PARAMS,
    Cancel,
    Cancelled,
    Chat,
    Delta,
    Done,
    Failed,
    LineBuffer,
    Load,
    Loaded,
    MessageDecoder,
    Progress,
    Quit,
    Ready,
    Reply,
    Request,
    Unload,
    Unloaded,
    encode,
)
from .llama_sizing import (
    MemoryReading,
    default_context,
    estimate_memory,
    fit_context,
    physical_cores,
    read_memory,
)
from .reasoning import ReasoningSplitter
from .tool_text import ToolTextParser

__all__ = [
    "DEFAULT_IDLE_UNLOAD",
    "ContextFullError",
    "CorruptModelError",
    "EngineStoppedError",
    "GenerationError",
    "LlamaEngine",
    "LlamaNotInstalledError",
    "LocalEngineError",
    "LocalProvider",
    "ModelFileNotFoundError",
    "ModelLoadError",
    "NotAGGUFError",
    "NotEnoughMemoryError",
    "worker_command",
]

log = logging.getLogger("deskchat.provider.local")

DEFAULT_IDLE_UNLOAD = 600.0
"""Seconds without a reply after which the child exits, freeing the model's memory."""

INSTALL_HINT = N_(
    "pip install 'deskchat[local]' (or pip install llama-cpp-python); it compiles "
    "llama.cpp, which needs a C++ compiler and cmake and takes a few minutes"
)

# -- the child process -------------------------------------------------------


def worker_command() -> list[str]:
    """The argv that starts the child: this interpreter, or the frozen executable itself."""
    return child_command("deskchat.provider.llama_worker", FROZEN_FLAG)


class _Channel:
    """The replies to one request, in order; raises EngineStoppedError once the child is gone."""

    def __init__(self, engine: LlamaEngine, request_id: int) -> None:
        self.id = request_id
        self._engine = engine
        self._queue: asyncio.Queue[Reply | None] = asyncio.Queue()

    def put(self, message: Reply | None) -> None:
        self._queue.put_nowait(message)

    async def receive(self) -> Reply:
        message = await self._queue.get()
        if message is None:
            self._queue.put_nowait(None)
            raise self._engine.stopped_error()
        return message

    def close(self) -> None:
        self._engine._channels.pop(self.id, None)


class LlamaEngine:
    """One llama.cpp child process and its three pipes.

    Replies are routed by request id into channels, so a reply still draining
    after a Stop never mixes with the next one. stderr is read all the time
    (logged at debug level, the last lines kept for error messages), so the
    child never blocks on a full pipe. EOF on stdout means it died.

    Args:
        command: the child's argv (default :func:`worker_command`).
        env: its environment (default: this process's).
        start_timeout: seconds to wait for it to say it is ready.

    Attributes:
        ready: what the child said when it started (after :meth:`start`).
        stderr_tail: the last lines it wrote on stderr.
    """

    def __init__(
        self,
        command: Sequence[str] | None = None,
        *,
        env: Mapping[str, str] | None = None,
        start_timeout: float = 120.0,
    ) -> None:
        self._command = list(command) if command is not None else worker_command()
        self._env = dict(env) if env is not None else None
        self._start_timeout = start_timeout
        self._process: asyncio.subprocess.Process | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._channels: dict[int, _Channel] = {}
        self._stopped = asyncio.Event()
        self._broken: str | None = None
        self._next_id = 0
        self.ready: Ready | None = None
        self.stderr_tail: deque[str] = deque(maxlen=40)
        self._stderr_count = 0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def returncode(self) -> int | None:
        return self._process.returncode if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and not self._stopped.is_set()

    async def start(self) -> Ready:
        """Start the child and wait for :class:`Ready`.

        Raises:
            LlamaNotInstalledError: the child cannot import llama-cpp-python.
            EngineStoppedError: it exited, or said nothing in time.
        """
        self._process = await asyncio.create_subprocess_exec(
            *self._command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._env,
            # Its own session: the terminal's Ctrl+C is for the window, which
            # then closes the child itself.
            start_new_session=os.name == "posix",
        )
        process = self._process
        log.debug("started the llama.cpp child, pid %d", process.pid)
        if process.stdout is None or process.stderr is None:  # pragma: no cover - PIPE asked
            raise RuntimeError("the child's pipes were not opened")
        loop = asyncio.get_running_loop()
        drain = loop.create_task(self._drain_stderr(process.stderr), name="llama-stderr")
        replies = loop.create_task(self._read_replies(process, process.stdout, drain))
        self._tasks = [replies, drain]
        channel = self.channel(0)
        try:
            async with asyncio.timeout(self._start_timeout):
                message = await channel.receive()
        except TimeoutError:
            self.kill()
            raise EngineStoppedError(
                _(
                    "The built-in engine's process did not start within {start_timeout:g} "
                    "seconds. Try again; the log has its output."
                ).format(start_timeout=self._start_timeout)
            ) from None
        except EngineStoppedError as exc:
            raise EngineStoppedError(
                _("The built-in engine's process exited as it started{exit_detail}").format(
                    exit_detail=_exit_detail(self)
                ),
                returncode=exc.returncode,
            ) from None
        finally:
            channel.close()
        if isinstance(message, Failed) and message.kind == "missing":
            raise LlamaNotInstalledError(
                _(
                    "The built-in engine needs llama-cpp-python, which is not installed: "
                    "{INSTALL_HINT}. ({message})"
                ).format(INSTALL_HINT=_(INSTALL_HINT), message=message.message)
            )
        if not isinstance(message, Ready):
            self.kill()
            raise EngineStoppedError(
                _("The built-in engine's process failed to start: {message}.").format(
                    message=message
                )
            )
        self.ready = message
        log.info(
            "llama.cpp child ready: pid %d, llama-cpp-python %s, GPU offload %s",
            message.pid,
            message.version,
            "available" if message.gpu_offload else "not available",
        )
        return message

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def channel(self, request_id: int) -> _Channel:
        """Where the replies to ``request_id`` will arrive (open it before sending)."""
        channel = _Channel(self, request_id)
        self._channels[request_id] = channel
        if self._stopped.is_set():
            channel.put(None)
        return channel

    async def send(self, request: Request) -> None:
        """Write one request, waiting while the pipe is full.

        Raises:
            EngineStoppedError: the child is gone.
        """
        process = self._require_running()
        assert process.stdin is not None
        try:
            process.stdin.write(encode(request))
            await process.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            await self._stopped.wait()
            raise self.stopped_error() from None

    def send_nowait(self, request: Request) -> None:
        """Write one small request now (a Cancel from a ``finally``); nothing if it is gone."""
        if self.running and self._process is not None and self._process.stdin is not None:
            try:
                self._process.stdin.write(encode(request))
            except (BrokenPipeError, ConnectionResetError, RuntimeError):
                log.debug("could not send %s: the child is gone", request.type)

    def kill(self) -> None:
        """End the child at once (SIGKILL on POSIX)."""
        if self._process is not None and self._process.returncode is None:
            try:
                self._process.kill()
            except ProcessLookupError:
                pass

    async def aclose(self, grace: float = 3.0) -> None:
        """Ask the child to quit, kill it after ``grace`` seconds, and wait for its pipes."""
        process = self._process
        if process is None:
            return
        if process.returncode is None and process.stdin is not None:
            self.send_nowait(Quit())
            process.stdin.close()
        try:
            async with asyncio.timeout(grace):
                await process.wait()
        except TimeoutError:
            log.info("the llama.cpp child did not quit within %g s; killing it", grace)
            self.kill()
            await process.wait()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def stopped_error(self) -> EngineStoppedError:
        """The sentence for a child that ended while something waited for it."""
        if self._broken is not None:
            return EngineStoppedError(
                _(
                    "The model process sent something DeskChat does not understand and was "
                    "stopped ({broken}). The next reply starts it again."
                ).format(broken=self._broken),
                returncode=self.returncode,
            )
        return EngineStoppedError(
            _(
                "The model process stopped; it may have run out of memory.{exit_detail} "
                "The reply so far is kept; the next one starts the model again."
            ).format(exit_detail=_exit_detail(self)),
            returncode=self.returncode,
        )

    @property
    def stderr_count(self) -> int:
        """How many lines the child has written on stderr so far."""
        return self._stderr_count

    def load_failure(self, since: int = 0) -> str:
        """llama.cpp's own reason for a failed load, from its stderr lines after ``since``.

        llama.cpp says it as ``llama_model_load: error loading model: <reason>``;
        "" when it said nothing of the kind.
        """
        fresh = list(self.stderr_tail)[-max(self._stderr_count - since, 0) :]
        for word in ("error", "failed"):
            for line in reversed(fresh):
                if word in line.lower():
                    reason = line.split(": ", 1)[-1]
                    while reason.startswith("error loading model") and ": " in reason:
                        reason = reason.split(": ", 1)[1]
                    return reason.strip()
        return ""

    def _require_running(self) -> asyncio.subprocess.Process:
        if self._process is None or not self.running:
            raise self.stopped_error()
        return self._process

    async def _read_replies(
        self,
        process: asyncio.subprocess.Process,
        stdout: asyncio.StreamReader,
        drain: asyncio.Task[None],
    ) -> None:
        decoder = MessageDecoder()
        try:
            while data := await stdout.read(65536):
                for message in decoder.feed(data):
                    self._dispatch(message)
                decoder.check()
            for message in decoder.finish():
                self._dispatch(message)
        except ProtocolError as exc:
            self._broken = str(exc)
            log.error("the llama.cpp child broke the protocol: %s", exc)
            self.kill()
        await process.wait()
        # Let stderr finish first: the error message quotes its last lines.
        await asyncio.wait([drain], timeout=1.0)
        self._stopped.set()
        log.debug("the llama.cpp child ended with %s", process.returncode)
        for channel in list(self._channels.values()):
            channel.put(None)

    def _dispatch(self, message: Any) -> None:
        channel = self._channels.get(message.id)
        if channel is None:
            log.debug("dropping %s for request %s: nobody waits for it", message.type, message.id)
            return
        channel.put(message)

    async def _drain_stderr(self, stderr: asyncio.StreamReader) -> None:
        lines = LineBuffer()
        while data := await stderr.read(65536):
            try:
                complete = lines.feed(data)
            except ProtocolError:
                complete, lines = [], LineBuffer()
            for line in complete:
                self._keep_stderr(line)
        for line in lines.finish():
            self._keep_stderr(line)

    def _keep_stderr(self, line: bytes) -> None:
        text = line.decode("utf-8", errors="replace").rstrip()
        if text:
            log.debug("llama.cpp: %s", text)
            self.stderr_tail.append(text)
            self._stderr_count += 1


def _exit_detail(engine: LlamaEngine) -> str:
    code = engine.returncode
    if code is None:
        return ""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = _("signal {n}").format(n=-code)
        return _(" (it was ended by {name}).").format(name=name)
    last = engine.stderr_tail[-1] if engine.stderr_tail else ""
    return _(" (it exited with code {code}{value}).").format(
        code=code, value=": " + last if last else ""
    )


# -- the provider ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _LoadedModel:
    """What the child has loaded, and with which settings (``key`` decides reloading)."""

    key: _Key
    path: Path
    name: str
    n_ctx: int
    n_ctx_train: int
    thinks_first: bool
    vision: bool = False


_Key = tuple[Path, int | None, int, int, Path | None]
"""What a load is for: the model, the context asked, threads, GPU layers, the projector."""


class LocalProvider:
    """Runs GGUF models on this computer with llama.cpp, in a child process.

    The model loads on the first reply (yielding :class:`LoadProgress`
    events), stays loaded between replies, and is freed when the child exits
    after ``idle_unload`` seconds without a reply. Asking for another model,
    or other settings, unloads the current one first. One reply runs at a
    time; a second waits for the first.

    Args:
        models_dir: where plain file names are looked up (a path works anywhere).
        default_model: the model used when a reply names none.
        n_ctx: the context in tokens; None fits it to the machine's free memory
            and the model (up to 16384), never above the trained context.
        n_threads: threads for llama.cpp; None uses the physical cores.
        n_gpu_layers: layers to offload to a GPU (-1 all, 0 none); None means
            all when the installed llama.cpp can offload, else none.
        idle_unload: seconds without a reply before the child exits; None keeps
            the model loaded until :meth:`aclose`.
        stop_grace: seconds a stopped reply may take to stop before the child
            is killed (it checks between tokens, so this only catches a hang).
        memory: reads the machine's memory (a test passes a fake).
        worker_command, worker_env: how to start the child (default
            :func:`worker_command`, this process's environment).

    Attributes:
        last_stop: what the child reported for the last reply stopped early:
            the tokens it made in all and after the Stop arrived.
    """

    name = "local"

    display_name = N_("Built-in engine (llama.cpp)")

    def __init__(
        self,
        models_dir: str | os.PathLike[str] | None = None,
        *,
        default_model: str = "",
        n_ctx: int | None = None,
        n_threads: int | None = None,
        n_gpu_layers: int | None = None,
        idle_unload: float | None = DEFAULT_IDLE_UNLOAD,
        stop_grace: float = 5.0,
        memory: Callable[[], MemoryReading] = read_memory,
        worker_command: Sequence[str] | None = None,
        worker_env: Mapping[str, str] | None = None,
    ) -> None:
        self.display_name = _(self.display_name)  # marked above with N_
        self.models_dir = Path(models_dir).expanduser() if models_dir is not None else None
        self.default_model = default_model
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.n_gpu_layers = n_gpu_layers
        self.idle_unload = idle_unload
        self.stop_grace = stop_grace
        self._memory = memory
        self._command = list(worker_command) if worker_command is not None else None
        self._env = worker_env
        self._engine: LlamaEngine | None = None
        self._loaded: _LoadedModel | None = None
        self._lock = asyncio.Lock()
        self._headers: dict[tuple[Path, int, int], GGUFInfo] = {}
        self._idle: asyncio.TimerHandle | None = None
        self._pending_stop: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self.last_stop: Cancelled | None = None
        self._call_ids = itertools.count(1)

    # -- what the window reads ---------------------------------------------

    @property
    def loaded_model(self) -> Path | None:
        """The model file the child has loaded now, if any."""
        return self._loaded.path if self._loaded is not None else None

    @property
    def reads_images(self) -> bool:
        """Whether the loaded model was loaded with its vision projector."""
        return self._loaded is not None and self._loaded.vision

    @property
    def context_size(self) -> int | None:
        """The loaded model's context in tokens, if a model is loaded."""
        return self._loaded.n_ctx if self._loaded is not None else None

    @property
    def worker_pid(self) -> int | None:
        """The child's process id while it runs."""
        engine = self._engine
        return engine.pid if engine is not None and engine.running else None

    async def models(self) -> list[str]:
        """The ``.gguf`` files under ``models_dir``, as paths relative to it."""
        root = self.models_dir
        if root is None:
            return []

        def scan() -> list[str]:
            if not root.is_dir():
                return []
            return sorted(
                str(p.relative_to(root))
                for p in root.rglob("*.gguf")
                if p.is_file() and not is_projector(p.name)  # a part of a model, not one
            )

        return await asyncio.to_thread(scan)

    def resolve_model(self, model: str | None) -> Path:
        """The file ``model`` names: a path, or a name under ``models_dir``.

        Raises:
            ConfigurationError: no model named and no default.
            ModelFileNotFoundError: no such file.
        """
        name = model or self.default_model
        if not name:
            raise ConfigurationError(
                _(
                    "The built-in engine needs a model file: choose one, or download one "
                    "with `deskchat pull`."
                )
            )
        path = Path(name).expanduser()
        if not path.is_absolute() and self.models_dir is not None:
            beside = self.models_dir / path
            if beside.exists() or not path.exists():
                path = beside
        if not path.is_file():
            raise ModelFileNotFoundError(
                _("There is no model file at {path}. Check the name, or download it again.").format(
                    path=path
                )
            )
        return path.resolve()

    def _cached_header(self, path: Path) -> GGUFInfo | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        return self._headers.get((path, stat.st_mtime_ns, stat.st_size))

    def read_header(self, path: Path) -> GGUFInfo:
        """``path``'s GGUF header (cached while the file is unchanged).

        Raises:
            NotAGGUFError, CorruptModelError: see their docs.
        """
        try:
            stat = path.stat()
            key = (path, stat.st_mtime_ns, stat.st_size)
            if key in self._headers:
                return self._headers[key]
            info = read_gguf_info(path)
        except NotGGUFError:
            raise NotAGGUFError(
                _(
                    "{name} is not a GGUF model file (it does not start with the GGUF magic "
                    "bytes); the built-in engine runs .gguf files only."
                ).format(name=path.name)
            ) from None
        except GGUFError as exc:
            raise CorruptModelError(
                _("{text} It may not have finished downloading. Download it again.").format(
                    text=exc.text()
                )
            ) from None
        except OSError as exc:
            raise ModelFileNotFoundError(
                _("The model file {path} cannot be read: {value}.").format(
                    path=path, value=exc.strerror or exc
                )
            ) from None
        self._headers[key] = info
        return info

    # -- replies ------------------------------------------------------------

    def create_async_generator(
        self, model: str | None, messages: Sequence[Message], **params: Any
    ) -> AsyncIterator[Event]:
        """Yield the reply's events: LoadProgress while the model loads, then the text.

        ``model`` is a ``.gguf`` path or a name under ``models_dir``.
        ``params``: ``system`` (sent first), the sampling settings in OpenAI's
        names (``temperature``, ``top_p``, ``top_k``, ``min_p``,
        ``max_tokens``, ``seed``, ``stop``, ``repeat_penalty``,
        ``presence_penalty``, ``frequency_penalty``, ``logit_bias``), and
        ``n_ctx`` for this reply's context (a change reloads the model),
        ``tools`` (OpenAI's shape): rendered into the prompt by the model's chat
        template, the calls the model writes handed out as ToolCall events
        (see :mod:`~deskchat.provider.tool_text`); a model whose template has
        no tools raises ToolsNotSupportedError before anything is sent.
        Others are ignored. Closing or cancelling the generator stops the
        child's computing within a token.
        """
        return self._reply(model, messages, params)

    async def _reply(
        self, model: str | None, messages: Sequence[Message], params: Mapping[str, Any]
    ) -> AsyncGenerator[Event, None]:
        path = self.resolve_model(model)
        # The first read of a big vocabulary takes a while: not on the window's thread.
        info = self._cached_header(path)
        if info is None:
            info = await asyncio.to_thread(self.read_header, path)
        if info.is_projector:
            raise ConfigurationError(
                _(
                    "{file} is a vision projector, a part of a vision model, not a model "
                    "to chat with: choose the model file beside it."
                ).format(file=path.name)
            )
        projector = self._projector(path, info, messages)
        if params.get("tools") and not template_offers_tools(info):
            raise ToolsNotSupportedError(
                _(
                    "{name} cannot call tools: its chat template has no place for them. "
                    "Choose a model that can (Qwen2.5 or Llama 3.2), or turn the tools off."
                ).format(name=info.name or path.stem)
            )
        chat = _conversation(messages, params)
        async with self._lock:
            self._cancel_idle()
            try:
                if self._pending_stop is not None:
                    # The last reply was stopped; let it finish stopping (or be killed).
                    await asyncio.shield(self._pending_stop)
                engine = await self._ensure_engine()
                if projector is not None:
                    _check_vision(engine)
                key = self._settings_key(path, params, engine, projector)
                if not _loaded_fits(self._loaded, key):
                    async with aclosing(self._load(engine, path, info, key)) as loading:
                        async for event in loading:
                            yield event
                async with aclosing(self._generate(engine, chat, params)) as reply:
                    async for event in reply:
                        yield event
            finally:
                self._schedule_idle()

    def _projector(self, path: Path, info: GGUFInfo, messages: Sequence[Message]) -> Path | None:
        """The projector a reply with images needs (None without images).

        Raises:
            ImagesNotSupportedError: there are images and the model has no projector.
        """
        if not has_images(messages):
            return None
        projector = find_projector(path)
        if projector is None:
            raise _no_projector(info.name or path.stem, path)
        return projector

    def refuse_images(self, model: str) -> None:
        """Refuse images now, before anything is added or sent, for a model with no vision
        projector beside it: the sentence :meth:`create_async_generator` would give.

        Only what a folder listing tells: a model that cannot be found, or a llama-cpp-python
        without multimodal support, is left to the reply, which says so itself.

        Raises:
            ImagesNotSupportedError: ``model``'s file has no projector beside it.
        """
        try:
            path = self.resolve_model(model)
        except ConfigurationError:
            return
        if not is_projector(path.name) and find_projector(path) is None:
            info = self._cached_header(path)
            raise _no_projector((info.name if info is not None else "") or path.stem, path)

    def _settings_key(
        self,
        path: Path,
        params: Mapping[str, Any],
        engine: LlamaEngine,
        projector: Path | None = None,
    ) -> _Key:
        asked = params.get("n_ctx") or self.n_ctx
        threads = self.n_threads or physical_cores()
        gpu = engine.ready is not None and engine.ready.gpu_offload
        if self.n_gpu_layers is None:
            layers = -1 if gpu else 0
        else:
            layers = self.n_gpu_layers if gpu else 0
            if self.n_gpu_layers and not gpu:
                log.info("this llama.cpp build cannot offload to a GPU; running on the CPU")
        return (path, int(asked) if asked else None, threads, layers, projector)

    async def _ensure_engine(self) -> LlamaEngine:
        if self._engine is not None and self._engine.running:
            return self._engine
        self._engine, self._loaded = None, None
        engine = LlamaEngine(self._command, env=self._env)
        try:
            await engine.start()
        except BaseException:
            await engine.aclose(grace=1.0)
            raise
        self._engine = engine
        return engine

    async def _load(
        self,
        engine: LlamaEngine,
        path: Path,
        info: GGUFInfo,
        key: _Key,
    ) -> AsyncGenerator[Event, None]:
        name = info.name or path.stem
        if self._loaded is not None:
            # Free the current model first: the memory check below then sees it free.
            await self._request(engine, Unload(engine.next_id()), Unloaded)
            self._loaded = None
        _model, asked, threads, layers, projector = key
        if asked:
            n_ctx = fit_context(asked, info)
            if n_ctx != asked:
                log.info("%s was trained with %d tokens of context; using that", name, n_ctx)
        else:
            n_ctx = default_context(info, self._memory(), gpu_layers=layers)
        self._check_memory(name, info, n_ctx, layers, _file_size(projector))
        mmproj = str(projector) if projector is not None else None
        request = Load(engine.next_id(), str(path), n_ctx, threads, layers, mmproj)
        channel = engine.channel(request.id)
        stderr_before = engine.stderr_count
        finished = False
        try:
            await engine.send(request)
            yield LoadProgress(name, 0.0)
            while True:
                message = await channel.receive()
                if isinstance(message, Progress):
                    yield LoadProgress(name, message.fraction)
                elif isinstance(message, Loaded):
                    finished = True
                    self._loaded = _LoadedModel(
                        key,
                        path,
                        name,
                        message.n_ctx,
                        message.n_ctx_train,
                        message.thinks_first,
                        message.vision,
                    )
                    log.info(
                        "loaded %s in %.1f s (context %d, %d threads, %d GPU layers)",
                        name,
                        message.seconds,
                        message.n_ctx,
                        threads,
                        message.n_gpu_layers,
                    )
                    yield LoadProgress(name, 1.0, done=True)
                    return
                elif isinstance(message, Failed):
                    finished = True
                    # llama.cpp's reason reaches stderr before the child answers.
                    await asyncio.sleep(0.05)
                    reason = engine.load_failure(stderr_before) or message.message
                    if projector is not None:
                        raise ModelLoadError(
                            _(
                                "llama.cpp could not load {name} with its vision projector "
                                "{file}: {reason}. The projector may belong to another "
                                "model, or need a newer llama.cpp than the one installed."
                            ).format(name=path.name, file=projector.name, reason=reason)
                        )
                    raise ModelLoadError(
                        _(
                            "llama.cpp could not load {name}: {reason}. The file may be "
                            "damaged, or made for a newer llama.cpp than the one installed."
                        ).format(name=path.name, reason=reason)
                    )
                else:
                    finished = True
                    raise GenerationError(
                        _("The model process answered a load with {message}.").format(
                            message=message
                        )
                    )
        except EngineStoppedError as exc:
            self._forget(engine)
            raise EngineStoppedError(
                _(
                    "The model process stopped while loading {name}; it may have run out of "
                    "memory.{exit_detail}"
                ).format(name=name, exit_detail=_exit_detail(engine)),
                returncode=exc.returncode,
            ) from None
        finally:
            if not finished:
                self._stop(engine, channel)
            else:
                channel.close()

    async def _generate(
        self, engine: LlamaEngine, chat: list[dict[str, Any]], params: Mapping[str, Any]
    ) -> AsyncGenerator[Event, None]:
        loaded = self._loaded
        assert loaded is not None
        sampling = {k: v for k, v in params.items() if k in SAMPLING_PARAMS and v is not None}
        ignored = sorted(set(params) - SAMPLING_PARAMS - {"system", "n_ctx", "tools"})
        if ignored:
            log.debug("the built-in engine ignores %s", ", ".join(ignored))
        tools = list(params.get("tools") or []) or None
        request = Chat(engine.next_id(), chat, sampling, tools)
        channel = engine.channel(request.id)
        splitter = ReasoningSplitter(inside=loaded.thinks_first)
        calls = (
            ToolTextParser(new_id=lambda: f"call_{next(self._call_ids)}")
            if tools is not None
            else None
        )

        def read(events: list[Event]) -> list[Event]:
            if calls is None:
                return events
            out: list[Event] = []
            for event in events:
                out.extend(calls.feed(event.text) if isinstance(event, TextDelta) else [event])
            return out

        finished = False
        try:
            await engine.send(request)
            while True:
                message = await channel.receive()
                if isinstance(message, Delta):
                    for event in read(splitter.feed(message.text)):
                        yield event
                elif isinstance(message, Done):
                    finished = True
                    for event in read(splitter.finish()):
                        yield event
                    if calls is not None:
                        for event in calls.finish():
                            yield event
                    yield UsageEvent(message.prompt_tokens, message.completion_tokens)
                    called = calls is not None and calls.calls > 0
                    yield FinishEvent("tool_calls" if called else message.finish)
                    return
                elif isinstance(message, Failed):
                    finished = True
                    raise _generation_error(message, loaded)
                else:
                    finished = True
                    raise GenerationError(
                        _("The model process answered a reply with {message}.").format(
                            message=message
                        )
                    )
        except EngineStoppedError:
            self._forget(engine)
            raise
        finally:
            if not finished:
                self._stop(engine, channel)
            else:
                channel.close()

    def _check_memory(
        self, name: str, info: GGUFInfo, n_ctx: int, gpu_layers: int, projector: int = 0
    ) -> None:
        estimate = estimate_memory(info, n_ctx, gpu_layers=gpu_layers)
        # The projector's weights are read into memory whole, beside the model's.
        estimate = replace(estimate, weights=estimate.weights + projector)
        memory = self._memory()
        if estimate.total <= memory.available:
            return
        need = _(
            "{name} needs about {size} of memory ({size2} for the model, {size3} for "
            "a {n_ctx}-token context, {size4} to work in)"
        ).format(
            name=name,
            size=_size(estimate.total),
            size2=_size(estimate.weights),
            size3=_size(estimate.kv_cache),
            n_ctx=n_ctx,
            size4=_size(estimate.working),
        )
        if estimate.total > memory.total:
            have = _("but this computer has {size} in all").format(size=_size(memory.total))
            advice = _("Choose a smaller model, or a smaller quantization of it.")
        else:
            have = _("but only {size} of this computer's {size2} are free").format(
                size=_size(memory.available), size2=_size(memory.total)
            )
            advice = _(
                "Close other programs, choose a smaller model or quantization, or set a "
                "smaller context."
            )
        raise NotEnoughMemoryError(f"{need}, {have}. {advice}", estimate=estimate, memory=memory)

    async def _request(self, engine: LlamaEngine, request: Request, answer: type[Reply]) -> None:
        channel = engine.channel(request.id)
        try:
            await engine.send(request)
            while not isinstance(message := await channel.receive(), answer):
                if isinstance(message, Failed):
                    raise GenerationError(
                        _("The model process failed: {message}.").format(message=message.message)
                    )
        except EngineStoppedError:
            self._forget(engine)
            raise
        finally:
            channel.close()

    # -- stopping, idling, closing ----------------------------------------

    def _stop(self, engine: LlamaEngine, channel: _Channel) -> None:
        """A reply or load was abandoned: tell the child, and watch that it obeys."""
        if not engine.running:
            channel.close()
            return
        engine.send_nowait(Cancel(channel.id))
        task = asyncio.get_running_loop().create_task(self._await_stop(engine, channel))
        self._pending_stop = task
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _await_stop(self, engine: LlamaEngine, channel: _Channel) -> None:
        try:
            async with asyncio.timeout(self.stop_grace):
                while True:
                    message = await channel.receive()
                    if isinstance(message, Cancelled):
                        self.last_stop = message
                        log.debug(
                            "request %d stopped after %d tokens, %d after the Stop",
                            message.id,
                            message.completion_tokens,
                            message.after_cancel,
                        )
                        return
                    if isinstance(message, Done | Failed | Loaded):
                        if isinstance(message, Loaded):
                            # The load ended before the Stop reached it: it is loaded.
                            self._loaded = None
                        return
        except TimeoutError:
            log.warning("the llama.cpp child did not stop within %g s; killing it", self.stop_grace)
            engine.kill()
            self._forget(engine)
        except EngineStoppedError:
            self._forget(engine)
        finally:
            channel.close()
            if self._pending_stop is asyncio.current_task():
                self._pending_stop = None

    def _forget(self, engine: LlamaEngine) -> None:
        """The child is gone (or going): the next reply starts a new one."""
        if self._engine is engine:
            self._engine, self._loaded = None, None
            task = asyncio.get_running_loop().create_task(engine.aclose(grace=1.0))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    def _cancel_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def _schedule_idle(self) -> None:
        self._cancel_idle()
        if self.idle_unload is None or self._engine is None:
            return
        loop = asyncio.get_running_loop()
        self._idle = loop.call_later(self.idle_unload, self._on_idle)

    def _on_idle(self) -> None:
        self._idle = None
        task = asyncio.get_running_loop().create_task(self._unload_when_idle())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _unload_when_idle(self) -> None:
        async with self._lock:
            if self._idle is None and self._engine is not None:
                log.info("no reply for %g s: stopping the model process", self.idle_unload)
                await self._shut_down()

    async def wait_stopped(self) -> Cancelled | None:
        """Wait until the child has carried out the last Stop (or was killed for
        ignoring it); return what it reported, as :attr:`last_stop`."""
        pending = self._pending_stop
        if pending is not None:
            await asyncio.shield(pending)
        return self.last_stop

    async def unload(self) -> None:
        """Stop the child now, freeing the model (the next reply starts it again)."""
        self._cancel_idle()
        async with self._lock:
            await self._shut_down()

    async def aclose(self) -> None:
        """Stop the child and wait for it: call on quit."""
        self._cancel_idle()
        await self._shut_down()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def _shut_down(self) -> None:
        engine, self._engine, self._loaded = self._engine, None, None
        if engine is not None:
            await engine.aclose()


def _loaded_fits(loaded: _LoadedModel | None, key: _Key) -> bool:
    """Whether what is loaded serves a reply that needs ``key``: the same settings, and
    the projector if it needs one (a model loaded with its projector serves text too)."""
    if loaded is None:
        return False
    if loaded.key == key:
        return True
    return key[4] is None and loaded.key[:4] == key[:4]


def _no_projector(name: str, path: Path) -> ImagesNotSupportedError:
    return ImagesNotSupportedError(
        _(
            "{name} cannot look at images: it has no vision projector (an mmproj "
            "file) beside it in {folder}. Remove the image, choose a vision model "
            "(DeskChat's catalogue has one; LM Studio and Jan keep the projector "
            "beside the model), or put the model's mmproj-….gguf next to it."
        ).format(name=name, folder=path.parent)
    )


def _check_vision(engine: LlamaEngine) -> None:
    """Refuse images, before loading, when the child's llama-cpp-python cannot read them."""
    ready = engine.ready
    if ready is not None and ready.vision:
        return
    raise ImagesNotSupportedError(
        _(
            "The installed llama-cpp-python ({version}) cannot read images: it was built "
            "without llama.cpp's multimodal library. Remove the image, or upgrade it "
            "(pip install -U llama-cpp-python, 0.3.10 or later)."
        ).format(version=ready.version if ready is not None else "?")
    )


def _file_size(path: Path | None) -> int:
    if path is None:
        return 0
    try:
        return path.stat().st_size
    except OSError:
        return 0


def template_offers_tools(info: GGUFInfo) -> bool:
    """Whether the model's chat template renders ``tools`` (Qwen2.5 and Llama 3.x do)."""
    return "tools" in (info.chat_template or "")


def _conversation(messages: Sequence[Message], params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The messages for the child's chat template, ``params["system"]`` first.

    Tool calls keep their shape, their arguments turned into objects (templates
    write them with ``tojson``); a tool result keeps its call's id and name.
    """
    if not messages:
        raise ConfigurationError(_("There is no message to send."))
    chat = [_template_message(m) for m in messages]
    system = params.get("system")
    if system:
        chat.insert(0, {"role": "system", "content": str(system)})
    return chat


def _template_message(message: Message) -> dict[str, Any]:
    content = message.get("content")
    text = "" if content is None else str(content)
    images = [i for i in message.get("images") or () if isinstance(i, ImageInput)]
    out: dict[str, Any] = {"role": str(message["role"]), "content": text}
    if images:
        # OpenAI's content parts, as llama-cpp-python's vision handler reads them: the
        # images travel as data: URIs (already scaled and stripped by deskchat.attach).
        parts: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
        parts.extend({"type": "image_url", "image_url": {"url": i.data_uri()}} for i in images)
        out["content"] = parts
    calls = message.get("tool_calls")
    if calls:
        out["tool_calls"] = [
            {
                "id": str(call.get("id", "")),
                "type": "function",
                "function": {
                    "name": str(call["function"]["name"]),
                    "arguments": _arguments(call["function"].get("arguments")),
                },
            }
            for call in calls
        ]
    if out["role"] == "tool":
        out["tool_call_id"] = str(message.get("tool_call_id", ""))
        out["name"] = str(message.get("name", ""))
    return out


def _arguments(arguments: Any) -> Any:
    """A call's arguments as an object when they are JSON text of one, else as they were."""
    if isinstance(arguments, str):
        try:
            value = json.loads(arguments)
        except ValueError:
            return arguments
        return value if isinstance(value, dict) else arguments
    return arguments if arguments is not None else {}


def _generation_error(message: Failed, loaded: _LoadedModel) -> GenerationError:
    # llama-cpp-python's words for text; its vision handler's for a prompt with images.
    if "exceed context window" in message.message or "exceeds n_ctx" in message.message:
        return ContextFullError(
            _(
                "The conversation no longer fits in the model's context of {n_ctx} "
                "tokens ({split}). Start a new chat, or set a larger context (this model "
                "was trained with up to {n_ctx_train})."
            ).format(
                n_ctx=loaded.n_ctx,
                split=message.message.split(": ", 1)[-1],
                n_ctx_train=loaded.n_ctx_train,
            )
        )
    return GenerationError(
        _("The model failed while replying: {message}.").format(message=message.message)
    )


def _size(count: int) -> str:
    if count >= 1_000_000_000:
        return f"{count / 1e9:.1f} GB"
    megabytes = max(count, 0) / 1e6
    return f"{megabytes:.1f} MB" if megabytes < 10 else f"{megabytes:.0f} MB"
