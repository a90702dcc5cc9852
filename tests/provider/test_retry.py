"""with_retries: retry early failures only, wait as told, fall back before any output."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from deskchat.provider import errors
from deskchat.provider.events import TextDelta
from deskchat.provider.openai_compat import OpenAICompatible
from deskchat.provider.retry import is_retryable, retry_delay, with_retries
from tests.fakes.openai_server import FakeOpenAI, chunk, json_reply, sse, stream_reply


class Script:
    """A stream factory: each call plays the next outcome (items, then maybe an error)."""

    def __init__(self, *outcomes: tuple[list[str], BaseException | None]) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0
        self.closed = 0

    def __call__(self):
        items, error = self.outcomes[min(self.calls, len(self.outcomes) - 1)]
        self.calls += 1
        return self._run(items, error)

    async def _run(self, items, error):
        try:
            for item in items:
                yield item
            if error is not None:
                raise error
        finally:
            self.closed += 1


class Sleeps(list):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def server_error() -> errors.ServerError:
    return errors.ServerError("Server down.", status_code=503)


def refused() -> errors.APIConnectionError:
    return errors.APIConnectionError("Could not connect.")


async def run(stream) -> list:
    return [item async for item in stream]


async def test_retries_connection_errors_and_5xx_with_backoff():
    script = Script(([], refused()), ([], server_error()), (["ok"], None))
    sleeps = Sleeps()
    assert await run(with_retries(script, attempts=3, base_delay=0.5, sleep=sleeps)) == ["ok"]
    assert script.calls == 3
    assert sleeps == [0.5, 1.0]
    assert script.closed == 3


async def test_gives_up_after_the_attempts_with_the_last_error():
    script = Script(([], server_error()))
    sleeps = Sleeps()
    with pytest.raises(errors.ServerError):
        await run(with_retries(script, attempts=4, base_delay=1, max_delay=3, sleep=sleeps))
    assert script.calls == 4
    assert sleeps == [1, 2, 3]


async def test_retry_after_is_used_and_capped():
    limited = errors.RateLimitError("Slow down.", retry_after=2.5)
    script = Script(
        ([], limited), ([], errors.RateLimitError("Slow.", retry_after=99)), (["x"], None)
    )
    sleeps = Sleeps()
    assert await run(with_retries(script, max_delay=8, sleep=sleeps)) == ["x"]
    assert sleeps == [2.5, 8]


async def test_never_retries_after_the_first_item():
    script = Script((["Hel"], refused()), (["Hello"], None))
    sleeps = Sleeps()
    stream = with_retries(script, sleep=sleeps)
    assert await anext(stream) == "Hel"
    with pytest.raises(errors.APIConnectionError):
        await anext(stream)
    assert script.calls == 1
    assert sleeps == []


@pytest.mark.parametrize(
    "error",
    [
        errors.AuthenticationError("Bad key.", status_code=401),
        errors.ProtocolError("Nonsense."),
        errors.IdleTimeoutError("host", 60),
        errors.EmptyReplyError("Nothing."),
    ],
)
async def test_does_not_retry_what_will_fail_again(error):
    script = Script(([], error), (["never"], None))
    with pytest.raises(type(error)):
        await run(with_retries(script, sleep=Sleeps()))
    assert script.calls == 1


async def test_bugs_are_neither_retried_nor_hidden_by_the_fallback():
    script = Script(([], KeyError("bug")))
    fallback = Script((["fb"], None))
    with pytest.raises(KeyError):
        await run(with_retries(script, fallback=fallback, sleep=Sleeps()))
    assert fallback.calls == 0


async def test_fallback_runs_when_the_first_fails_before_output():
    first = Script(([], errors.AuthenticationError("Bad key.", status_code=401)))
    fallback = Script(([], refused()), (["from fallback"], None))
    sleeps = Sleeps()
    out = await run(with_retries(first, fallback=fallback, sleep=sleeps, base_delay=0.25))
    assert out == ["from fallback"]
    assert (first.calls, fallback.calls) == (1, 2)
    assert sleeps == [0.25]


async def test_fallback_not_used_after_output():
    first = Script((["partial"], refused()))
    fallback = Script((["fb"], None))
    with pytest.raises(errors.APIConnectionError):
        await run(with_retries(first, fallback=fallback, sleep=Sleeps()))
    assert fallback.calls == 0


async def test_fallback_failure_raises_its_own_error():
    first = Script(([], errors.AuthenticationError("Bad key.", status_code=401)))
    fallback = Script(([], errors.NotFoundError("No such model.", status_code=404)))
    with pytest.raises(errors.NotFoundError):
        await run(with_retries(first, fallback=fallback, sleep=Sleeps()))


async def test_closing_early_closes_the_inner_stream():
    script = Script((["a", "b", "c"], None))
    stream = with_retries(script, sleep=Sleeps())
    assert await anext(stream) == "a"
    await stream.aclose()
    assert script.closed == 1


def test_helpers():
    assert is_retryable(refused())
    assert is_retryable(errors.RateLimitError("x", retry_after=None))
    assert not is_retryable(errors.IdleTimeoutError("h", 1))
    assert not is_retryable(ValueError())
    assert retry_delay(3, refused(), base_delay=0.5, max_delay=8) == 2.0
    assert retry_delay(10, refused(), base_delay=0.5, max_delay=8) == 8.0


async def test_with_a_real_provider_over_loopback():
    fake = FakeOpenAI()
    fake.reply_with(
        json_reply({"error": {"message": "busy"}}, status=503),
        stream_reply(sse([chunk("fine"), chunk(finish="stop")]), seed=1),
    )
    server = TestServer(fake.app, host="127.0.0.1")
    await server.start_server()
    sleeps = Sleeps()
    try:
        async with aiohttp.ClientSession() as session:
            chat = OpenAICompatible(str(server.make_url("/v1")), session)
            events = await run(
                with_retries(
                    lambda: chat.create_async_generator("m", [{"role": "user", "content": "x"}]),
                    sleep=sleeps,
                )
            )
    finally:
        await server.close()
    assert [e for e in events if isinstance(e, TextDelta)] == [TextDelta("fine")]
    assert len(fake.requests) == 2
    assert sleeps == [0.5]
