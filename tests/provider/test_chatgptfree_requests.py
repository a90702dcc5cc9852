"""The requests ChatgptFree sends, checked with aioresponses (no server)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aioresponses import aioresponses
from yarl import URL

from deskchat.provider import ChatgptFree, ConfigurationError, UnknownModelError
from deskchat.provider.http import USER_AGENT
from tests.fakes.wordpress import PAGE, sse_body

BASE = "https://chat.example.test"
AJAX = f"{BASE}/wp-admin/admin-ajax.php"
PAGE_HTML = PAGE.format(post_id="1234", nonce="a1b2c3", url=BASE)


@pytest.fixture
def mocked() -> Iterator[aioresponses]:
    """A site whose page has the widget and whose endpoint streams "ok"."""
    with aioresponses() as mock:
        mock.get(f"{BASE}/", body=PAGE_HTML, content_type="text/html", repeat=True)
        mock.post(AJAX, body=sse_body(["ok"]), content_type="text/event-stream", repeat=True)
        yield mock


def calls(mock: aioresponses, method: str, url: str) -> list[Any]:
    """The recorded calls to ``url``."""
    return mock.requests.get((method, URL(url)), [])


def sent_form(mock: aioresponses, index: int = -1) -> dict[str, str]:
    return dict(calls(mock, "POST", AJAX)[index].kwargs["data"])


async def run(chat: ChatgptFree, messages: list[dict[str, str]], **kwargs: Any) -> list[str]:
    return [
        c async for c in chat.create_async_generator(kwargs.pop("model", None), messages, **kwargs)
    ]


async def test_form_fields(mocked: aioresponses) -> None:
    assert await run(ChatgptFree(BASE), [{"role": "user", "content": "Hi there"}]) == ["ok"]
    assert sent_form(mocked) == {
        "_wpnonce": "a1b2c3",
        "post_id": "1234",
        "url": BASE,
        "action": "wpaicg_chat_shortcode_message",
        "message": "Hi there",
        "bot_id": "0",
    }


async def test_browser_like_headers(mocked: aioresponses) -> None:
    await run(ChatgptFree(BASE + "/"), [{"role": "user", "content": "x"}])
    (post,) = calls(mocked, "POST", AJAX)
    headers = {k.lower(): v for k, v in post.kwargs["headers"].items()}
    assert headers["origin"] == BASE
    assert headers["referer"] == f"{BASE}/"
    assert headers["user-agent"] == USER_AGENT
    assert "Mozilla/5.0" in headers["user-agent"]
    (page,) = calls(mocked, "GET", f"{BASE}/")
    assert {k.lower(): v for k, v in page.kwargs["headers"].items()}["user-agent"] == USER_AGENT


async def test_timeouts_have_no_total_but_bounded_silences(mocked: aioresponses) -> None:
    await run(ChatgptFree(BASE, idle_timeout=12.5), [{"role": "user", "content": "x"}])
    (post,) = calls(mocked, "POST", AJAX)
    timeout = post.kwargs["timeout"]
    assert timeout.total is None
    assert timeout.sock_connect == 15
    assert timeout.sock_read == 12.5


async def test_default_idle_limit_is_a_minute(mocked: aioresponses) -> None:
    await run(ChatgptFree(BASE), [{"role": "user", "content": "x"}])
    assert calls(mocked, "POST", AJAX)[0].kwargs["timeout"].sock_read == 60


@pytest.mark.parametrize(
    ("messages", "prompt"),
    [
        ([{"role": "user", "content": "Только это"}], "Только это"),
        (
            [
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello!"},
            ],
            "User: Hi\nAssistant: Hello!\nAssistant:",
        ),
        (
            [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "2+2?"},
                {"role": "assistant", "content": "4"},
            ],
            "System: Be brief.\nUser: 2+2?\nAssistant: 4\nAssistant:",
        ),
        (
            [{"role": "system", "content": "Be brief."}],
            "Be brief.",
        ),
    ],
    ids=["one", "two", "three-with-system", "system-alone"],
)
async def test_prompt_formatting(
    mocked: aioresponses, messages: list[dict[str, str]], prompt: str
) -> None:
    await run(ChatgptFree(BASE), messages)
    assert sent_form(mocked)["message"] == prompt


async def test_no_messages_is_a_configuration_error(mocked: aioresponses) -> None:
    with pytest.raises(ConfigurationError, match="no message"):
        await run(ChatgptFree(BASE), [])
    assert mocked.requests == {}


@pytest.mark.parametrize("where", ["call", "constructor"])
async def test_proxy_is_passed_through(mocked: aioresponses, where: str) -> None:
    proxy = "http://user:pw@proxy.example.test:3128"
    if where == "call":
        await run(ChatgptFree(BASE), [{"role": "user", "content": "x"}], proxy=proxy)
    else:
        await run(ChatgptFree(BASE, proxy=proxy), [{"role": "user", "content": "x"}])
    assert calls(mocked, "GET", f"{BASE}/")[0].kwargs["proxy"] == proxy
    assert calls(mocked, "POST", AJAX)[0].kwargs["proxy"] == proxy


async def test_no_proxy_by_default(mocked: aioresponses) -> None:
    await run(ChatgptFree(BASE), [{"role": "user", "content": "x"}])
    assert calls(mocked, "POST", AJAX)[0].kwargs["proxy"] is None


@pytest.mark.parametrize("model", [None, "", "gpt-4o-mini", "gpt-4o-mini-2024-07-18"])
async def test_model_names_accepted(mocked: aioresponses, model: str | None) -> None:
    chat = ChatgptFree(BASE)
    assert chat.get_model(model) == "gpt-4o-mini-2024-07-18"
    assert await run(chat, [{"role": "user", "content": "x"}], model=model) == ["ok"]


def test_model_attributes() -> None:
    chat = ChatgptFree()
    assert chat.base_url == "https://chatgptfree.ai"
    assert chat.session is None
    assert chat.default_model == "gpt-4o-mini-2024-07-18"
    assert chat.default_model in chat.models
    assert chat.model_aliases == {"gpt-4o-mini": "gpt-4o-mini-2024-07-18"}


async def test_unknown_model_lists_the_models(mocked: aioresponses) -> None:
    chat = ChatgptFree(BASE)
    with pytest.raises(UnknownModelError) as info:
        await run(chat, [{"role": "user", "content": "x"}], model="gpt-5-ultra")
    message = info.value.message
    assert "'gpt-5-ultra'" in message
    assert "gpt-4o-mini-2024-07-18" in message
    assert "gpt-4o-mini," in message or message.endswith("gpt-4o-mini.")
    assert info.value.model == "gpt-5-ultra"
    assert "gpt-4o-mini-2024-07-18" in info.value.available
    # Nothing was sent for a request that could not be made.
    assert mocked.requests == {}


async def test_extra_parameters_are_accepted_and_not_sent(mocked: aioresponses) -> None:
    chat = ChatgptFree(BASE)
    out = [
        c
        async for c in chat.create_async_generator(
            None, [{"role": "user", "content": "x"}], temperature=0.2
        )
    ]
    assert out == ["ok"]
    assert "temperature" not in sent_form(mocked)
