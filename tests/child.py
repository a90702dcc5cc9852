"""The real ``deskchat`` command in a child process, run from this checkout."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

__all__ = ["REPO", "ask_args", "child_env", "run_deskchat"]

REPO = Path(__file__).resolve().parents[1]


def child_env(data_dir: Path | None = None, **extra: str) -> dict[str, str]:
    """This environment with the checkout first on PYTHONPATH, history in ``data_dir``.

    ``DESKCHAT_OUTPUT`` from outside is dropped (it changes what ``ask`` prints);
    ``extra`` sets variables last.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    if data_dir is not None:
        env["DESKCHAT_DATA_DIR"] = str(data_dir)
    env.pop("DESKCHAT_OUTPUT", None)
    env.update(extra)
    return env


def ask_args(base_url: str, *flags: str) -> list[str]:
    """``ask`` model ``m`` of the OpenAI-compatible server at ``base_url`` "hi", with ``flags``."""
    return [
        "ask",
        "--provider",
        "openai-compatible",
        "--base-url",
        base_url,
        "--model",
        "m",
        *flags,
        "hi",
    ]


async def run_deskchat(*args: str, env: dict[str, str]) -> tuple[int, bytes, bytes]:
    """Run ``python -m deskchat ARGS`` with stdin closed; its exit code, stdout and stderr.

    A child still running after a minute fails the test.
    """
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "deskchat",
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=REPO,
    )
    out, err = await asyncio.wait_for(child.communicate(), 60)
    assert child.returncode is not None
    return child.returncode, out, err
