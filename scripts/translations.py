"""Keep the translation catalogues in step with the code (CONTRIBUTING.md, "Translations").

    python scripts/translations.py extract   # the code's strings -> deskchat.pot, each .po updated
    python scripts/translations.py compile   # each .po -> .mo (committed; the app reads only .mo)

Needs Babel (a test dependency, not a run-time one). The strings are those passed as
literals to ``_``, ``N_``, ``ngettext`` and ``pgettext`` in the packages, plus argparse's
own (``usage:``, ``options``, its errors), which deskchat.i18n looks up in the same
catalogue.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

REPO = Path(__file__).resolve().parents[1]
LOCALE = REPO / "resources" / "locale"
FOLDERS = ("app", "attach", "chat", "cli", "gui", "library", "provider", "store", "tools")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


def template() -> Catalog:
    """Every string to translate, with where it is used."""
    # A fixed date: the header then changes only when the strings do.
    catalog = Catalog(
        project="DeskChat", domain="deskchat", creation_date=datetime(2026, 12, 1, tzinfo=UTC)
    )
    for folder in FOLDERS:
        for name, line, message, comments, context in extract_from_dir(
            REPO / folder, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
        ):
            catalog.add(
                message,
                locations=[(f"{folder}/{name}", line)],
                auto_comments=comments,
                context=context,
            )
    for line, message, comments, context in extract_from_file(
        "python", argparse.__file__, keywords={"_": None, "ngettext": (1, 2)}
    ):
        catalog.add(
            message, locations=[("argparse.py", line)], auto_comments=comments, context=context
        )
    return catalog


def extract() -> None:
    pot = template()
    for po_path in sorted(LOCALE.glob("*.po")):
        with po_path.open("rb") as file:
            catalog = read_po(file, locale=po_path.stem)
        catalog.update(pot, no_fuzzy_matching=True)
        with po_path.open("wb") as out:
            write_po(out, catalog, width=100, ignore_obsolete=True)
        untranslated = [m.id for m in catalog if m.id and not m.string]
        print(f"{po_path.name}: {len(untranslated)} untranslated")  # noqa: T201


def compile_all() -> None:
    for po_path in sorted(LOCALE.glob("*.po")):
        with po_path.open("rb") as file:
            catalog = read_po(file, locale=po_path.stem)
        with po_path.with_suffix(".mo").open("wb") as out:
            write_mo(out, catalog, use_fuzzy=False)


if __name__ == "__main__":
    {"extract": extract, "compile": compile_all}[sys.argv[1]]()
