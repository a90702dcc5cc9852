"""``deskchat export`` and ``deskchat import``: history in and out, headless."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from deskchat import store

__all__ = ["add_commands"]


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    """Register the history subcommands on the main parser."""
    export = commands.add_parser(
        "export",
        parents=[common],
        help="export conversations to Markdown or JSON",
        description="Export conversations (all, or those named with --id) to Markdown or "
        "DeskChat JSON (schema: docs/export-format.md). Writes to stdout unless -o is given.",
    )
    export.add_argument(
        "--format", choices=("markdown", "json"), help="default: from -o's suffix, else markdown"
    )
    export.add_argument(
        "--id",
        type=int,
        action="append",
        dest="ids",
        metavar="ID",
        help="a conversation id (repeatable); see --list",
    )
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    export.add_argument(
        "--list", action="store_true", help="list conversations (id, last update, title) instead"
    )
    export.set_defaults(func=run_export)

    imp = commands.add_parser(
        "import",
        parents=[common],
        help="import DeskChat JSON or a ChatGPT export",
        description="Import a DeskChat JSON export, or a ChatGPT data export "
        "(conversations.json or its zip). Conversations imported before are skipped; "
        "a bad file changes nothing.",
    )
    imp.add_argument("file", help="the file to import")
    imp.set_defaults(func=run_import)


def _reports_store_errors(command: Callable[..., int]) -> Callable[..., int]:
    """A store failure becomes one line on stderr and exit code 1."""

    @wraps(command)
    def run(*args: object, **kwargs: object) -> int:
        from deskchat import store  # Only the history commands pay for loading the store.

        try:
            return command(*args, **kwargs)
        except store.StoreError as exc:
            sys.stderr.write(f"deskchat: {exc.text()}\n")
            return 1

    return run


def _open(args: argparse.Namespace) -> store.Store:
    from deskchat import store

    return store.Store(store.database_path(getattr(args, "data_dir", None)))


@_reports_store_errors
def run_export(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    with _open(args) as db:
        _report_notices(db)
        if args.list:
            for conv in db.list_conversations():
                out.write(f"{conv.id}\t{_when(conv.updated_at)}\t{conv.title}\n")
            return 0
        for cid in args.ids or ():
            db.get_conversation(cid)  # A wrong id is an error, not an empty export.
        from deskchat import store

        if args.output:
            path = store.write_export(db, Path(args.output), args.ids, fmt=args.format)
            sys.stderr.write(f"Exported to {path}\n")
            return 0
        if args.format == "json":
            out.write(store.export_json(db, args.ids))
        else:
            out.write(store.to_markdown(db, args.ids))
    return 0


@_reports_store_errors
def run_import(args: argparse.Namespace) -> int:
    from deskchat import store

    with _open(args) as db:
        _report_notices(db)
        result = store.import_file(db, args.file)
    sys.stdout.write(
        f"Imported {len(result.imported)} conversation(s); "
        f"skipped {result.skipped} already imported.\n"
    )
    return 0


def _report_notices(db: store.Store) -> None:
    for notice in (db.recovery_notice, db.read_only_reason):
        if notice:
            sys.stderr.write(f"deskchat: {notice}\n")


def _when(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")
