"""Killing the app mid-reply loses at most the last unsaved moment, never the database."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deskchat.store import Store
from tests.store.crash_writer import chunk

REPO = Path(__file__).resolve().parents[2]
RUNS = 6


def _run_and_kill(db: Path, run: int, delay: float) -> tuple[int, int]:
    """Start the writer, SIGKILL it after ``delay``; return (conversation id, last saved length)."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.store.crash_writer", str(db), str(run)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        first = child.stdout.readline().split()
        assert first[0] == "ready", first
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        rest = child.stdout.read()
    finally:
        child.kill()
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    saved = [int(line.split()[1]) for line in rest.splitlines() if line.startswith("saved ")]
    return int(first[1]), (saved[-1] if saved else 0)


@pytest.mark.slow
def test_sigkill_mid_reply_keeps_saved_text_and_integrity(tmp_path: Path) -> None:
    db = tmp_path / "deskchat.sqlite3"
    rng = random.Random(20261125)
    expected_stream = "".join(chunk(i) for i in range(200_000))
    runs = [_run_and_kill(db, run, rng.uniform(0.02, 0.4)) for run in range(RUNS)]

    with Store(db) as s:
        assert s.recovery_notice is None
        assert s.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        interrupted = {m.conversation_id: m for m in s.interrupted_replies()}
        for run, (cid, saved_len) in enumerate(runs):
            path = s.current_path(cid)
            assert [m.content for m in path[:3]] == [
                f"Question {run}",
                f"Answer {run}",
                f"Follow-up {run}",
            ]
            assert path[1].status == "complete"
            assert (path[1].prompt_tokens, path[1].completion_tokens) == (3, 2)
            if saved_len == 0 and len(path) == 3:
                continue  # killed before the first chunk was saved
            partial = path[3]
            assert partial.status == "streaming"
            assert interrupted[cid].id == partial.id
            # Everything reported saved is there, and nothing but the stream.
            assert len(partial.content) >= saved_len
            assert expected_stream.startswith(partial.content)
        # Most runs live long enough to save something; a test that never
        # exercised a partial reply would prove nothing.
        assert sum(1 for _, n in runs if n > 0) >= RUNS // 2
