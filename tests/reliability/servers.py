"""Misbehaving local servers for the fault tests: one target per provider.

A :class:`Target` wraps one of the fakes in ``tests/fakes`` served on
127.0.0.1, knows how to script its chat endpoint and its reply format, and
builds its provider on a shared ``aiohttp.ClientSession`` with a short idle
limit, so a silent server is noticed in a fraction of a second.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from deskchat.provider import ChatgptFree, Ollama, OpenAICompatible, ProviderError, stream_events
from deskchat.provider.events import TextDelta
from tests.fakes.ollama_server import FakeOllama, line, ndjson
from tests.fakes.openai_server import FakeOpenAI, chunk, sse
from tests.fakes.scripted import Reply
from tests.fakes.wordpress import FakeWordPress, Script, sse_body

__all__ = [
    "IDLE",
    "KINDS",
    "Target",
    "collect",
    "free_port",
    "self_signed_context",
    "serve",
]

IDLE = 0.3
"""The idle limit of every provider under test, in seconds."""

KINDS = ("chatgptfree", "openai", "ollama")
HELLO = [{"role": "user", "content": "Hello"}]


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def collect(chat: Any, model: str | None) -> tuple[str, ProviderError | None]:
    """The reply's text, and the ProviderError it ended with (None if it ended well).

    Text received before an error is kept, as the window and the CLI keep it.
    """
    texts: list[str] = []
    try:
        async for event in stream_events(chat, model, HELLO):  # type: ignore[arg-type]
            if isinstance(event, TextDelta):
                texts.append(event.text)
    except ProviderError as exc:
        return "".join(texts), exc
    return "".join(texts), None


class Target:
    """One provider kind against its fake server.

    Attributes:
        kind: "chatgptfree", "openai" or "ollama".
        base_url: the fake server's address, as the provider takes it.
        fake: the fake server object (FakeWordPress, FakeOpenAI or FakeOllama).
    """

    def __init__(self, kind: str, fake: Any, base_url: str, session: aiohttp.ClientSession):
        self.kind = kind
        self.fake = fake
        self.base_url = base_url
        self.session = session
        self.model: str | None = {"chatgptfree": None, "openai": "m", "ollama": "qwen3:0.6b"}[kind]

    def provider(self, base_url: str | None = None, **kwargs: Any) -> Any:
        """A provider on the shared session with the short idle limit."""
        url = base_url or self.base_url
        if self.kind == "chatgptfree":
            return ChatgptFree(url, session=self.session, idle_timeout=IDLE, **kwargs)
        cls = OpenAICompatible if self.kind == "openai" else Ollama
        return cls(url, session=self.session, idle_timeout=IDLE, **kwargs)

    def body(self, texts: Sequence[str], *, done: bool = True) -> bytes:
        """A well-formed streamed reply of ``texts`` in this provider's format."""
        if self.kind == "chatgptfree":
            return sse_body(texts, done=done, comment=False, role_first=False)
        if self.kind == "openai":
            objects: list[Any] = [chunk(t) for t in texts]
            if done:
                objects.append(chunk(finish="stop"))
            return sse(objects, done=done)
        items: list[Any] = [line(t) for t in texts]
        if done:
            items.append(line(done=True, done_reason="stop"))
        return ndjson(items)

    def error_object(self) -> bytes:
        """The server saying no in the middle of a reply, in this provider's format."""
        if self.kind == "ollama":
            return b'{"error": "the model runner stopped"}\n'
        return b'data: {"error": {"message": "the model is overloaded"}}\n\n'

    def script(self, reply: Reply, *, repeat: bool = False) -> None:
        """Answer the next chat request with ``reply``, then the good one (or ``reply`` again)."""
        if self.kind == "chatgptfree":
            script = Script(**{k: getattr(reply, k) for k in reply.__dataclass_fields__})
            self.fake.reply = script if repeat else [script, self.good()]
        elif repeat:
            self.fake.reply_with(reply)
        else:
            self.fake.reply_with(reply, self.good())

    def good(self) -> Any:
        body = self.body(["All ", "good"])
        if self.kind == "chatgptfree":
            return Script(chunks=[body], headers={"Content-Type": "text/event-stream"})
        content_type = "text/event-stream" if self.kind == "openai" else "application/x-ndjson"
        return Reply(chunks=[body], headers={"Content-Type": content_type})

    def reset(self) -> None:
        """Every request answered well from now on."""
        if self.kind == "chatgptfree":
            self.fake.reply = self.good()
            self.fake.page_status = 200
            self.fake.page_html = None
            self.fake.page_headers = {}
            self.fake.stale_posts = 0
        else:
            self.fake.reply_with(self.good())


@asynccontextmanager
async def serve(kind: str, session: aiohttp.ClientSession) -> AsyncIterator[Target]:
    """Serve the fake for ``kind`` on 127.0.0.1 and yield its target."""
    fake: Any
    if kind == "chatgptfree":
        fake, suffix = FakeWordPress(), ""
    elif kind == "openai":
        fake, suffix = FakeOpenAI(), "/v1"
    else:
        fake, suffix = FakeOllama(), ""
    server = TestServer(fake.app, host="127.0.0.1")
    await server.start_server()
    try:
        target = Target(kind, fake, str(server.make_url(suffix)).rstrip("/"), session)
        target.reset()
        yield target
    finally:
        await server.close()


def self_signed_context(folder: Path) -> ssl.SSLContext:
    """A server TLS context with a certificate for 127.0.0.1 that nobody trusts."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


def plain_app() -> web.Application:
    """An app that answers everything with a small JSON body (for the TLS faults)."""
    app = web.Application()

    async def anything(request: web.Request) -> web.Response:
        return web.Response(text=json.dumps({"ok": True}), content_type="application/json")

    app.router.add_route("*", "/{tail:.*}", anything)
    return app
