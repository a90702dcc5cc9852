"""Sizing a model's context and memory from its GGUF header (read in tests/test_gguf.py)."""

from __future__ import annotations

from deskchat.gguf import GGUFArray, GGUFInfo
from deskchat.provider.llama_sizing import (
    DEFAULT_MAX_CONTEXT,
    MIN_CONTEXT,
    MemoryReading,
    default_context,
    estimate_memory,
    fit_context,
)

GB = 1_000_000_000


def _info(context_length: int = 32768) -> GGUFInfo:
    """A 7B-like model: 4 GB of weights, 32 layers, 8 KV heads of 128 (GQA)."""
    metadata = {
        "general.architecture": "llama",
        "general.name": "Big",
        "llama.context_length": context_length,
        "llama.block_count": 32,
        "llama.embedding_length": 4096,
        "llama.attention.head_count": 32,
        "llama.attention.head_count_kv": 8,
        "tokenizer.ggml.tokens": GGUFArray(8, 32000),
    }
    return GGUFInfo(3, metadata, tensor_count=0, parameter_count=0, file_size=4 * GB)


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
