"""Images to the built-in engine: the projector beside the model, refusals, and a real image.

The window-side checks run against a scripted child (tests/fakes/fake_llama_worker.py)
or none at all; the last part loads a tiny random llama model with a tiny random
vision projector (tests/fakes/tiny_mmproj.py) in the real child and sends it a PNG.
"""

from __future__ import annotations

import io
import struct
import sys
from pathlib import Path

import pytest

from deskchat.gguf import find_projector, is_projector, projector_rank
from deskchat.provider import llama_protocol as lp
from deskchat.provider.errors import ConfigurationError, ImagesNotSupportedError
from deskchat.provider.events import FinishEvent, TextDelta, UsageEvent
from deskchat.provider.images import ImageInput
from deskchat.provider.local import LocalProvider, ModelLoadError, _conversation

FAKE = Path(__file__).resolve().parents[1] / "fakes" / "fake_llama_worker.py"
HELLO = [{"role": "user", "content": "hello"}]


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def _header(path: Path, architecture: str = "llama", name: str | None = None) -> Path:
    """A GGUF header with an architecture (and a name), nothing else: all the parent reads."""
    keys = [_string("general.architecture") + struct.pack("<I", 8) + _string(architecture)]
    if name is not None:
        keys.append(_string("general.name") + struct.pack("<I", 8) + _string(name))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, len(keys)) + b"".join(keys))
    return path


def _png(side: int = 24) -> ImageInput:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (side + 8, side), (200, 30, 30)).save(buffer, "PNG")
    return ImageInput("image/png", buffer.getvalue(), "red.png")


def _looking(text: str = "What is this?", count: int = 1) -> list[dict[str, object]]:
    return [{"role": "user", "content": text, "images": [_png() for _ in range(count)]}]


def _provider(folder: Path, model: str, command: list[str] | None = None) -> LocalProvider:
    return LocalProvider(
        folder,
        default_model=model,
        idle_unload=None,
        n_ctx=512,
        # A child that cannot start: a test that reaches it fails with another error.
        worker_command=command or [sys.executable, "-c", "raise SystemExit(9)"],
    )


async def _reply(provider: LocalProvider, messages, **params) -> list:
    return [e async for e in provider.create_async_generator(None, messages, **params)]


# -- the projector beside the model ----------------------------------------------


def test_no_projector_beside_the_model(tmp_path: Path) -> None:
    model = _header(tmp_path / "Qwen2.5-3B-Instruct-Q4_K_M.gguf")
    _header(tmp_path / "other-Q4_K_M.gguf")
    (tmp_path / "mmproj-notes.txt").write_text("not a gguf")
    assert find_projector(model) is None


def test_lm_studio_and_jan_names_are_found(tmp_path: Path) -> None:
    lmstudio = _header(tmp_path / "lms" / "gemma-3-4b-it-Q4_K_M.gguf")
    projector = _header(tmp_path / "lms" / "mmproj-model-f16.gguf", "clip")
    assert find_projector(lmstudio) == projector
    jan = _header(tmp_path / "jan" / "model.gguf")
    beside = _header(tmp_path / "jan" / "model.mmproj-Q8_0.gguf", "clip")
    assert find_projector(jan) == beside
    # Another folder's projector is not this model's.
    assert find_projector(_header(tmp_path / "plain" / "model.gguf")) is None


def test_of_several_projectors_q8_0_is_taken_then_f16(tmp_path: Path) -> None:
    model = _header(tmp_path / "Qwen2.5-VL-3B-Instruct-Q4_K_M.gguf")
    f16 = _header(tmp_path / "mmproj-Qwen2.5-VL-3B-Instruct-f16.gguf", "clip")
    q8 = _header(tmp_path / "mmproj-Qwen2.5-VL-3B-Instruct-Q8_0.gguf", "clip")
    assert find_projector(model) == q8
    q8.unlink()
    assert find_projector(model) == f16
    assert projector_rank("mmproj-x-bf16.gguf") < projector_rank("mmproj-x-f16.gguf")


