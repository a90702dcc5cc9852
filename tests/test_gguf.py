"""The GGUF header reader, against files we write and files the ``gguf`` package writes.

One reader serves the model library (listing: name, quantisation, parameters)
and the built-in engine (sizing: layers, heads, vocabulary, file size).
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from deskchat import library
from deskchat.errors import DeskChatError
from deskchat.gguf import (
    GGUFArray,
    GGUFError,
    GGUFInfo,
    NotGGUFError,
    is_gguf,
    read_gguf_info,
)
from tests.fakes.hf_hub import make_gguf


def write(tmp_path: Path, data: bytes, name: str = "m.gguf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model written by the ``gguf`` package, the way llama.cpp's tools write them."""
    pytest.importorskip("gguf", reason="pip install gguf to write the test model")
    from tests.fakes.tiny_gguf import write_tiny_model

    path = tmp_path_factory.mktemp("models") / "tiny.gguf"
    return write_tiny_model(path, n_ctx=2048, n_embd=64, n_layer=2, name="Tiny Test 1B")


# -- what listing needs ----------------------------------------------------------


def test_reads_the_facts_listing_needs(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        make_gguf(
            architecture="qwen2",
            file_type=15,
            context_length=32768,
            name="Qwen2.5 0.5B Instruct",
            layers=24,
            heads=14,
            kv_heads=2,
            embedding=896,
            tensors=(("token_embd.weight", (896, 151936)), ("blk.0.attn_q.weight", (896, 896))),
            size=200_000,
        ),
    )
    info = read_gguf_info(path)
    assert info.version == 3
    assert info.architecture == "qwen2"
    assert info.name == "Qwen2.5 0.5B Instruct"
    assert info.file_type == 15
    assert info.quantization == "Q4_K_M"
    assert info.context_length == 32768
    assert info.has_chat_template
    assert info.tensor_count == 2
    assert info.parameter_count == 896 * 151936 + 896 * 896
    assert info.file_size == 200_000
    # 2 (K, V) x 24 layers x 2 KV heads x (896 / 14 = 64) x 2 bytes
    assert info.kv_bytes_per_token == 2 * 24 * 2 * 64 * 2


def test_missing_facts_are_none(tmp_path: Path) -> None:
    info = read_gguf_info(write(tmp_path, make_gguf(file_type=None, chat_template=None)))
    assert info.file_type is None
    assert info.quantization is None
    assert not info.has_chat_template
    assert info.chat_template is None


def test_the_vocabulary_is_skipped_not_decoded(tmp_path: Path) -> None:
    info = read_gguf_info(write(tmp_path, make_gguf(tokens=5000)))
    tokens = info.metadata["tokenizer.ggml.tokens"]
    assert getattr(tokens, "length", None) == 5000
    assert info.metadata["tokenizer.ggml.token_type"].length == 5000  # type: ignore[union-attr]
    assert info.vocab_size == 5000


def test_a_rewritten_file_is_read_again(tmp_path: Path) -> None:
    path = write(tmp_path, make_gguf(file_type=15))
    assert read_gguf_info(path).quantization == "Q4_K_M"
    path.write_bytes(make_gguf(file_type=7, size=5000))
    assert read_gguf_info(path).quantization == "Q8_0"


def test_the_library_door_hands_out_the_same_reader() -> None:
    assert library.read_gguf_info is read_gguf_info
    assert library.GGUFInfo is GGUFInfo
    assert library.GGUFError is GGUFError
    assert library.is_gguf is is_gguf


# -- what sizing needs -----------------------------------------------------------


def test_header_fields_of_a_written_model(tiny: Path) -> None:
    info = read_gguf_info(tiny)
    assert info.architecture == "llama"
    assert info.name == "Tiny Test 1B"
    assert (info.context_length, info.block_count, info.embedding_length) == (2048, 2, 64)
    assert (info.head_count, info.head_count_kv) == (4, 4)
    assert info.vocab_size == 264
    assert info.file_size == tiny.stat().st_size
    # 2 layers x 4 heads x (16 + 16) dims x 2 bytes (f16).
    assert info.kv_bytes_per_token == 2 * 4 * 32 * 2


def _info(**metadata: object) -> GGUFInfo:
    base: dict[str, object] = {
        "general.architecture": "llama",
        "llama.block_count": 32,
        "llama.embedding_length": 4096,
        "llama.attention.head_count": 32,
        "llama.attention.head_count_kv": 8,
    }
    return GGUFInfo(3, base | metadata, 0, 0, 0)  # type: ignore[arg-type]


def test_stated_key_and_value_sizes_win_over_the_width() -> None:
    # 32 layers x 8 heads x (192 + 128) x 2 bytes; the width would say 128 + 128.
    assert _info(**{"llama.attention.key_length": 192}).kv_bytes_per_token == 32 * 8 * 320 * 2
    assert _info().kv_bytes_per_token == 32 * 8 * 256 * 2


