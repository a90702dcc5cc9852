"""A short catalogue of small instruct models that run on a CPU, and which fits this machine.

Each entry is a real Hugging Face repository and file, its size as the Hub
lists it (the page named in ``source``), and the shape of its attention, from
which the RAM it needs is estimated:

    RAM = file size + KV cache + working buffers (+ a vision model's projector)
    KV cache = 2 (K and V) x layers x KV heads x head size x 2 bytes (f16) x context
    working = 512 rows of float logits x vocabulary + 128 MiB (the engine's process)

with the default context of 4096 tokens: :func:`deskchat.gguf.model_memory`,
the estimate the built-in engine checks before it loads a model, so that a
model marked as fitting is not then refused. The download itself is checked
against the Hub at pull time; the sizes here are for choosing.
"""

from __future__ import annotations

from dataclasses import dataclass

from deskchat.gguf import ENGINE_OVERHEAD, model_memory
from deskchat.machine import memory as read_memory
from deskchat.machine import physical_cores

__all__ = [
    "CATALOGUE",
    "DEFAULT_CONTEXT",
    "OVERHEAD",
    "CatalogueEntry",
    "Machine",
    "estimate_ram",
    "fits",
    "recommend",
]

DEFAULT_CONTEXT = 4096
OVERHEAD = ENGINE_OVERHEAD
# Left for the desktop and the rest of the user's apps when recommending.
_HEADROOM = 1024 * 1024 * 1024
# Below this many physical cores a 3B model answers at a few words a second.
_SMALL_CPU_CORES = 4
_SMALL_CPU_MAX_PARAMS = 2.0


def estimate_ram(
    file_size: int, kv_bytes_per_token: int, context: int = DEFAULT_CONTEXT, *, vocab_size: int = 0
) -> int:
    """Bytes of memory a model needs to chat: see the module docstring."""
    return model_memory(file_size, kv_bytes_per_token, context, vocab_size=vocab_size).total


@dataclass(frozen=True)
class CatalogueEntry:
    """One downloadable model.

    Attributes:
        title: for people, e.g. "Qwen2.5 1.5B Instruct".
        repo: the Hugging Face repository.
        filename: the .gguf in it.
        quant: its quantisation.
        size: bytes, as the Hub lists the file (decimal MB/GB rounded).
        parameters: billions of parameters.
        layers: transformer blocks.
        kv_heads: key/value attention heads.
        head_dim: size of one head.
        licence: the model's licence, in a word or two.
        source: the Hub page the size was read from.
        vocab: tokens in its vocabulary (the width of its logits).
        projector: a vision model's projector (its ``mmproj`` .gguf, in the same
            repository folder), downloaded with it; "" for a text model.
        projector_size: its bytes, as the Hub lists it.
    """

    title: str
    repo: str
    filename: str
    quant: str
    size: int
    parameters: float
    layers: int
    kv_heads: int
    head_dim: int
    licence: str
    source: str
    vocab: int = 0
    projector: str = ""
    projector_size: int = 0

    @property
    def vision(self) -> bool:
        """Whether the model reads images (with its projector)."""
        return bool(self.projector)

    @property
    def spec(self) -> str:
        """What to give ``deskchat pull``."""
        return f"{self.repo}:{self.quant}"

    @property
    def kv_bytes_per_token(self) -> int:
        return 2 * self.layers * self.kv_heads * self.head_dim * 2

    def ram_needed(self, context: int = DEFAULT_CONTEXT) -> int:
        """With its projector, which the engine loads beside it for a reply with images."""
        ram = estimate_ram(self.size, self.kv_bytes_per_token, context, vocab_size=self.vocab)
        return ram + self.projector_size


_MB = 1000 * 1000
_HF = "https://huggingface.co"

