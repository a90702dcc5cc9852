"""The frozen build's child processes: each hidden flag app/__main__.py dispatches is the
one its module's side uses to start it, and names a module with a ``main()``."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

from deskchat.attach import pdf_worker
from deskchat.children import FROZEN_CHILDREN
from deskchat.provider import llama_protocol
from deskchat.store import terms


def test_each_flag_is_the_one_its_module_starts_its_child_with() -> None:
    assert FROZEN_CHILDREN == {
        llama_protocol.FROZEN_FLAG: "deskchat.provider.llama_worker",
        pdf_worker.FROZEN_FLAG: "deskchat.attach.pdf_worker",
        terms.FROZEN_FLAG: "deskchat.store.terms_worker",
    }
    assert all(find_spec(module) is not None for module in FROZEN_CHILDREN.values())


def test_the_pdf_flag_runs_the_pdf_reader_not_the_command_line(tmp_path: Path) -> None:
    # The command line would refuse the unknown option; the reader says what it found.
    (tmp_path / "not.pdf").write_bytes(b"not a PDF at all")
    result = subprocess.run(
        [sys.executable, "-m", "deskchat", pdf_worker.FROZEN_FLAG, "not.pdf", "5", "1000", "0"],
        capture_output=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout)["error"] == "broken"
