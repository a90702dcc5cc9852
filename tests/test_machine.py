"""deskchat.machine: the memory and cores of this computer, read on Linux without psutil."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from deskchat import machine

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and /sys")

MEMINFO = """\
MemTotal:       24683584 kB
MemFree:        19497652 kB
MemAvailable:   22887888 kB
Buffers:          113972 kB
"""

# Two packages of two cores of two threads each, as a hyper-threaded server lists them.
CPUINFO = "".join(
    f"processor\t: {n}\nphysical id\t: {package}\ncore id\t\t: {core}\n\n"
    for n, (package, core) in enumerate(
        [(0, 0), (0, 1), (1, 0), (1, 1), (0, 0), (0, 1), (1, 0), (1, 1)]
    )
)


def test_meminfo_is_read_in_bytes() -> None:
    assert machine._meminfo(MEMINFO) == machine.Memory(
        total=24683584 * 1024, available=22887888 * 1024
    )


def test_a_kernel_without_memavailable_is_left_to_psutil() -> None:
    assert machine._meminfo("MemTotal: 1000 kB\nMemFree: 10 kB\n") is None


def _topology(root: Path, lists: dict[int, str], name: str = "core_cpus_list") -> Path:
    for cpu, siblings in lists.items():
        folder = root / f"cpu{cpu}" / "topology"
        folder.mkdir(parents=True)
        (folder / name).write_text(siblings + "\n")
    (root / "cpufreq").mkdir()  # not a cpu[0-9]* folder
    return root


def test_sibling_threads_count_as_one_core(tmp_path: Path) -> None:
    # Four threads on two cores: cpu0 and cpu2 share one, cpu1 and cpu3 the other.
    root = _topology(tmp_path, {0: "0,2", 1: "1,3", 2: "0,2", 3: "1,3"})
    assert machine._linux_cores(root) == 2


def test_older_kernels_name_the_siblings_thread_siblings_list(tmp_path: Path) -> None:
    root = _topology(tmp_path, {0: "0-1", 1: "0-1", 2: "2-3", 3: "2-3"}, "thread_siblings_list")
    assert machine._linux_cores(root) == 2


def test_no_topology_counts_no_cores(tmp_path: Path) -> None:
    assert machine._linux_cores(tmp_path) == 0


def test_cpuinfo_counts_cores_per_package() -> None:
    assert machine._cpuinfo_cores(CPUINFO) == 4
    assert machine._cpuinfo_cores("processor\t: 0\n") == 0


@linux
def test_this_machine_reads_as_psutil_reads_it() -> None:
    psutil = pytest.importorskip("psutil")
    memory = machine.memory()
    assert memory.total == psutil.virtual_memory().total
    # Available memory moves between the two readings; by a few MB at most.
    assert abs(memory.available - psutil.virtual_memory().available) < 256 * 1024**2
    assert machine.physical_cores() == (psutil.cpu_count(logical=False) or 1)


@linux
def test_reading_this_machine_loads_no_psutil() -> None:
    code = (
        "import sys; from deskchat import library, machine; from deskchat.provider import "
        "llama_sizing; library.Machine.current(); machine.memory(); "
        "llama_sizing.read_memory(); llama_sizing.physical_cores(); "
        "print('psutil' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"
