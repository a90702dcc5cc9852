"""Keys for an OpenAI-compatible server, and extra headers that are secrets (#12, point 9).

``openai-compatible`` takes an optional key like the hosted providers take a
required one (keyring, ``DESKCHAT_API_KEY``, this session), sent when present.
Extra headers that carry credentials are kept in the keyring rather than in
``settings.json``, hidden in logs and messages, and dropped on a redirect to
another origin, as ``Authorization`` is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from keyring.backends import fail

from deskchat.provider import errors, registry, secrets
from deskchat.provider.openai_compat import OpenAICompatible
from tests.child import ask_args, child_env, run_deskchat
from tests.fakes.keyrings import MemoryKeyring, isolated_secrets, use_memory_keyring
from tests.fakes.openai_server import FakeOpenAI, chunk, json_reply, sse, stream_reply
from tests.fakes.raw_http import RawRequest, raw_server
from tests.fakes.scripted import serving

HELLO = [{"role": "user", "content": "hi"}]


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with isolated_secrets(monkeypatch, backend=fail.Keyring()):
        yield


@pytest.fixture
def memory() -> MemoryKeyring:
    return use_memory_keyring()


@pytest.fixture
async def fake():
    server = FakeOpenAI()
    server.reply_with(stream_reply(sse([chunk("ok")])))
    async with serving(server.app, "/v1") as base:
        yield server, base


async def _reply(chat: object) -> str:
    from deskchat.provider import TextDelta, stream_events

    events = [e async for e in stream_events(chat, "m", HELLO)]  # type: ignore[arg-type]
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def _sent(server: FakeOpenAI) -> dict[str, str]:
    return server.requests[-1]["headers"]


# -- the key --------------------------------------------------------------------------------


def test_openai_compatible_takes_an_optional_key() -> None:
    caps = registry.get_info("openai-compatible").capabilities
    assert caps.accepts_api_key
    assert not caps.needs_api_key
    for hosted in ("openai", "openrouter", "groq"):
        assert registry.get_info(hosted).capabilities.accepts_api_key
    assert not registry.get_info("chatgptfree").capabilities.accepts_api_key


async def test_the_key_from_the_environment_reaches_the_server(fake, monkeypatch) -> None:
    server, base = fake
    monkeypatch.setenv("DESKCHAT_API_KEY", "sk-from-env-1")
    assert await _reply(registry.create("openai-compatible", base_url=base)) == "ok"
    assert _sent(server)["Authorization"] == "Bearer sk-from-env-1"


async def test_the_key_from_the_keyring_reaches_the_server(fake, memory) -> None:
    server, base = fake
    secrets.set_api_key("openai-compatible", "sk-from-keyring-2")
    assert await _reply(registry.create("openai-compatible", base_url=base)) == "ok"
    assert _sent(server)["Authorization"] == "Bearer sk-from-keyring-2"


async def test_a_session_key_reaches_the_server(fake) -> None:
    server, base = fake
    secrets.set_session_key("openai-compatible", "sk-session-3")
    assert await _reply(registry.create("openai-compatible", base_url=base)) == "ok"
    assert _sent(server)["Authorization"] == "Bearer sk-session-3"


async def test_without_a_key_nothing_is_sent_and_nothing_is_refused(fake) -> None:
    server, base = fake
    assert await _reply(registry.create("openai-compatible", base_url=base)) == "ok"
    assert "Authorization" not in _sent(server)


async def test_deskchat_ask_sends_the_key(fake, tmp_path: Path) -> None:
    server, base = fake
    env = child_env(tmp_path / "data", DESKCHAT_API_KEY="sk-ask-4")
    code, out, err = await run_deskchat(*ask_args(base), env=env)
    assert code == 0, err
    assert out == b"ok\n"
    assert _sent(server)["Authorization"] == "Bearer sk-ask-4"
    assert b"sk-ask-4" not in out + err


# -- secret headers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "proxy-authorization",
        "X-Api-Key",
        "Api-Key",
        "x-goog-api-key",
        "X-Auth-Token",
        "X-Access-Token",
        "Client-Secret",
        "X-Session-Key",
        "Cookie",
        "X-Password",
    ],
)
def test_headers_that_look_like_secrets(name: str) -> None:
    assert secrets.is_secret_header(name)


@pytest.mark.parametrize("name", ["X-Title", "HTTP-Referer", "User-Agent", "Accept", "X-Org"])
def test_headers_that_do_not(name: str) -> None:
    assert not secrets.is_secret_header(name)
    assert secrets.is_secret_header(name, marked=[name.upper()])


def test_split_keeps_only_plain_headers_for_the_settings_file() -> None:
    headers = {"X-Title": "DeskChat", "X-Api-Key": "k-1", "X-Org": "o-1"}
    plain, secret = secrets.split_secret_headers(headers, marked=["x-org"])
    assert plain == {"X-Title": "DeskChat"}
    assert secret == {"X-Api-Key": "k-1", "X-Org": "o-1"}


def test_secret_headers_live_in_the_keyring(memory) -> None:
    plain = secrets.save_extra_headers(
        {"X-Title": "DeskChat", "X-Api-Key": "k-keyring-5", "X-Org": "org-6"}, marked=["X-Org"]
    )
    assert plain == {"X-Title": "DeskChat"}
    stored = memory.store[(secrets.SERVICE, secrets.HEADERS_ID)]
    assert "k-keyring-5" in stored
    assert secrets.load_secret_headers() == {"X-Api-Key": "k-keyring-5", "X-Org": "org-6"}
    assert secrets.redact("echo k-keyring-5") == "echo ***"
    # Saving without them forgets them.
    assert secrets.save_extra_headers({"X-Title": "DeskChat"}) == {"X-Title": "DeskChat"}
    assert (secrets.SERVICE, secrets.HEADERS_ID) not in memory.store
    assert secrets.load_secret_headers() == {}


def test_without_a_keyring_secret_headers_last_the_session() -> None:
    with pytest.raises(errors.KeyringUnavailableError) as caught:
        secrets.save_extra_headers({"X-Api-Key": "k-nowhere-7"})
    assert "k-nowhere-7" not in caught.value.text()
    plain = secrets.save_extra_headers({"X-Api-Key": "k-session-8", "X-T": "t"}, session_only=True)
    assert plain == {"X-T": "t"}
    assert secrets.load_secret_headers() == {"X-Api-Key": "k-session-8"}


async def test_secret_header_values_never_show_in_a_message() -> None:
    """A server that echoes the header in its error: the sentence shows ***."""
    server = FakeOpenAI()
    server.reply_with(json_reply({"error": {"message": "bad key k-echoed-9"}}, status=401))
    async with serving(server.app, "/v1") as base, aiohttp.ClientSession() as session:
        chat = OpenAICompatible(base, session=session, extra_headers={"X-Api-Key": "k-echoed-9"})
        with pytest.raises(errors.AuthenticationError) as caught:
            await _reply(chat)
    assert "k-echoed-9" not in caught.value.text()
    assert "k-echoed-9" not in caught.value.body


# -- redirects ------------------------------------------------------------------------------

HEADERS = {
    "X-Api-Key": "k-10",
    "Api-Key": "k-11",
    "X-Auth-Token": "t-12",
    "X-Marked": "m-13",
    "X-Title": "DeskChat",
}
DROPPED = ("Authorization", "X-Api-Key", "Api-Key", "X-Auth-Token", "X-Marked")


def _redirecting_to(target: str):  # type: ignore[no-untyped-def]
    async def respond(request: RawRequest, writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 307 Temporary Redirect\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n"
            % target.encode()
        )
        await writer.drain()

    return respond


async def test_a_redirect_to_another_origin_carries_no_credentials(fake) -> None:
    server, base = fake
    async with (
        raw_server(_redirecting_to(f"{base}/chat/completions")) as (other, seen),
        aiohttp.ClientSession() as session,
    ):
        chat = registry.create(
            "openai-compatible",
            base_url=f"{other}/v1",
            api_key="sk-14",
            session=session,
            extra_headers=HEADERS,
            secret_headers=["X-Marked"],
        )
        assert await _reply(chat) == "ok"
    first = seen[0].headers
    assert first["x-api-key"] == "k-10"
    assert first["x-marked"] == "m-13"
    assert first["authorization"] == "Bearer sk-14"
    after = _sent(server)
    for name in DROPPED:
        assert name not in after, name
    assert after["X-Title"] == "DeskChat"


async def test_a_redirect_within_the_origin_keeps_them(fake) -> None:
    server, base = fake
    async with (
        raw_server(_redirecting_to("/v1/chat/completions")) as (first, _seen),
        aiohttp.ClientSession() as session,
    ):
        # The redirect names a path on its own origin: the same server is asked again.
        chat = registry.create(
            "openai-compatible",
            base_url=f"{first}/v1",
            api_key="sk-15",
            session=session,
            extra_headers=HEADERS,
            secret_headers=["X-Marked"],
        )
        with pytest.raises(errors.APIConnectionError):
            await _reply(chat)  # the raw server redirects forever: a loop
    assert len(_seen) > 1
    for request in _seen[1:]:
        assert request.headers["x-api-key"] == "k-10"
        assert request.headers["x-marked"] == "m-13"
        assert request.headers["authorization"] == "Bearer sk-15"


async def test_a_local_servers_key_is_read_from_the_keyring_only_when_said_stored(
    fake, memory
) -> None:
    server, base = fake
    caps = registry.get_info("llamacpp").capabilities
    assert caps.accepts_api_key
    assert not caps.needs_api_key
    secrets.set_api_key("llamacpp", "sk-local-5")
    # Not said: a server on this machine does not make the keyring load for its key.
    assert await _reply(registry.create("llamacpp", base_url=base)) == "ok"
    assert "Authorization" not in _sent(server)
    assert await _reply(registry.create("llamacpp", base_url=base, keyring_key=True)) == "ok"
    assert _sent(server)["Authorization"] == "Bearer sk-local-5"
    # Said not stored: the keyring is not asked, the environment still is.
    secrets.set_api_key("openai-compatible", "sk-compat-6")
    chat = registry.create("openai-compatible", base_url=base, keyring_key=False)
    assert await _reply(chat) == "ok"
    assert "Authorization" not in _sent(server)
