"""What a GGUF model file says about itself, read from its header without loading the model.

The one reader for the whole of DeskChat: the model library lists models with it
(name, quantisation, parameters, chat template) and the built-in engine sizes a
model's context and memory with it before loading (layers, heads, vocabulary),
so it sits on the bottom floor beside :mod:`deskchat.errors`.

A small reader of our own rather than the ``gguf`` package: ``import gguf``
costs about 0.2 s (it pulls numpy) and its ``GGUFReader`` decodes every array,
the tokenizer's 150 000 strings included, into numpy views. This one walks the
key/value section and the tensor table with ``struct`` over a memory map,
skipping long arrays, touching a few MB at most (about 35 ms for a 6 MB header).

Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from math import prod
from pathlib import Path
from typing import TypeAlias

from deskchat.errors import DeskChatError
from deskchat.i18n import _

__all__ = [
    "ENGINE_OVERHEAD",
    "FILE_TYPES",
    "LOGITS_ROWS",
    "GGUFArray",
    "GGUFError",
    "GGUFInfo",
    "MemoryEstimate",
    "NotGGUFError",
    "Value",
    "find_projector",
    "is_gguf",
    "is_projector",
    "model_memory",
    "projector_rank",
    "read_gguf_info",
]

MAGIC = b"GGUF"

# llama.cpp's llama_ftype (general.file_type) by number, named as in the file names.
FILE_TYPES: dict[int, str] = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    7: "Q8_0",
    8: "Q5_0",
    9: "Q5_1",
    10: "Q2_K",
    11: "Q3_K_S",
    12: "Q3_K_M",
    13: "Q3_K_L",
    14: "Q4_K_S",
    15: "Q4_K_M",
    16: "Q5_K_S",
    17: "Q5_K_M",
    18: "Q6_K",
    19: "IQ2_XXS",
    20: "IQ2_XS",
    21: "Q2_K_S",
    22: "IQ3_XS",
    23: "IQ3_XXS",
    24: "IQ1_S",
    25: "IQ4_NL",
    26: "IQ3_S",
    27: "IQ3_M",
    28: "IQ2_S",
    29: "IQ2_M",
    30: "IQ4_XS",
    31: "IQ1_M",
    32: "BF16",
    36: "TQ1_0",
    37: "TQ2_0",
    38: "MXFP4_MOE",
}

# Value types: struct format of the fixed-size ones; 8 is a string, 9 an array.
_STRING, _ARRAY = 8, 9
_FIXED = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
# Numeric arrays up to this length are kept (per-layer head counts); longer ones are skipped.
_KEEP_ARRAY = 1024
# The magic, the version and the two counts (u64 since version 2).
_PREAMBLE = 24
# The fewest bytes one key/value pair and one tensor entry take (v1's u32 lengths):
# a count that needs more than the file holds is nonsense, refused before looping on it.
_MIN_KV = 4 + 4 + 1
_MIN_TENSOR = 4 + 4 + 4 + 8
_TOKENS = "tokenizer.ggml.tokens"


class GGUFError(DeskChatError):
    """The file is not a GGUF model, or its header is damaged or cut short."""


class NotGGUFError(GGUFError):
    """The file does not start with the GGUF magic bytes: it is not a model at all."""


@dataclass(frozen=True)
class GGUFArray:
    """An array value that was skipped rather than decoded.

    Attributes:
        item_type: the GGUF value type of its items.
        length: how many items it has.
    """

    item_type: int
    length: int


Value: TypeAlias = str | int | float | bool | tuple[int | float | bool, ...] | GGUFArray


@dataclass(frozen=True)
class GGUFInfo:
    """What a GGUF header says about the model.

    A fact the file does not state is None.

    Attributes:
        version: the GGUF format version (1 to 3).
        metadata: every key/value pair; long arrays (the vocabulary) appear as
            :class:`GGUFArray` stubs.
        tensor_count: how many tensors the file holds.
        parameter_count: the sum of the tensors' element counts.
        file_size: the file's size in bytes.
    """

    version: int
    metadata: Mapping[str, Value] = field(repr=False)
    tensor_count: int
    parameter_count: int
    file_size: int

    def _str(self, key: str) -> str | None:
        value = self.metadata.get(key)
        return value if isinstance(value, str) else None

    def _int(self, key: str) -> int | None:
        value = self.metadata.get(key)
        if isinstance(value, bool) or not isinstance(value, int | tuple):
            return None
        if isinstance(value, tuple):  # per-layer values: the largest bounds the cache
            ints = [v for v in value if isinstance(v, int) and not isinstance(v, bool)]
            return max(ints) if ints else None
        return value

    def _arch_int(self, suffix: str) -> int | None:
        arch = self.architecture
        return self._int(f"{arch}.{suffix}") if arch else None

    @property
    def architecture(self) -> str | None:
        """``general.architecture``, e.g. ``"llama"`` or ``"qwen2"``."""
        return self._str("general.architecture")

    @property
    def name(self) -> str | None:
        """``general.name``, the model's own name for itself."""
        return self._str("general.name")

    @property
    def kind(self) -> str | None:
        """``general.type``: ``"model"``, ``"mmproj"`` (a vision projector) or ``"adapter"``."""
        return self._str("general.type")

    @property
    def is_projector(self) -> bool:
        """Whether the file is a vision projector (an mmproj), not a model to chat with."""
        return self.kind == "mmproj" or self.architecture == "clip"

    @property
    def size_label(self) -> str | None:
        """``general.size_label``, e.g. ``"0.5B"``."""
        return self._str("general.size_label")

    @property
    def file_type(self) -> int | None:
        """``general.file_type``, llama.cpp's number for the quantisation mix."""
        return self._int("general.file_type")

    @property
    def quantization(self) -> str | None:
        """The quantisation named as in file names (``"Q4_K_M"``), from ``general.file_type``."""
        file_type = self.file_type
        return FILE_TYPES.get(file_type) if file_type is not None else None

    @property
    def chat_template(self) -> str | None:
        """The Jinja chat template the file carries, if any."""
        return self._str("tokenizer.chat_template")

    @property
    def has_chat_template(self) -> bool:
        return bool(self.chat_template)

    @property
    def context_length(self) -> int | None:
        """The context the model was trained for, in tokens."""
        return self._arch_int("context_length")

    @property
    def block_count(self) -> int | None:
        """Layers."""
        return self._arch_int("block_count")

    @property
    def embedding_length(self) -> int | None:
        """The model's width."""
        return self._arch_int("embedding_length")

    @property
    def head_count(self) -> int | None:
        """Attention heads."""
        return self._arch_int("attention.head_count")

    @property
    def head_count_kv(self) -> int | None:
        """Key-value heads (fewer than :attr:`head_count` with grouped-query attention)."""
        return self._arch_int("attention.head_count_kv")

    @property
    def key_length(self) -> int | None:
        """The size of one head's key, when the file states it (else width / heads)."""
        return self._arch_int("attention.key_length")

    @property
    def value_length(self) -> int | None:
        """The size of one head's value, when the file states it (else width / heads)."""
        return self._arch_int("attention.value_length")

    @property
    def vocab_size(self) -> int | None:
        """Tokens in the vocabulary (the logits' width)."""
        tokens = self.metadata.get(_TOKENS)
        return tokens.length if isinstance(tokens, GGUFArray) else None

    @property
    def kv_bytes_per_token(self) -> int:
        """Bytes of f16 key-value cache each token of context takes, all layers; 0 if unknown.

        2 bytes x layers x KV heads x (key size + value size).
        """
        layers = self.block_count
        heads = self.head_count
        kv_heads = self.head_count_kv or heads
        per_head = self.embedding_length // heads if self.embedding_length and heads else 0
        key = self.key_length or per_head
        value = self.value_length or per_head
        if not (layers and kv_heads and key and value):
            return 0
        return layers * kv_heads * (key + value) * 2


