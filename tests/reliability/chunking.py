"""Ways to cut a byte stream into chunks, the way a network might.

Every conformance case is fed in each of these chunkings; a decoder that
depends on where the network split the bytes fails one of them.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from deskchat.provider.errors import ProviderError

__all__ = [
    "EDGE",
    "EVERY_TWO_LIMIT",
    "EXHAUSTIVE_LIMIT",
    "SAMPLED",
    "Outcome",
    "Parser",
    "chunkings",
    "count_chunkings",
    "outcome",
]

EXHAUSTIVE_LIMIT = 96
"""Up to this many bytes every cut into two and three pieces is tried."""

EVERY_TWO_LIMIT = 4096
"""Up to this many bytes every cut into two pieces is tried."""

EDGE = 64
"""Longer inputs are cut in two at every offset this close to either end."""

SAMPLED = 240
"""Longer inputs get this many seeded random three-piece and many-piece cuts."""


def _cut(data: bytes, points: tuple[int, ...]) -> list[bytes]:
    edges = (0, *points, len(data))
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def chunkings(data: bytes, seed: int = 0, samples: int = SAMPLED) -> Iterator[list[bytes]]:
    """The whole, every two- and three-piece cut (sampled when long), one byte each.

    Args:
        seed: seeds the sample of cuts of a long input.
        samples: how many random cuts of each kind a long input gets.

    Pieces may be empty: a network read can return nothing, and a decoder
    must not treat an empty chunk as an event.
    """
    n = len(data)
    rng = random.Random(seed)
    yield [data]
    if n <= EVERY_TWO_LIMIT:
        for i in range(n + 1):
            yield _cut(data, (i,))
    else:
        # Where a long case's structure is (its start and end), and a sample between.
        edges = [*range(EDGE), *range(n - EDGE, n + 1)]
        for i in edges + [rng.randint(0, n) for _ in range(samples)]:
            yield _cut(data, (i,))
    if n <= EXHAUSTIVE_LIMIT:
        for i in range(n + 1):
            for j in range(i, n + 1):
                yield _cut(data, (i, j))
    else:
        for _ in range(samples):
            i, j = sorted((rng.randint(0, n), rng.randint(0, n)))
            yield _cut(data, (i, j))
        for _ in range(samples):
            points = sorted(rng.sample(range(1, n), k=min(n - 1, rng.randint(3, 40))))
            yield _cut(data, tuple(points))
    if n <= 4096:
        yield [data[i : i + 1] for i in range(n)]


def count_chunkings(data: bytes) -> int:
    """How many chunkings :func:`chunkings` yields for ``data`` (for the report)."""
    return sum(1 for _ in chunkings(data))


class Parser(Protocol):
    """A sans-I/O reply parser: bytes in, items out, ``done`` when the reply said so."""

    done: bool

    def feed(self, data: bytes) -> list[Any]: ...

    def finish(self) -> list[Any]: ...


Outcome = tuple[list[Any], type[ProviderError] | None, str | None]


def outcome(parser: Parser, chunks: Iterable[bytes]) -> Outcome:
    """What a consumer sees: the items before any error, the error's class and text.

    Fed as the providers feed a parser: stop reading once it is done, then
    finish; an error held back as ``pending_error`` counts as raised.
    """
    items: list[Any] = []
    try:
        for chunk in chunks:
            items.extend(parser.feed(chunk))
            if parser.done:
                break
        items.extend(parser.finish())
        pending = getattr(parser, "pending_error", None)
        if pending is not None:
            raise pending
    except ProviderError as exc:
        return items, type(exc), exc.text()
    return items, None, None
