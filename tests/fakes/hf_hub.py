"""A fake Hugging Face Hub on 127.0.0.1, and small but valid GGUF files to put in it.

It answers the calls huggingface_hub and DeskChat make, shaped like the real Hub:

- ``GET /api/models/OWNER/REPO[/revision/REV]?blobs=true``: the model info with
  ``sha`` (the commit), ``gated`` and ``siblings`` (``rfilename``, ``size``,
  ``lfs.sha256``); 404 with ``X-Error-Code: RepoNotFound`` for an unknown repo;
- ``GET /OWNER/REPO/resolve/REV/PATH``: ``302`` to ``http://localhost:PORT/cdn/...``
  (the real Hub redirects LFS files to its CDN, on another host); for a gated repository without
  the token, ``401`` with ``X-Error-Code: GatedRepo`` and the Hub's message;
- ``GET /cdn/OWNER--REPO/PATH``: the bytes, honouring ``Range: bytes=N-`` with ``206``.

Faults, scripted per file: drop the connection after N bytes (once), send
slowly, or serve bytes that do not match the published sha256.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import struct
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["TOKEN", "FakeHub", "FakeRepo", "make_gguf"]

TOKEN = "hf_fake_token_for_tests"
"""The one token the fake accepts for gated repositories."""

_COMMIT = "0123456789abcdef0123456789abcdef01234567"
_CHUNK = 16 * 1024


def _gguf_string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def _gguf_value(value: Any) -> bytes:
    """Type tag and bytes of one metadata value."""
    if isinstance(value, bool):
        return struct.pack("<I?", 7, value)
    if isinstance(value, int):
        return struct.pack("<Iq", 11, value) if value < 0 else struct.pack("<IQ", 10, value)
    if isinstance(value, float):
        return struct.pack("<If", 6, value)
    if isinstance(value, str):
        return struct.pack("<I", 8) + _gguf_string(value)
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            items = b"".join(_gguf_string(v) for v in value)
            return struct.pack("<IIQ", 9, 8, len(value)) + items
        return struct.pack("<IIQ", 9, 5, len(value)) + struct.pack(f"<{len(value)}i", *value)
    raise TypeError(f"no GGUF type for {value!r}")


def make_gguf(
    *,
    architecture: str = "llama",
    file_type: int | None = 15,
    context_length: int = 2048,
    name: str = "Tiny",
    chat_template: str | None = "{% for m in messages %}{{ m.content }}{% endfor %}",
    layers: int = 2,
    heads: int = 4,
    kv_heads: int = 2,
    embedding: int = 64,
    tokens: int = 300,
    tensors: tuple[tuple[str, tuple[int, ...]], ...] = (
        ("token_embd.weight", (64, 300)),
        ("output.weight", (64, 300)),
        ("blk.0.attn_q.weight", (64, 64)),
    ),
    extra: dict[str, Any] | None = None,
    size: int = 0,
    seed: int = 0,
) -> bytes:
    """A GGUF v3 file with a real key/value section and tensor table, padded with
    seeded bytes to ``size`` (the weights' place; nothing reads them)."""
    metadata: dict[str, Any] = {"general.architecture": architecture, "general.name": name}
    if file_type is not None:
        metadata["general.file_type"] = file_type
    metadata |= {
        f"{architecture}.context_length": context_length,
        f"{architecture}.block_count": layers,
        f"{architecture}.attention.head_count": heads,
        f"{architecture}.attention.head_count_kv": kv_heads,
        f"{architecture}.embedding_length": embedding,
        "tokenizer.ggml.tokens": [f"t{i}" for i in range(tokens)],
        "tokenizer.ggml.token_type": [1] * tokens,
    }
    if chat_template is not None:
        metadata["tokenizer.chat_template"] = chat_template
    metadata |= extra or {}
    out = bytearray(b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata)))
    for key, value in metadata.items():
        out += _gguf_string(key) + _gguf_value(value)
    offset = 0
    for tensor, dims in tensors:
        out += _gguf_string(tensor) + struct.pack(f"<I{len(dims)}Q", len(dims), *dims)
        out += struct.pack("<IQ", 0, offset)
        offset += 4 * _count(dims)
    if len(out) < size:
        filler = hashlib.sha256(f"{seed}".encode()).digest()
        repeats = (size - len(out)) // len(filler) + 1
        out += (filler * repeats)[: size - len(out)]
    return bytes(out)


def _count(dims: tuple[int, ...]) -> int:
    total = 1
    for d in dims:
        total *= d
    return total


@dataclass
class FakeRepo:
    """One repository.

    Attributes:
        files: path -> bytes.
        gated: ``"manual"`` for a gated repository (then the token is required).
        published: path -> the sha256 to publish instead of the true one.
        drop_after: path -> bytes after which the first GET of it loses its connection.
        slow: seconds to wait between chunks of every file (for cancelling mid-way).
        ignore_range: answer ``Range`` requests with the whole file (``200``).
    """

    files: dict[str, bytes]
    gated: str | None = None
    published: dict[str, str] = field(default_factory=dict)
    drop_after: dict[str, int] = field(default_factory=dict)
    slow: float = 0.0
    ignore_range: bool = False

    def sha256(self, path: str) -> str:
        return self.published.get(path) or hashlib.sha256(self.files[path]).hexdigest()