def test_per_layer_head_counts_size_for_the_largest() -> None:
    info = _info(**{"llama.attention.head_count_kv": (0, 8, 4, 8)})
    assert info.head_count_kv == 8
    assert info.kv_bytes_per_token == 32 * 8 * 256 * 2


def test_without_the_model_numbers_the_cache_size_is_unknown() -> None:
    assert _info(**{"llama.block_count": None}).kv_bytes_per_token == 0
    assert GGUFInfo(3, {}, 0, 0, 0).kv_bytes_per_token == 0
    assert GGUFInfo(3, {}, 0, 0, 0).block_count is None
    assert GGUFInfo(3, {}, 0, 0, 0).vocab_size is None


# -- files that are not (whole) models ---------------------------------------------


def test_a_file_that_is_not_gguf_is_a_sentence(tmp_path: Path) -> None:
    path = write(tmp_path, b"PK\x03\x04" + b"\0" * 100, "notes.gguf")
    assert not is_gguf(path)
    with pytest.raises(GGUFError) as caught:
        read_gguf_info(path)
    assert caught.value.text() == "notes.gguf is not a GGUF model (it does not start with 'GGUF')."


def test_not_a_gguf(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"<html>Not found</html>")
    assert not is_gguf(path)
    with pytest.raises(NotGGUFError, match="does not start with 'GGUF'"):
        read_gguf_info(path)


def test_every_refusal_is_a_deskchat_error() -> None:
    assert issubclass(NotGGUFError, GGUFError)
    assert issubclass(GGUFError, DeskChatError)


def test_a_cut_header_is_a_sentence(tmp_path: Path) -> None:
    whole = make_gguf()
    path = write(tmp_path, whole[: len(whole) // 2], "cut.gguf")
    assert is_gguf(path)
    with pytest.raises(GGUFError) as caught:
        read_gguf_info(path)
    assert caught.value.text().startswith("The GGUF header of cut.gguf is damaged or cut short")
    assert not isinstance(caught.value, NotGGUFError)


@pytest.mark.parametrize("keep", [4, 10, 24, 200])
def test_a_header_cut_short(tiny: Path, tmp_path: Path, keep: int) -> None:
    path = tmp_path / "cut.gguf"
    path.write_bytes(tiny.read_bytes()[:keep])
    with pytest.raises(GGUFError, match="cut short") as caught:
        read_gguf_info(path)
    assert not isinstance(caught.value, NotGGUFError)


@pytest.mark.parametrize("data", [b"", b"GG"])
def test_a_download_stopped_before_the_magic_is_cut_short(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(GGUFError, match="cut short: the file is only") as caught:
        read_gguf_info(write(tmp_path, data))
    assert not isinstance(caught.value, NotGGUFError)


def test_a_header_with_nonsense_counts(tmp_path: Path) -> None:
    path = tmp_path / "bad.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 2**62))
    with pytest.raises(GGUFError, match="claims"):
        read_gguf_info(path)


def test_an_unknown_version_is_refused(tmp_path: Path) -> None:
    data = bytearray(make_gguf())
    data[4:8] = struct.pack("<I", 9)
    with pytest.raises(GGUFError, match="unknown GGUF version 9"):
        read_gguf_info(write(tmp_path, bytes(data)))


def test_a_tiny_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GGUFError, match="only 4 bytes long"):
        read_gguf_info(write(tmp_path, b"GGUF"))


def test_a_file_that_cannot_be_read_is_an_oserror(tmp_path: Path) -> None:
    assert not is_gguf(tmp_path / "nowhere.gguf")
    with pytest.raises(OSError):
        read_gguf_info(tmp_path / "nowhere.gguf")


# -- against the reference ---------------------------------------------------------


def test_agrees_with_the_gguf_package(tmp_path: Path) -> None:
    gguf = pytest.importorskip("gguf", reason="the gguf package writes the reference file")
    np = pytest.importorskip("numpy")
    path = tmp_path / "ref.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("Reference")
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
    writer.add_context_length(4096)
    writer.add_block_count(3)
    writer.add_head_count(8)
    writer.add_head_count_kv(4)
    writer.add_embedding_length(128)
    writer.add_token_list([f"tok{i}" for i in range(2000)])
    writer.add_token_scores([0.0] * 2000)
    writer.add_chat_template("{{ messages }}")
    writer.add_tensor("a", np.zeros((3, 5), dtype=np.float32))
    writer.add_tensor("b", np.zeros((7,), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    info = read_gguf_info(path)
    reference = gguf.GGUFReader(str(path))
    assert info.tensor_count == len(reference.tensors)
    assert info.parameter_count == sum(int(t.n_elements) for t in reference.tensors)
    assert set(info.metadata) == {k for k in reference.fields if not k.startswith("GGUF.")}
    assert info.architecture == "llama"
    assert info.quantization == "Q8_0"
    assert info.context_length == 4096
    assert info.chat_template == "{{ messages }}"
    assert info.kv_bytes_per_token == 2 * 3 * 4 * 16 * 2
    assert info.vocab_size == 2000
    assert isinstance(info.metadata["tokenizer.ggml.tokens"], GGUFArray)