# -- the memory a model needs ---------------------------------------------------
# Here, below the library and the engine, so that the catalogue's "needs N GB"
# and the engine's refusal before loading are one computation.

ENGINE_OVERHEAD = 128 * 1024 * 1024
"""Bytes the engine's child process, llama.cpp's compute graph and scratch take
besides the model's own buffers."""
LOGITS_ROWS = 512
"""llama-cpp-python's ``n_batch``: the rows of logits its working buffer holds."""


@dataclass(frozen=True, slots=True)
class MemoryEstimate:
    """What a model needs in RAM, in bytes.

    Attributes:
        weights: the part of the file kept in RAM (all of it without GPU offload).
        kv_cache: the f16 key-value cache for the context.
        working: llama.cpp's working buffers (one batch of logits) and the process.
        n_ctx: the context the estimate is for.
    """

    weights: int
    kv_cache: int
    working: int
    n_ctx: int

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.working


def model_memory(
    file_size: int,
    kv_bytes_per_token: int,
    n_ctx: int,
    *,
    vocab_size: int = 0,
    in_ram: float = 1.0,
) -> MemoryEstimate:
    """RAM for a model of ``file_size`` bytes chatting with an ``n_ctx``-token context.

    llama.cpp's layout: the weights (memory-mapped, resident as they are used),
    an f16 key-value cache of ``n_ctx`` tokens, and a working buffer of
    :data:`LOGITS_ROWS` rows of ``vocab_size`` float logits plus
    :data:`ENGINE_OVERHEAD`.

    Args:
        kv_bytes_per_token: see :attr:`GGUFInfo.kv_bytes_per_token`.
        vocab_size: tokens in the vocabulary; 0 if unknown.
        in_ram: the share of the layers not offloaded to a GPU (their weights
            and cache leave RAM).
    """
    return MemoryEstimate(
        weights=int(file_size * in_ram),
        kv_cache=int(kv_bytes_per_token * n_ctx * in_ram),
        working=ENGINE_OVERHEAD + LOGITS_ROWS * vocab_size * 4,
        n_ctx=n_ctx,
    )


