"""The built-in engine's child process: llama.cpp behind a line protocol on its pipes.

Started by :class:`deskchat.provider.local.LlamaEngine` as ``python -m
deskchat.provider.llama_worker`` (``DeskChat --llama-worker`` when frozen).
It reads :mod:`~deskchat.provider.llama_protocol` requests on stdin and writes
the answers on stdout; everything else it or llama.cpp prints goes to stderr,
which the window drains into its log. A native crash or an out-of-memory kill
ends this process, never the window; exiting frees every byte of the model.

Two threads: the main one runs llama.cpp (one request at a time, in order);
a reader thread takes requests off stdin, so a :class:`Cancel` is seen at
once, between two tokens, even while a reply is being computed. EOF on stdin
(the window quit or died) stops the current work and exits.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from .errors import ProtocolError
from .llama_protocol import (
    FROZEN_FLAG,
    SAMPLING_PARAMS,
    Cancel,
    Cancelled,
    Chat,
    Delta,
    Done,
    Failed,
    FailureKind,
    LineBuffer,
    Load,
    Loaded,
    Message,
    Progress,
    Quit,
    Ready,
    Unload,
    Unloaded,
    decode,
    encode,
)

__all__ = ["FROZEN_FLAG", "SAMPLING_PARAMS", "Worker", "main"]

log = logging.getLogger("deskchat.llama_worker")


DELTA_INTERVAL = 0.008
"""Seconds between two Delta lines, at most: half a frame at 60 Hz."""

_EXIT_NO_LLAMA = 3


@dataclass
class _Model:
    """The loaded model, and the C callbacks that must live as long as it does."""

    llm: Any
    path: str
    keep_alive: list[Any]
    abort: Any = None
    no_abort: Any = None


class Worker:
    """The child's state: the loaded model, the request queue, what was cancelled.

    Args:
        out: the protocol's output (the real stdout, binary).
        stdin_fd: the file descriptor requests arrive on.
    """

    def __init__(self, out: IO[bytes], stdin_fd: int = 0) -> None:
        self._out = out
        self._stdin_fd = stdin_fd
        self._send_lock = threading.Lock()
        self._requests: queue.Queue[Message] = queue.Queue()
        self._cancelled: set[int] = set()
        self._cancel_marks: dict[int, int] = {}
        self._closing = False
        self._current = 0
        self._produced = 0
        self._prompt_tokens = 0
        self._model: _Model | None = None
        self._gpu = False
        self._llama: Any = None

    # -- the two loops ------------------------------------------------------

    def run(self) -> int:
        """Import llama.cpp, say :class:`Ready`, then serve requests until Quit or EOF."""
        threading.Thread(target=self._read_requests, name="requests", daemon=True).start()
        try:
            import llama_cpp
        except (ImportError, OSError) as exc:
            # OSError: the package is there but its shared library will not load.
            self._send(Failed(0, "missing", f"{type(exc).__name__}: {exc}"))
            return _EXIT_NO_LLAMA
        self._llama = llama_cpp
        self._gpu = bool(llama_cpp.llama_supports_gpu_offload())
        self._send(
            Ready(os.getpid(), str(llama_cpp.__version__), self._gpu, vision=_has_mtmd(llama_cpp))
        )
        while True:
            request = self._requests.get()
            if isinstance(request, Quit):
                break
            self._serve(request)
        self._free()
        return 0

    def _read_requests(self) -> None:
        lines = LineBuffer()
        while True:
            try:
                data = os.read(self._stdin_fd, 65536)
            except OSError:
                data = b""
            if not data:
                break
            for line in lines.feed(data):
                self._take(line)
        for line in lines.finish():
            self._take(line)
        # The window closed our stdin or died: stop what runs, then exit.
        self._closing = True
        self._requests.put(Quit())

    def _take(self, line: bytes) -> None:
        if not line.strip():
            return
        try:
            request = decode(line)
        except ProtocolError as exc:
            self._send(Failed(0, "request", str(exc)))
            return
        if isinstance(request, Cancel):
            # Counted here, on arrival, so the reply can say what it cost after.
            running = request.id == self._current
            self._cancel_marks[request.id] = self._produced if running else 0
            self._cancelled.add(request.id)
        else:
            self._requests.put(request)

    def _serve(self, request: Message) -> None:
        try:
            if isinstance(request, Load):
                self._load(request)
            elif isinstance(request, Chat):
                self._chat(request)
            elif isinstance(request, Unload):
                self._free()
                self._send(Unloaded(request.id))
            else:
                self._send(Failed(request.id, "request", f"Not a request: {request.type}"))
        except Exception as exc:  # noqa: BLE001 - the child reports every failure, then serves on
            log.exception("%s failed", request.type)
            kind: FailureKind = "load" if isinstance(request, Load) else "generate"
            self._send(Failed(request.id, kind, f"{type(exc).__name__}: {exc}"))
        finally:
            self._cancelled.discard(request.id)
            self._cancel_marks.pop(request.id, None)

    # -- requests -----------------------------------------------------------

    def _load(self, request: Load) -> None:
        self._free()
        if self._stopping(request.id):
            self._send(Cancelled(request.id))
            return
        started = time.monotonic()
        gpu_layers = request.n_gpu_layers if self._gpu else 0
        keep_alive: list[Any] = []
        reporter = _ProgressReporter(lambda f: self._send(Progress(request.id, f)))

        def progress(fraction: float, _data: object) -> bool:
            reporter(fraction)
            return not self._stopping(request.id)

        with _load_progress(progress, keep_alive):
            try:
                handler = self._vision_handler(request.mmproj, gpu_layers)
                llm = self._llama.Llama(
                    model_path=request.path,
                    n_ctx=request.n_ctx,
                    n_threads=request.n_threads,
                    n_threads_batch=request.n_threads,
                    n_gpu_layers=gpu_layers,
                    chat_handler=handler,
                    # Verbose: llama.cpp says why a load failed on stderr, which the
                    # window logs; quiet mode would send that to /dev/null.
                    verbose=True,
                )
            except (ValueError, RuntimeError) as exc:
                if self._stopping(request.id):
                    self._send(Cancelled(request.id))
                    return
                self._send(Failed(request.id, "load", str(exc)))
                return
        if handler is not None:
            try:
                # WORKAROUND: llama-cpp-python 0.3.36's MTMDChatHandler loads the
                # projector in its first __call__ (a reply) and has no public way to
                # load it sooner; loading it now makes a projector llama.cpp cannot
                # read a failed load (with clip's reason on stderr), not a failed reply.
                handler._init_mtmd_context(llm)
            except (ValueError, RuntimeError) as exc:
                llm.close()
                self._send(Failed(request.id, "load", f"{request.mmproj}: {exc}"))
                return
        abort, no_abort = self._instrument(llm, keep_alive)
        self._model = _Model(llm, request.path, keep_alive, abort, no_abort)
        self._send(
            Loaded(
                id=request.id,
                path=request.path,
                n_ctx=int(llm.n_ctx()),
                n_ctx_train=int(llm._model.n_ctx_train()),
                n_gpu_layers=gpu_layers,
                thinks_first=_template_opens_thinking(llm),
                seconds=round(time.monotonic() - started, 3),
                vision=handler is not None,
            )
        )

    def _vision_handler(self, mmproj: str | None, gpu_layers: int) -> Any:
        """The chat handler that reads images with ``mmproj``; None for text only.

        ``MTMDChatHandler`` is llama-cpp-python's generic one: it renders the
        model's own chat template from the GGUF (``tokenizer.chat_template``),
        images as mtmd's media marker, and hands the marked prompt and the
        pictures to llama.cpp's mtmd, which knows each projector's layout. The
        ``Llava15ChatHandler`` family hard-codes one model's template each.

        Raises:
            ValueError: this llama-cpp-python has no multimodal support.
        """
        if mmproj is None:
            return None
        if not _has_mtmd(self._llama):
            raise ValueError(
                f"llama-cpp-python {self._llama.__version__} has no multimodal support (mtmd)"
            )
        from llama_cpp.llama_chat_format import MTMDChatHandler

        return MTMDChatHandler(clip_model_path=mmproj, verbose=True, use_gpu=gpu_layers != 0)

    def _chat(self, request: Chat) -> None:
        model = self._model
        if model is None:
            self._send(Failed(request.id, "generate", "No model is loaded."))
            return
        self._current, self._produced, self._prompt_tokens = request.id, 0, 0
        finish = "stop"
        stream = None
        text_out = _Batcher(lambda text: self._send(Delta(request.id, text)), DELTA_INTERVAL)
        low = self._llama.llama_cpp
        context = model.llm._ctx.ctx
        try:
            # A vision handler reads the prompt and the images' tokens before it
            # samples: Stop may interrupt that too (generate() clears it at the
            # first token). The projector's own pass over an image runs in mtmd's
            # context, which has no abort: it runs to its end.
            low.llama_set_abort_callback(context, model.abort, None)
            # The template renders the tools; the calls come back as text, which
            # the window reads (provider.tool_text): llama-cpp-python parses none.
            tools = {"tools": request.tools} if request.tools else {}
            stream = model.llm.create_chat_completion(
                messages=request.messages,
                stream=True,
                **tools,
                **sampling_arguments(request.params),
            )
            for chunk in stream:
                if self._stopping(request.id):
                    break
                choice = chunk["choices"][0]
                text = choice["delta"].get("content")
                if text:
                    text_out.add(text)
                finish = choice.get("finish_reason") or finish
        except (RuntimeError, ValueError):
            # An aborted llama_decode (Stop while reading the prompt) raises; that is a
            # stop. (The vision handler turns an aborted image into a ValueError.)
            if not self._stopping(request.id):
                raise
        finally:
            low.llama_set_abort_callback(context, model.no_abort, None)
            if stream is not None:
                stream.close()
            self._current = 0
            if not self._stopping(request.id):
                text_out.flush()  # before Done, or before the Failed of an error
        if self._stopping(request.id):
            mark = self._cancel_marks.get(request.id, self._produced)
            self._send(Cancelled(request.id, self._produced, max(self._produced - mark, 0)))
        else:
            self._send(Done(request.id, finish, self._prompt_tokens, self._produced))

    # -- helpers ------------------------------------------------------------

    def _stopping(self, request_id: int) -> bool:
        return self._closing or request_id in self._cancelled

    def _instrument(self, llm: Any, keep_alive: list[Any]) -> tuple[Any, Any]:
        """Count tokens and check for Stop between them, around ``llm.generate``;
        returns the abort callback that stops a prompt being read, and the null one.

        WORKAROUND: llama-cpp-python 0.3.36 streams chat completions without
        usage, and its chat handlers drop a caller's ``stopping_criteria``.
        Every completion samples through ``self.generate``, so an instance
        attribute in its place sees each token before it is computed.
        """
        original = llm.generate
        low = self._llama.llama_cpp
        context = llm._ctx.ctx

        # Reading a long prompt is one llama_decode per batch with no token in
        # between: an abort callback lets Stop interrupt it. It is set for the
        # prompt only, as llama.cpp calls it once per graph node.
        @low.ggml_abort_callback  # type: ignore[untyped-decorator]
        def abort(_data: object) -> bool:
            return self._stopping(self._current)

        no_abort = ctypes.cast(0, low.ggml_abort_callback)
        keep_alive.append(abort)

        def generate(tokens: list[int], *args: Any, **kwargs: Any) -> Iterator[int]:
            self._prompt_tokens = len(tokens)
            inner = original(tokens, *args, **kwargs)
            low.llama_set_abort_callback(context, abort, None)
            try:
                while not self._stopping(self._current):
                    try:
                        token = next(inner)
                    except StopIteration:
                        return
                    if self._produced == 0:
                        low.llama_set_abort_callback(context, no_abort, None)
                    self._produced += 1
                    yield token
            finally:
                low.llama_set_abort_callback(context, no_abort, None)
                inner.close()

        llm.generate = generate
        return abort, no_abort

    def _free(self) -> None:
        model, self._model = self._model, None
        if model is not None:
            model.llm.close()
            del model
            gc.collect()

    def _send(self, message: Message) -> None:
        data = encode(message)
        with self._send_lock:
            try:
                self._out.write(data)
                self._out.flush()
            except (BrokenPipeError, ValueError):
                # The window is gone: nobody to answer, so stop.
                self._closing = True


class _Batcher:
    """A reply's text, sent at once but at most one line per ``interval`` seconds.

    A small model makes tokens faster than anyone reads them (hundreds a
    second), and each line costs the window a wake-up; a real model on a CPU
    is slower than the interval, so each of its tokens goes out as it comes.
    """

    def __init__(self, send: Callable[[str], None], interval: float) -> None:
        self._send = send
        self._interval = interval
        self._pending: list[str] = []
        self._sent = -interval

    def add(self, text: str) -> None:
        self._pending.append(text)
        now = time.monotonic()
        if now - self._sent >= self._interval:
            self.flush(now)

    def flush(self, now: float | None = None) -> None:
        if self._pending:
            self._send("".join(self._pending))
            self._pending.clear()
            self._sent = time.monotonic() if now is None else now


class _ProgressReporter:
    """Passes load progress on in whole percents, not at every tensor."""

    def __init__(self, send: Callable[[float], None]) -> None:
        self._send = send
        self._last = -1

    def __call__(self, fraction: float) -> None:
        percent = int(fraction * 100)
        if percent != self._last:
            self._last = percent
            self._send(round(min(max(fraction, 0.0), 1.0), 4))


@contextlib.contextmanager
def _load_progress(
    callback: Callable[[float, object], bool], keep_alive: list[Any]
) -> Iterator[None]:
    """Make the next ``Llama()`` report its load progress to ``callback``.

    WORKAROUND: llama-cpp-python 0.3.36's ``Llama`` builds its
    ``llama_model_params`` inside ``__init__`` and takes no progress callback,
    though llama.cpp's ``progress_callback`` field is bound. It gets the params
    from ``llama_cpp.llama_model_default_params()``, so for the one load this
    child makes at a time, that function hands out params with ours set.
    """
    import llama_cpp.llama_cpp as low

    original = low.llama_model_default_params
    c_callback = low.llama_progress_callback(callback)
    keep_alive.append(c_callback)

    def with_progress() -> Any:
        params = original()
        params.progress_callback = c_callback
        return params

    low.llama_model_default_params = with_progress
    try:
        yield
    finally:
        low.llama_model_default_params = original


def sampling_arguments(params: dict[str, Any]) -> dict[str, Any]:
    """The sampling settings ``create_chat_completion`` takes, from a Chat's params."""
    kwargs = {k: v for k, v in params.items() if k in SAMPLING_PARAMS and v is not None}
    bias = kwargs.get("logit_bias")
    if isinstance(bias, dict):
        # JSON made the token ids strings.
        kwargs["logit_bias"] = {int(k): float(v) for k, v in bias.items()}
    return kwargs


