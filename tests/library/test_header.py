"""The GGUF header reader, against files we write and files the ``gguf`` package writes."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from deskchat.library import GGUFError, is_gguf, read_gguf_info
from tests.fakes.hf_hub import make_gguf


def write(tmp_path: Path, data: bytes, name: str = "m.gguf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


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
    # 2 (K, V) x 24 layers x 2 KV heads x (896 / 14 = 64) x 2 bytes
    assert info.kv_bytes_per_token() == 2 * 24 * 2 * 64 * 2


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


def test_a_file_that_is_not_gguf_is_a_sentence(tmp_path: Path) -> None:
    path = write(tmp_path, b"PK\x03\x04" + b"\0" * 100, "notes.gguf")
    assert not is_gguf(path)
    with pytest.raises(GGUFError) as caught:
        read_gguf_info(path)
    assert caught.value.text() == "notes.gguf is not a GGUF model (it does not start with 'GGUF')."


def test_a_cut_header_is_a_sentence(tmp_path: Path) -> None:
    whole = make_gguf()
    path = write(tmp_path, whole[: len(whole) // 2], "cut.gguf")
    assert is_gguf(path)
    with pytest.raises(GGUFError) as caught:
        read_gguf_info(path)
    assert caught.value.text().startswith("The GGUF header of cut.gguf is damaged or cut short")


def test_an_unknown_version_is_refused(tmp_path: Path) -> None:
    data = bytearray(make_gguf())
    data[4:8] = struct.pack("<I", 9)
    with pytest.raises(GGUFError, match="unknown GGUF version 9"):
        read_gguf_info(write(tmp_path, bytes(data)))


def test_a_tiny_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GGUFError, match="only 4 bytes long"):
        read_gguf_info(write(tmp_path, b"GGUF"))


def test_a_rewritten_file_is_read_again(tmp_path: Path) -> None:
    path = write(tmp_path, make_gguf(file_type=15))
    assert read_gguf_info(path).quantization == "Q4_K_M"
    path.write_bytes(make_gguf(file_type=7, size=5000))
    assert read_gguf_info(path).quantization == "Q8_0"


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
    assert info.kv_bytes_per_token() == 2 * 3 * 4 * 16 * 2