def is_gguf(path: str | os.PathLike[str]) -> bool:
    """Whether the file starts with the GGUF magic (a cheap check: 4 bytes read)."""
    try:
        with open(path, "rb") as file:
            return file.read(4) == MAGIC
    except OSError:
        return False


def is_projector(name: str) -> bool:
    """Whether a file name is a vision projector's (``mmproj-model-f16.gguf``,
    ``model.mmproj-Q8_0.gguf``): a part of a vision model, never a model by itself."""
    return "mmproj" in os.path.basename(name).lower()


# Which projector to take when a folder has several: Q8_0 reads images as well as
# the f16 one in half the memory; then the full-precision ones.
_PROJECTOR_PREFERENCE = ("q8_0", "bf16", "f16", "f32")


def projector_rank(name: str) -> int:
    """The order :func:`find_projector` prefers projector files in (lowest first)."""
    lowered = os.path.basename(name).lower()
    for rank, mark in enumerate(_PROJECTOR_PREFERENCE):
        if mark in lowered:
            return rank
    return len(_PROJECTOR_PREFERENCE)


def find_projector(model: str | os.PathLike[str]) -> Path | None:
    """The vision projector beside ``model``, if its folder has one.

    LM Studio, Jan and DeskChat's own downloads keep a vision model's
    ``*mmproj*.gguf`` in the model's folder; with several (a repository's
    f16 and Q8_0), :func:`projector_rank` chooses. None when there is none.
    """
    folder = Path(model).parent
    try:
        found = [
            p
            for p in folder.iterdir()
            if p.name.lower().endswith(".gguf") and is_projector(p.name) and p.is_file()
        ]
    except OSError:
        return None
    if not found:
        return None
    return min(found, key=lambda p: (projector_rank(p.name), p.name))


def read_gguf_info(path: str | os.PathLike[str]) -> GGUFInfo:
    """Read the header of the GGUF file at ``path``.

    Results are cached by path, size and modification time, so listing the
    same models again, or loading one the list has read, is free.

    Raises:
        NotGGUFError: the file does not start with the GGUF magic bytes.
        GGUFError: the header is damaged or cut short.
        OSError: the file cannot be read.
    """
    target = Path(path)
    stat = target.stat()
    return _read_cached(str(target), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=256)
