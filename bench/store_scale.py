"""How the history's work grows with a conversation: 1,000, 4,000 and 16,000 messages.

Issue 12, point 12: exporting 16,000 versions of one reply took 61 s against
3.4 s for a 16,000-message chain, and a file listing children before parents
imported 9x slower. Each should grow in step with the messages (linear), so
the time per message stays about the same from 1k to 16k.

Two shapes, seeded straight into SQLite (the seed is not what is measured):
``versions`` is one question with N replies to it (regenerated N times);
``chain`` is N messages, each answering the one before. For each:
the JSON and Markdown exports, the current path and the versions of one
message (what the window reads to show ``< 2/16000 >``), one more version;
and importing the chain's JSON export with parents first and children first.

    python bench/store_scale.py            # 1k, 4k, 16k
    python bench/store_scale.py 1000 2000  # other sizes
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import emit, repeats, summary

from deskchat.store import Store, export_json, import_file, to_markdown

SIZES = (1_000, 4_000, 16_000)
TEXT = "A reply of a few words, as a model would write it. " * 4


def seed(path: Path, shape: str, n: int) -> int:
    """A database with one conversation of ``shape``; returns the last message's id."""
    with Store(path) as s:
        conv = s.create_conversation("bench")
        first = s.add_message(conv.id, "user", "The question")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    rows = []
    for i in range(n - 1):
        msg_id = first.id + 1 + i
        if shape == "versions":
            parent = first.id
            active = int(i == n - 2)
        else:
            parent = msg_id - 1
            active = 1
        role = "assistant" if shape == "versions" or i % 2 == 0 else "user"
        rows.append((msg_id, conv.id, parent, role, f"{i} {TEXT}", 1_700_000_000 + i, active))
    conn.executemany(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, created_at, active)"
        " VALUES (?,?,?,?,?,?,?)",
        rows,
    )
    conn.execute("COMMIT")
    conn.close()
    return first.id + n - 1


def timed(fn: Callable[[], object], n: int) -> dict[str, Any]:
    """Seconds per call, over ``n`` calls."""
    values = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        values.append(time.perf_counter() - start)
    return summary(values, 4)


def measure_shape(folder: Path, shape: str, n: int, runs: int) -> dict[str, Any]:
    path = folder / f"{shape}-{n}.sqlite3"
    last = seed(path, shape, n)
    out: dict[str, Any] = {}
    with Store(path) as s:
        conv = s.list_conversations()[0].id
        out["export json (s)"] = timed(lambda: export_json(s), runs)
        out["export markdown (s)"] = timed(lambda: to_markdown(s), runs)
        out["current path (s)"] = timed(lambda: s.current_path(conv), runs)
        out["versions of one message (s)"] = timed(lambda: s.siblings(last), runs)
        parent = s.get_message(last).parent_id
        out["one more version (s)"] = timed(
            lambda: s.add_message(conv, "assistant", "again", parent_id=parent), runs
        )
        if shape == "chain":
            data = json.loads(export_json(s))
    if shape == "chain":
        out.update(measure_import(folder, data, n, runs))
    return out


def measure_import(folder: Path, data: dict[str, Any], n: int, runs: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for order in ("parents first", "children first"):
        if order == "children first":
            data["conversations"][0]["messages"].reverse()
        source = folder / f"import-{n}-{order.split()[0]}.json"
        source.write_text(json.dumps(data), encoding="utf-8")
        values = []
        for run in range(runs):
            target = folder / f"into-{n}-{order.split()[0]}-{run}.sqlite3"
            with Store(target) as s:
                start = time.perf_counter()
                import_file(s, source)
                values.append(time.perf_counter() - start)
        out[f"import, {order} (s)"] = summary(values, 4)
    return out


def main() -> None:
    sizes = tuple(int(a) for a in sys.argv[1:]) or SIZES
    runs = repeats(3)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for shape in ("versions", "chain"):
            for n in sizes:
                results[f"{shape} {n}"] = measure_shape(folder, shape, n, runs)
                print(f"measured {shape} {n}", file=sys.stderr)
    emit("store_scale", results, sizes=list(sizes))
    table(results, sizes)


def table(results: dict[str, Any], sizes: tuple[int, ...]) -> None:
    """The medians as a table on stderr (stdout is the JSON), with the time per message."""
    rows = sorted({k for r in results.values() for k in r})
    for shape in ("versions", "chain"):
        print(f"\n{shape}: median seconds (microseconds per message)", file=sys.stderr)
        print("what".ljust(32) + "".join(f"{n:>22,}" for n in sizes), file=sys.stderr)
        for row in rows:
            cells = []
            for n in sizes:
                got = results[f"{shape} {n}"].get(row)
                cells.append(
                    f"{got['median']:>10.4f} ({got['median'] / n * 1e6:>7.1f})" if got else ""
                )
            if any(cells):
                print(row.ljust(32) + "".join(f"{c:>22}" for c in cells), file=sys.stderr)


if __name__ == "__main__":
    main()
