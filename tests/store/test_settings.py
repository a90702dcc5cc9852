"""Settings: defaults, typed values, unknown keys kept, atomic writes, broken files survived."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from deskchat.store import Settings, settings_path
from deskchat.store.settings import join_proxy_password, split_proxy_password


def test_defaults_without_a_file(tmp_path: Path) -> None:
    s = Settings.load(tmp_path / "settings.json")
    assert s.notice is None
    assert s.as_dict() == Settings.DEFAULTS
    assert not (tmp_path / "settings.json").exists()


def test_default_location_is_the_data_dir() -> None:
    assert Settings.load().path == settings_path()


def test_round_trip_and_unknown_keys_kept(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"future_option": [1, 2], "theme": "dark"}))
    s = Settings.load(path)
    assert s.theme == "dark"
    s.model = "gpt-4o-mini"
    s.temperature = 0.3
    s.font_size = 14
    s.send_key = "ctrl+enter"
    s.proxy = "socks5://127.0.0.1:9050"
    s.fallback_provider = "ollama"
    s.save()
    again = Settings.load(path)
    assert again.as_dict() == {
        **Settings.DEFAULTS,
        "theme": "dark",
        "model": "gpt-4o-mini",
        "temperature": 0.3,
        "font_size": 14,
        "send_key": "ctrl+enter",
        "proxy": "socks5://127.0.0.1:9050",
        "fallback_provider": "ollama",
    }
    assert again.extra == {"future_option": [1, 2]}


def test_wrong_types_read_as_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps({"temperature": "hot", "font_size": 500, "theme": "neon", "model": 3})
    )
    s = Settings.load(path)
    assert (s.temperature, s.font_size, s.theme, s.model) == (0.7, 11, "system", "")


def test_setters_refuse_bad_values(tmp_path: Path) -> None:
    s = Settings.load(tmp_path / "settings.json")
    with pytest.raises(ValueError, match="theme"):
        s.theme = "neon"
    with pytest.raises(ValueError, match="send_key"):
        s.send_key = "shift"
    with pytest.raises(ValueError, match="temperature"):
        s.temperature = 3.5


def test_secrets_are_never_written(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"api_key": "sk-123", "openai_token": "t", "theme": "light"}))
    s = Settings.load(path)
    s.save()
    text = path.read_text()
    assert "sk-123" not in text
    assert "openai_token" not in text
    assert json.loads(text) == {"theme": "light"}
    for hint in ("api", "token", "secret", "password"):
        assert not any(hint in name for name in Settings.DEFAULTS)


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "\xff\xfe garbage"])
def test_broken_file_gives_defaults_and_is_kept(tmp_path: Path, content: str) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(content.encode("latin-1"))
    s = Settings.load(path)
    assert s.as_dict() == Settings.DEFAULTS
    assert s.notice is not None
    moved = [p for p in tmp_path.iterdir() if p.name.startswith("settings.json.broken-")]
    assert len(moved) == 1
    assert moved[0].read_bytes() == content.encode("latin-1")
    assert str(moved[0]) in s.notice
    s.save()
    assert Settings.load(path).notice is None


def test_write_is_atomic(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "settings.json"
    s = Settings.load(path)
    s.theme = "dark"
    s.save()
    original = path.read_bytes()

    def crash(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    s.theme = "light"
    with pytest.raises(OSError, match="disk full"):
        s.save()
    # The old file is whole and no temporary file is left behind.
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]


def test_save_creates_the_data_dir(tmp_path: Path) -> None:
    s = Settings(tmp_path / "new" / "dir" / "settings.json")
    s.font_size = 12
    s.save()
    assert Settings.load(tmp_path / "new" / "dir" / "settings.json").font_size == 12


def test_the_proxy_is_saved_without_its_password(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    s = Settings(path)
    s.proxy = "http://me:pa%3Ass@proxy.example:3128"
    s.save()
    raw = path.read_text(encoding="utf-8")
    assert "pa%3Ass" not in raw
    assert json.loads(raw)["proxy"] == "http://me@proxy.example:3128"
    assert Settings.load(path).proxy == "http://me@proxy.example:3128"


@pytest.mark.parametrize(
    ("typed", "clean", "password"),
    [
        ("http://me:secret@proxy:3128", "http://me@proxy:3128", "secret"),
        ("socks5://u:p@ss@127.0.0.1:9050/", "socks5://u@127.0.0.1:9050/", "p@ss"),
        ("me:secret@proxy:3128", "me@proxy:3128", "secret"),
        ("http://me@proxy:3128", "http://me@proxy:3128", None),
        ("http://proxy:3128", "http://proxy:3128", None),
        ("", "", None),
    ],
)
def test_proxy_password_split_and_join(typed: str, clean: str, password: str | None) -> None:
    assert split_proxy_password(typed) == (clean, password)
    assert join_proxy_password(clean, password) == typed


def test_joining_keeps_a_typed_password_and_needs_a_user_part() -> None:
    assert join_proxy_password("http://me:typed@proxy:3128", "other") == (
        "http://me:typed@proxy:3128"
    )
    assert join_proxy_password("http://proxy:3128", "other") == "http://proxy:3128"


def test_extra_headers_round_trip_and_ignore_junk(tmp_path) -> None:
    from deskchat.store import Settings

    path = tmp_path / "settings.json"
    settings = Settings.load(path)
    assert settings.extra_headers == {}
    settings.extra_headers = {"X-Title": "DeskChat"}
    settings.save()
    assert Settings.load(path).extra_headers == {"X-Title": "DeskChat"}
    path.write_text('{"extra_headers": ["not", "a", "dict"]}', encoding="utf-8")
    assert Settings.load(path).extra_headers == {}


def test_the_default_provider_is_auto_and_no_setup_choice_is_made(tmp_path: Path) -> None:
    s = Settings.load(tmp_path / "settings.json")
    assert s.provider == "auto"
    assert s.setup_choice == ""


def test_setup_choice_round_trip_and_unknown_values(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    s = Settings.load(path)
    s.setup_choice = "model"
    s.save()
    assert Settings.load(path).setup_choice == "model"
    with pytest.raises(ValueError, match="setup_choice"):
        s.setup_choice = "whatever"
    path.write_text(json.dumps({"setup_choice": "from-the-future"}))
    assert Settings.load(path).setup_choice == ""


def test_engine_settings_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    s = Settings.load(path)
    assert (s.engine_context, s.engine_gpu_layers, s.engine_idle_minutes) == (0, "auto", 10)
    s.engine_context = 8192
    s.engine_gpu_layers = "none"
    s.engine_idle_minutes = 0
    s.save()
    again = Settings.load(path)
    assert (again.engine_context, again.engine_gpu_layers, again.engine_idle_minutes) == (
        8192,
        "none",
        0,
    )


def test_engine_settings_refuse_and_ignore_bad_values(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    s = Settings.load(path)
    with pytest.raises(ValueError, match="engine_context"):
        s.engine_context = -1
    with pytest.raises(ValueError, match="engine_gpu_layers"):
        s.engine_gpu_layers = "some"
    with pytest.raises(ValueError, match="engine_idle_minutes"):
        s.engine_idle_minutes = 100_000
    path.write_text(
        json.dumps({"engine_context": -5, "engine_gpu_layers": 3, "engine_idle_minutes": "x"})
    )
    s = Settings.load(path)
    assert (s.engine_context, s.engine_gpu_layers, s.engine_idle_minutes) == (0, "auto", 10)


def test_the_names_of_the_keyring_headers_are_a_record_not_a_setting(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    fresh = Settings.load(path)
    # No file was ever written, so the keyring holds no extra header for it.
    assert fresh.keyring_headers == ()
    fresh.keyring_headers = ["X-Api-Key", "X-Org"]
    fresh.save()
    again = Settings.load(path)
    assert again.keyring_headers == ("X-Api-Key", "X-Org")
    assert "keyring_headers" not in again.as_dict()
    assert again.extra == {}
    # A file written before the names were noted: not known, the keyring must be asked.
    path.write_text(json.dumps({"theme": "dark"}))
    assert Settings.load(path).keyring_headers is None
    path.write_text(json.dumps({"keyring_headers": "X-Api-Key"}))
    assert Settings.load(path).keyring_headers is None


def test_the_providers_with_a_key_in_the_keyring_are_a_record_not_a_setting(
    tmp_path: Path,
) -> None:
    path = tmp_path / "settings.json"
    fresh = Settings.load(path)
    # No file was ever written, so the keyring holds no key DeskChat stored for it.
    assert fresh.keyring_keys == ()
    fresh.keyring_keys = ["llamacpp", "vllm"]
    fresh.save()
    again = Settings.load(path)
    assert again.keyring_keys == ("llamacpp", "vllm")
    assert "keyring_keys" not in again.as_dict()
    assert again.extra == {}
    # A file written before the providers were noted: not known, the keyring must be asked.
    path.write_text(json.dumps({"theme": "dark"}))
    assert Settings.load(path).keyring_keys is None
