"""The engine's settings become the built-in engine's keyword arguments."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from deskchat.chat.engine_settings import engine_options
from deskchat.provider.local import LocalProvider
from deskchat.store import Settings


def test_the_defaults_leave_the_engine_to_decide(tmp_path: Path) -> None:
    options = engine_options(Settings(tmp_path / "settings.json"))
    assert options == {"n_ctx": None, "n_gpu_layers": None, "idle_unload": 600.0}


@pytest.mark.parametrize(("layers", "count"), [("auto", None), ("none", 0), ("all", -1)])
def test_gpu_layers(tmp_path: Path, layers: str, count: int | None) -> None:
    settings = Settings(tmp_path / "settings.json")
    settings.engine_gpu_layers = layers
    assert engine_options(settings)["n_gpu_layers"] == count


def test_a_context_and_no_idle_unload(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.json")
    settings.engine_context = 4096
    settings.engine_idle_minutes = 0
    options = engine_options(settings)
    assert options["n_ctx"] == 4096
    assert options["idle_unload"] is None


def test_every_option_is_one_the_engine_takes(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.json")
    settings.engine_context = 2048
    settings.engine_idle_minutes = 3
    accepted = inspect.signature(LocalProvider).parameters
    options = engine_options(settings)
    assert set(options) <= set(accepted)
    provider = LocalProvider(tmp_path, **options)
    assert (provider.n_ctx, provider.n_gpu_layers, provider.idle_unload) == (2048, None, 180.0)
