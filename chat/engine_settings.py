"""The built-in engine's settings as keyword arguments for its provider. No Qt.

The settings dialog stores three numbers a person can understand (context
size, GPU layers, idle minutes); ``deskchat.provider.local.LocalProvider``
takes them in its own terms. This is the one place that translates.
"""

from __future__ import annotations

from typing import Any

from deskchat.store import Settings

__all__ = ["GPU_LAYER_COUNTS", "engine_options"]

GPU_LAYER_COUNTS: dict[str, int | None] = {"auto": None, "none": 0, "all": -1}
"""``Settings.engine_gpu_layers`` -> ``n_gpu_layers``: None lets the engine offload
every layer when its llama.cpp build can, 0 keeps all on the CPU, -1 offloads all."""


def engine_options(settings: Settings) -> dict[str, Any]:
    """``LocalProvider`` keyword arguments (``n_ctx``, ``n_gpu_layers``, ``idle_unload``).

    A context of 0 means "fit it to the machine's memory and the model"
    (``n_ctx=None``); idle minutes of 0 keep the model loaded until DeskChat
    closes (``idle_unload=None``).
    """
    minutes = settings.engine_idle_minutes
    return {
        "n_ctx": settings.engine_context or None,
        "n_gpu_layers": GPU_LAYER_COUNTS[settings.engine_gpu_layers],
        "idle_unload": minutes * 60.0 if minutes else None,
    }
