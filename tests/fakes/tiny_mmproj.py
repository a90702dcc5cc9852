"""A random vision projector (an mmproj GGUF) written with the ``gguf`` package, for tests.

It pairs with :func:`tests.fakes.tiny_gguf.write_tiny_model`: a one-layer CLIP
vision encoder with llava-1.5's two-layer MLP projector (``clip.projector_type``
``mlp``), whose output has the text model's embedding width. llama.cpp's mtmd
reads it, cuts an image into patches, encodes them and feeds the result to the
tiny model, which answers random tokens: tests check that an image goes in and
tokens come out, never what they say. Needs ``gguf`` and ``numpy``.
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np

__all__ = ["TINY_IMAGE_SIZE", "TINY_IMAGE_TOKENS", "write_tiny_mmproj"]

TINY_IMAGE_SIZE = 32
"""The side in pixels every image is scaled to before the encoder sees it."""

TINY_IMAGE_TOKENS = (TINY_IMAGE_SIZE // 8) ** 2
"""The prompt tokens one image takes with the default projector: one per 8x8 patch."""


def write_tiny_mmproj(
    path: Path,
    *,
    text_embd: int = 64,
    image_size: int = TINY_IMAGE_SIZE,
    patch_size: int = 8,
    n_embd: int = 32,
    n_head: int = 2,
    n_layer: int = 1,
    seed: int = 0,
) -> Path:
    """A random llava-style projector for a text model ``text_embd`` wide; returns ``path``.

    ``text_embd`` must be the text model's ``n_embd`` (mtmd refuses a
    projector whose output width differs). The defaults give a file of a few
    tens of KB and an image of ``(32 / 8)² = 16`` tokens.
    """
    rng = np.random.default_rng(seed)
    n_ff = 2 * n_embd
    n_patches = (image_size // patch_size) ** 2
    writer = gguf.GGUFWriter(str(path), "clip")
    writer.add_type(gguf.GGUFType.MMPROJ)
    writer.add_name("tiny mmproj")
    writer.add_clip_has_vision_encoder(True)
    writer.add_clip_projector_type("mlp")  # llava-1.5: two linear layers, GELU between
    writer.add_vision_image_size(image_size)
    writer.add_vision_patch_size(patch_size)
    writer.add_vision_embedding_length(n_embd)
    writer.add_vision_feed_forward_length(n_ff)
    writer.add_vision_projection_dim(text_embd)
    writer.add_vision_block_count(n_layer)
    writer.add_vision_head_count(n_head)
    writer.add_vision_attention_layernorm_eps(1e-5)
    writer.add_vision_image_mean([0.5, 0.5, 0.5])
    writer.add_vision_image_std([0.5, 0.5, 0.5])
    writer.add_vision_use_gelu(True)

    def random(name: str, *shape: int) -> None:
        writer.add_tensor(name, (rng.standard_normal(shape) * 0.1).astype(np.float32))

    def norm(name: str, width: int) -> None:
        writer.add_tensor(f"{name}.weight", np.ones(width, dtype=np.float32))
        writer.add_tensor(f"{name}.bias", np.zeros(width, dtype=np.float32))

    random("v.patch_embd.weight", n_embd, 3, patch_size, patch_size)
    random("v.class_embd", n_embd)
    random("v.position_embd.weight", n_patches + 1, n_embd)
    norm("v.pre_ln", n_embd)
    for block in range(n_layer):
        prefix = f"v.blk.{block}"
        norm(f"{prefix}.ln1", n_embd)
        norm(f"{prefix}.ln2", n_embd)
        for part in ("attn_q", "attn_k", "attn_v", "attn_out"):
            random(f"{prefix}.{part}.weight", n_embd, n_embd)
            random(f"{prefix}.{part}.bias", n_embd)
        random(f"{prefix}.ffn_up.weight", n_ff, n_embd)
        random(f"{prefix}.ffn_up.bias", n_ff)
        random(f"{prefix}.ffn_down.weight", n_embd, n_ff)
        random(f"{prefix}.ffn_down.bias", n_embd)
    random("mm.0.weight", text_embd, n_embd)
    random("mm.0.bias", text_embd)
    random("mm.2.weight", text_embd, text_embd)
    random("mm.2.bias", text_embd)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
