"""The built-in engine's line protocol: messages to lines and back, lines split anywhere."""

from __future__ import annotations

import json

import pytest

from deskchat.provider import llama_protocol as lp
from deskchat.provider.errors import ProtocolError

EVERY_MESSAGE = [
    lp.Load(1, "/models/qwen.gguf", 4096, 4, -1),
    lp.Chat(2, [{"role": "user", "content": "hé\nllo"}], {"temperature": 0.5, "stop": ["\n"]}),
    lp.Cancel(2),
    lp.Unload(3),
    lp.Quit(),
    lp.Ready(1234, "0.3.36", gpu_offload=False),
    lp.Progress(1, 0.25),
    lp.Loaded(1, "/models/qwen.gguf", 4096, 32768, 0, thinks_first=True, seconds=1.5),
    lp.Delta(2, "a line\nand \u2028 not a line, \U0001f600"),
    lp.Done(2, "length", prompt_tokens=12, completion_tokens=8),
    lp.Cancelled(2, completion_tokens=9, after_cancel=1),
    lp.Unloaded(3),
    lp.Failed(0, "missing", "ImportError: No module named 'llama_cpp'"),
]


@pytest.mark.parametrize("message", EVERY_MESSAGE, ids=lambda m: m.type)
def test_each_message_survives_a_round_trip(message):
    line = lp.encode(message)
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1, "a newline inside a field must be escaped"
    assert lp.decode(line[:-1]) == message


def test_every_message_type_is_decodable():
    types = {m.type for m in EVERY_MESSAGE}
    assert types == set(lp._TYPES)
    for name, cls in lp._TYPES.items():
        assert cls.__dataclass_fields__["type"].default == name


def _stream() -> bytes:
    return b"".join(lp.encode(m) for m in EVERY_MESSAGE)


def test_decoder_takes_many_lines_in_one_chunk():
    assert lp.MessageDecoder().feed(_stream()) == EVERY_MESSAGE


def test_decoder_takes_one_byte_at_a_time():
    """Lines split anywhere, a UTF-8 character across two chunks included."""
    decoder = lp.MessageDecoder()
    out = [m for byte in _stream() for m in decoder.feed(bytes([byte]))]
    assert out + decoder.finish() == EVERY_MESSAGE


@pytest.mark.parametrize("cut", [1, 7, 64, 1000])
def test_decoder_takes_chunks_of_any_size(cut):
    data = _stream()
    decoder = lp.MessageDecoder()
    out = [m for i in range(0, len(data), cut) for m in decoder.feed(data[i : i + cut])]
    assert out == EVERY_MESSAGE
    assert decoder.finish() == []


def test_a_utf8_character_split_between_chunks():
    line = lp.encode(lp.Delta(1, "é"))
    split = line.index("é".encode()) + 1
    decoder = lp.MessageDecoder()
    assert decoder.feed(line[:split]) == []
    assert decoder.feed(line[split:]) == [lp.Delta(1, "é")]


def test_crlf_and_blank_lines_are_tolerated():
    data = b"\r\n\n" + lp.encode(lp.Cancel(5)).replace(b"\n", b"\r\n") + b"\n"
    assert lp.MessageDecoder().feed(data) == [lp.Cancel(5)]


def test_a_last_line_without_newline_comes_out_at_finish():
    decoder = lp.MessageDecoder()
    assert decoder.feed(lp.encode(lp.Unloaded(1))[:-1]) == []
    assert decoder.finish() == [lp.Unloaded(1)]


def test_a_line_cut_off_by_death_is_an_error_at_finish():
    decoder = lp.MessageDecoder()
    decoder.feed(lp.encode(lp.Delta(1, "abc"))[:10])
    with pytest.raises(ProtocolError):
        decoder.finish()


def test_a_bad_line_after_good_ones_waits_until_they_are_handed_out():
    decoder = lp.MessageDecoder()
    data = lp.encode(lp.Delta(1, "kept")) + b"Segmentation fault\n"
    assert decoder.feed(data) == [lp.Delta(1, "kept")]
    with pytest.raises(ProtocolError, match="Not a JSON line"):
        decoder.check()
    decoder.check()  # raised once


def test_a_held_back_error_is_raised_by_the_next_feed_too():
    decoder = lp.MessageDecoder()
    decoder.feed(lp.encode(lp.Delta(1, "kept")) + b"oops\n")
    with pytest.raises(ProtocolError):
        decoder.feed(lp.encode(lp.Cancel(1)))


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (b"not json", "Not a JSON line"),
        (b"[1, 2]", "Not a JSON object"),
        (b'{"type": "teleport", "id": 1}', "Unknown message type"),
        (b'{"id": 1}', "Unknown message type"),
        (b'{"type": "delta", "id": 1}', "Bad delta message"),
        (b'{"type": "cancel", "id": 1, "extra": true}', "Bad cancel message"),
    ],
)
def test_decode_says_what_is_wrong(line, problem):
    with pytest.raises(ProtocolError, match=problem):
        lp.decode(line)


def test_encode_writes_plain_json_with_the_type_tag():
    assert json.loads(lp.encode(lp.Cancel(7))) == {"id": 7, "type": "cancel"}


def test_line_buffer_refuses_an_endless_line(monkeypatch):
    monkeypatch.setattr(lp.LineBuffer, "limit", 10)
    lines = lp.LineBuffer()
    assert lines.feed(b"12345") == []
    with pytest.raises(ProtocolError, match="longer than 10 bytes"):
        lines.feed(b"678901")
