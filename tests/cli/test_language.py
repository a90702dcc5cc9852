"""The command line speaks the user's language: LANG, the Language setting, DESKCHAT_LANGUAGE."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deskchat import i18n
from deskchat.cli.main import main
from deskchat.store import Settings
from deskchat.store.settings import saved_language


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    clean.pop(i18n.ENV, None)
    return subprocess.run(
        [sys.executable, "-m", "deskchat", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_is_russian_under_a_russian_locale() -> None:
    result = _run("--help", env={"LANG": "ru_RU.UTF-8"})
    assert result.returncode == 0
    assert result.stdout.startswith("использование: deskchat")
    assert "показать эту справку и выйти" in result.stdout
    assert "настольный клиент для бесед с языковыми моделями" in result.stdout


def test_usage_errors_are_russian_too() -> None:
    result = _run("ask", env={"LANG": "ru_RU.UTF-8"})
    assert result.returncode == 2
    assert "ошибка: не хватает обязательных аргументов: question" in result.stderr


def test_help_is_english_under_an_english_or_c_locale() -> None:
    for lang in ("en_US.UTF-8", "C.UTF-8"):
        result = _run("--help", env={"LANG": lang})
        assert result.stdout.startswith("usage: deskchat"), lang


def test_the_setting_chooses_the_language_over_the_locale(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "settings.json").write_text(json.dumps({"language": "ru"}), encoding="utf-8")
    result = _run("--help", env={"LANG": "en_US.UTF-8", "DESKCHAT_DATA_DIR": str(data)})
    assert result.stdout.startswith("использование:")
    forced = _run(
        "--help",
        env={"LANG": "en_US.UTF-8", "DESKCHAT_DATA_DIR": str(data), i18n.ENV: "en"},
    )
    assert forced.stdout.startswith("usage:")


def test_a_message_of_the_command_line_in_russian(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(i18n.ENV, "ru")
    try:
        assert main(["ask", ""]) == 2
    finally:
        i18n.use("en")
    assert "Вопрос пустой" in capsys.readouterr().err


def test_the_language_setting_is_kept_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings = Settings(path)
    assert settings.language == ""  # the system's
    settings.language = "ru"
    settings.save()
    assert Settings.load(path).language == "ru"
    assert saved_language(path) == "ru"
    with pytest.raises(ValueError):
        settings.language = "xx"
    path.write_text(json.dumps({"language": "klingon"}), encoding="utf-8")
    assert Settings.load(path).language == ""
    assert saved_language(path) == ""
    path.write_text("{broken", encoding="utf-8")
    assert saved_language(path) == ""
    assert path.exists()  # read without moving the broken file aside
    assert saved_language(tmp_path / "missing.json") == ""