def _has_mtmd(llama_cpp: Any) -> bool:
    """Whether this llama-cpp-python can read images: its mtmd binding and generic
    handler are there (0.3.10 and later; the library itself loads with the projector)."""
    import importlib.util

    try:
        found = importlib.util.find_spec("llama_cpp.mtmd_cpp") is not None
    except (ImportError, ValueError):
        found = False
    return found and hasattr(llama_cpp.llama_chat_format, "MTMDChatHandler")


def _template_opens_thinking(llm: Any) -> bool:
    """Whether the GGUF chat template ends its prompt with ``<think>`` (DeepSeek-R1 does)."""
    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        return False
    try:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        formatter = Jinja2ChatFormatter(template=template, eos_token="", bos_token="")
        prompt = formatter(messages=[{"role": "user", "content": "Hi"}]).prompt
    except Exception:  # noqa: BLE001 - a template we cannot render just means no
        log.debug("could not render the chat template", exc_info=True)
        return False
    return bool(prompt.rstrip().endswith("<think>"))


def _claim_stdout() -> IO[bytes]:
    """The real stdout for the protocol; fd 1 becomes stderr for everything else.

    llama.cpp and libraries print where they like: a stray line on stdout
    would break the protocol, on stderr it only reaches the log.
    """
    sys.stdout.flush()
    protocol = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(protocol, "wb")


def main() -> int:
    """Run the child until the window closes its stdin or sends Quit."""
    out = _claim_stdout()
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return Worker(out).run()
    finally:
        with contextlib.suppress(OSError, ValueError):
            out.close()


if __name__ == "__main__":
    sys.exit(main())
