"""What a GGUF file says about itself, read from its header without llama.cpp.

Enough to refuse a file that is not a model, and to size the context and the
memory a model needs before loading it: the architecture, the trained
context, the layer and head counts. The format is documented at
https://github.com/ggml-org/ggml/blob/master/docs/gguf.md: the magic
``GGUF``, a version, the tensor and key counts, then typed key-value pairs.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = ["GGUF_MAGIC", "GGUFInfo", "has_gguf_magic", "read_gguf_info"]

GGUF_MAGIC = b"GGUF"

# Value types of the key-value section (gguf.md, "gguf_metadata_value_type").
_STRING, _ARRAY = 8, 9
_FIXED = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_MAX_KEYS = 1_000_000
_TOKENS = "tokenizer.ggml.tokens"
_MAX_STRING = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class GGUFInfo:
    """The header fields DeskChat uses.

    Attributes:
        version: the GGUF format version.
        architecture: ``general.architecture``, e.g. "llama", "qwen2".
        name: ``general.name`` ("" when the file has none).
        context_length: the trained context in tokens (0 when unknown).
        block_count: layers (0 when unknown).
        embedding_length: the model width (0 when unknown).
        head_count, head_count_kv: attention heads, and key-value heads (GQA).
        key_length, value_length: per-head sizes when the file says (0: width / heads).
        vocab_size: tokens in the vocabulary (0 when unknown).
        file_size: bytes on disk.
    """

    version: int
    architecture: str
    name: str
    context_length: int
    block_count: int
    embedding_length: int
    head_count: int
    head_count_kv: int
    key_length: int
    value_length: int
    vocab_size: int
    file_size: int

    @property
    def kv_bytes_per_token(self) -> int:
        """Bytes of f16 key-value cache each token of context takes (all layers)."""
        heads = self.head_count_kv or self.head_count
        if not (self.block_count and heads and (self.embedding_length or self.key_length)):
            return 0
        per_head = self.embedding_length // self.head_count if self.head_count else 0
        key = self.key_length or per_head
        value = self.value_length or per_head
        return self.block_count * heads * (key + value) * 2


def has_gguf_magic(path: Path) -> bool:
    """Whether the file starts with the GGUF magic bytes (OSError if it cannot be read)."""
    with path.open("rb") as f:
        return f.read(4) == GGUF_MAGIC


def read_gguf_info(path: Path) -> GGUFInfo:
    """Read ``path``'s header.

    Raises:
        ValueError: not a GGUF file, or a header cut short or that makes no sense
            (the message says which, for the log).
        OSError: the file cannot be read.
    """
    size = path.stat().st_size
    with path.open("rb") as f:
        if f.read(4) != GGUF_MAGIC:
            raise ValueError("the file does not start with the GGUF magic bytes")
        version = _unpack(f, "<I")
        if version < 2:
            raise ValueError(f"GGUF version {version} is too old to read")
        _tensors, keys = _unpack(f, "<Q"), _unpack(f, "<Q")
        if keys > _MAX_KEYS:
            raise ValueError(f"the header claims {keys} keys")
        values = _read_wanted(f, keys, size)
    arch = str(values.get("general.architecture", ""))

    def number(key: str) -> int:
        return _number(values.get(f"{arch}.{key}"))

    return GGUFInfo(
        version=version,
        architecture=arch,
        name=str(values.get("general.name", "")),
        context_length=number("context_length"),
        block_count=number("block_count"),
        embedding_length=number("embedding_length"),
        head_count=number("attention.head_count"),
        head_count_kv=number("attention.head_count_kv"),
        key_length=number("attention.key_length"),
        value_length=number("attention.value_length"),
        vocab_size=_number(values.get(_TOKENS)),
        file_size=size,
    )


def _number(value: object) -> int:
    """A header value as a count: 0 when missing or not a number."""
    # Some files list one head count per layer; the first is what sizing needs.
    if isinstance(value, list):
        value = value[0] if value else 0
    return int(value) if isinstance(value, int | float) else 0


def _wanted(key: str) -> bool:
    if key in ("general.architecture", "general.name"):
        return True
    _, _, rest = key.partition(".")
    return rest in (
        "context_length",
        "block_count",
        "embedding_length",
        "attention.head_count",
        "attention.head_count_kv",
        "attention.key_length",
        "attention.value_length",
    )


def _read_wanted(f: BinaryIO, keys: int, size: int) -> dict[str, object]:
    """The wanted keys' values; the others (the vocabulary above all) are skipped."""
    values: dict[str, object] = {}
    for _ in range(keys):
        if f.tell() > size:
            raise ValueError("the header is cut short")
        key = _string(f)
        kind = _unpack(f, "<I")
        if _wanted(key):
            values[key] = _value(f, kind)
        elif key == _TOKENS and kind == _ARRAY:
            # Only the count: the vocabulary's size sizes the logits buffer.
            item, count = _unpack(f, "<I"), _unpack(f, "<Q")
            values[key] = count
            for _ in range(count):
                _skip(f, item)
        else:
            _skip(f, kind)
        # The model's numbers and the vocabulary come before the merges and the
        # chat template in every file llama.cpp writes: stop when all are read.
        arch = values.get("general.architecture")
        if _TOKENS in values and f"{arch}.block_count" in values:
            break
    return values


def _unpack(f: BinaryIO, fmt: str) -> int:
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise ValueError("the header is cut short")
    value: int = struct.unpack(fmt, data)[0]
    return value


def _string(f: BinaryIO) -> str:
    length = _unpack(f, "<Q")
    if length > _MAX_STRING:
        raise ValueError(f"a header string claims {length} bytes")
    data = f.read(length)
    if len(data) != length:
        raise ValueError("the header is cut short")
    return data.decode("utf-8", errors="replace")


def _value(f: BinaryIO, kind: int) -> object:
    if kind == _STRING:
        return _string(f)
    if kind == _ARRAY:
        item, count = _unpack(f, "<I"), _unpack(f, "<Q")
        if count > _MAX_KEYS:
            raise ValueError(f"a header array claims {count} items")
        return [_value(f, item) for _ in range(count)]
    fmt = _FIXED.get(kind)
    if fmt is None:
        raise ValueError(f"unknown value type {kind} in the header")
    data = f.read(struct.calcsize(fmt))
    if len(data) != struct.calcsize(fmt):
        raise ValueError("the header is cut short")
    value: object = struct.unpack("<" + fmt, data)[0]
    return value


def _skip(f: BinaryIO, kind: int) -> None:
    if kind == _STRING:
        f.seek(_unpack(f, "<Q"), 1)
    elif kind == _ARRAY:
        item, count = _unpack(f, "<I"), _unpack(f, "<Q")
        if item in _FIXED:
            f.seek(count * struct.calcsize(_FIXED[item]), 1)
        else:
            for _ in range(count):
                _skip(f, item)
    elif kind in _FIXED:
        f.seek(struct.calcsize(_FIXED[kind]), 1)
    else:
        raise ValueError(f"unknown value type {kind} in the header")