def test_projector_names() -> None:
    assert is_projector("mmproj-SmolVLM-256M-Instruct-Q8_0.gguf")
    assert is_projector("/models/x/Model.MMPROJ-f16.gguf")
    assert not is_projector("Qwen2.5-VL-3B-Instruct-Q4_K_M.gguf")
    assert not is_projector("/models/mmproj/model.gguf")  # a folder's name says nothing


async def test_a_projector_is_never_listed_as_a_model(tmp_path: Path) -> None:
    _header(tmp_path / "vision" / "SmolVLM-Q8_0.gguf")
    _header(tmp_path / "vision" / "mmproj-SmolVLM-Q8_0.gguf", "clip")
    _header(tmp_path / "text.gguf")
    provider = _provider(tmp_path, "text.gguf")
    assert await provider.models() == ["text.gguf", str(Path("vision", "SmolVLM-Q8_0.gguf"))]


async def test_a_projector_chosen_as_the_model_is_refused_before_anything(tmp_path: Path) -> None:
    # Its header says so even when its name does not.
    _header(tmp_path / "vision-encoder.gguf", "clip")
    provider = _provider(tmp_path, "vision-encoder.gguf")
    with pytest.raises(ConfigurationError) as exc:
        await _reply(provider, HELLO)
    assert "vision-encoder.gguf is a vision projector" in exc.value.text()
    assert provider.worker_pid is None


# -- refusals ----------------------------------------------------------------------


async def test_a_model_without_a_projector_refuses_images_before_anything(
    tmp_path: Path,
) -> None:
    _header(tmp_path / "qwen.gguf", name="Qwen2.5 3B Instruct")
    provider = _provider(tmp_path, "qwen.gguf")
    with pytest.raises(ImagesNotSupportedError) as exc:
        await _reply(provider, _looking())
    text = exc.value.text()
    assert text.startswith("Qwen2.5 3B Instruct cannot look at images")
    assert "no vision projector" in text
    assert "mmproj" in text
    assert str(tmp_path) in text
    # The child never started (it would have failed with another error).
    assert provider.worker_pid is None
    await provider.aclose()


def test_the_refusal_comes_at_send_for_a_model_without_a_projector(tmp_path: Path) -> None:
    # What the chat core asks before it adds the message: the same sentence, no child.
    _header(tmp_path / "qwen.gguf")
    _header(tmp_path / "see" / "vision.gguf")
    _header(tmp_path / "see" / "mmproj-vision-f16.gguf")
    provider = _provider(tmp_path, "qwen.gguf")
    with pytest.raises(ImagesNotSupportedError) as exc:
        provider.refuse_images("qwen.gguf")
    assert "no vision projector" in exc.value.text()
    assert str(tmp_path) in exc.value.text()
    provider.refuse_images("see/vision.gguf")  # its projector is beside it
    provider.refuse_images("missing.gguf")  # the reply says there is no such file
    assert provider.worker_pid is None


def test_send_keeps_the_image_for_a_model_without_a_projector(tmp_path: Path) -> None:
    from deskchat.attach import Attachment
    from deskchat.chat.session import ChatSession
    from tests.attach.files import png

    _header(tmp_path / "qwen.gguf")
    provider = _provider(tmp_path, "qwen.gguf")
    session = ChatSession(provider, model_name="qwen.gguf", provider_id="local")
    shot = Attachment("shot.png", "image", "image/png", png(8, 8), size=100, width=8, height=8)
    with pytest.raises(ImagesNotSupportedError) as exc:
        session.send("What is this?", [shot])
    assert "no vision projector" in exc.value.text()
    assert session.conversation.messages == []
    assert not session.busy
    assert provider.worker_pid is None


async def test_without_images_a_model_without_a_projector_is_not_refused(tmp_path: Path) -> None:
    _header(tmp_path / "text.gguf")
    provider = _provider(tmp_path, "text.gguf", [sys.executable, str(FAKE), "tools"])
    try:
        assert any(isinstance(e, TextDelta) for e in await _reply(provider, HELLO))
    finally:
        await provider.aclose()


