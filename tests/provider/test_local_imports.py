"""What the window loads for the built-in engine and for looking for servers.

A window answered by the built-in engine keeps neither the child's code nor the
HTTP layer (yarl, multidict, idna, email: ~3 MB) in memory.
"""

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


def test_looking_for_servers_that_are_not_there_loads_no_http_layer() -> None:
    # The default probes' readers, on port 9 (discard), where nothing answers in a test run.
    loaded = _modules_after(
        "import asyncio, dataclasses\n"
        "from deskchat.provider.discovery import DEFAULT_PROBES, discover_local\n"
        "probes = [dataclasses.replace(p, port=9) for p in DEFAULT_PROBES]\n"
        "assert asyncio.run(discover_local(timeout=0.2, probes=probes)) == []"
    )
    assert "deskchat.provider.http" not in loaded
    assert "yarl" not in loaded
    assert "aiohttp" not in loaded


def test_the_default_probes_read_their_servers_listings() -> None:
    from deskchat.provider.discovery import DEFAULT_PROBES

    readers = {p.provider_id: p.parse for p in DEFAULT_PROBES}
    assert readers["ollama"]('{"models": [{"name": "llama3.2:1b"}]}', "Ollama") == ["llama3.2:1b"]
    assert readers["lmstudio"]('{"data": [{"id": "qwen2.5"}]}', "LM Studio") == ["qwen2.5"]
