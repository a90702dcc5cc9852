"""An API key and a proxy password go through a whole session and come out nowhere.

``deskchat ask -v`` (debug logging, as the CLI sets it up) talks to the fake
OpenAI-compatible server with a key from the environment, then through a
proxy with credentials that cannot be reached, then to a server that echoes
the key back in its error. The reply and the errors are saved in the store as
the window saves them, and exported with ``deskchat export -o``. Every byte
the session left behind (the data folder, the logs, stdout and stderr, the
exports) is then searched for the key and the password.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from deskchat import store
from deskchat.provider import OpenAICompatible, errors
from deskchat.store import Settings
from tests.child import child_env, run_deskchat
from tests.fakes.openai_server import FakeOpenAI, Reply, chunk, sse, stream_reply
from tests.reliability.servers import free_port

KEY = "sk-test-Zq8Vn3Lw7Rt2Yx5Pb9Kd"
PASSWORD = "pa55Wq7-secret"


def assert_clean(name: str, data: bytes) -> None:
    assert KEY.encode() not in data, f"the API key leaked into {name}"
    assert PASSWORD.encode() not in data, f"the proxy password leaked into {name}"


@pytest.mark.slow
async def test_key_and_proxy_password_appear_in_no_output_or_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    fake = FakeOpenAI()
    echoed = {"error": {"message": f"Incorrect API key provided: {KEY}", "code": "invalid_key"}}
    fake.reply_with(
        stream_reply(sse([chunk(role="assistant"), chunk("Secret-free "), chunk("reply")])),
        Reply(
            chunks=[json.dumps(echoed).encode()],
            status=401,
            headers={"Content-Type": "application/json"},
        ),
    )
    server = TestServer(fake.app, host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("/v1"))
    proxy = f"http://user:{PASSWORD}@127.0.0.1:{free_port()}"
    env = child_env(data_dir, DESKCHAT_API_KEY=KEY, OPENAI_API_KEY=KEY)
    common = ["--provider", "openai", "--base-url", base, "--model", "m"]
    try:
        ok = await run_deskchat("ask", "-v", *common, "Hello", env=env)
        via_proxy = await run_deskchat("ask", "-v", *common, "--proxy", proxy, "Hello", env=env)
        refused = await run_deskchat("ask", "-v", *common, "Hello again", env=env)
    finally:
        await server.close()

    assert ok[0] == 0, ok[2].decode()
    assert ok[1].decode().strip() == "Secret-free reply"
    # The key did reach the server: the test would prove nothing otherwise.
    assert fake.requests[0]["headers"]["Authorization"] == f"Bearer {KEY}"
    assert b" DEBUG: " in ok[2]  # debug logging was on

    assert via_proxy[0] == 1
    proxy_error = via_proxy[2].decode()
    assert "proxy" in proxy_error
    assert f"127.0.0.1:{proxy.rsplit(':', 1)[1]}" in proxy_error
    assert refused[0] == 1
    assert "Incorrect API key provided" in refused[2].decode()

    # The session's history, saved as the window saves it, then exported.
    with store.Store(store.database_path(data_dir)) as db:
        conv = db.create_conversation()
        for question, result in (("Hello", ok), ("Hello", via_proxy), ("Hello again", refused)):
            user = db.add_message(conv.id, "user", question)
            writer = db.begin_reply(conv.id, parent_id=user.id, provider="openai", model="m")
            text = result[1].decode().strip()
            if text:
                writer.append(text)
            error = result[2].decode().splitlines()[-1] if result[0] else None
            writer.finish("error" if error else "complete", error=error)
    exports = [tmp_path / "history.md", tmp_path / "history.json"]
    for target in exports:
        done = await run_deskchat("export", "-v", "-o", str(target), env=env)
        assert done[0] == 0, done[2].decode()
        assert_clean(f"export {target.name} output", done[1] + done[2])

    for name, (_, out, err) in {"ok": ok, "via-proxy": via_proxy, "refused": refused}.items():
        assert_clean(f"stdout of ask ({name})", out)
        assert_clean(f"stderr and debug log of ask ({name})", err)
    files = [p for p in data_dir.rglob("*") if p.is_file()] + exports
    assert any(p.suffix == ".sqlite3" for p in files)
    for path in files:
        assert_clean(str(path.relative_to(tmp_path)), path.read_bytes())
    assert "Secret-free reply" in exports[0].read_text()


async def test_a_proxy_failure_names_the_proxy_without_its_password(tmp_path: Path) -> None:
    port = free_port()
    chat = OpenAICompatible(
        f"http://127.0.0.1:{free_port()}/v1",
        api_key=KEY,
        proxy=f"http://user:{PASSWORD}@127.0.0.1:{port}",
    )
    with pytest.raises(errors.APIConnectionError) as info:
        async for _ in chat.create_async_generator("m", [{"role": "user", "content": "Hi"}]):
            pass
    text = info.value.text()
    assert f"127.0.0.1:{port}" in text
    assert "proxy" in text
    assert PASSWORD not in text
    assert KEY not in text
    assert PASSWORD not in repr(info.value.args)


def test_saved_settings_keep_no_proxy_password(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.json")
    settings.proxy = f"http://user:{PASSWORD}@127.0.0.1:3128"
    settings.save()
    assert_clean("settings.json", (tmp_path / "settings.json").read_bytes())
