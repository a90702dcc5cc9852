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
