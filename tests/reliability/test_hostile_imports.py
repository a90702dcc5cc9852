"""Issue 12, points 6, 7 and 10: import files that lie about times, types, sizes and trees.

Every refused file must give one sentence (a ``BadImportFileError`` naming the
file and ending in a full stop, no traceback) and leave the database exactly
as it was; every accepted one must import what the user sees in ChatGPT or
DeskChat, and export again as valid JSON and Markdown.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deskchat.cli.main import main
from deskchat.store import (
    BadImportFileError,
    Store,
    StoreError,
    export_json,
    import_file,
    to_markdown,
)

NOW = 1_717_000_000.0  # 2024-05-29, in seconds
NOW_MS = NOW * 1000


def strict_json(text: str) -> Any:
    """Parse as JSON proper: NaN and Infinity are not JSON."""

    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def deskchat_file(*convs: dict[str, Any]) -> dict[str, Any]:
    return {"format": "deskchat", "version": 1, "conversations": list(convs)}


def deskchat_conv(
    title: str = "A chat", created: Any = NOW, messages: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "title": title,
        "created_at": created,
        "updated_at": created,
        "source_id": f"id-{title}",
        "messages": messages
        if messages is not None
        else [
            {"id": 1, "parent_id": None, "role": "user", "content": "Hi", "created_at": created},
            {"id": 2, "parent_id": 1, "role": "assistant", "content": "Ho", "created_at": created},
        ],
    }


def chatgpt_conv(cid: str = "c-1", created: Any = NOW, **extra: Any) -> dict[str, Any]:
    def node(key: str, parent: str | None, children: list[str], role: str, text: str) -> Any:
        return {
            "id": key,
            "parent": parent,
            "children": children,
            "message": {
                "id": key,
                "author": {"role": role},
                "create_time": created,
                "content": {"content_type": "text", "parts": [text]},
                "metadata": {},
            },
        }

    conv = {
        "title": "From ChatGPT",
        "create_time": created,
        "update_time": created,
        "conversation_id": cid,
        "current_node": "a",
        "mapping": {
            "root": {"id": "root", "parent": None, "children": ["u"], "message": None},
            "u": node("u", "root", ["a"], "user", "Question?"),
            "a": node("a", "u", [], "assistant", "Answer."),
        },
    }
    conv.update(extra)
    return conv


def write(path: Path, data: Any) -> Path:
    # allow_nan: the hostile files hold what JavaScript and Python write, not JSON proper.
    path.write_text(json.dumps(data, allow_nan=True), encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "data" / "deskchat.sqlite3") as s:
        c = s.create_conversation()
        s.add_message(c.id, "user", "Already here")
        yield s


def snapshot(store: Store) -> list[tuple[Any, ...]]:
    conn = store.connection
    return [
        tuple(row)
        for table in ("conversations", "messages")
        for row in conn.execute(f"SELECT * FROM {table} ORDER BY id")
    ]


def refused(store: Store, path: Path) -> str:
    """Import ``path``, which must fail with one sentence and change nothing; the sentence."""
    before = snapshot(store)
    with pytest.raises(BadImportFileError) as info:
        import_file(store, path)
    text = info.value.text()
    assert path.name in text
    assert text.endswith("."), text
    assert "\n" not in text
    assert "Traceback" not in text
    assert len(text) < 400, text
    assert snapshot(store) == before
    return text


# -- point 6: times --------------------------------------------------------------


def _year(timestamp: float) -> int:
    return dt.datetime.fromtimestamp(timestamp).year


def test_millisecond_times_are_recognised_deskchat(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "ms.json", deskchat_file(deskchat_conv(created=NOW_MS)))
    (cid,) = import_file(store, path).imported
    conv = store.get_conversation(cid)
    assert conv.created_at == pytest.approx(NOW)
    assert conv.updated_at == pytest.approx(NOW)
    assert [m.created_at for m in store.all_messages(cid)] == [pytest.approx(NOW)] * 2
    assert "2024-05-29" in to_markdown(store, [cid])
    store.close()
    assert main(["export", "--list"]) == 0
    assert "\t2024-05-29 " in capsys.readouterr().out


def test_millisecond_times_are_recognised_chatgpt(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "ms.json", [chatgpt_conv(created=NOW_MS)])
    (cid,) = import_file(store, path).imported
    assert store.get_conversation(cid).created_at == pytest.approx(NOW)
    assert [m.created_at for m in store.all_messages(cid)] == [pytest.approx(NOW)] * 2


@pytest.mark.parametrize(
    "when",
    [1e20, math.inf, -math.inf, math.nan, -5.0, 10**400, 1e17 * 9_999],
    ids=["1e20", "Infinity", "-Infinity", "NaN", "negative", "10**400", "far-future-ns"],
)
@pytest.mark.parametrize("where", ["conversation", "message", "chatgpt", "chatgpt-message"])
def test_impossible_times_are_refused_with_a_sentence(
    store: Store, tmp_path: Path, when: Any, where: str
) -> None:
    if where == "conversation":
        data: Any = deskchat_file(deskchat_conv(created=when))
    elif where == "message":
        conv = deskchat_conv()
        conv["messages"][1]["created_at"] = when
        data = deskchat_file(conv)
    elif where == "chatgpt":
        data = [chatgpt_conv(created=when)]
    else:
        data = [chatgpt_conv()]
        data[0]["mapping"]["a"]["message"]["create_time"] = when
    text = refused(store, write(tmp_path / "times.json", data))
    assert "time" in text


def test_json_export_is_always_json_and_markdown_always_renders(store: Store) -> None:
    """Even a time the store was handed directly that no calendar holds."""
    with pytest.raises(StoreError, match="time"):
        store.create_conversation("bad", created_at=math.inf)
    strict_json(export_json(store))
    assert "Already here" in to_markdown(store)


def _v3_with_bad_times(path: Path) -> None:
    from tests.store.test_migrations import _build

    _build(path, 3)
    conn = sqlite3.connect(path, isolation_level=None)
    # As an older DeskChat imported them: milliseconds, and worse.
    conn.execute("UPDATE conversations SET created_at = ?, updated_at = ?", (NOW_MS, 1e20))
    conn.execute("UPDATE messages SET created_at = ? WHERE id = 1", (NOW_MS,))
    conn.execute("UPDATE messages SET created_at = ? WHERE id = 2", (math.inf,))
    conn.execute("UPDATE messages SET created_at = ? WHERE id = 3", (NOW * 1e6,))
    conn.execute("UPDATE messages SET created_at = ? WHERE id = 4", (-1e30,))
    conn.close()


def test_an_older_history_holding_such_times_is_repaired(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "data" / "deskchat.sqlite3"
    _v3_with_bad_times(db)
    with Store(db) as s:
        conv = s.get_conversation(1)
        assert conv.created_at == pytest.approx(NOW)
        # Past any calendar: the conversation's own start stands in.
        assert conv.updated_at == pytest.approx(NOW)
        times = [m.created_at for m in s.all_messages(1)]
        assert times[0] == pytest.approx(NOW)
        assert times[1] == pytest.approx(NOW)
        assert times[2] == pytest.approx(NOW)
        assert times[3] == pytest.approx(NOW)
        assert times[4] == 11  # untouched: a real (if early) time
        strict_json(export_json(s))
        assert "Sourdough" in to_markdown(s)
    assert main(["export", "--list"]) == 0
    assert "Sourdough" in capsys.readouterr().out
    assert all(_year(t) == 2024 for t in times[:4])


# -- point 7: hostile files -------------------------------------------------------


def _with_message(**fields: Any) -> dict[str, Any]:
    conv = deskchat_conv()
    conv["messages"][1].update(fields)
    return deskchat_file(conv)


def _chatgpt_node(path: str, value: Any) -> list[dict[str, Any]]:
    """A ChatGPT file with the answer node's field at ``path`` ("message.author") set."""
    conv = chatgpt_conv()
    target = conv["mapping"]["a"]
    *parents, last = path.split(".")
    for key in parents:
        target = target[key]
    target[last] = value
    return [conv]


