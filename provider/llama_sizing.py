"""How big a context, how many threads, and how much memory a local model needs.

Pure arithmetic on a :class:`~deskchat.gguf.GGUFInfo` and a
memory reading, so the built-in engine can refuse a model that will not fit
before it loads it, with the numbers. The estimate is
:func:`deskchat.gguf.model_memory`, the one the model library's catalogue
uses too: llama.cpp's own layout (the weights, an f16 key-value cache of
``n_ctx`` tokens, a working buffer that holds one batch's logits).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from deskchat import machine
from deskchat.gguf import GGUFInfo, MemoryEstimate, model_memory

__all__ = [
    "DEFAULT_MAX_CONTEXT",
    "MIN_CONTEXT",
    "MemoryEstimate",
    "MemoryReading",
    "default_context",
    "estimate_memory",
    "fit_context",
    "physical_cores",
    "read_memory",
]

DEFAULT_MAX_CONTEXT = 16384
"""The largest context chosen by default, even when the model and RAM allow more:
plenty for a chat, and the cache of a bigger one is resident from the start."""
MIN_CONTEXT = 512
"""The smallest context chosen by default; below it a chat hardly fits."""

_KV_SHARE = 0.5  # of the memory left after the weights, what a default context may take
_ROUND = 256


@dataclass(frozen=True, slots=True)
class MemoryReading:
    """The machine's memory, in bytes: what is free for a new program, and all of it."""

    available: int
    total: int


def read_memory() -> MemoryReading:
    """This machine's memory now (``available`` counts reclaimable cache)."""
    memory = machine.memory()
    return MemoryReading(available=memory.available, total=memory.total)


@functools.cache
def physical_cores() -> int:
    """Cores, not hyper-threads: llama.cpp runs no faster on the second thread of a core."""
    return machine.physical_cores()


def estimate_memory(info: GGUFInfo, n_ctx: int, *, gpu_layers: int = 0) -> MemoryEstimate:
    """RAM for ``info``'s model with an ``n_ctx`` context, ``gpu_layers`` of it on a GPU.

    Layers on the GPU take their share of the weights and the cache out of RAM
    (-1 means all of them).
    """
    blocks = info.block_count or 1
    on_gpu = blocks if gpu_layers < 0 else min(gpu_layers, blocks)
    return model_memory(
        info.file_size,
        info.kv_bytes_per_token,
        n_ctx,
        vocab_size=info.vocab_size or 0,
        in_ram=(blocks - on_gpu) / blocks,
    )


def default_context(info: GGUFInfo, memory: MemoryReading, *, gpu_layers: int = 0) -> int:
    """The context to use when the user set none: what fits, never above the trained one.

    Half of the memory left free after the weights may go to the cache, up to
    :data:`DEFAULT_MAX_CONTEXT`; at least :data:`MIN_CONTEXT` (whether that
    fits is for the memory check to say).
    """
    ceiling = min(info.context_length or DEFAULT_MAX_CONTEXT, DEFAULT_MAX_CONTEXT)
    per_token = estimate_memory(info, 1, gpu_layers=gpu_layers).kv_cache
    if per_token <= 0:
        return ceiling
    fixed = estimate_memory(info, 0, gpu_layers=gpu_layers).total
    budget = (memory.available - fixed) * _KV_SHARE
    fits = int(budget // per_token) // _ROUND * _ROUND
    return max(min(fits, ceiling), min(MIN_CONTEXT, ceiling))


def fit_context(requested: int, info: GGUFInfo) -> int:
    """A context the user asked for, capped at the model's trained context."""
    if info.context_length and requested > info.context_length:
        return info.context_length
    return max(requested, 1)
