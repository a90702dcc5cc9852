"""The child's small parts that need no llama.cpp: batching text, progress, sampling."""

from __future__ import annotations

import pytest

from deskchat.provider import llama_worker
from deskchat.provider.llama_worker import _Batcher, _ProgressReporter, sampling_arguments


@pytest.fixture
def clock(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(llama_worker.time, "monotonic", lambda: now[0])
    return now


def test_text_goes_out_at_once_then_at_most_once_per_interval(clock):
    sent: list[str] = []
    batcher = _Batcher(sent.append, 0.008)
    batcher.add("a")
    assert sent == ["a"], "the first piece is not held"
    clock[0] += 0.002
    batcher.add("b")
    clock[0] += 0.002
    batcher.add("c")
    assert sent == ["a"]
    clock[0] += 0.005
    batcher.add("d")
    assert sent == ["a", "bcd"]
    batcher.flush()
    assert sent == ["a", "bcd"], "nothing pending, nothing sent"


def test_a_slow_model_sends_every_token_as_it_comes(clock):
    sent: list[str] = []
    batcher = _Batcher(sent.append, 0.008)
    for token in ["one", " two", " three"]:
        batcher.add(token)
        clock[0] += 0.05
    assert sent == ["one", " two", " three"]


def test_flush_sends_what_is_held(clock):
    sent: list[str] = []
    batcher = _Batcher(sent.append, 0.008)
    batcher.add("a")
    batcher.add("b")
    batcher.flush()
    assert sent == ["a", "b"]


def test_progress_in_whole_percents():
    sent: list[float] = []
    report = _ProgressReporter(sent.append)
    for fraction in (0.0, 0.001, 0.004, 0.011, 0.5, 0.503, 1.0):
        report(fraction)
    assert sent == [0.0, 0.011, 0.5, 1.0]


def test_sampling_arguments_keep_what_llama_cpp_takes():
    params = {
        "temperature": 0.2,
        "max_tokens": None,
        "n_ctx": 4096,
        "system": "terse",
        "logit_bias": {"2": -100, "7": "1.5"},
    }
    assert sampling_arguments(params) == {"temperature": 0.2, "logit_bias": {2: -100.0, 7: 1.5}}
