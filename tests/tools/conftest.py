"""Fixtures for the tool tests: the SDK-written fake server over stdio and over HTTP."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from deskchat.tools import McpTools, ServerConfig

REPO = Path(__file__).resolve().parents[2]


def fake_server(name: str = "fake", *args: str, **env: str) -> ServerConfig:
    """The fake server over stdio, started with ``python -m tests.fakes.mcp_server ARGS``."""
    return ServerConfig(
        name=name,
        command=sys.executable,
        args=("-m", "tests.fakes.mcp_server", *args),
        env=env,
        cwd=str(REPO),
    )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for every purpose but the table; it has no parent waiting here.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return True


def pids(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


@pytest.fixture
def pidfile(tmp_path: Path) -> Path:
    return tmp_path / "pids"


@pytest.fixture
async def toolbox_for(tmp_path: Path) -> AsyncIterator[Callable[..., McpTools]]:
    """Make McpTools for configs; every one is closed after the test."""
    made: list[McpTools] = []

    def make(*configs: ServerConfig, **kwargs: object) -> McpTools:
        box = McpTools(configs, log_dir=tmp_path / "logs", **kwargs)  # type: ignore[arg-type]
        made.append(box)
        return box

    yield make
    for box in made:
        await box.aclose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def http_server() -> Iterator[str]:
    """The fake server over Streamable HTTP on 127.0.0.1; yields its /mcp URL."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.mcp_server", "--http", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None:
                raise RuntimeError("the fake HTTP MCP server exited")
            import time

            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(10)


async def wait_until(check: Callable[[], bool], seconds: float = 10) -> bool:
    for _ in range(int(seconds / 0.05)):
        if check():
            return True
        await asyncio.sleep(0.05)
    return check()
