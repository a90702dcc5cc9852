"""``deskchat pull``, ``rm`` and ``add``, and the local lines of ``deskchat models``.

The commands are registered on a parser built like cli/main.py's, through
``add_commands``; the fake Hub is reached through HF_ENDPOINT, as a user would.
"""

from __future__ import annotations

import argparse
import asyncio
import io
from pathlib import Path

import pytest

from deskchat import library
from deskchat.chat.options import add_common_arguments
from deskchat.cli import library as cli_library
from deskchat.library import Locations
from tests.fakes.hf_hub import FakeHub, FakeRepo
from tests.library.conftest import MB, quant_file
from tests.library.test_sources import gguf_at

REPO = "fake/Tiny-GGUF"


def run(*argv: str) -> int:
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    add_common_arguments(common)
    parser = argparse.ArgumentParser(prog="deskchat", parents=[common])
    cli_library.add_commands(parser.add_subparsers(dest="command"), common)
    args = parser.parse_args(argv)
    return int(args.func(args))


@pytest.fixture
def endpoint(hub_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HF_ENDPOINT", hub_url)
    return hub_url


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_pull_says_what_it_takes_and_prints_the_path(
    endpoint: str, locations: Locations, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await asyncio.to_thread(run, "pull", REPO) == 0
    out, err = capsys.readouterr()
    path = locations.models_dir / "fake" / "Tiny-GGUF" / "Tiny-Q4_K_M.gguf"
    assert out == f"{path}\n"
    assert err.splitlines() == [
        "Taking Tiny-Q4_K_M.gguf (1.00 MB) from fake/Tiny-GGUF.",
        "Saved fake/Tiny-GGUF:Q4_K_M (1.00 MB), sha256 checked.",
    ]
    assert path.stat().st_size == MB

    assert await asyncio.to_thread(run, "pull", f"{REPO}:Q4_K_M") == 0
    out, err = capsys.readouterr()
    assert out == f"{path}\n"
    assert (
        err == "fake/Tiny-GGUF:Q4_K_M is already on this machine (DeskChat); nothing to download.\n"
    )


async def test_pull_shows_one_updating_line_on_a_terminal(
    endpoint: str, monkeypatch: pytest.MonkeyPatch, fake_hub: FakeHub
) -> None:
    fake_hub.repos[REPO].slow = 0.005
    terminal = FakeTTY()
    monkeypatch.setattr("sys.stderr", terminal)
    assert await asyncio.to_thread(run, "pull", f"{REPO}:Q2_K") == 0
    text = terminal.getvalue()
    updates = text.split("\r")[1:]
    assert len(updates) >= 3
    assert all(u.startswith("Tiny-Q2_K.gguf ") for u in updates)
    assert "of 500 kB" in updates[-2]
    assert "kB/s" in text or "MB/s" in text
    assert " left" in text
    assert text.endswith("\nSaved fake/Tiny-GGUF:Q2_K (500 kB), sha256 checked.\n")


async def test_ctrl_c_stops_with_130_and_the_next_pull_resumes(
    endpoint: str,
    locations: Locations,
    fake_hub: FakeHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_hub.repos[REPO].slow = 0.005
    original = cli_library._ProgressLine.update

    def interrupted(self: cli_library._ProgressLine, progress: library.DownloadProgress) -> None:
        original(self, progress)
        if progress.done > MB // 3:
            raise KeyboardInterrupt  # as Ctrl+C arrives between two chunks

    monkeypatch.setattr(cli_library._ProgressLine, "update", interrupted)
    assert await asyncio.to_thread(run, "pull", REPO) == 130
    out, err = capsys.readouterr()
    assert out == ""
    assert "Stopped; the " in err
    assert "downloaded are kept: run the same command again to resume." in err
    part = locations.models_dir / "fake" / "Tiny-GGUF" / "Tiny-Q4_K_M.gguf.incomplete"
    kept = part.stat().st_size
    assert MB // 3 < kept < MB

    monkeypatch.setattr(cli_library._ProgressLine, "update", original)
    fake_hub.repos[REPO].slow = 0
    assert await asyncio.to_thread(run, "pull", REPO) == 0
    _, err = capsys.readouterr()
    assert f"resuming with {library.format_size(kept)} already here" in err
    assert fake_hub.ranges("Tiny-Q4_K_M.gguf")[-1] == f"bytes={kept}-"
    assert not part.exists()


async def test_pull_of_a_gated_repository_without_a_token(
    endpoint: str, fake_hub: FakeHub, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_hub.repos["fake/Gated-GGUF"] = FakeRepo(
        {"Gated-Q4_K_M.gguf": quant_file(15, 40_000)}, gated="auto"
    )
    assert await asyncio.to_thread(run, "pull", "fake/Gated-GGUF") == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "Taking Gated-Q4_K_M.gguf (40.0 kB) from fake/Gated-GGUF.\n"
        "deskchat: fake/Gated-GGUF is a gated repository: it needs a Hugging Face token."
    )
    assert "HF_TOKEN=hf_… or by running `hf auth login`" in err


def test_pull_of_something_that_is_not_a_repository(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("pull", "qwen2.5:0.5b") == 1
    assert capsys.readouterr().err.startswith(
        "deskchat: 'qwen2.5:0.5b' does not name a Hugging Face repository"
    )


def test_pull_list_shows_the_catalogue_and_what_fits(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    machine = library.Machine(32 * 1024**3, 24 * 1024**3, 8)
    monkeypatch.setattr(library.Machine, "current", classmethod(lambda _cls: machine))
    assert run("pull", "--list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "This machine: 34.4 GB of RAM (25.8 GB free), 8 cores."
    assert lines[1].startswith("* bartowski/Qwen2.5-3B-Instruct-GGUF:Q4_K_M\t1.93 GB download, ")
    assert len(lines) == len(library.CATALOGUE) + 2
    assert run("pull") == 2
    assert "Give one of them" in capsys.readouterr().err


def test_rm_deletes_downloads_and_refuses_other_apps(
    locations: Locations, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = gguf_at(locations.models_dir / "fake" / "Tiny-GGUF" / "Tiny-Q4_K_M.gguf", size=20_000)
    theirs = gguf_at(locations.lmstudio[0] / "pub" / "m-GGUF" / "m-Q4_K_M.gguf")
    assert run("rm", "fake/Tiny-GGUF:Q4_K_M") == 0
    assert capsys.readouterr().out == "Removed fake/Tiny-GGUF:Q4_K_M (20.0 kB freed).\n"
    assert not mine.exists()
    assert run("rm", "pub/m-GGUF:Q4_K_M") == 1
    err = capsys.readouterr().err
    assert err.startswith("deskchat: pub/m-GGUF:Q4_K_M belongs to LM Studio (")
    assert theirs.exists()
    assert run("rm", "nothing") == 1
    assert "No model on this machine is called 'nothing'" in capsys.readouterr().err


def test_add_then_list_then_rm(
    tmp_path: Path, locations: Locations, capsys: pytest.CaptureFixture[str]
) -> None:
    model = gguf_at(tmp_path / "Downloads" / "mine-Q6_K.gguf", file_type=18)
    assert run("add", str(model)) == 0
    assert capsys.readouterr().out == f"Added mine-Q6_K ({model}); it stays where it is.\n"
    lines = library.format_local_models(library.local_models(locations.data_dir))
    assert lines == [f"mine-Q6_K\t8.00 kB\tQ6_K\tadded\t{model}"]
    assert run("rm", "mine-Q6_K") == 0
    assert "the file" in capsys.readouterr().out
    assert model.exists()
    assert library.local_models(locations.data_dir) == []


async def test_pull_of_a_vision_model_names_its_projector(
    endpoint: str,
    fake_hub: FakeHub,
    locations: Locations,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.library.test_pull import VISION, vision_repo

    fake_hub.repos[VISION] = vision_repo()
    assert await asyncio.to_thread(run, "pull", VISION) == 0
    _out, err = capsys.readouterr()
    # The size counts the projector too, so the line says it comes along.
    assert err.splitlines()[0] == (
        "Taking Qwen2.5-VL-3B-Instruct-Q4_K_M.gguf (1.25 MB) from "
        "ggml-org/Qwen2.5-VL-3B-Instruct-GGUF, with its vision projector "
        "mmproj-Qwen2.5-VL-3B-Instruct-Q8_0.gguf."
    )
