"""Peak memory of ``deskchat ask`` against replies of many tiny pieces, and one endless line.

Targets (issue #12, point 11): peak memory flat in the number of pieces
(3 MB of text as 10,000, 100,000 or 1,000,000 deltas), and a line that never
ends (200 MB without a newline) refused at ``provider.sse.MAX_LINE`` with a
sentence instead of being held whole.

Each case runs ``python -m deskchat ask`` (history on, as a user runs it)
against an OpenAI-compatible fake in another process, and reads the child's
peak RSS (``ru_maxrss``) from ``wait4``. ``--serve MODE N`` is that fake.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

from _common import REPO, emit, repeats, summary

TEXT_SIZE = 3_000_000
CASES: dict[str, tuple[str, int]] = {
    "3MB_in_10k_pieces": ("pieces", 10_000),
    "3MB_in_100k_pieces": ("pieces", 100_000),
    "3MB_in_1M_pieces": ("pieces", 1_000_000),
    "one_8MB_piece": ("one", 8_000_000),
    "200MB_line_without_newline": ("line", 200_000_000),
}


def _event(text: str) -> bytes:
    return b"data: " + json.dumps({"choices": [{"delta": {"content": text}}]}).encode() + b"\n\n"


def serve(mode: str, n: int) -> None:
    """The fake server (run in its own process): prints ``PORT <n>``, serves until killed."""
    import asyncio

    from aiohttp import web

    async def models(_request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": "m"}]})

    async def chat(request: web.Request) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        if mode == "line":
            # One data line that never ends: megabyte after megabyte, no newline.
            await response.write(b'data: {"choices":[{"delta":{"content":"')
            block = b"x" * (1024 * 1024)
            try:
                for _ in range(n // len(block)):
                    await response.write(block)
            except ConnectionError:
                return response  # refused: the client went away, as it should

        elif mode == "one":
            await response.write(_event("y" * n) + b"data: [DONE]\n\n")
        else:
            width = max(1, TEXT_SIZE // n)
            piece = _event("z" * width)
            batch = piece * max(1, 65536 // len(piece))
            per_batch = len(batch) // len(piece)
            for _ in range(n // per_batch):
                await response.write(batch)
            await response.write(piece * (n % per_batch))
            await response.write(b'data: {"choices":[{"delta":{},"finish_reason":"stop"}]}\n\n')
            await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def main() -> None:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_get("/v1/models", models)
        app.router.add_post("/v1/chat/completions", chat)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(f"PORT {site._server.sockets[0].getsockname()[1]}", flush=True)  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


def run_case(mode: str, n: int) -> dict[str, object]:
    """One ``deskchat ask`` against the fake: peak RSS (MB), seconds, exit code, last stderr."""
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", mode, str(n)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        with tempfile.TemporaryDirectory() as data:
            # PYTHONPATH may point at a staged older tree (scripts/stage.py), for before/after.
            env = dict(os.environ, DESKCHAT_DATA_DIR=data)
            env.setdefault("PYTHONPATH", str(REPO))
            started = time.perf_counter()
            child = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "deskchat",
                    "ask",
                    "--provider",
                    "openai-compatible",
                    "--base-url",
                    f"http://127.0.0.1:{port}/v1",
                    "--model",
                    "m",
                    "Write a long answer.",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=env,
                cwd=REPO,
            )
            assert child.stderr is not None
            err = child.stderr.read().decode(errors="replace")
            _pid, status, usage = os.wait4(child.pid, 0)
            seconds = time.perf_counter() - started
            child.returncode = os.waitstatus_to_exitcode(status)
    finally:
        server.kill()
        server.wait()
    lines = err.strip().splitlines()
    return {
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # ru_maxrss is in KiB on Linux
        "seconds": round(seconds, 2),
        "exit": child.returncode,
        "stderr": lines[-1][:160] if lines else "",
        "traceback": "Traceback" in err,
    }


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2], int(sys.argv[3]))
        return
    n = repeats(1)
    results: dict[str, object] = {}
    for name, (mode, size) in CASES.items():
        runs = [run_case(mode, size) for _ in range(n)]
        results[name] = {
            "peak_rss_mb": summary([float(r["peak_rss_mb"]) for r in runs], 1),  # type: ignore[arg-type]
            "seconds": summary([float(r["seconds"]) for r in runs], 2),  # type: ignore[arg-type]
            "exit": runs[-1]["exit"],
            "stderr": runs[-1]["stderr"],
            "traceback": any(r["traceback"] for r in runs),
        }
        print(f"{name}: {results[name]}", file=sys.stderr, flush=True)
    emit(
        "stream_memory",
        results,
        target={"peak_rss": "flat in the number of pieces", "line": "refused at MAX_LINE"},
        setup="deskchat ask (history on) against an OpenAI-compatible fake in another process",
    )


if __name__ == "__main__":
    main()
