"""Reading a GGUF header, and sizing a model's context and memory from it."""

from __future__ import annotations

import struct
from dataclasses import replace

import pytest

from deskchat.provider.gguf_header import GGUFInfo, has_gguf_magic, read_gguf_info
from deskchat.provider.llama_sizing import (
    DEFAULT_MAX_CONTEXT,
    MIN_CONTEXT,
    MemoryReading,
    default_context,
    estimate_memory,
    fit_context,
)

pytest.importorskip("gguf", reason="pip install gguf to write the test model")
from tests.fakes.tiny_gguf import write_tiny_model  # noqa: E402

GB = 1_000_000_000


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "tiny.gguf"
    return write_tiny_model(path, n_ctx=2048, n_embd=64, n_layer=2, name="Tiny Test 1B")


def test_header_fields_of_a_written_model(tiny):
    info = read_gguf_info(tiny)
    assert info.architecture == "llama"
    assert info.name == "Tiny Test 1B"
    assert (info.context_length, info.block_count, info.embedding_length) == (2048, 2, 64)
    assert (info.head_count, info.head_count_kv) == (4, 4)
    assert info.vocab_size == 264
    assert info.file_size == tiny.stat().st_size
    # 2 layers x 4 heads x (16 + 16) dims x 2 bytes (f16).
    assert info.kv_bytes_per_token == 2 * 4 * 32 * 2


def test_not_a_gguf(tmp_path):
    path = tmp_path / "model.gguf"
    path.write_bytes(b"<html>Not found</html>")
    assert not has_gguf_magic(path)
    with pytest.raises(ValueError, match="magic"):
        read_gguf_info(path)


@pytest.mark.parametrize("keep", [4, 10, 24, 200])
def test_a_header_cut_short(tiny, tmp_path, keep):
    path = tmp_path / "cut.gguf"
    path.write_bytes(tiny.read_bytes()[:keep])
    with pytest.raises(ValueError, match="cut short"):
        read_gguf_info(path)


def test_a_header_with_nonsense_counts(tmp_path):
    path = tmp_path / "bad.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 2**62))
    with pytest.raises(ValueError, match="claims"):
        read_gguf_info(path)


def _info(**changes: int) -> GGUFInfo:
    """A 7B-like model: 4 GB of weights, 32 layers, 8 KV heads of 128 (GQA)."""
    base = GGUFInfo(
        version=3,
        architecture="llama",
        name="Big",
        context_length=32768,
        block_count=32,
        embedding_length=4096,
        head_count=32,
        head_count_kv=8,
        key_length=0,
        value_length=0,
        vocab_size=32000,
        file_size=4 * GB,
    )
    return replace(base, **changes)


def test_estimate_adds_weights_cache_and_working_space():
    estimate = estimate_memory(_info(), 4096)
    assert estimate.weights == 4 * GB
    # 32 layers x 8 heads x (128 + 128) x 2 bytes = 128 KiB per token.
    assert estimate.kv_cache == 131072 * 4096
    assert estimate.working > 512 * 32000 * 4
    assert estimate.total == estimate.weights + estimate.kv_cache + estimate.working


def test_layers_on_the_gpu_leave_ram():
    assert estimate_memory(_info(), 4096, gpu_layers=16).weights == 2 * GB
    assert estimate_memory(_info(), 4096, gpu_layers=-1).kv_cache == 0


def test_default_context_is_capped_by_the_default_maximum():
    roomy = MemoryReading(available=64 * GB, total=64 * GB)
    assert default_context(_info(), roomy) == DEFAULT_MAX_CONTEXT


def test_default_context_never_exceeds_the_trained_context():
    roomy = MemoryReading(available=64 * GB, total=64 * GB)
    assert default_context(_info(context_length=2048), roomy) == 2048


def test_default_context_shrinks_to_what_memory_allows():
    # 6 GB free: 4 GB weights + ~0.2 GB working, half the rest (0.9 GB) for the cache.
    tight = MemoryReading(available=6 * GB, total=8 * GB)
    n_ctx = default_context(_info(), tight)
    assert MIN_CONTEXT < n_ctx < DEFAULT_MAX_CONTEXT
    assert n_ctx % 256 == 0
    assert estimate_memory(_info(), n_ctx).kv_cache <= (6 * GB - 4 * GB) / 2


def test_default_context_has_a_floor_for_the_memory_check_to_judge():
    full = MemoryReading(available=1 * GB, total=8 * GB)
    assert default_context(_info(), full) == MIN_CONTEXT


def test_asked_context_is_capped_at_the_trained_one():
    assert fit_context(100_000, _info()) == 32768
    assert fit_context(1000, _info()) == 1000
    assert fit_context(1000, _info(context_length=0)) == 1000
