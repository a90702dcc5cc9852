"""Random llama models written with the ``gguf`` package, for tests and benches.

The output of these models is random tokens: tests check the protocol (events,
finish, errors), never the words. Needs ``gguf`` and ``numpy``.
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np

__all__ = ["TINY_CHAT_TEMPLATE", "TINY_N_CTX", "write_tiny_model"]

TINY_N_CTX = 256
"""The trained context of the default tiny model."""

TINY_CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}assistant:"
)


def write_tiny_model(
    path: Path,
    *,
    n_ctx: int = TINY_N_CTX,
    n_embd: int = 64,
    n_layer: int = 1,
    n_ff: int | None = None,
    n_head: int = 4,
    chat_template: str = TINY_CHAT_TEMPLATE,
    name: str | None = None,
    seed: int = 0,
    endless: bool = False,
) -> Path:
    """A random llama model with a byte-level SentencePiece vocabulary; returns ``path``.

    The defaults give a one-layer model of a few hundred KB; ``n_embd=512,
    n_layer=4`` gives one of a few tens of MB, big enough to time. An
    ``endless`` model never picks its control tokens (``<unk>``, ``<s>``,
    ``</s>``, which write nothing or end the reply) or a byte above 0x7F: it
    writes ASCII, each token streamed at once, until stopped or out of context.
    """
    rng = np.random.default_rng(seed)
    n_ff = n_ff if n_ff is not None else 2 * n_embd
    tokens = ["<unk>", "<s>", "</s>", *(f"<0x{i:02X}>" for i in range(256))]
    tokens += ["▁", "▁chat", "▁hello", "a", "b"]
    kinds = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
    kinds += [gguf.TokenType.BYTE] * 256 + [gguf.TokenType.NORMAL] * 5
    writer = gguf.GGUFWriter(str(path), "llama")
    if name is not None:
        writer.add_name(name)
    writer.add_context_length(n_ctx)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(n_layer)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_dimension_count(n_embd // n_head)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0] * len(tokens))
    writer.add_token_types(kinds)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_chat_template(chat_template)

    def random(tensor: str, *shape: int, keep_dim0: bool = False) -> None:
        weights = rng.standard_normal(shape) * 0.1
        if keep_dim0 and endless:
            weights[0, :] = 0.0  # this layer adds nothing to dimension 0 of the stream
        writer.add_tensor(tensor, weights.astype(np.float32))

    def ones(tensor: str) -> None:
        writer.add_tensor(tensor, np.ones(n_embd, dtype=np.float32))

    embeddings = rng.standard_normal((len(tokens), n_embd)) * 0.1
    output = rng.standard_normal((len(tokens), n_embd)) * 0.1
    if endless:
        # Every embedding carries a constant in dimension 0, which no layer
        # changes (their output rows 0 are zero); the output rows of the
        # unwanted tokens weigh it heavily against them, so their logits sit
        # far below all the others, whatever the random layers do.
        embeddings[:, 0] = 10.0
        output[:, 0] = 0.0
        unwanted = [0, 1, 2, *range(3 + 0x80, 3 + 0x100)]
        output[unwanted, 0] = -10.0
    writer.add_tensor("token_embd.weight", embeddings.astype(np.float32))
    ones("output_norm.weight")
    writer.add_tensor("output.weight", output.astype(np.float32))
    for block in range(n_layer):
        ones(f"blk.{block}.attn_norm.weight")
        ones(f"blk.{block}.ffn_norm.weight")
        for part in ("attn_q", "attn_k", "attn_v"):
            random(f"blk.{block}.{part}.weight", n_embd, n_embd)
        random(f"blk.{block}.attn_output.weight", n_embd, n_embd, keep_dim0=True)
        random(f"blk.{block}.ffn_gate.weight", n_ff, n_embd)
        random(f"blk.{block}.ffn_up.weight", n_ff, n_embd)
        random(f"blk.{block}.ffn_down.weight", n_embd, n_ff, keep_dim0=True)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
