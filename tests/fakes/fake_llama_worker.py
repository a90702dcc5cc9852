"""A stand-in for the built-in engine's child that misbehaves on purpose (no llama.cpp).

Run as ``python tests/fakes/fake_llama_worker.py MODE``. It speaks the real
protocol (``deskchat.provider.llama_protocol``) until MODE says otherwise:

- ``hang``: replies stream "tick" pieces forever and ignore Cancel (a hung model).
- ``garbage``: a reply writes a line that is not JSON on stdout.
- ``exit``: a load writes a reason on stderr and exits with code 7.
- ``silent``: never says Ready.
- ``tools``: a model that calls tools the way Qwen2.5 writes them: offered
  tools, it writes "Let me look." and a ``<tool_call>`` for the first tool (in
  three-character pieces, so the marker is split across lines); after a tool
  result, it says the result and the arguments of the call it was sent back;
  without tools it says "No tools." and the number of messages.
"""

from __future__ import annotations

import json
import os
import sys
import time

from deskchat.provider import llama_protocol as lp


def send(message: lp.Message) -> None:
    os.write(1, lp.encode(message))


def main(mode: str) -> int:
    if mode == "silent":
        time.sleep(60)
        return 0
    send(lp.Ready(os.getpid(), "fake", gpu_offload=False))
    lines = lp.LineBuffer()
    while data := os.read(0, 65536):
        for line in lines.feed(data):
            request = lp.decode(line)
            if isinstance(request, lp.Load):
                if mode == "exit":
                    sys.stderr.write("fake: out of something\n")
                    sys.stderr.flush()
                    return 7
                send(lp.Loaded(request.id, request.path, request.n_ctx, 4096, 0, False, 0.0))
            elif isinstance(request, lp.Chat):
                if mode == "tools":
                    for piece in tools_reply(request):
                        send(lp.Delta(request.id, piece))
                    send(lp.Done(request.id, "stop", 10, 5))
                    continue
                if mode == "garbage":
                    send(lp.Delta(request.id, "before "))
                    os.write(1, b"Segmentation fault (core dumped)\n")
                    continue
                while True:  # hang: Cancel is never read
                    send(lp.Delta(request.id, "tick "))
                    time.sleep(0.01)
            elif isinstance(request, lp.Quit):
                return 0
    return 0


def tools_reply(request: lp.Chat) -> list[str]:
    last = request.messages[-1]
    if last["role"] == "tool":
        calls = [m for m in request.messages if m.get("tool_calls")]
        arguments = calls[-1]["tool_calls"][0]["function"]["arguments"]
        return [f"Result: {last['content']} (arguments {json.dumps(arguments)})"]
    if not request.tools:
        return [f"No tools. {len(request.messages)}"]
    name = request.tools[0]["function"]["name"]
    text = (
        'Let me look.\n<tool_call>\n{"name": "' + name + '", "arguments": {"a": 2, "b": 40}}'
        "\n</tool_call>"
    )
    return [text[i : i + 3] for i in range(0, len(text), 3)]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
