"""Translations: the one lookup every package uses, Qt-free (stdlib gettext).

Mark each string a person reads and translate it when it is shown::

    from deskchat.i18n import _, ngettext

    _("Saved {name}.").format(name=name)
    ngettext("{n} message", "{n} messages", n).format(n=number(n))

Placeholders are named (``{name}``), filled with ``str.format`` after the lookup,
so a translation may put them in any order. A string kept in a module-level
constant is marked with :func:`N_` and passed through :func:`_` where it is shown:
``_()`` looks up the language chosen when it is called, not when a module is
imported (:func:`setup` runs after the imports).

The catalogues are ``resources/locale/<language>.mo``, compiled from the ``.po``
beside them (CONTRIBUTING.md, "Translations"). English is the source language and
the fallback: a string missing from a catalogue shows in English.

This module is on the bottom floor: it imports nothing of DeskChat's, and only
``gettext`` and ``os`` from the standard library (a fraction of a millisecond).
"""

from __future__ import annotations

import gettext
import importlib.util
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = [
    "LANGUAGES",
    "N_",
    "_",
    "catalogue_path",
    "choose",
    "language",
    "ngettext",
    "number",
    "pgettext",
    "setup",
    "size",
    "system_language",
    "translate_argparse",
    "use",
]

LANGUAGES: dict[str, str] = {"en": "English", "ru": "Русский"}
"""The languages DeskChat speaks, each named in itself (as the settings list them)."""
SOURCE = "en"
ENV = "DESKCHAT_LANGUAGE"
"""Set to a language code (``ru``, ``en``) to override the setting and the system's locale."""

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = SOURCE


def _(message: str) -> str:
    """``message`` in the current language (English when no translation is known)."""
    return _translations.gettext(message)


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark ``message`` for translation without translating it (a constant, shown later)."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for the number ``n`` in the current language.

    Russian has three forms (1 сообщение, 2 сообщения, 5 сообщений); the catalogue's
    ``Plural-Forms`` header says which one ``n`` takes.
    """
    return _translations.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` translated in ``context``, for a word that translates differently by use."""
    return _translations.pgettext(context, message)


def language() -> str:
    """The code of the language strings are shown in (``"en"``, ``"ru"``)."""
    return _language


def _root() -> Path:
    # Where deskchat.resources is, frozen or not (an editable install keeps it outside
    # this folder). That package is a floor above this one: found, not imported.
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    spec = importlib.util.find_spec("deskchat.resources")
    assert spec is not None
    assert spec.submodule_search_locations is not None
    return Path(next(iter(spec.submodule_search_locations)))


def catalogue_path(code: str) -> Path:
    """Where the compiled catalogue of language ``code`` is (it may be missing)."""
    return _root() / "locale" / f"{code}.mo"


def _known(tag: str) -> str | None:
    """The language of a locale name (``ru_RU.UTF-8``, ``ru-RU``, ``ru``) if DeskChat has it."""
    code = tag.strip().split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return code if code in LANGUAGES else None


def _is_c_locale(name: str) -> bool:
    return name.split(".")[0] in ("C", "POSIX")


def system_language(
    environ: Mapping[str, str] | None = None, desktop: Iterable[str] = ()
) -> str | None:
    """The language the system asks for, if DeskChat has it; None to fall back.

    As GNU gettext reads it: the locale is the first of ``LC_ALL``, ``LC_MESSAGES`` and
    ``LANG`` that is set; the C locale means English and ignores ``LANGUAGE``; otherwise
    ``LANGUAGE`` (a list, ``ru:en``) is tried first, then the locale's own language. With
    none of them set, the desktop's languages (``desktop``: the window passes Qt's list,
    which knows Windows' and macOS' preference), then Windows' user language.
    """
    env = os.environ if environ is None else environ
    locale_name = next((env[k] for k in ("LC_ALL", "LC_MESSAGES", "LANG") if env.get(k)), "")
    if locale_name and _is_c_locale(locale_name):
        return SOURCE
    for tag in env.get("LANGUAGE", "").split(":"):
        found = _known(tag) if tag else None
        if found:
            return found
    if locale_name:
        return _known(locale_name) or SOURCE
    for tag in desktop:
        found = _known(tag)
        if found:
            return found
    return _windows_language()


def _windows_language() -> str | None:
    if sys.platform != "win32":
        return None
    import ctypes
    import locale

    lcid = ctypes.windll.kernel32.GetUserDefaultUILanguage()
    return _known(locale.windows_locale.get(lcid, ""))


def choose(
    saved: str = "", environ: Mapping[str, str] | None = None, desktop: Iterable[str] = ()
) -> str:
    """The language to show: ``DESKCHAT_LANGUAGE``, else the setting (``saved``; empty means
    the system's), else the system's locale, else English."""
    env = os.environ if environ is None else environ
    for wanted in (env.get(ENV, ""), saved):
        found = _known(wanted) if wanted else None
        if found:
            return found
    return system_language(env, desktop) or SOURCE


def use(code: str) -> None:
    """Show strings in language ``code`` from now on (English if it has no catalogue)."""
    global _translations, _language
    path = catalogue_path(code)
    if code == SOURCE or not path.exists():
        _translations, _language = gettext.NullTranslations(), SOURCE
        return
    with path.open("rb") as file:
        _translations = gettext.GNUTranslations(file)
    _language = code


def setup(
    saved: str = "", environ: Mapping[str, str] | None = None, desktop: Iterable[str] = ()
) -> str:
    """Choose the language (:func:`choose`) and use it; returns its code."""
    code = choose(saved, environ, desktop)
    use(code)
    translate_argparse()
    return code


def translate_argparse() -> None:
    """Have argparse's own words (``usage:``, ``options``, its errors) looked up here too.

    argparse calls the module-level names ``_`` and ``ngettext`` it took from gettext,
    which read gettext's global domain; pointing them at this module's lookup puts
    them in the one catalogue. Only when argparse is already imported (the CLI).
    """
    argparse = sys.modules.get("argparse")
    if argparse is not None:
        argparse._ = _  # type: ignore[attr-defined]
        argparse.ngettext = ngettext  # type: ignore[attr-defined]


def size(count: float) -> str:
    """Bytes in decimal units, as the Hub and file managers show them: ``512 B``,
    ``398 MB``, ``1.93 GB`` (in Russian ``398 МБ``, ``1,93 ГБ``)."""
    if count < 1000:
        return _("{n} B").format(n=int(count))
    units = (N_("{n} kB"), N_("{n} MB"), N_("{n} GB"), N_("{n} TB"))
    for unit in units:
        count /= 1000
        if count < 999.5 or unit == units[-1]:
            break
    digits = 0 if count >= 99.95 else 1 if count >= 9.995 else 2
    return _(unit).format(n=number(count, digits))


def number(value: float, decimals: int = 0) -> str:
    """``value`` written as the current language writes numbers.

    English ``1,234.5``; Russian ``1 234,5`` with a no-break space (U+00A0) between
    groups, so a number never breaks across lines. A small formatter of our own, not
    Babel: two languages need two rules, and Babel would cost the start-up ~30 ms.
    """
    text = f"{value:,.{decimals}f}"
    if _language == "ru":
        return text.replace(",", "\u00a0").replace(".", ",")
    return text