def _read_cached(path: str, size: int, _mtime_ns: int) -> GGUFInfo:
    name = Path(path).name
    with open(path, "rb") as file:
        # A prefix of the magic (an empty file above all) is a download cut short.
        if not MAGIC.startswith(file.read(4)):
            raise NotGGUFError(
                _("{name} is not a GGUF model (it does not start with 'GGUF').").format(name=name)
            )
        if size < _PREAMBLE:
            raise GGUFError(
                _(
                    "The GGUF header of {name} is cut short: the file is only {size} bytes long."
                ).format(name=name, size=size)
            )
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            try:
                return _Parser(memoryview(data)).parse(size)
            except (struct.error, IndexError, ValueError, OverflowError) as exc:
                raise GGUFError(
                    _("The GGUF header of {name} is damaged or cut short ({exc}).").format(
                        name=name, exc=exc
                    )
                ) from None


class _Parser:
    """Walks the header once, front to back."""

    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 4
        self.order = "<"
        self.count = "Q"  # the width of lengths and counts: u32 in version 1, u64 after

    def parse(self, size: int) -> GGUFInfo:
        try:
            (version,) = struct.unpack_from("<I", self.data, self.pos)
            if version & 0xFFFF == 0:  # a big-endian file reads as 0x0N000000
                self.order = ">"
                (version,) = struct.unpack_from(">I", self.data, self.pos)
            if version not in (1, 2, 3):
                raise ValueError(_("unknown GGUF version {version}").format(version=version))
            self.pos += 4
            if version == 1:
                self.count = "I"
            tensor_count = self._unsigned()
            kv_count = self._unsigned()
            if kv_count * _MIN_KV + tensor_count * _MIN_TENSOR > len(self.data):
                raise ValueError(
                    _(
                        "the header claims {kv_count} keys and {tensor_count} tensors, more than "
                        "{size} bytes hold"
                    ).format(kv_count=kv_count, tensor_count=tensor_count, size=size)
                )
            metadata: dict[str, Value] = {}
            for _i in range(kv_count):
                key = self._string()
                metadata[key] = self._value(self._u32())
            parameters = sum(self._tensor_elements() for _i in range(tensor_count))
        finally:
            self.data.release()
        return GGUFInfo(version, metadata, tensor_count, parameters, size)

    def _unpack(self, fmt: str) -> tuple[int | float | bool, ...]:
        values = struct.unpack_from(self.order + fmt, self.data, self.pos)
        self.pos += struct.calcsize(self.order + fmt)
        return values

    def _u32(self) -> int:
        return int(self._unpack("I")[0])

    def _unsigned(self) -> int:
        return int(self._unpack(self.count)[0])

    def _string(self) -> str:
        length = self._unsigned()
        end = self.pos + length
        if end > len(self.data):
            raise ValueError(_("a string runs past the end of the file"))
        text = bytes(self.data[self.pos : end]).decode("utf-8", errors="replace")
        self.pos = end
        return text

    def _value(self, kind: int) -> Value:
        if kind == _STRING:
            return self._string()
        if kind == _ARRAY:
            return self._array()
        fmt = _FIXED.get(kind)
        if fmt is None:
            raise ValueError(_("unknown value type {kind}").format(kind=kind))
        return self._unpack(fmt)[0]

    def _array(self) -> Value:
        item_type = self._u32()
        length = self._unsigned()
        fmt = _FIXED.get(item_type)
        if fmt is not None:
            width = struct.calcsize(fmt)
            if length <= _KEEP_ARRAY:
                return self._unpack(f"{length}{fmt}")
            self.pos += width * length
            if self.pos > len(self.data):
                raise ValueError(_("an array runs past the end of the file"))
        elif item_type == _STRING:
            self._skip_strings(length)
        else:  # nested arrays: rare, walked item by item
            for _i in range(length):
                self._value(item_type)
        return GGUFArray(item_type, length)

    def _skip_strings(self, length: int) -> None:
        data, pos, order, count = self.data, self.pos, self.order + self.count, self.count
        width = 4 if count == "I" else 8
        for _i in range(length):
            (size,) = struct.unpack_from(order, data, pos)
            pos += width + size
        if pos > len(data):
            raise ValueError(_("a string array runs past the end of the file"))
        self.pos = pos

    def _tensor_elements(self) -> int:
        self._string()  # the tensor's name
        n_dims = self._u32()
        if n_dims > 8:
            raise ValueError(_("a tensor with {n_dims} dimensions").format(n_dims=n_dims))
        dims = self._unpack(f"{n_dims}{self.count}")
        self.pos += 4 + 8  # its type and its offset in the data section
        return prod(int(d) for d in dims)
