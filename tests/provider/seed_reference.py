"""A test-only reference of the seed's ChatgptFree, written from the seed's description.

The seed (a Russian write-up of gpt4free's ChatgptFree) describes the
algorithm in five steps; this module follows them literally and nothing more,
so tests can check that :class:`provider.ChatgptFree` yields the same text:

1. models, a default model and aliases;
2. on first use, load the home page and take ``data-post-id`` and
   ``data-nonce`` from it;
3. flatten the messages into one prompt;
4. POST ``_wpnonce``, ``post_id``, ``url``, ``action``, ``message`` and
   ``bot_id`` to ``wp-admin/admin-ajax.php``;
5. read the answer line by line: a stripped line starting ``data: `` holds
   JSON whose ``choices[0].delta.content`` is yielded (``[DONE]`` ends it);
   any other non-empty line goes into a buffer, which at the end is decoded
   as JSON and its ``data`` field yielded.

For simplicity it reads the whole body at once and splits it on LF and CRLF
only; it is a yardstick for tests, not a client.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Mapping, Sequence

import aiohttp

__all__ = ["SeedChatgptFree", "seed_prompt"]

_POST_ID = re.compile(r'data-post-id="(\d+)"')
_NONCE = re.compile(r'data-nonce="(.*?)"')


def seed_prompt(messages: Sequence[Mapping[str, str]]) -> str:
    """One message alone; several as "Role: content" lines, then "Assistant:"."""
    if len(messages) == 1:
        return messages[0]["content"]
    lines = [f"{m['role'].capitalize()}: {m['content']}" for m in messages]
    return "\n".join(lines) + "\nAssistant:"


class SeedChatgptFree:
    """The seed's algorithm against ``base_url`` (a fresh session per call).

    Attributes:
        models, default_model, model_aliases: as the seed lists them.
    """

    models = ("gpt-4o-mini-2024-07-18",)
    default_model = "gpt-4o-mini-2024-07-18"
    model_aliases = {"gpt-4o-mini": "gpt-4o-mini-2024-07-18"}

    def __init__(self, base_url: str) -> None:
        self.url = base_url.rstrip("/")
        self._nonce: str | None = None
        self._post_id: str | None = None

    async def create_async_generator(
        self, model: str | None, messages: Sequence[Mapping[str, str]]
    ) -> AsyncIterator[str]:
        """Yield the reply's pieces the way the seed describes."""
        del model  # The site has one model; the seed sends no model field.
        async with aiohttp.ClientSession() as session:
            if self._nonce is None:
                async with session.get(f"{self.url}/") as page:
                    html = await page.text()
                post_id = _POST_ID.search(html)
                nonce = _NONCE.search(html)
                if post_id is None or nonce is None:
                    return
                self._post_id, self._nonce = post_id.group(1), nonce.group(1)
            form = {
                "_wpnonce": self._nonce,
                "post_id": self._post_id,
                "url": self.url,
                "action": "wpaicg_chat_shortcode_message",
                "message": seed_prompt(messages),
                "bot_id": "0",
            }
            async with session.post(f"{self.url}/wp-admin/admin-ajax.php", data=form) as response:
                body = (await response.read()).decode("utf-8")
        buffer = ""
        for raw in re.split(r"\r?\n", body):
            line = raw.strip()
            if line.startswith("data: "):
                payload = line[6:]
                if payload == "[DONE]":
                    break
                try:
                    chunk = json.loads(payload)
                    content = chunk["choices"][0]["delta"].get("content")
                except (ValueError, KeyError, IndexError, TypeError, AttributeError):
                    continue
                if content:
                    yield content
            elif line:
                buffer += line
        if buffer:
            try:
                answer = json.loads(buffer)
            except ValueError:
                return
            if isinstance(answer, dict) and "data" in answer:
                yield answer["data"]
