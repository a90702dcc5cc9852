"""``deskchat export`` and ``deskchat import``: history in and out, headless."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from deskchat.i18n import _, ngettext, number

from . import terminal

if TYPE_CHECKING:
    from deskchat import store

__all__ = ["add_commands"]

_LINE_BREAKS = re.compile(r"[\r\n\t\v\f]+")


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    """Register the history subcommands on the main parser."""
    export = commands.add_parser(
        "export",
        parents=[common],
        help=_("export conversations to Markdown or JSON"),
        description=_(
            "Export conversations (all, or those named with --id) to Markdown or "
            "DeskChat JSON (schema: docs/export-format.md). Writes to stdout unless "
            "-o is given."
        ),
    )
    export.add_argument(
        "--format", choices=("markdown", "json"), help=_("default: from -o's suffix, else markdown")
    )
    export.add_argument(
        "--id",
        type=int,
        action="append",
        dest="ids",
        metavar="ID",
        help=_("a conversation id (repeatable); see --list"),
    )
    export.add_argument("-o", "--output", metavar="FILE", help=_("write to FILE instead of stdout"))
    export.add_argument(
        "--list",
        action="store_true",
        help=_("list conversations (id, last update, title), one line each, instead"),
    )
    terminal.add_output_arguments(export)
    export.set_defaults(func=run_export)

    imp = commands.add_parser(
        "import",
        parents=[common],
        help=_("import DeskChat JSON or a ChatGPT export"),
        description=_(
            "Import a DeskChat JSON export, or a ChatGPT data export "
            "(conversations.json or its zip). Conversations imported before are "
            "skipped; a bad file changes nothing."
        ),
    )
    imp.add_argument("file", help=_("the file to import"))
    imp.set_defaults(func=run_import)


def _open(args: argparse.Namespace) -> store.Store:
    from deskchat import store

    return store.Store(store.database_path(getattr(args, "data_dir", None)))


@terminal.reports_errors
def run_export(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Write the export (or the list) to ``out``; on a terminal, control characters are
    shown, not obeyed (see :mod:`deskchat.cli.terminal`)."""
    writer = terminal.writer_for(out or sys.stdout, terminal.output_mode(args))
    with _open(args) as db:
        _report_notices(db)
        if args.list:
            for conv in db.list_conversations():
                writer.write(f"{conv.id}\t{_when(conv.updated_at)}\t{_one_line(conv.title)}\n")
            return 0
        for cid in args.ids or ():
            db.get_conversation(cid)  # A wrong id is an error, not an empty export.
        from deskchat import store

        if args.output:
            path = store.write_export(db, Path(args.output), args.ids, fmt=args.format)
            sys.stderr.write(_("Exported to {path}\n").format(path=path))
            return 0
        if args.format == "json":
            writer.write(store.export_json(db, args.ids))
        else:
            writer.write(store.to_markdown(db, args.ids))
        writer.finish()
    return 0


@terminal.reports_errors
def run_import(args: argparse.Namespace) -> int:
    from deskchat import store

    with _open(args) as db:
        if db.read_only_reason:  # said once: the import would only say it again
            terminal.say(db.read_only_reason)
            return 1
        _report_notices(db)
        result = store.import_file(db, args.file)
    n = len(result.imported)
    imported = ngettext("Imported {n} conversation", "Imported {n} conversations", n)
    skipped = ngettext(
        "skipped {n} already imported", "skipped {n} already imported", result.skipped
    )
    sys.stdout.write(
        f"{imported.format(n=number(n))}; {skipped.format(n=number(result.skipped))}.\n"
    )
    for note in result.notes:  # e.g. which of several conversations.json was read
        terminal.say(note)
    return 0


def _report_notices(db: store.Store) -> None:
    for notice in (db.recovery_notice, db.read_only_reason):
        if notice:
            terminal.say(notice)


def _when(timestamp: float) -> str:
    try:
        return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")
    except (ValueError, OverflowError, OSError):
        # A time no calendar holds (imported from a broken file): the rest of the
        # list is still worth showing.
        return "????-??-?? ??:??"


def _one_line(title: str) -> str:
    """A title fit for a one-line-per-conversation list: line breaks and tabs as spaces."""
    return _LINE_BREAKS.sub(" ", title)
