"""Start-up order: the window is shown and painted before asyncio and the history load, and
before anything network-related loads; a message given at start waits for the provider
rather than going into a void."""

from __future__ import annotations

from tests.fakes.wordpress import FakeWordPress
from tests.gui.conftest import GUI_TESTS
from tests.gui.test_app_process import run_probe

PROBE = GUI_TESTS / "startup_order_probe.py"


async def test_the_window_shows_and_paints_before_the_network_is_set_up(
    repo_env: dict[str, str], wordpress: str, fake_site: FakeWordPress, tmp_path
) -> None:

    repo_env["DESKCHAT_SMOKE_MESSAGE"] = "Hello"
    repo_env["DESKCHAT_QUIT_AFTER_MS"] = "2500"
    args = ["--provider", "chatgptfree", "--base-url", wordpress, "--data-dir", str(tmp_path)]
    seen = await run_probe(PROBE, args, repo_env)
    assert seen["before show"] == []
    # The first frame is painted before asyncio, qasync, sqlite3 and the history load.
    assert seen["first frame's before show"] == []
    assert seen["at first paint"] == []
    # The bubbles came right after it, before the history is read, and are wired.
    assert seen["delegate at start"] == "BubbleDelegate"
    assert seen["delegate's receivers at start"] == [1, 1, 1]
    # The markdown parser was not loaded for the first frame, but is on its way before
    # the history and any message (a first reply would otherwise wait for it, #11).
    assert seen["markdown preload at start"] is True
    assert seen["qt svg at first paint"] is False
    # No Python object is made for a Qt-made widget on the way (own_viewport): that
    # would make all of QtWidgets' widget classes (~20 ms) before the first frame.
    assert seen["unused widget classes before show"] == []
    assert seen["unused widget classes at first paint"] == []
    assert seen["connection before show"] is False
    assert seen["paints before setup"] >= 1
    assert seen["at setup"] == []
    assert "aiohttp" in seen["at exit"]
    # The smoke message went out once the provider was set up, and was answered.
    assert seen["provider when sent"] == "chatgptfree"
    assert len(fake_site.posts) == 1
