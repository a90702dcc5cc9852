"""The Russian catalogue is complete: every string the code marks is translated, with the
same placeholders, and the compiled .mo the app reads says what the .po says.

A new ``_("...")`` without a translation fails here: run
``python scripts/translations.py extract``, translate in ``resources/locale/ru.po``, then
``python scripts/translations.py compile`` (CONTRIBUTING.md, "Translations").
"""

from __future__ import annotations

import argparse
import ast
import gettext
import io
import re
import string
from pathlib import Path

import pytest

babel_pofile = pytest.importorskip("babel.messages.pofile")
babel_mofile = pytest.importorskip("babel.messages.mofile")

REPO = Path(__file__).resolve().parents[1]
LOCALE = REPO / "resources" / "locale"
FOLDERS = ("app", "attach", "chat", "cli", "gui", "library", "provider", "store", "tools")
LOOKUPS = {"_": (0,), "N_": (0,), "ngettext": (0, 1), "pgettext": (1,)}


def _calls(path: Path) -> list[tuple[str, ast.Call]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [
        (node.func.id, node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in LOOKUPS
    ]


def _sources() -> list[Path]:
    return [p for folder in FOLDERS for p in sorted((REPO / folder).glob("*.py"))]


def code_messages() -> dict[str, str]:
    """Each msgid the code looks up, with where (``path:line``)."""
    found: dict[str, str] = {}
    for path in _sources():
        for name, call in _calls(path):
            arg = call.args[LOOKUPS[name][0]]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.setdefault(arg.value, f"{path.relative_to(REPO)}:{call.lineno}")
    return found


def argparse_messages() -> set[str]:
    """argparse's own words, which deskchat.i18n sends through the same catalogue."""
    path = Path(argparse.__file__)
    found = set()
    for name, call in _calls(path):
        if name in ("_", "ngettext") and call.args:
            arg = call.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
    return found


def _catalogue():
    with (LOCALE / "ru.po").open("rb") as file:
        return babel_pofile.read_po(file, locale="ru")


def _placeholders(text: str) -> set[str]:
    """Named ``{fields}`` and printf ``%(name)s`` / ``%s`` conversions in ``text``."""
    fields = {f"{{{name}}}" for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    printf = set(re.findall(r"%\([a-z_]+\)[sdrf]|%[sdrf]", text))
    return fields | printf


def test_every_lookup_is_a_literal_the_extractor_can_see() -> None:
    """``_(f"...")`` or ``_(variable)`` would never reach the catalogue."""
    bad = []
    for path in _sources():
        for name, call in _calls(path):
            for index in LOOKUPS[name]:
                arg = call.args[index] if len(call.args) > index else None
                if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                    if name == "_" and isinstance(arg, ast.Name | ast.Attribute | ast.Subscript):
                        continue  # a constant marked with N_() where it is defined
                    bad.append(f"{path.relative_to(REPO)}:{call.lineno}: {ast.unparse(call)}")
    assert bad == []


def test_every_string_in_the_code_has_a_russian_translation() -> None:
    catalogue = _catalogue()
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalogue
        if m.id
        and "fuzzy" not in m.flags
        and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    wanted = {**code_messages(), **{m: "argparse" for m in argparse_messages()}}
    missing = sorted(
        f"{where}: {msgid!r}" for msgid, where in wanted.items() if msgid not in translated
    )
    assert missing == [], "untranslated (see this file's docstring):\n" + "\n".join(missing)


def test_no_translation_lost_or_renamed_a_placeholder() -> None:
    wrong = []
    for message in _catalogue():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = _placeholders(ids[-1])
        for text in strings:
            # A singular form may say "one" instead of a bare %s/{n}, as English does.
            got = _placeholders(text)
            if got != expected and not (len(ids) > 1 and got < expected):
                wrong.append(f"{ids[0]!r}: {sorted(expected)} -> {text!r}")
    assert wrong == []


def test_the_compiled_catalogue_matches_the_po() -> None:
    """The app reads the .mo: a .po edited without ``translations.py compile`` fails here."""
    compiled = io.BytesIO()
    babel_mofile.write_mo(compiled, _catalogue(), use_fuzzy=False)
    compiled.seek(0)
    expected = gettext.GNUTranslations(compiled)
    with (LOCALE / "ru.mo").open("rb") as file:
        shipped = gettext.GNUTranslations(file)
    assert shipped._catalog == expected._catalog  # type: ignore[attr-defined]
    forms = [shipped.plural(n) for n in (1, 21, 3, 24, 5, 11, 111)]  # type: ignore[attr-defined]
    assert forms == [0, 0, 1, 1, 2, 2, 2]


def test_the_checker_finds_a_missing_placeholder() -> None:
    assert _placeholders("Saved {name} in {folder}.") == {"{name}", "{folder}"}
    assert _placeholders("%(prog)s: error: %(message)s") == {"%(prog)s", "%(message)s"}
    assert _placeholders("Сохранено {name}.") != _placeholders("Saved {name} in {folder}.")
