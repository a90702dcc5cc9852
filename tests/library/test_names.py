"""Specs, quantisations in file names, split models, and which file a spec picks."""

from __future__ import annotations

import pytest

from deskchat.library import InvalidSpecError, ModelSpec, QuantNotFoundError, parse_spec
from deskchat.library.names import (
    GGUFGroup,
    group_gguf_files,
    looks_like_repo_spec,
    pick_group,
    quant_from_filename,
)


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("bartowski/Qwen2.5-0.5B-Instruct-GGUF", ModelSpec("bartowski/Qwen2.5-0.5B-Instruct-GGUF")),
        (
            "Qwen/Qwen2.5-1.5B-Instruct-GGUF:q4_k_m",
            ModelSpec("Qwen/Qwen2.5-1.5B-Instruct-GGUF", "q4_k_m"),
        ),
        ("hf.co/unsloth/gemma-3-1b-it-GGUF:Q8_0", ModelSpec("unsloth/gemma-3-1b-it-GGUF", "Q8_0")),
        ("https://huggingface.co/a/b", ModelSpec("a/b")),
        ("  a_b/c.d-e  ", ModelSpec("a_b/c.d-e")),
    ],
)
def test_parse_spec(text: str, spec: ModelSpec) -> None:
    assert parse_spec(text) == spec
    assert looks_like_repo_spec(text)


@pytest.mark.parametrize(
    "text", ["qwen2.5:0.5b", "just-a-name", "a/b/c", "/abs/model.gguf", "a/b:"]
)
def test_not_a_spec(text: str) -> None:
    assert not looks_like_repo_spec(text)
    with pytest.raises(InvalidSpecError) as caught:
        parse_spec(text)
    assert caught.value.text().startswith(f"'{text}' does not name a Hugging Face repository")


def test_spec_prints_as_typed() -> None:
    assert str(ModelSpec("a/b", "Q4_K_M")) == "a/b:Q4_K_M"
    assert str(ModelSpec("a/b")) == "a/b"


@pytest.mark.parametrize(
    ("name", "quant"),
    [
        ("Qwen2.5-0.5B-Instruct-Q4_K_M.gguf", "Q4_K_M"),
        ("qwen2.5-0.5b-instruct-q4_k_m.gguf", "Q4_K_M"),
        ("Qwen2-0.5B-Instruct.Q4_K_M.iMatrix.gguf", "Q4_K_M"),
        ("gemma-3-1b-it-UD-Q4_K_XL.gguf", "Q4_K_XL"),
        ("Llama-3.2-1B-Instruct-IQ3_M.gguf", "IQ3_M"),
        ("Qwen2.5-0.5B-Instruct-Q4_0_4_4.gguf", "Q4_0_4_4"),
        ("gemma-3-1b-it-BF16.gguf", "BF16"),
        ("model-f16.gguf", "F16"),
        ("Big-Q4_K_M-00001-of-00003.gguf", "Q4_K_M"),
        ("sub/dir/x-Q8_0.gguf", "Q8_0"),
        ("Qwen2.5-Coder.gguf", None),
    ],
)
def test_quant_from_filename(name: str, quant: str | None) -> None:
    assert quant_from_filename(name) == quant


def test_groups_join_split_parts_and_leave_out_projectors() -> None:
    groups = group_gguf_files(
        [
            ("README.md", 10),
            ("m-Q8_0.gguf", 800),
            ("mmproj-m-f16.gguf", 100),
            ("big/m-F16-00002-of-00002.gguf", 700),
            ("big/m-F16-00001-of-00002.gguf", 900),
            ("half/m-Q2_K-00001-of-00002.gguf", 300),  # its second part is missing
        ]
    )
    assert groups == [
        GGUFGroup(("m-Q8_0.gguf",), 800),
        GGUFGroup(("big/m-F16-00001-of-00002.gguf", "big/m-F16-00002-of-00002.gguf"), 1600),
    ]


GROUPS = [
    GGUFGroup(("m-Q2_K.gguf",), 200),
    GGUFGroup(("m-Q4_K.gguf",), 400),
    GGUFGroup(("m-Q4_K_M.gguf",), 420),
    GGUFGroup(("m-Q4_K_S.gguf",), 390),
    GGUFGroup(("m-Q8_0.gguf",), 800),
]


@pytest.mark.parametrize(
    ("quant", "name"),
    [
        (None, "m-Q4_K_M.gguf"),
        ("q8_0", "m-Q8_0.gguf"),
        ("Q4_K", "m-Q4_K.gguf"),  # the exact label beats the smaller Q4_K_S it is part of
        ("Q4_K_", "m-Q4_K_S.gguf"),  # no exact label: the smallest containing it
        ("q2", "m-Q2_K.gguf"),
    ],
)
def test_pick(quant: str | None, name: str) -> None:
    assert pick_group(GROUPS, quant, "a/b").name == name


def test_without_q4_k_m_the_default_is_the_smallest() -> None:
    groups = [GGUFGroup(("m-Q8_0.gguf",), 800), GGUFGroup(("m-Q5_K_M.gguf",), 500)]
    assert pick_group(groups, None, "a/b").name == "m-Q5_K_M.gguf"


def test_nothing_to_pick() -> None:
    with pytest.raises(QuantNotFoundError, match="a/b has no .gguf model files"):
        pick_group([], None, "a/b")
    with pytest.raises(QuantNotFoundError) as caught:
        pick_group(GROUPS, "IQ1_S", "a/b")
    assert caught.value.available == ("Q2_K", "Q4_K", "Q4_K_M", "Q4_K_S", "Q8_0")
