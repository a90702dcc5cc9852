"""Typed events a provider stream yields: small, frozen, tagged by ``type``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

__all__ = ["Event", "FinishEvent", "ReasoningDelta", "TextDelta", "UsageEvent"]


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


Event: TypeAlias = TextDelta | ReasoningDelta | UsageEvent | FinishEvent
