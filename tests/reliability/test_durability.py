"""SIGKILL a process in the middle of saving a streamed reply, many times over.

The writer is the store's own crash-test child (``tests/store/crash_writer.py``,
driven by ``tests/store/test_crash.py``'s helper): it saves a complete exchange,
then streams a reply through ``ReplyWriter``, reporting each committed save.
After every kill the database must pass ``PRAGMA integrity_check``, every
earlier exchange must be intact, and the partial reply must hold at least what
was reported saved, and nothing that was not streamed.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from deskchat.store import Store
from tests.store.crash_writer import chunk
from tests.store.test_crash import _run_and_kill

KILLS = 25
SEED = 20260601


@pytest.mark.slow
def test_repeated_sigkill_mid_reply_loses_nothing_saved(tmp_path: Path) -> None:
    db = tmp_path / "deskchat.sqlite3"
    rng = random.Random(SEED)
    stream = "".join(chunk(i) for i in range(200_000))
    runs: list[tuple[int, int]] = []
    for run in range(KILLS):
        runs.append(_run_and_kill(db, run, rng.uniform(0.0, 0.25)))
        with Store(db) as s:
            assert s.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            interrupted = {m.conversation_id: m for m in s.interrupted_replies()}
            # Every run so far, not only the last: a later kill must not damage earlier rows.
            for earlier, (cid, saved) in enumerate(runs):
                path = s.current_path(cid)
                assert [m.content for m in path[:3]] == [
                    f"Question {earlier}",
                    f"Answer {earlier}",
                    f"Follow-up {earlier}",
                ]
                assert path[1].status == "complete"
                if len(path) == 3:
                    assert saved == 0  # killed before the first chunk was saved
                    continue
                partial = path[3]
                assert partial.status == "streaming"
                assert interrupted[cid].id == partial.id
                assert len(partial.content) >= saved
                assert stream.startswith(partial.content)
    # Most kills landed mid-reply; a run of early kills would prove little.
    assert sum(1 for _, saved in runs if saved > 0) >= KILLS * 2 // 3
