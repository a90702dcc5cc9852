"""Issue 12, point 12: the store's work grows in step with the messages, never with their square.

No clock here (bench/store_scale.py prints the times): SQLite's own count of
the virtual-machine steps a query runs, and the count of Python lines the
importer runs, are the same on every machine. Four times the messages must
cost about four times the steps (a quadratic cost would be sixteen).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from deskchat.store import Store, export_json, import_file, importers

SMALL, LARGE = 250, 1_000
GROWTH = LARGE / SMALL
# Linear work grows 4x here; a little more for the B-tree's depth and sorting.
LINEAR = GROWTH * 1.5


def seed(path: Path, shape: str, n: int) -> int:
    """One conversation: "versions" is a question with n - 1 replies, "chain" n messages
    each answering the one before. Returns the last message's id."""
    with Store(path) as s:
        conv = s.create_conversation("scale")
        first = s.add_message(conv.id, "user", "The question")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, created_at, active)"
        " VALUES (?,?,?,?,?,?,?)",
        [
            (
                first.id + 1 + i,
                conv.id,
                first.id if shape == "versions" else first.id + i,
                "assistant",
                f"reply {i}",
                1_700_000_000 + i,
                int(shape == "chain" or i == n - 2),
            )
            for i in range(n - 1)
        ],
    )
    conn.execute("COMMIT")
    conn.close()
    return first.id + n - 1


def vm_steps(store: Store, work: Callable[[Store], object]) -> int:
    """SQLite virtual-machine instructions ``work`` runs (rounded up to ten)."""
    count = 0

    def tick() -> int:
        nonlocal count
        count += 1
        return 0

    store.connection.set_progress_handler(tick, 10)
    try:
        work(store)
    finally:
        store.connection.set_progress_handler(None, 0)
    return (count + 1) * 10


def growth(tmp_path: Path, shape: str, work: Callable[[Store, int], object]) -> float:
    """How many times the steps of ``work`` grow from SMALL to LARGE messages."""
    steps = []
    for n in (SMALL, LARGE):
        path = tmp_path / f"{shape}-{n}.sqlite3"
        last = seed(path, shape, n)
        with Store(path) as s:
            steps.append(vm_steps(s, lambda s, last=last: work(s, last)))
    return steps[1] / steps[0]


WORK: dict[str, Callable[[Store, int], object]] = {
    "export json": lambda s, _last: export_json(s),
    "all messages": lambda s, last: s.all_messages(s.get_message(last).conversation_id),
    "versions of one message": lambda s, last: s.siblings(last),
    "replies to a message": lambda s, last: s.children(s.get_message(last).parent_id or 0),
    "current path": lambda s, last: s.current_path(s.get_message(last).conversation_id),
}


@pytest.mark.parametrize("what", sorted(WORK))
@pytest.mark.parametrize("shape", ["versions", "chain"])
def test_reading_grows_linearly(tmp_path: Path, shape: str, what: str) -> None:
    grew = growth(tmp_path, shape, WORK[what])
    assert grew < LINEAR, f"{what} on {shape}: {grew:.1f}x the steps for {GROWTH:.0f}x messages"


def test_a_new_version_steps_the_old_one_down_through_the_one_active_index(
    store: Store,
) -> None:
    """Not a scan of every sibling: the partial unique index holds the one selected row."""
    from deskchat.store import store as store_module

    plan = store.connection.execute(
        "EXPLAIN QUERY PLAN " + store_module._STEP_DOWN, (1, None)
    ).fetchall()
    assert "messages_one_active_sibling" in " ".join(str(row[3]) for row in plan)


# -- importing -----------------------------------------------------------------


def lines_run(fn: Callable[[], object], module: Any) -> int:
    """Python lines of ``module`` that ``fn`` runs."""
    filename = module.__file__
    count = 0

    def trace(frame: FrameType, event: str, _arg: object) -> Any:
        nonlocal count
        if frame.f_code.co_filename != filename:
            return None
        if event == "line":
            count += 1
        return trace

    sys.settrace(trace)
    try:
        fn()
    finally:
        sys.settrace(None)
    return count


def chain_export(n: int, children_first: bool) -> dict[str, Any]:
    messages = [
        {
            "id": i,
            "parent_id": i - 1 if i else None,
            "role": "user" if i % 2 == 0 else "assistant",
            "content": f"message {i}",
            "created_at": 1_700_000_000 + i,
        }
        for i in range(n)
    ]
    if children_first:
        messages.reverse()
    conv = {"title": "chain", "created_at": 1_700_000_000, "source_id": "c", "messages": messages}
    return {"format": "deskchat", "version": 1, "conversations": [conv]}


def import_lines(tmp_path: Path, n: int, children_first: bool) -> int:
    source = tmp_path / f"chain-{n}-{children_first}.json"
    source.write_text(json.dumps(chain_export(n, children_first)), encoding="utf-8")
    with Store(tmp_path / f"into-{n}-{children_first}.sqlite3") as s:
        count = lines_run(lambda: import_file(s, source), importers)
        assert len(s.current_path(s.list_conversations()[0].id)) == n
    return count


@pytest.mark.parametrize("children_first", [False, True], ids=["parents first", "children first"])
def test_importing_grows_linearly(tmp_path: Path, children_first: bool) -> None:
    small = import_lines(tmp_path, SMALL, children_first)
    large = import_lines(tmp_path, LARGE, children_first)
    assert large / small < LINEAR, (small, large)


def test_children_listed_first_cost_no_more_than_parents_first(tmp_path: Path) -> None:
    parents_first = import_lines(tmp_path, LARGE, children_first=False)
    children_first = import_lines(tmp_path, LARGE, children_first=True)
    assert children_first < parents_first * 1.5, (parents_first, children_first)


def test_a_file_listing_children_first_keeps_the_versions_in_file_order(
    tmp_path: Path,
) -> None:
    data = chain_export(3, children_first=False)
    messages = data["conversations"][0]["messages"]
    # Two more versions of the answer, listed before the question they answer.
    extra = [
        {"id": f"v{i}", "parent_id": 0, "role": "assistant", "content": f"version {i}"}
        for i in (1, 2)
    ]
    data["conversations"][0]["messages"] = [*extra, *reversed(messages)]
    source = tmp_path / "mixed.json"
    source.write_text(json.dumps(data), encoding="utf-8")
    with Store(tmp_path / "mixed.sqlite3") as s:
        (cid,) = import_file(s, source).imported
        first = s.current_path(cid)[0]
        assert [m.content for m in s.children(first.id)] == ["version 1", "version 2", "message 1"]
