"""Xvfb, and an X client that sees windows being mapped and drawn (for the start-up benches).

``Xvfb`` runs on a free display (``-displayfd``). ``XWatch`` is a plain Xlib
client (ctypes, no extra package) that selects ``SubstructureNotify`` on the
root window *before* the program under test is spawned, so it is told by the
server itself, as an event, the moment a top-level window is created and
mapped: no polling, no sleep granularity (``xdotool search --sync`` polls every
0.5 s). There is no window manager under Xvfb, so a mapped window is on the
screen at once (no reparenting, no compositor).

For every top-level window created it also asks the DAMAGE extension to report
drawing into it, which gives the first time pixels of the app's own reach the
window after it was mapped (Qt draws a window's contents with PutImage/ShmPutImage
once the server sends it Expose).

Linux (or any X11 system with libX11 and libXdamage) only.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import select
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from _common import _cpu_times

# X protocol constants (X.h, Xdamage.h).
_SUBSTRUCTURE_NOTIFY_MASK = 1 << 19
_CREATE_NOTIFY = 16
_DESTROY_NOTIFY = 17
_MAP_NOTIFY = 19
_ANY_PROPERTY_TYPE = 0
_DAMAGE_REPORT_RAW_RECTANGLES = 0
_DAMAGE_NOTIFY = 0


class _XAnyEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("event", ctypes.c_ulong),  # XCreateWindowEvent.parent, XMapEvent.event
        ("window", ctypes.c_ulong),
    ]


class _XRectangle(ctypes.Structure):
    _fields_ = [
        ("x", ctypes.c_short),
        ("y", ctypes.c_short),
        ("width", ctypes.c_ushort),
        ("height", ctypes.c_ushort),
    ]


class _XDamageNotifyEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("drawable", ctypes.c_ulong),
        ("damage", ctypes.c_ulong),
        ("level", ctypes.c_int),
        ("more", ctypes.c_int),
        ("timestamp", ctypes.c_ulong),
        ("area", _XRectangle),
        ("geometry", _XRectangle),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [
        ("any", _XAnyEvent),
        ("damage", _XDamageNotifyEvent),
        ("pad", ctypes.c_long * 24),
    ]


_ERROR_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)


def _load(name: str) -> ctypes.CDLL:
    path = ctypes.util.find_library(name)
    if path is None:
        raise RuntimeError(f"lib{name} not found (an X11 system is needed for this bench)")
    return ctypes.CDLL(path)


_x11 = _load("X11")
_xdamage = _load("Xdamage")
_x11.XOpenDisplay.restype = ctypes.c_void_p
_x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
_x11.XDefaultRootWindow.restype = ctypes.c_ulong
_x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
_x11.XSelectInput.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_long]
_x11.XConnectionNumber.argtypes = [ctypes.c_void_p]
_x11.XPending.argtypes = [ctypes.c_void_p]
_x11.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.POINTER(_XEvent)]
_x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
_x11.XFlush.argtypes = [ctypes.c_void_p]
_x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
_x11.XInternAtom.restype = ctypes.c_ulong
_x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
_x11.XFree.argtypes = [ctypes.c_void_p]
_x11.XGetWindowProperty.argtypes = [
    ctypes.c_void_p,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_long,
    ctypes.c_long,
    ctypes.c_int,
    ctypes.c_ulong,
    ctypes.POINTER(ctypes.c_ulong),
    ctypes.POINTER(ctypes.c_int),
    ctypes.POINTER(ctypes.c_ulong),
    ctypes.POINTER(ctypes.c_ulong),
    ctypes.POINTER(ctypes.c_void_p),
]
_x11.XSetErrorHandler.argtypes = [_ERROR_HANDLER]
_xdamage.XDamageQueryExtension.argtypes = [
    ctypes.c_void_p,
    ctypes.POINTER(ctypes.c_int),
    ctypes.POINTER(ctypes.c_int),
]
_xdamage.XDamageCreate.restype = ctypes.c_ulong
_xdamage.XDamageCreate.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int]


# A window the watcher creates damage for may be gone by the time the request
# arrives (BadWindow); Xlib's default handler would exit the bench.
@_ERROR_HANDLER
def _ignore_errors(_display: int | None, _event: int | None) -> int:
    return 0


_x11.XSetErrorHandler(_ignore_errors)


class Xvfb:
    """``Xvfb`` on the first free display; ``display`` is ``":N"``. A context manager."""

    def __init__(self, size: str = "1280x1024x24") -> None:
        exe = shutil.which("Xvfb")
        if exe is None:
            raise RuntimeError("Xvfb is not installed (apt-get install xvfb)")
        read, write = os.pipe()
        self.process = subprocess.Popen(
            [exe, "-displayfd", str(write), "-screen", "0", size, "-nolisten", "tcp", "-noreset"],
            pass_fds=(write,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number:
            self.process.kill()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"

    def __enter__(self) -> Xvfb:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Window:
    """A top-level window the watcher saw: when it was created, mapped and first drawn."""

    xid: int
    created: float
    mapped: float | None = None
    title: str | None = None
    pid: int | None = None
    # (perf_counter, x, y, width, height) of each damage report, in arrival order.
    damage: list[tuple[float, int, int, int, int]] = field(default_factory=list)

    def first_drawn(self) -> float | None:
        """When the first drawing after the map arrived (None: none seen)."""
        for when, *_ in self.damage:
            if self.mapped is not None and when >= self.mapped:
                return when
        return None


class XWatch:
    """An X client watching the root window's children on ``display``. A context manager.

    Open it before spawning the program (so no event is missed), then
    ``wait_mapped(title)``; all times are ``time.perf_counter()`` seconds taken
    as each event is read.
    """

    def __init__(self, display: str) -> None:
        dpy = _x11.XOpenDisplay(display.encode())
        if not dpy:
            raise RuntimeError(f"cannot open X display {display}")
        self._dpy = dpy
        self._root = _x11.XDefaultRootWindow(dpy)
        self._fd = _x11.XConnectionNumber(dpy)
        event_base, error_base = ctypes.c_int(), ctypes.c_int()
        if not _xdamage.XDamageQueryExtension(
            dpy, ctypes.byref(event_base), ctypes.byref(error_base)
        ):
            raise RuntimeError("the X server has no DAMAGE extension")
        self._damage_event = event_base.value + _DAMAGE_NOTIFY
        self._net_wm_name = _x11.XInternAtom(dpy, b"_NET_WM_NAME", False)
        self._wm_name = _x11.XInternAtom(dpy, b"WM_NAME", False)
        self._net_wm_pid = _x11.XInternAtom(dpy, b"_NET_WM_PID", False)
        self.windows: dict[int, Window] = {}
        _x11.XSelectInput(dpy, self._root, _SUBSTRUCTURE_NOTIFY_MASK)
        _x11.XSync(dpy, False)

    def __enter__(self) -> XWatch:
        return self

    def __exit__(self, *exc: object) -> None:
        _x11.XCloseDisplay(self._dpy)

    def _property(self, window: int, atom: int) -> tuple[int, bytes] | None:
        """(format, raw bytes) of a window property, or None."""
        actual_type, actual_format = ctypes.c_ulong(), ctypes.c_int()
        count, after, data = ctypes.c_ulong(), ctypes.c_ulong(), ctypes.c_void_p()
        status = _x11.XGetWindowProperty(
            self._dpy,
            window,
            atom,
            0,
            4096,
            False,
            _ANY_PROPERTY_TYPE,
            ctypes.byref(actual_type),
            ctypes.byref(actual_format),
            ctypes.byref(count),
            ctypes.byref(after),
            ctypes.byref(data),
        )
        if status != 0 or not data.value:
            return None
        try:
            # Xlib hands format-32 items back as C longs.
            size = {8: 1, 16: ctypes.sizeof(ctypes.c_short), 32: ctypes.sizeof(ctypes.c_long)}
            raw = ctypes.string_at(data.value, count.value * size.get(actual_format.value, 1))
        finally:
            _x11.XFree(data)
        return actual_format.value, raw

    def _describe(self, window: Window) -> None:
        for atom in (self._net_wm_name, self._wm_name):
            found = self._property(window.xid, atom)
            if found:
                window.title = found[1].decode("utf-8", "replace")
                break
        found = self._property(window.xid, self._net_wm_pid)
        if found and found[0] == 32 and found[1]:
            window.pid = int.from_bytes(found[1][: ctypes.sizeof(ctypes.c_long)], "little")

    def _drain(self) -> None:
        event = _XEvent()
        while _x11.XPending(self._dpy):
            _x11.XNextEvent(self._dpy, ctypes.byref(event))
            now = time.perf_counter()
            kind = event.any.type
            if kind == _CREATE_NOTIFY and event.any.event == self._root:
                xid = event.any.window
                self.windows[xid] = Window(xid, created=now)
                _xdamage.XDamageCreate(self._dpy, xid, _DAMAGE_REPORT_RAW_RECTANGLES)
                _x11.XFlush(self._dpy)
            elif kind == _MAP_NOTIFY and event.any.window in self.windows:
                window = self.windows[event.any.window]
                if window.mapped is None:
                    window.mapped = now
                    self._describe(window)
            elif kind == self._damage_event:
                window = self.windows.get(event.damage.drawable)
                if window is not None:
                    area = event.damage.area
                    window.damage.append((now, area.x, area.y, area.width, area.height))
            elif kind == _DESTROY_NOTIFY:
                self.windows.pop(event.any.window, None)

    def wait(self, until: float) -> None:
        """Read events as they come until ``perf_counter()`` reaches ``until``."""
        while True:
            self._drain()
            left = until - time.perf_counter()
            if left <= 0:
                return
            select.select([self._fd], [], [], left)

    def wait_mapped(self, title: str, timeout: float) -> Window | None:
        """The first window whose title matches ``title`` (a regex) once it is mapped."""
        pattern = re.compile(title)
        deadline = time.perf_counter() + timeout
        while True:
            self._drain()
            for window in self.windows.values():
                if window.mapped is not None and pattern.search(window.title or ""):
                    return window
            left = deadline - time.perf_counter()
            if left <= 0:
                return None
            select.select([self._fd], [], [], left)


def rss_kb(pid: int) -> int | None:
    """VmRSS of a process in KiB (None once it is gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None


def descendants(pid: int) -> list[int]:
    """``pid`` and every process under it (from /proc/*/stat)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: split after it.
        fields = text[text.rfind(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


@dataclass
class Launch:
    """One spawned program: milliseconds from spawn to its window mapped and first drawn,
    and its memory ``idle_s`` seconds after the map."""

    mapped_ms: float
    drawn_ms: float | None
    window_pid: int | None  # _NET_WM_PID: the process that made the window.
    rss_kb: int | None  # VmRSS of that process.
    hwm_kb: int | None  # VmHWM (peak RSS) of that process.
    tree_rss_kb: int  # VmRSS summed over the spawned process and its children.
    processes: int
    # The fraction of all CPUs busy from spawn to map: this program uses about one
    # core of two (0.5); more means other work ran alongside.
    cpu_busy: float
    cpu_ms: float  # on-CPU time of the program's threads, spawn -> mapped
    runqueue_ms: float  # time its threads were ready to run but waited for a CPU
    stderr: str  # what the program wrote to stderr
    spawned_at: float  # perf_counter() just before the spawn (CLOCK_MONOTONIC on Linux)


def schedstat_ms(pids: list[int]) -> tuple[float, float]:
    """(on-CPU, waiting-to-run) milliseconds so far of every thread of ``pids``.

    From /proc/PID/task/TID/schedstat (nanoseconds): the CPU time says what the
    start cost; the run-queue wait is how long it was ready but another
    process had the CPU (contention on a shared machine).
    """
    cpu = wait = 0
    for pid in pids:
        for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
            try:
                fields = stat.read_text().split()
            except OSError:
                continue
            cpu += int(fields[0])
            wait += int(fields[1])
    return cpu / 1e6, wait / 1e6


def _status(pid: int) -> dict[str, int]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def launch(
    display: str,
    command: list[str],
    title: str,
    env: dict[str, str],
    *,
    idle_s: float = 3.0,
    timeout: float = 60.0,
) -> Launch:
    """Spawn ``command`` on ``display``; time it until a window titled ``title`` (regex)
    is mapped; let it idle ``idle_s`` s (events still read); read its memory; end it.

    The clock starts just before ``Popen`` (fork and exec are part of the wait).
    The process gets its own process group, which is ended with SIGTERM (then
    SIGKILL) afterwards: a frozen build's bootloader child goes with it.
    """
    import signal
    import tempfile

    with tempfile.TemporaryFile() as errors, XWatch(display) as watch:
        busy0, total0 = _cpu_times()
        start = time.perf_counter()
        process = subprocess.Popen(
            command,
            env={**env, "DISPLAY": display},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            start_new_session=True,
        )
        try:
            window = watch.wait_mapped(title, timeout)
            if window is None or window.mapped is None:
                process.poll()
                errors.seek(0)
                tail = errors.read().decode(errors="replace")[-3000:]
                raise RuntimeError(
                    f"no window {title!r} within {timeout} s from {command} "
                    f"(exit {process.returncode}):\n{tail}"
                )
            mapped = window.mapped
            busy1, total1 = _cpu_times()
            cpu_ms, runqueue_ms = schedstat_ms(descendants(process.pid))
            watch.wait(mapped + idle_s)
            drawn = window.first_drawn()
            pids = descendants(process.pid)
            owner = window.pid if window.pid in pids else process.pid
            status = _status(owner)
            tree = sum(_status(pid).get("VmRSS", 0) for pid in pids)
        finally:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(10)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    return Launch(
        mapped_ms=(mapped - start) * 1000,
        drawn_ms=None if drawn is None else (drawn - start) * 1000,
        window_pid=window.pid,
        rss_kb=status.get("VmRSS"),
        hwm_kb=status.get("VmHWM"),
        tree_rss_kb=tree,
        processes=len(pids),
        cpu_busy=(busy1 - busy0) / max(1, total1 - total0),
        cpu_ms=cpu_ms,
        runqueue_ms=runqueue_ms,
        stderr=stderr,
        spawned_at=start,
    )