async def test_a_llama_cpp_python_without_mtmd_gets_a_sentence_before_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The scripted child says Ready without vision, like a llama-cpp-python before 0.3.10.
    _header(tmp_path / "vision.gguf")
    _header(tmp_path / "mmproj-vision-f16.gguf", "clip")
    provider = _provider(tmp_path, "vision.gguf", [sys.executable, str(FAKE), "tools"])
    loads: list[lp.Request] = []
    original = lp.encode

    def spy(message: lp.Message) -> bytes:
        if isinstance(message, lp.Load):
            loads.append(message)
        return original(message)

    monkeypatch.setattr("deskchat.provider.local.encode", spy)
    try:
        with pytest.raises(ImagesNotSupportedError) as exc:
            await _reply(provider, _looking())
        assert "llama-cpp-python (fake) cannot read images" in exc.value.text()
        assert "pip install -U llama-cpp-python" in exc.value.text()
        assert loads == []
    finally:
        await provider.aclose()


# -- what travels to the child ---------------------------------------------------------


def test_images_travel_as_data_uri_parts_after_the_text() -> None:
    image = _png()
    chat = _conversation(
        [
            {"role": "user", "content": "first", "images": [image, image]},
            {"role": "assistant", "content": "A red square."},
            {"role": "user", "content": "and now?"},
        ],
        {"system": "Be brief."},
    )
    assert chat[0] == {"role": "system", "content": "Be brief."}
    uri = image.data_uri()
    assert uri.startswith("data:image/png;base64,iVBOR")
    assert chat[1] == {
        "role": "user",
        "content": [
            {"type": "text", "text": "first"},
            {"type": "image_url", "image_url": {"url": uri}},
            {"type": "image_url", "image_url": {"url": uri}},
        ],
    }
    assert chat[2] == {"role": "assistant", "content": "A red square."}
    assert chat[3] == {"role": "user", "content": "and now?"}
    lp.decode(lp.encode(lp.Chat(1, chat)).rstrip(b"\n"))  # one JSON line, however long


def test_the_load_names_the_projector_and_ready_says_vision() -> None:
    load = lp.Load(3, "/m/model.gguf", 512, 2, 0, "/m/mmproj-model-f16.gguf")
    assert lp.decode(lp.encode(load).rstrip(b"\n")) == load
    assert lp.Load(3, "/m/model.gguf", 512, 2).mmproj is None
    ready = lp.Ready(7, "0.3.36", False, vision=True)
    assert lp.decode(lp.encode(ready).rstrip(b"\n")) == ready
    # An older child says nothing of vision: it cannot read images.
    assert lp.decode(b'{"type":"ready","pid":1,"version":"x","gpu_offload":false}').vision is False


# -- the real child: tiny model, tiny projector, a PNG -----------------------------------


# Renders content parts as their text (an image's part is mtmd's marker by then).
VISION_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {% if m['content'] is string %}"
    "{{ m['content'] }}{% else %}{% for p in m['content'] %}{{ p['text'] }}{% endfor %}"
    "{% endif %}\n{% endfor %}assistant:"
)


@pytest.fixture(scope="module")
def vision_models(tmp_path_factory) -> Path:
    pytest.importorskip("llama_cpp", reason="pip install 'deskchat[local]' for the built-in engine")
    pytest.importorskip("gguf", reason="pip install gguf to write the test models")
    from tests.fakes.tiny_gguf import write_tiny_model
    from tests.fakes.tiny_mmproj import write_tiny_mmproj

    folder = tmp_path_factory.mktemp("vision")
    (folder / "see").mkdir()
    (folder / "wrong").mkdir()
    write_tiny_model(
        folder / "see" / "tiny-vision.gguf",
        chat_template=VISION_TEMPLATE,
        endless=True,
        name="Tiny Vision",
    )
    write_tiny_mmproj(folder / "see" / "mmproj-tiny-vision-f16.gguf")
    # A projector made for a model twice as narrow: llama.cpp refuses the pair.
    write_tiny_model(folder / "wrong" / "tiny.gguf", chat_template=VISION_TEMPLATE, endless=True)
    write_tiny_mmproj(folder / "wrong" / "mmproj-narrow-f16.gguf", text_embd=32)
    return folder