HOSTILE_JSON: dict[str, str] = {
    "100,000-deep JSON": "[" * 100_000 + "]" * 100_000,
    "100,000-deep params": json.dumps(deskchat_file(deskchat_conv()))[:-3]
    + ', "params": '
    + '{"a": ' * 100_000
    + "1"
    + "}" * 100_000
    + "}]}",
    "lone surrogate in content": json.dumps(_with_message(content="before \ud800 after")),
    "lone surrogate in a title": json.dumps(deskchat_file(deskchat_conv(title="\udfff"))),
    "lone surrogate in a ChatGPT title": json.dumps([chatgpt_conv(title="Half \ud83d")]),
    "lone surrogate in ChatGPT text": json.dumps(
        _chatgpt_node("message.content.parts", ["split \ud83d"])
    ),
    "lone surrogate in params": json.dumps(
        deskchat_file({**deskchat_conv(), "params": {"stop": "\ud800"}})
    ),
    "NaN token count": json.dumps(_with_message(completion_tokens=math.nan), allow_nan=True),
    "NaN in params": json.dumps(
        deskchat_file({**deskchat_conv(), "params": {"temperature": math.nan}}), allow_nan=True
    ),
    "10**400 token count": json.dumps(_with_message(prompt_tokens=10**400)),
    "a 5,000-digit number": json.dumps(_with_message(prompt_tokens=1)).replace(
        '"prompt_tokens": 1', '"prompt_tokens": ' + "9" * 5_000
    ),
    "token count 2**64": json.dumps(_with_message(completion_tokens=2**64)),
    "negative token count": json.dumps(_with_message(completion_tokens=-1)),
    "parent_id a list": json.dumps(_with_message(parent_id=[1])),
    "parent_id an object": json.dumps(_with_message(parent_id={"id": 1})),
    "parent_id a number with a fraction": json.dumps(_with_message(parent_id=1.5)),
    "format version 10**400": json.dumps(
        {"format": "deskchat", "version": 10**400, "conversations": []}
    ),
    "ChatGPT author a string": json.dumps(_chatgpt_node("message.author", "assistant")),
    "ChatGPT role a list": json.dumps(_chatgpt_node("message.author.role", ["assistant"])),
    "ChatGPT metadata a list": json.dumps(_chatgpt_node("message.metadata", ["x"])),
    "ChatGPT content a string": json.dumps(_chatgpt_node("message.content", "Answer.")),
    "ChatGPT parent a list": json.dumps(_chatgpt_node("parent", ["u"])),
    "ChatGPT children a string": json.dumps(_chatgpt_node("children", "u")),
    "ChatGPT create_time text": json.dumps(_chatgpt_node("message.create_time", "yesterday")),
    "ChatGPT current_node a list": json.dumps([chatgpt_conv(current_node=["a"])]),
    "ChatGPT title a number": json.dumps([chatgpt_conv(title=7)]),
    "ChatGPT model_slug an object": json.dumps(
        _chatgpt_node("message.metadata", {"model_slug": {"name": "gpt-4o"}})
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_JSON))
def test_a_hostile_json_file_is_one_sentence_and_changes_nothing(
    store: Store, tmp_path: Path, case: str
) -> None:
    path = tmp_path / "hostile.json"
    # surrogatepass: the file holds exactly the escapes JSON allows, lone halves too.
    path.write_bytes(HOSTILE_JSON[case].encode("utf-8", "surrogatepass"))
    refused(store, path)


