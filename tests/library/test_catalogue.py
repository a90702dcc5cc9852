"""The catalogue of small CPU models: RAM estimates, what fits, what to recommend."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from deskchat.gguf import read_gguf_info
from deskchat.library import (
    CATALOGUE,
    DEFAULT_CONTEXT,
    CatalogueEntry,
    Machine,
    estimate_ram,
    fits,
    parse_spec,
    quant_from_filename,
    recommend,
)
from deskchat.library.catalogue import OVERHEAD
from deskchat.provider.llama_sizing import estimate_memory
from tests.fakes.tiny_gguf import write_tiny_model

GiB = 1024**3


def entry(title: str) -> CatalogueEntry:
    return next(e for e in CATALOGUE if e.title == title)


def test_every_entry_is_a_pullable_q4_k_m_file() -> None:
    assert len(CATALOGUE) >= 6
    for item in CATALOGUE:
        assert parse_spec(item.spec).repo == item.repo
        assert quant_from_filename(item.filename) == item.quant == "Q4_K_M"
        assert item.source.startswith(f"https://huggingface.co/{item.repo}/")
        assert 300_000_000 < item.size < 2_500_000_000
        assert item.parameters <= 3.5


def test_ram_is_file_plus_kv_cache_plus_working_buffers() -> None:
    qwen = entry("Qwen2.5 0.5B Instruct")
    # 24 layers x 2 KV heads x 64 x (K and V) x 2 bytes = 12 KiB a token; 48 MiB for 4096.
    assert qwen.kv_bytes_per_token == 12288
    # Working: 512 rows of float logits over its 151,936 tokens (297 MiB), and the process.
    logits = 512 * 151_936 * 4
    assert qwen.ram_needed() == 398_000_000 + 12288 * 4096 + logits + OVERHEAD
    assert qwen.ram_needed(8192) - qwen.ram_needed() == 12288 * 4096
    assert estimate_ram(1000, 10, DEFAULT_CONTEXT) == 1000 + 40960 + OVERHEAD
    assert (
        estimate_ram(1000, 10, DEFAULT_CONTEXT, vocab_size=7)
        == 1000 + 40960 + 512 * 7 * 4 + OVERHEAD
    )


def test_the_catalogue_and_the_engine_estimate_a_model_alike(tmp_path: Path) -> None:
    # A model the catalogue says fits must not be refused by the engine's check.
    info = read_gguf_info(write_tiny_model(tmp_path / "tiny.gguf", n_embd=128, n_layer=2))
    assert info.vocab_size
    assert info.kv_bytes_per_token
    for n_ctx in (256, DEFAULT_CONTEXT):
        engine = estimate_memory(info, n_ctx).total
        catalogue = estimate_ram(
            info.file_size, info.kv_bytes_per_token, n_ctx, vocab_size=info.vocab_size
        )
        assert catalogue == engine


def test_fits_compares_with_the_memory_free_now() -> None:
    llama = entry("Llama 3.2 3B Instruct")
    assert fits(llama, Machine(16 * GiB, llama.ram_needed(), 8))
    assert not fits(llama, Machine(16 * GiB, llama.ram_needed() - 1, 8))


@pytest.mark.parametrize(
    ("machine", "title"),
    [
        (Machine(32 * GiB, 24 * GiB, 8), "Qwen2.5 3B Instruct"),
        # Two cores: a 3B model would crawl; the best small one.
        (Machine(32 * GiB, 24 * GiB, 2), "Qwen2.5 1.5B Instruct"),
        # 2.5 GiB free: the 1.5B model fits with its 1 GiB to spare.
        (Machine(4 * GiB, int(2.5 * GiB), 4), "Qwen2.5 1.5B Instruct"),
        # 2.3 GiB free: neither the 1.5B model nor Gemma 1B (the logits of its 262,144
        # tokens) has 1 GiB to spare; Llama 3.2 1B does.
        (Machine(4 * GiB, int(2.3 * GiB), 4), "Llama 3.2 1B Instruct"),
        # 1 GiB free: nothing fits with room to spare; the smallest that fits at all.
        (Machine(2 * GiB, 1 * GiB, 2), "Qwen2.5 0.5B Instruct"),
    ],
)
def test_recommend(machine: Machine, title: str) -> None:
    chosen = recommend(machine)
    assert chosen is not None
    assert chosen.title == title


def test_recommend_nothing_on_a_full_machine() -> None:
    assert recommend(Machine(1 * GiB, 200_000_000, 1)) is None


def test_this_machine_is_measured() -> None:
    here = Machine.current()
    assert here.total_ram >= here.available_ram > 0
    assert here.cores >= 1


def test_the_vision_entry_names_the_projector_pull_and_the_engine_take() -> None:
    from deskchat.gguf import is_projector, projector_rank

    (vision,) = [e for e in CATALOGUE if e.vision]
    assert vision.repo == "ggml-org/Qwen2.5-VL-3B-Instruct-GGUF"
    assert is_projector(vision.projector)
    # The one find_projector would take of the repository's two (Q8_0 and f16).
    other = vision.projector.replace("Q8_0", "f16")
    assert projector_rank(vision.projector) < projector_rank(other)
    assert 500_000_000 < vision.projector_size < 1_500_000_000
    # Its memory counts the projector, loaded beside it for a reply with images.
    assert vision.ram_needed() == (
        estimate_ram(vision.size, vision.kv_bytes_per_token, vocab_size=vision.vocab)
        + vision.projector_size
    )
    assert not [e for e in CATALOGUE if not e.vision and e.projector_size]


@pytest.mark.parametrize("free_gib", [0.5, 1, 2, 2.3, 3, 4, 6, 8, 24, 64])
@pytest.mark.parametrize("cores", [2, 4, 16])
def test_recommend_never_picks_the_vision_model(
    free_gib: float, cores: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deskchat.library import catalogue

    # Even listed first, and the only model that fits: it is for who asks for it.
    (vision,) = [e for e in CATALOGUE if e.vision]
    small_vision = dataclasses.replace(vision, size=100_000_000, parameters=0.4)
    monkeypatch.setattr(
        catalogue, "CATALOGUE", (small_vision, *[e for e in CATALOGUE if not e.vision])
    )
    chosen = recommend(Machine(128 * GiB, int(free_gib * GiB), cores))
    assert chosen is None or not chosen.vision
