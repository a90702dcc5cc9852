"""What the window's side of the built-in engine loads: the child's code stays in the child."""

from __future__ import annotations

import json
import subprocess
import sys


def _modules_after(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_the_window_side_of_the_engine_does_not_import_the_childs_module() -> None:
    loaded = _modules_after("import deskchat.provider.local")
    # The worker's module (with ctypes) is the child's: ~0.6 MB the window would keep.
    assert "deskchat.provider.llama_worker" not in loaded
    assert "ctypes" not in loaded
    assert "llama_cpp" not in loaded


def test_the_child_and_the_window_share_one_flag_and_one_list_of_sampling_names() -> None:
    from deskchat.provider import llama_protocol, llama_worker

    assert llama_worker.FROZEN_FLAG is llama_protocol.FROZEN_FLAG
    assert llama_worker.SAMPLING_PARAMS is llama_protocol.SAMPLING_PARAMS
