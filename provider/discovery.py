"""Find model servers already running on this machine (Ollama, llama.cpp, LM Studio).

:func:`discover_local` asks each known port at once, with a short timeout,
and never raises: a port with nothing (or something else) behind it is
simply not listed. Nothing here runs at import.

It speaks just enough HTTP/1.1 over a plain asyncio connection to read one
small listing from 127.0.0.1, without aiohttp: the window looks for servers
right after it is shown, and importing aiohttp (with the TLS context it builds)
would cost about 150 ms and 24 MB before anything needs the network.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["DEFAULT_PROBES", "FoundServer", "Probe", "discover_local"]

log = logging.getLogger("deskchat.provider.discovery")


@dataclass(frozen=True, slots=True)
class Probe:
    """One place a server may be listening.

    Attributes:
        provider_id: the registry id to use for a server found here.
        display_name: the name shown to people.
        port: the TCP port to ask.
        models_path: the path that lists models (proves the server's kind).
        api_root: the path of the base URL the provider takes ("" or "/v1").
        parse: turns the listing's body into model names; raises on a wrong shape.
    """

    provider_id: str
    display_name: str
    port: int
    models_path: str
    api_root: str
    parse: Callable[[str, str], list[str]]


@dataclass(frozen=True, slots=True)
class FoundServer:
    """A server that answered.

    Attributes:
        provider_id: the registry id to create it with.
        display_name: e.g. "Ollama".
        base_url: the address to give :func:`provider.registry.create`.
        models: the models it listed (may be empty: nothing loaded yet).
    """

    provider_id: str
    display_name: str
    base_url: str
    models: tuple[str, ...]


# The readers live with their providers, which import yarl and the HTTP layer
# (~3 MB): imported when a server answers, not for a look that finds none.


def _ollama_tags(body: str, what: str) -> list[str]:
    from .ollama import parse_tags

    return parse_tags(body, what)


def _openai_models(body: str, what: str) -> list[str]:
    from .openai_compat import parse_models

    return parse_models(body, what)


DEFAULT_PROBES: tuple[Probe, ...] = (
    Probe("ollama", "Ollama", 11434, "/api/tags", "", _ollama_tags),
    Probe("llamacpp", "llama.cpp", 8080, "/v1/models", "/v1", _openai_models),
    Probe("lmstudio", "LM Studio", 1234, "/v1/models", "/v1", _openai_models),
)


LISTING_LIMIT = 4 * 1024 * 1024
"""The most a server's model listing may be; a larger answer is not a model server's."""


async def discover_local(
    *,
    timeout: float = 0.5,  # noqa: ASYNC109 - a per-probe limit, applied inside
    host: str = "127.0.0.1",
    probes: Sequence[Probe] = DEFAULT_PROBES,
) -> list[FoundServer]:
    """The servers among ``probes`` that answer on ``host``, in ``probes`` order.

    Args:
        timeout: seconds each probe may take in all.
        host: where to look (never through a proxy: the servers are here).
    """
    results = await asyncio.gather(*(_probe(host, p, timeout) for p in probes))
    return [found for found in results if found is not None]


async def _probe(host: str, probe: Probe, limit: float) -> FoundServer | None:
    root = f"http://{host}:{probe.port}"
    try:
        async with asyncio.timeout(limit):
            status, body = await http_get(host, probe.port, probe.models_path)
        if status != 200:
            return None
        models = probe.parse(body.decode("utf-8", errors="replace"), probe.display_name)
    except Exception as exc:  # noqa: BLE001 - discovery must never break the caller
        log.debug("no %s on port %d: %s", probe.display_name, probe.port, type(exc).__name__)
        return None
    return FoundServer(probe.provider_id, probe.display_name, root + probe.api_root, tuple(models))


async def http_get(host: str, port: int, path: str) -> tuple[int, bytes]:
    """One ``GET`` over a fresh connection: the status and the body (de-chunked).

    Raises:
        ValueError: not an HTTP/1.x answer, or a body over :data:`LISTING_LIMIT`.
        OSError: nothing listens there, or the connection broke.
    """
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\n"
            "Connection: close\r\n\r\n".encode("ascii")
        )
        await writer.drain()
        answer = await reader.read(LISTING_LIMIT + 65536)
        while chunk := await reader.read(65536):
            answer += chunk
            if len(answer) > LISTING_LIMIT + 65536:
                raise ValueError("the answer is too large for a model listing")
    finally:
        writer.close()
    head, sep, body = answer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if not sep or len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise ValueError("not an HTTP answer")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(b":") for ln in lines[1:])}
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = _dechunk(body)
    elif b"content-length" in headers:
        body = body[: int(headers[b"content-length"])]
    return int(parts[1]), body


def _dechunk(data: bytes) -> bytes:
    """The body of a chunked transfer coding (RFC 9112, section 7.1); extensions ignored."""
    out = bytearray()
    while True:
        size_line, sep, data = data.partition(b"\r\n")
        if not sep:
            raise ValueError("a chunked body cut short")
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            return bytes(out)
        out += data[:size]
        data = data[size + 2 :]