class FakeHub:
    """The fake Hub's app and what it saw.

    Attributes:
        repos: ``OWNER/REPO`` -> :class:`FakeRepo`.
        requests: ``(method, path, headers)`` of every request, in order.
        sent: path in a repo -> bytes sent in all.
    """

    def __init__(self, repos: dict[str, FakeRepo] | None = None) -> None:
        self.repos: dict[str, FakeRepo] = repos or {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.sent: dict[str, int] = {}
        self._dropped: set[str] = set()
        self.app = web.Application()
        self.app.router.add_get("/api/models/{owner}/{repo}", self._info)
        self.app.router.add_get("/api/models/{owner}/{repo}/revision/{rev}", self._info)
        self.app.router.add_route("*", "/{owner}/{repo}/resolve/{rev}/{path:.+}", self._resolve)
        self.app.router.add_get("/cdn/{repo_key}/{path:.+}", self._cdn)

    def ranges(self, path: str) -> list[str]:
        """The ``Range`` headers of the CDN requests for ``path`` (a repo path)."""
        return [
            h.get("Range", "")
            for m, p, h in self.requests
            if p.startswith("/cdn/") and p.endswith("/" + path)
        ]

    def _record(self, request: web.Request) -> None:
        self.requests.append((request.method, request.path, dict(request.headers)))

    def _repo(self, request: web.Request) -> tuple[str, FakeRepo]:
        name = f"{request.match_info['owner']}/{request.match_info['repo']}"
        repo = self.repos.get(name)
        if repo is None:
            raise web.HTTPNotFound(
                text=json.dumps({"error": "Repository not found"}),
                headers={"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"},
                content_type="application/json",
            )
        return name, repo

    async def _info(self, request: web.Request) -> web.Response:
        self._record(request)
        name, repo = self._repo(request)
        blobs = request.query.get("blobs") in ("true", "True", "1")
        siblings = []
        for path, data in repo.files.items():
            entry: dict[str, Any] = {"rfilename": path}
            if blobs:
                entry |= {
                    "size": len(data),
                    "blobId": hashlib.sha1(data).hexdigest(),
                    "lfs": {"size": len(data), "sha256": repo.sha256(path), "pointerSize": 134},
                }
            siblings.append(entry)
        body = {
            "id": name,
            "modelId": name,
            "sha": _COMMIT,
            "private": False,
            "gated": repo.gated or False,
            "disabled": False,
            "tags": ["gguf"],
            "siblings": siblings,
        }
        return web.json_response(body)

    async def _resolve(self, request: web.Request) -> web.Response:
        self._record(request)
        name, repo = self._repo(request)
        path = request.match_info["path"]
        if path not in repo.files:
            raise web.HTTPNotFound(
                text=json.dumps({"error": "Entry not found"}),
                headers={"X-Error-Code": "EntryNotFound", "X-Error-Message": "Entry not found"},
                content_type="application/json",
            )
        if repo.gated and request.headers.get("Authorization") != f"Bearer {TOKEN}":
            message = (
                f"Access to model {name} is restricted. You must have access to it and be "
                "authenticated to access it. Please log in."
            )
            raise web.HTTPUnauthorized(
                text=json.dumps({"error": message}),
                headers={"X-Error-Code": "GatedRepo", "X-Error-Message": message},
                content_type="application/json",
            )
        sha = repo.sha256(path)
        headers = {
            "X-Repo-Commit": _COMMIT,
            "X-Linked-Etag": f'"{sha}"',
            "X-Linked-Size": str(len(repo.files[path])),
            "ETag": f'"{sha}"',
            # Another host, as the real CDN is: clients drop the token on the way.
            "Location": f"http://localhost:{request.url.port}/cdn/{name.replace('/', '--')}/{path}",
        }
        return web.Response(status=302, headers=headers)

    async def _cdn(self, request: web.Request) -> web.StreamResponse:
        self._record(request)
        owner, _, repo_name = request.match_info["repo_key"].partition("--")
        repo = self.repos[f"{owner}/{repo_name}"]
        path = request.match_info["path"]
        data = repo.files[path]
        start = 0
        status = 200
        headers = {"Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
        wanted = request.headers.get("Range", "")
        if wanted.startswith("bytes=") and not repo.ignore_range:
            start = int(wanted.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                raise web.HTTPRequestRangeNotSatisfiable(
                    headers={"Content-Range": f"bytes */{len(data)}"}
                )
            status = 206
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        headers["Content-Length"] = str(len(data) - start)
        response = web.StreamResponse(status=status, headers=headers)
        await response.prepare(request)
        drop = repo.drop_after.get(path) if path not in self._dropped else None
        try:
            await self._send(request, response, repo, path, start, drop)
        except (ConnectionError, RuntimeError):
            pass  # the client went away (cancelled)
        return response

    async def _send(
        self,
        request: web.Request,
        response: web.StreamResponse,
        repo: FakeRepo,
        path: str,
        position: int,
        drop: int | None,
    ) -> None:
        data = repo.files[path]
        while position < len(data):
            end = min(position + _CHUNK, len(data))
            if drop is not None and end >= drop:
                await response.write(data[position:drop])
                self.sent[path] = self.sent.get(path, 0) + drop - position
                self._dropped.add(path)
                assert request.transport is not None
                request.transport.close()
                return
            await response.write(data[position:end])
            self.sent[path] = self.sent.get(path, 0) + end - position
            position = end
            await asyncio.sleep(repo.slow)
        await response.write_eof()
