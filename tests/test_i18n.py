"""deskchat.i18n: the language chosen from the setting and the locale, plural forms, numbers."""

from __future__ import annotations

import argparse

import pytest

from deskchat import i18n
from deskchat.i18n import _, ngettext


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "ru_RU.UTF-8"}, "ru"),
        ({"LANG": "ru_RU"}, "ru"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),  # no German catalogue: English
        ({"LC_MESSAGES": "ru_RU.UTF-8", "LANG": "en_US.UTF-8"}, "ru"),
        ({"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "ru_RU.UTF-8"}, "en"),
        ({"LC_ALL": "ru_RU.UTF-8", "LANG": "en_GB.UTF-8"}, "ru"),
        ({"LANGUAGE": "ru:en", "LANG": "en_US.UTF-8"}, "ru"),
        ({"LANGUAGE": "uk:ru", "LANG": "uk_UA.UTF-8"}, "ru"),
        ({"LANGUAGE": "ru", "LANG": "C.UTF-8"}, "en"),  # the C locale ignores LANGUAGE, as gettext
        ({"LANG": "POSIX"}, "en"),
        ({}, "en"),
    ],
)
def test_the_language_follows_the_locale(environ: dict[str, str], expected: str) -> None:
    assert i18n.choose("", environ) == expected


def test_the_desktop_language_counts_only_without_a_locale() -> None:
    assert i18n.choose("", {}, desktop=["ru-RU", "en-US"]) == "ru"
    assert i18n.choose("", {"LANG": "en_US.UTF-8"}, desktop=["ru-RU"]) == "en"


def test_the_setting_beats_the_locale_and_the_variable_beats_the_setting() -> None:
    assert i18n.choose("ru", {"LANG": "en_US.UTF-8"}) == "ru"
    assert i18n.choose("en", {"LANG": "ru_RU.UTF-8"}) == "en"
    assert i18n.choose("", {"LANG": "ru_RU.UTF-8"}) == "ru"  # empty: the system's
    assert i18n.choose("ru", {"DESKCHAT_LANGUAGE": "en"}) == "en"
    assert i18n.choose("en", {"DESKCHAT_LANGUAGE": "ru_RU"}) == "ru"
    assert i18n.choose("xx", {"DESKCHAT_LANGUAGE": "yy", "LANG": "ru_RU.UTF-8"}) == "ru"


def test_setup_uses_the_chosen_language() -> None:
    try:
        assert i18n.setup("", {"LANG": "ru_RU.UTF-8"}) == "ru"
        assert i18n.language() == "ru"
        assert _("options") == "параметры"
    finally:
        i18n.use("en")
    assert i18n.language() == "en"
    assert _("options") == "options"


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "нужен 1 аргумент"),
        (2, "нужно 2 аргумента"),
        (4, "нужно 4 аргумента"),
        (5, "нужно 5 аргументов"),
        (11, "нужно 11 аргументов"),
        (12, "нужно 12 аргументов"),
        (14, "нужно 14 аргументов"),
        (21, "нужен 21 аргумент"),
        (22, "нужно 22 аргумента"),
        (25, "нужно 25 аргументов"),
        (101, "нужен 101 аргумент"),
        (111, "нужно 111 аргументов"),
        (0, "нужно 0 аргументов"),
    ],
)
def test_russian_plural_forms(russian: None, n: int, expected: str) -> None:
    assert ngettext("expected %s argument", "expected %s arguments", n) % n == expected


def test_english_plural_forms() -> None:
    assert ngettext("expected %s argument", "expected %s arguments", 1) % 1 == "expected 1 argument"
    assert ngettext("expected %s argument", "expected %s arguments", 21) % 21 == (
        "expected 21 arguments"
    )


def test_numbers_follow_the_language(russian: None) -> None:
    assert i18n.number(1234) == "1\u00a0234"
    assert i18n.number(1234567) == "1\u00a0234\u00a0567"
    assert i18n.number(12.5, 1) == "12,5"
    assert i18n.number(-1234.25, 2) == "-1\u00a0234,25"


def test_numbers_in_english() -> None:
    assert i18n.number(1234) == "1,234"
    assert i18n.number(12.5, 1) == "12.5"


def test_a_language_without_a_catalogue_falls_back_to_english() -> None:
    i18n.use("xx")
    assert i18n.language() == "en"
    assert _("options") == "options"


def test_argparse_speaks_the_language(russian: None) -> None:
    i18n.translate_argparse()
    parser = argparse.ArgumentParser(prog="deskchat")
    parser.add_argument("--name", required=True)
    text = parser.format_help()
    assert text.startswith("использование: deskchat")
    assert "показать эту справку и выйти" in text
    assert "параметры:" in text
    with pytest.raises(SystemExit):
        parser.parse_args([])


def test_argparse_errors_in_russian(russian: None, capsys: pytest.CaptureFixture[str]) -> None:
    i18n.translate_argparse()
    parser = argparse.ArgumentParser(prog="deskchat")
    parser.add_argument("--name", required=True)
    with pytest.raises(SystemExit):
        parser.parse_args([])
    err = capsys.readouterr().err
    assert "deskchat: ошибка: не хватает обязательных аргументов: --name" in err


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1 символ"),
        (21, "21 символ"),
        (3, "3 символа"),
        (7, "7 символов"),
        (11, "11 символов"),
        (1234, "1\u00a0234 символа"),
    ],
)
def test_characters_counted_in_russian(russian: None, n: int, expected: str) -> None:
    """The footer's and the line limit's counts: number() and ngettext together."""
    text = ngettext("{n} character", "{n} characters", n).format(n=i18n.number(n))
    assert text == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "Импортирована 1 беседа."),
        (2, "Импортированы 2 беседы."),
        (5, "Импортировано 5 бесед."),
        (21, "Импортирована 21 беседа."),
        (12, "Импортировано 12 бесед."),
    ],
)
def test_imported_conversations_in_russian(russian: None, n: int, expected: str) -> None:
    text = ngettext("Imported {n} conversation.", "Imported {n} conversations.", n)
    assert text.format(n=n) == expected


def test_sizes_and_footers_in_russian(russian: None) -> None:
    from deskchat.library.formatting import format_size

    assert format_size(1_930_000_000) == "1,93 ГБ"
    assert format_size(398_000_000) == "398 МБ"
    assert format_size(512) == "512 Б"


def test_sizes_in_english() -> None:
    from deskchat.library.formatting import format_size

    assert format_size(1_930_000_000) == "1.93 GB"
    assert format_size(1_234_000_000_000_000) == "1,234 TB"
