"""Typed events a provider stream yields: small, frozen, tagged by ``type``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

__all__ = [
    "Event",
    "FinishEvent",
    "LoadProgress",
    "ReasoningDelta",
    "TextDelta",
    "ToolCall",
    "UsageEvent",
]


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the visible reply."""

    text: str
    type: Literal["text.delta"] = "text.delta"


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A piece of the model's reasoning (``reasoning_content``), shown apart."""

    text: str
    type: Literal["reasoning.delta"] = "reasoning.delta"


@dataclass(frozen=True, slots=True)
class UsageEvent:
    """Token counts, when the server reports them."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    type: Literal["usage"] = "usage"


@dataclass(frozen=True, slots=True)
class FinishEvent:
    """Why the model stopped: "stop", "length", "content_filter", ..."""

    reason: str
    type: Literal["finish"] = "finish"


@dataclass(frozen=True, slots=True)
class LoadProgress:
    """The model is being loaded before the reply can start (the built-in engine).

    Shown as "Loading Qwen2.5 1.5B… 40 %". The first event of a load has
    ``fraction`` 0.0, the last has ``done`` True; ``fraction`` is None when the
    engine cannot tell how far it is.

    Attributes:
        model: the model's name, fit to show (its ``general.name``, else the file name).
        fraction: 0.0 to 1.0, or None when unknown.
        done: the model is loaded; the reply starts next.
    """

    model: str
    fraction: float | None = None
    done: bool = False
    type: Literal["load.progress"] = "load.progress"


@dataclass(frozen=True, slots=True)
class ToolCall:
    """The model asks for a tool to be run (whole: its pieces were joined by the decoder).

    Attributes:
        id: the call's id, sent back with its result ("call_1" when the server gave none).
        name: the tool's name as it was offered to the model.
        arguments: the arguments as JSON text, as the model wrote them (maybe not valid JSON).
    """

    id: str
    name: str
    arguments: str = "{}"
    type: Literal["tool.call"] = "tool.call"


Event: TypeAlias = TextDelta | ReasoningDelta | UsageEvent | FinishEvent | LoadProgress | ToolCall