# Best first: recommend() takes the first entry that fits.
CATALOGUE: tuple[CatalogueEntry, ...] = (
    CatalogueEntry(
        "Qwen2.5 3B Instruct", "bartowski/Qwen2.5-3B-Instruct-GGUF",
        "Qwen2.5-3B-Instruct-Q4_K_M.gguf", "Q4_K_M", 1930 * _MB, 3.1, 36, 2, 128,
        "Qwen research (non-commercial)",
        f"{_HF}/bartowski/Qwen2.5-3B-Instruct-GGUF/blob/e118764d9e73c6ee4b87fe7a367df84a985a99fc/Qwen2.5-3B-Instruct-Q4_K_M.gguf",
        vocab=151936,
    ),
    CatalogueEntry(
        "Llama 3.2 3B Instruct", "bartowski/Llama-3.2-3B-Instruct-GGUF",
        "Llama-3.2-3B-Instruct-Q4_K_M.gguf", "Q4_K_M", 2020 * _MB, 3.2, 28, 8, 128,
        "Llama 3.2 Community",
        f"{_HF}/bartowski/Llama-3.2-3B-Instruct-GGUF/blob/c346bfc2029e79ba6d7edf026cf01fe44242db0d/Llama-3.2-3B-Instruct-Q4_K_M.gguf",
        vocab=128256,
    ),
    CatalogueEntry(
        "Qwen2.5 1.5B Instruct", "bartowski/Qwen2.5-1.5B-Instruct-GGUF",
        "Qwen2.5-1.5B-Instruct-Q4_K_M.gguf", "Q4_K_M", 986 * _MB, 1.5, 28, 2, 128,
        "Apache-2.0",
        f"{_HF}/bartowski/Qwen2.5-1.5B-Instruct-GGUF/blob/85553858e3522ce5b531285b2202bdb40fab1624/Qwen2.5-1.5B-Instruct-Q4_K_M.gguf",
        vocab=151936,
    ),
    CatalogueEntry(
        "Gemma 3 1B Instruct", "unsloth/gemma-3-1b-it-GGUF",
        "gemma-3-1b-it-Q4_K_M.gguf", "Q4_K_M", 806 * _MB, 1.0, 26, 1, 256,
        "Gemma",
        f"{_HF}/unsloth/gemma-3-1b-it-GGUF/tree/main",
        vocab=262144,
    ),
    CatalogueEntry(
        "Llama 3.2 1B Instruct", "bartowski/Llama-3.2-1B-Instruct-GGUF",
        "Llama-3.2-1B-Instruct-Q4_K_M.gguf", "Q4_K_M", 808 * _MB, 1.2, 16, 8, 64,
        "Llama 3.2 Community",
        f"{_HF}/bartowski/Llama-3.2-1B-Instruct-GGUF/blob/d52af3776f99ddf220e5ffd3f93b2a4e4df105be/Llama-3.2-1B-Instruct-Q4_K_M.gguf",
        vocab=128256,
    ),
    CatalogueEntry(
        "Qwen2.5 0.5B Instruct", "bartowski/Qwen2.5-0.5B-Instruct-GGUF",
        "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf", "Q4_K_M", 398 * _MB, 0.5, 24, 2, 64,
        "Apache-2.0",
        f"{_HF}/bartowski/Qwen2.5-0.5B-Instruct-GGUF/blob/b26a58accf53b1a19fbc555d52fdb224bec473f5/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf",
        vocab=151936,
    ),
    # The vision model last, and never recommended for chatting: Qwen2.5-VL's language
    # model is Qwen2.5 3B's shape; its projector reads an image into ~1,300 tokens.
    CatalogueEntry(
        "Qwen2.5-VL 3B Instruct", "ggml-org/Qwen2.5-VL-3B-Instruct-GGUF",
        "Qwen2.5-VL-3B-Instruct-Q4_K_M.gguf", "Q4_K_M", 1930 * _MB, 3.1, 36, 2, 128,
        "Qwen research (non-commercial)",
        f"{_HF}/ggml-org/Qwen2.5-VL-3B-Instruct-GGUF/blob/5037fcf163dd95d1e41d1974465f0898ed108ca2/Qwen2.5-VL-3B-Instruct-Q4_K_M.gguf",
        vocab=151936,
        projector="mmproj-Qwen2.5-VL-3B-Instruct-Q8_0.gguf", projector_size=845 * _MB,
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Machine:
    """What this computer has to run a model with.

    Attributes:
        total_ram: bytes of physical memory.
        available_ram: bytes free for a new program now (the kernel's MemAvailable on
            Linux, psutil's ``available`` elsewhere: :func:`deskchat.machine.memory`).
        cores: physical CPU cores (logical ones if unknown).
    """

    total_ram: int
    available_ram: int
    cores: int

    @classmethod
    def current(cls) -> Machine:
        memory = read_memory()
        return cls(memory.total, memory.available, physical_cores())


def fits(entry: CatalogueEntry, machine: Machine | None = None) -> bool:
    """Whether the model's estimated RAM is free on ``machine`` (this one by default) now."""
    machine = machine or Machine.current()
    return entry.ram_needed() <= machine.available_ram


def recommend(machine: Machine | None = None) -> CatalogueEntry | None:
    """The best catalogue model for ``machine``, or None if none fits.

    The first (best) text model that fits with 1 GiB to spare, and, on fewer than four
    cores, has at most 2B parameters (to answer at a readable speed); failing
    that, the smallest model that fits at all.
    """
    machine = machine or Machine.current()
    small_cpu = machine.cores < _SMALL_CPU_CORES
    # For chatting: a vision model is for who asks for one.
    chat_models = [e for e in CATALOGUE if not e.vision]
    for entry in chat_models:
        if small_cpu and entry.parameters > _SMALL_CPU_MAX_PARAMS:
            continue
        if entry.ram_needed() + _HEADROOM <= machine.available_ram:
            return entry
    fitting = [e for e in chat_models if fits(e, machine)]
    return min(fitting, key=lambda e: e.ram_needed()) if fitting else None