def _usage(events: list) -> UsageEvent:
    (usage,) = [e for e in events if isinstance(e, UsageEvent)]
    return usage


@pytest.mark.slow
async def test_an_image_goes_in_and_tokens_come_out(vision_models: Path) -> None:
    from tests.fakes.tiny_mmproj import TINY_IMAGE_TOKENS

    provider = LocalProvider(vision_models, default_model="see/tiny-vision.gguf", idle_unload=None)
    try:
        # Text only: the projector beside the model is not loaded for it.
        await _reply(provider, HELLO, max_tokens=4)
        assert not provider.reads_images
        text_pid = provider.worker_pid

        events = await _reply(provider, _looking("hello"), max_tokens=6)
        assert provider.reads_images  # reloaded with the projector, in the same child
        assert provider.worker_pid == text_pid
        assert "".join(e.text for e in events if isinstance(e, TextDelta))
        assert events[-1] == FinishEvent("length")
        assert _usage(events).completion_tokens == 6
        with_image = _usage(events).prompt_tokens

        # Still loaded with it, text goes through the same template: the image was
        # its 16 tokens in the prompt, not dropped.
        without = _usage(await _reply(provider, HELLO, max_tokens=2)).prompt_tokens
        assert provider.reads_images
        assert with_image - without >= TINY_IMAGE_TOKENS
        two = _usage(await _reply(provider, _looking("hello", 2), max_tokens=2)).prompt_tokens
        assert two - with_image >= TINY_IMAGE_TOKENS
    finally:
        await provider.aclose()


@pytest.mark.slow
async def test_a_projector_for_another_model_is_a_load_error_that_names_it(
    vision_models: Path,
) -> None:
    provider = LocalProvider(vision_models, default_model="wrong/tiny.gguf", idle_unload=None)
    try:
        with pytest.raises(ModelLoadError) as exc:
            await _reply(provider, _looking())
        assert "with its vision projector mmproj-narrow-f16.gguf" in exc.value.text()
        # The child lives on, and text still works with the model alone.
        assert any(isinstance(e, TextDelta) for e in await _reply(provider, HELLO, max_tokens=2))
        assert not provider.reads_images
    finally:
        await provider.aclose()


@pytest.mark.slow
async def test_images_beyond_the_context_are_the_context_sentence(vision_models: Path) -> None:
    from deskchat.provider.errors import ContextFullError
    from tests.fakes.tiny_mmproj import TINY_IMAGE_TOKENS

    provider = LocalProvider(
        vision_models, default_model="see/tiny-vision.gguf", idle_unload=None, n_ctx=256
    )
    try:
        count = 256 // TINY_IMAGE_TOKENS + 1  # more image tokens than the context holds
        with pytest.raises(ContextFullError) as exc:
            await _reply(provider, _looking("hello", count), max_tokens=2)
        assert "no longer fits in the model's context of 256 tokens" in exc.value.text()
        assert "exceeds n_ctx" in exc.value.text()
    finally:
        await provider.aclose()


def test_the_child_knows_a_llama_cpp_python_without_mtmd() -> None:
    from types import SimpleNamespace

    from deskchat.provider.llama_worker import Worker, _has_mtmd

    old = SimpleNamespace(__version__="0.3.2", llama_chat_format=SimpleNamespace())
    assert not _has_mtmd(old)
    worker = Worker(io.BytesIO())
    worker._llama = old
    assert worker._vision_handler(None, 0) is None  # text only: no handler asked for
    with pytest.raises(ValueError, match=r"llama-cpp-python 0\.3\.2 has no multimodal support"):
        worker._vision_handler("/m/mmproj-x-f16.gguf", 0)
    llama_cpp = pytest.importorskip("llama_cpp")
    assert _has_mtmd(llama_cpp)  # the installed one (0.3.36) has it