def test_a_lone_surrogate_is_named_as_such(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "half.json"
    path.write_text(HOSTILE_JSON["lone surrogate in content"], encoding="utf-8")
    assert "Unicode" in refused(store, path)


def _zip_with(path: Path, patch: Any) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("conversations.json", json.dumps([chatgpt_conv()]))
    raw = bytearray(path.read_bytes())
    patch(raw)
    path.write_bytes(bytes(raw))
    return path


def _set_header_field(raw: bytearray, local_offset: int, central_offset: int, value: int) -> None:
    """Set a 2-byte field in the local and the central header of the one member."""
    local = raw.index(b"PK\x03\x04")
    central = raw.index(b"PK\x01\x02")
    raw[local + local_offset : local + local_offset + 2] = value.to_bytes(2, "little")
    raw[central + central_offset : central + central_offset + 2] = value.to_bytes(2, "little")


def test_an_encrypted_zip_is_one_sentence(store: Store, tmp_path: Path) -> None:
    # General-purpose flag bit 0: "encrypted", as a password-protected zip marks it.
    path = _zip_with(tmp_path / "locked.zip", lambda raw: _set_header_field(raw, 6, 8, 1))
    assert "password" in refused(store, path)


def test_a_deflate64_zip_is_one_sentence(store: Store, tmp_path: Path) -> None:
    # Method 9, Deflate64: what Windows' "Send to compressed folder" writes for big files.
    path = _zip_with(tmp_path / "big.zip", lambda raw: _set_header_field(raw, 8, 10, 9))
    assert "Deflate64" in refused(store, path)


def test_a_file_too_big_for_memory_is_refused_by_size(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as fh:
        fh.truncate(4 << 30)  # 4 GiB, sparse: nothing is read to refuse it
    assert "too large" in refused(store, path)


@pytest.fixture
def zip_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """20 MB of JSON in a small zip; the import limit is set low (5 MB) to keep tests quick."""
    import zipfile

    monkeypatch.setattr("deskchat.store.import_files.MAX_IMPORT_BYTES", 5 << 20, raising=False)
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("conversations.json", "[" + " " * (20 << 20) + "]")
    return path


def test_a_zip_member_too_big_for_memory_is_refused_while_reading(
    store: Store, zip_bomb: Path
) -> None:
    assert zip_bomb.stat().st_size < 1 << 20
    assert "too large" in refused(store, zip_bomb)


def test_a_zip_lying_about_its_size_is_still_bounded(store: Store, zip_bomb: Path) -> None:
    path = zip_bomb
    raw = bytearray(path.read_bytes())
    central = raw.index(b"PK\x01\x02")
    local = raw.index(b"PK\x03\x04")
    raw[central + 24 : central + 28] = (100).to_bytes(4, "little")  # uncompressed size
    raw[local + 22 : local + 26] = (100).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    refused(store, path)


@pytest.mark.parametrize("case", sorted(HOSTILE_JSON)[:3])
def test_cli_import_of_a_hostile_file_is_one_line(
    store: Store, tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hostile.json"
    path.write_bytes(HOSTILE_JSON[case].encode("utf-8", "surrogatepass"))
    before = snapshot(store)
    store.close()
    assert main(["import", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("deskchat: hostile.json")
    with Store(tmp_path / "data" / "deskchat.sqlite3") as again:
        assert snapshot(again) == before


# -- point 10: ChatGPT fidelity ----------------------------------------------------


def _message(role: str, content: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": "m",
        "author": {"role": role, "name": None, "metadata": {}},
        "create_time": NOW,
        "content": content,
        "metadata": {},
        **extra,
    }


def _chain(*messages: dict[str, Any]) -> dict[str, Any]:
    """A ChatGPT conversation whose mapping is ``messages`` in one chain under an empty root."""
    keys = [f"n{i}" for i in range(len(messages))]
    mapping: dict[str, Any] = {
        "root": {"id": "root", "parent": None, "children": keys[:1], "message": None}
    }
    for i, (key, msg) in enumerate(zip(keys, messages, strict=True)):
        mapping[key] = {
            "id": key,
            "parent": keys[i - 1] if i else "root",
            "children": keys[i + 1 : i + 2],
            "message": {**msg, "id": key},
        }
    return {
        "title": "Tools",
        "create_time": NOW,
        "conversation_id": "tools",
        "current_node": keys[-1],
        "mapping": mapping,
    }


def _text(text: str) -> dict[str, Any]:
    return {"content_type": "text", "parts": [text]}


def test_tool_calls_and_their_output_are_left_out(store: Store, tmp_path: Path) -> None:
    conv = _chain(
        _message("user", _text("Plot x squared, then check the weather.")),
        _message(
            "assistant",
            {"content_type": "code", "language": "python", "text": "plt.plot(x, x**2)"},
            recipient="python",
        ),
        _message("tool", {"content_type": "execution_output", "text": "<Figure>"}),
        _message("assistant", _text("Here is the plot."), recipient="all"),
        _message("assistant", _text('search("weather Reykjavik")'), recipient="browser"),
        _message("tool", {"content_type": "tether_browsing_display", "result": "Sunny"}),
        _message("assistant", _text("It is sunny.")),
    )
    (cid,) = import_file(store, write(tmp_path / "tools.json", [conv])).imported
    assert [(m.role, m.content) for m in store.current_path(cid)] == [
        ("user", "Plot x squared, then check the weather."),
        ("assistant", "Here is the plot."),
        ("assistant", "It is sunny."),
    ]
    assert len(store.all_messages(cid)) == 3


def test_a_cyclic_mapping_is_refused_with_a_sentence(store: Store, tmp_path: Path) -> None:
    conv = _chain(_message("user", _text("Hello?")), _message("assistant", _text("Hi.")))
    # The first message answers the last: no root, every node in a loop.
    conv["mapping"]["n0"]["parent"] = "n1"
    conv["mapping"]["n1"]["children"] = ["n0"]
    del conv["mapping"]["root"]
    assert "loop" in refused(store, write(tmp_path / "loop.json", [conv]))


def test_a_loop_beside_a_sound_tree_is_refused_too(store: Store, tmp_path: Path) -> None:
    conv = _chain(_message("user", _text("Hello?")), _message("assistant", _text("Hi.")))
    for key, parent in (("x", "y"), ("y", "x")):
        conv["mapping"][key] = {
            "id": key,
            "parent": parent,
            "children": [parent],
            "message": {**_message("user", _text(f"lost {key}")), "id": key},
        }
    assert "loop" in refused(store, write(tmp_path / "loop.json", [conv]))


def _zip(path: Path, members: list[tuple[str, tuple[int, ...], Any]]) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w") as zf:
        for name, when, data in members:
            zf.writestr(zipfile.ZipInfo(name, date_time=when), json.dumps(data))
    return path


def test_a_zip_with_an_older_nested_export_reads_the_top_level_one(
    store: Store, tmp_path: Path
) -> None:
    path = _zip(
        tmp_path / "export.zip",
        [
            ("old-export/conversations.json", (2023, 1, 1, 0, 0, 0), []),
            (
                "conversations.json",
                (2024, 5, 29, 0, 0, 0),
                [chatgpt_conv("new-1"), chatgpt_conv("new-2")],
            ),
        ],
    )
    result = import_file(store, path)
    assert len(result.imported) == 2
    assert len(result.notes) == 1
    note = result.notes[0]
    assert "old-export/conversations.json" in note
    assert note.endswith(".")


def test_without_a_top_level_export_the_newest_nested_one_is_read(
    store: Store, tmp_path: Path
) -> None:
    path = _zip(
        tmp_path / "exports.zip",
        [
            ("2023/conversations.json", (2023, 1, 1, 0, 0, 0), [chatgpt_conv("old")]),
            ("2024/conversations.json", (2024, 5, 29, 0, 0, 0), [chatgpt_conv("new")]),
            ("2022/conversations.json", (2022, 1, 1, 0, 0, 0), []),
        ],
    )
    result = import_file(store, path)
    (cid,) = result.imported
    assert store.get_conversation(cid).source_id == "new"
    (note,) = result.notes
    assert "2024/conversations.json" in note
    assert "newest" in note


def test_the_command_line_says_which_conversations_json_it_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from deskchat.cli.main import main

    path = _zip(
        tmp_path / "export.zip",
        [
            ("old-export/conversations.json", (2023, 1, 1, 0, 0, 0), []),
            ("conversations.json", (2024, 5, 29, 0, 0, 0), [chatgpt_conv("new-1")]),
        ],
    )
    assert main(["--data-dir", str(tmp_path / "data"), "import", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("Imported 1 conversation;")
    assert "old-export/conversations.json" in captured.err
    assert captured.err.startswith("deskchat: ")
