"""Ways to cut a byte stream into chunks, the way a network might.

Every conformance case is fed in each of these chunkings; a decoder that
depends on where the network split the bytes fails one of them.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

__all__ = ["EDGE", "EVERY_TWO_LIMIT", "EXHAUSTIVE_LIMIT", "SAMPLED", "chunkings", "count_chunkings"]

EXHAUSTIVE_LIMIT = 96
"""Up to this many bytes every cut into two and three pieces is tried."""

EVERY_TWO_LIMIT = 4096
"""Up to this many bytes every cut into two pieces is tried."""

EDGE = 256
"""Longer inputs are cut in two at every offset this close to either end."""

SAMPLED = 240
"""Longer inputs get this many seeded random three-piece and many-piece cuts."""


def _cut(data: bytes, points: tuple[int, ...]) -> list[bytes]:
    edges = (0, *points, len(data))
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def chunkings(data: bytes, seed: int = 0) -> Iterator[list[bytes]]:
    """The whole, every two- and three-piece cut (sampled when long), one byte each.

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
        for i in edges + [rng.randint(0, n) for _ in range(SAMPLED)]:
            yield _cut(data, (i,))
    if n <= EXHAUSTIVE_LIMIT:
        for i in range(n + 1):
            for j in range(i, n + 1):
                yield _cut(data, (i, j))
    else:
        for _ in range(SAMPLED):
            i, j = sorted((rng.randint(0, n), rng.randint(0, n)))
            yield _cut(data, (i, j))
        for _ in range(SAMPLED):
            points = sorted(rng.sample(range(1, n), k=min(n - 1, rng.randint(3, 40))))
            yield _cut(data, tuple(points))
    if n <= 4096:
        yield [data[i : i + 1] for i in range(n)]


def count_chunkings(data: bytes) -> int:
    """How many chunkings :func:`chunkings` yields for ``data`` (for the report)."""
    return sum(1 for _ in chunkings(data))
