"""The built-in engine with a vision projector: what an image costs (issue #14).

A random llama model (``tests/fakes/tiny_gguf.py``, n_embd 512, 4 layers) and a
random llava-style projector for it (``tests/fakes/tiny_mmproj.py``, a 64 x 64
image in 8 x 8 patches: 64 image tokens), in a temporary folder. Each run starts
a fresh provider, answers a text message (the model loads without its projector),
then the same message with a PNG (the model loads again, with it), then both
again with the model loaded. Measured: the seconds of each reply, the child's
RSS after the text reply and after the image one (the projector and llama.cpp's
mtmd library), and the prompt tokens of each (the image's share).

The words are random: this measures the path, not what a real vision model
reads; a real projector is hundreds of MB and encodes an image in seconds.

    python bench/local_vision.py
"""

from __future__ import annotations

import asyncio
import io
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import REPO, emit, repeats, summary, wait_quiet

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import psutil  # noqa: E402
from PIL import Image  # noqa: E402

from deskchat.provider.events import UsageEvent  # noqa: E402
from deskchat.provider.images import ImageInput  # noqa: E402
from deskchat.provider.local import LocalProvider  # noqa: E402
from tests.fakes.tiny_gguf import write_tiny_model  # noqa: E402
from tests.fakes.tiny_mmproj import write_tiny_mmproj  # noqa: E402

N_EMBD = 512
IMAGE_SIZE = 64
MAX_TOKENS = 32
TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {% if m['content'] is string %}"
    "{{ m['content'] }}{% else %}{% for p in m['content'] %}{{ p['text'] }}{% endfor %}"
    "{% endif %}\n{% endfor %}assistant:"
)


def _png() -> ImageInput:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 30, 30)).save(buffer, "PNG")
    return ImageInput("image/png", buffer.getvalue(), "red.png")


async def _reply(provider: LocalProvider, messages: list[dict[str, Any]]) -> tuple[float, int]:
    started = time.perf_counter()
    prompt = 0
    async for event in provider.create_async_generator(None, messages, max_tokens=MAX_TOKENS):
        if isinstance(event, UsageEvent):
            prompt = event.prompt_tokens
    return time.perf_counter() - started, prompt


def _rss_mib(pid: int | None) -> float:
    assert pid is not None
    return psutil.Process(pid).memory_info().rss / 2**20


async def _run(folder: Path, runs: int) -> dict[str, Any]:
    text = [{"role": "user", "content": "Describe it."}]
    image = [{"role": "user", "content": "Describe it.", "images": [_png()]}]
    found: dict[str, list[float]] = {
        k: []
        for k in (
            "text_first_s",
            "image_first_s",
            "text_loaded_s",
            "image_loaded_s",
            "child_rss_text_mib",
            "child_rss_vision_mib",
            "prompt_tokens_text",
            "prompt_tokens_image",
        )
    }
    for _ in range(runs):
        wait_quiet()
        provider = LocalProvider(folder, default_model="tiny.gguf", idle_unload=None, n_ctx=512)
        try:
            seconds, _prompt = await _reply(provider, text)
            found["text_first_s"].append(seconds)
            found["child_rss_text_mib"].append(_rss_mib(provider.worker_pid))
            seconds, _prompt = await _reply(provider, image)
            found["image_first_s"].append(seconds)
            found["child_rss_vision_mib"].append(_rss_mib(provider.worker_pid))
            seconds, prompt = await _reply(provider, text)  # through the vision handler now
            found["text_loaded_s"].append(seconds)
            found["prompt_tokens_text"].append(prompt)
            seconds, prompt = await _reply(provider, image)
            found["image_loaded_s"].append(seconds)
            found["prompt_tokens_image"].append(prompt)
        finally:
            await provider.aclose()
    return {key: summary(values, 3) for key, values in found.items()}


def main() -> None:
    runs = repeats(5)
    with tempfile.TemporaryDirectory(prefix="deskchat-vision-") as tmp:
        folder = Path(tmp)
        model = write_tiny_model(
            folder / "tiny.gguf", n_embd=N_EMBD, n_layer=4, chat_template=TEMPLATE, endless=True
        )
        projector = write_tiny_mmproj(
            folder / "mmproj-tiny-f16.gguf", text_embd=N_EMBD, image_size=IMAGE_SIZE
        )
        results = asyncio.run(_run(folder, runs))
        emit(
            "local_vision",
            results,
            model_mb=round(model.stat().st_size / 1e6, 1),
            projector_mb=round(projector.stat().st_size / 1e6, 2),
            image_tokens=(IMAGE_SIZE // 8) ** 2,
        )


if __name__ == "__main__":
    main()
