"""Progress reports (speed, time left), the cancel token, and their text."""

from __future__ import annotations

import threading

import pytest

from deskchat.library import (
    CancelToken,
    DownloadCancelled,
    DownloadProgress,
    format_duration,
    format_progress,
    format_size,
)
from deskchat.library.progress import ProgressMeter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_speed_and_time_left_come_from_recent_bytes() -> None:
    clock = Clock()
    seen: list[DownloadProgress] = []
    meter = ProgressMeter(seen.append, total=10_000_000, clock=clock)
    meter.start_file("m.gguf", already=2_000_000)
    assert seen[-1].done == 2_000_000
    assert seen[-1].resumed_from == 2_000_000
    assert seen[-1].speed == 0
    for _ in range(4):
        clock.now += 1
        meter.advance(1_000_000)  # 1 MB a second
    last = seen[-1]
    assert last.done == 6_000_000
    assert last.speed == pytest.approx(1_000_000)
    assert last.eta == pytest.approx(4.0)
    assert last.fraction == pytest.approx(0.6)


def test_reports_are_throttled_but_phases_are_not() -> None:
    clock = Clock()
    seen: list[DownloadProgress] = []
    meter = ProgressMeter(seen.append, total=1000, interval=0.1, clock=clock)
    meter.start_file("m.gguf", 0)
    for _ in range(50):
        clock.now += 0.001
        meter.advance(10)
    assert len(seen) == 1  # 50 ms of chunks: no new line yet
    meter.report("verifying", force=True)
    meter.report("done", force=True)
    assert [p.phase for p in seen] == ["downloading", "verifying", "done"]
    assert seen[-1].eta == 0


def test_the_cancel_token_wakes_a_waiting_retry() -> None:
    token = CancelToken()
    threading.Timer(0.05, token.cancel).start()
    with pytest.raises(DownloadCancelled, match="run it again to resume"):
        token.sleep(30)
    assert token.cancelled


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (12_345, "12.3 kB"),
        (398_000_000, "398 MB"),
        (999_600_000, "1.00 GB"),
        (1_930_000_000, "1.93 GB"),
        (42_500_000_000, "42.5 GB"),
    ],
)
def test_format_size(count: int, text: str) -> None:
    assert format_size(count) == text


@pytest.mark.parametrize(
    ("seconds", "text"), [(8.4, "8 s"), (185, "3 min 05 s"), (7800, "2 h 10 min")]
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_format_progress() -> None:
    line = format_progress(
        DownloadProgress("m.gguf", "downloading", 180_000_000, 400_000_000, 12_300_000, 17.9)
    )
    assert line == "m.gguf   45%  180 MB of 400 MB  12.3 MB/s  18 s left"
    checking = format_progress(DownloadProgress("m.gguf", "verifying", 400, 400))
    assert checking == "m.gguf  checking the sha256…  100%  400 B of 400 B"
