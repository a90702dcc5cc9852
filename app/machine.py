"""This computer's memory and CPU cores, for the model library and the built-in engine.

On Linux read from /proc and /sys, as psutil reads them there; elsewhere through
psutil, imported only then: on Linux the window does not load it at all (~1.1 MiB
of its resident memory, bench/README.md).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Memory", "memory", "physical_cores"]

_MEMINFO = Path("/proc/meminfo")
_CPUINFO = Path("/proc/cpuinfo")
_CPUS = Path("/sys/devices/system/cpu")


@dataclass(frozen=True, slots=True)
class Memory:
    """The machine's memory in bytes.

    Attributes:
        total: all physical memory.
        available: what a new program can have now without swapping (the kernel's
            MemAvailable: free memory plus the reclaimable caches).
    """

    total: int
    available: int


def memory() -> Memory:
    """The machine's memory now."""
    if sys.platform.startswith("linux"):
        found = _meminfo(_read(_MEMINFO))
        if found is not None:
            return found
    import psutil

    reading = psutil.virtual_memory()
    return Memory(total=int(reading.total), available=int(reading.available))


def _meminfo(text: str) -> Memory | None:
    """``MemTotal`` and ``MemAvailable`` of /proc/meminfo's ``text`` (kB); None if either
    is missing (kernels before 3.14 have no MemAvailable)."""
    kb: dict[str, int] = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name in ("MemTotal", "MemAvailable"):
            kb[name] = int(rest.split()[0])
    if len(kb) < 2:
        return None
    return Memory(total=kb["MemTotal"] * 1024, available=kb["MemAvailable"] * 1024)


def physical_cores() -> int:
    """CPU cores, not hardware threads (two threads of one core count once); at least 1."""
    if sys.platform.startswith("linux"):
        cores = _linux_cores(_CPUS) or _cpuinfo_cores(_read(_CPUINFO))
        if cores:
            return cores
    else:
        import psutil

        cores = psutil.cpu_count(logical=False)
        if cores:
            return int(cores)
    return os.cpu_count() or 1


def _linux_cores(cpus: Path) -> int:
    """How many distinct sets of sibling threads the kernel lists under ``cpus``; 0 if none."""
    siblings: set[str] = set()
    for name in ("core_cpus_list", "thread_siblings_list"):
        for path in cpus.glob(f"cpu[0-9]*/topology/{name}"):
            siblings.add(_read(path).strip())
        siblings.discard("")
        if siblings:
            break
    return len(siblings)


def _cpuinfo_cores(text: str) -> int:
    """How many distinct (physical id, core id) pairs /proc/cpuinfo's ``text`` lists."""
    cores: set[tuple[str, str]] = set()
    package = ""
    for line in text.splitlines():
        name, _, value = line.partition(":")
        name = name.strip()
        if name == "physical id":
            package = value.strip()
        elif name == "core id":
            cores.add((package, value.strip()))
    return len(cores)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""
