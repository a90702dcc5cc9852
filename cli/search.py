"""``deskchat search QUERY``: the history's hits on stdout, for scripts and for terminals."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from typing import TYPE_CHECKING, TextIO

from deskchat.i18n import _

from . import terminal

if TYPE_CHECKING:
    from deskchat import store

__all__ = ["add_commands", "run_search"]

_BREAKS = re.compile(r"[\r\n\t\v\f]+")
_MARKS = re.compile("[\x02\x03]")
NOTHING = 1
"""The exit code when nothing matches (with a sentence on stderr)."""


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    """Register ``search`` on the main parser."""
    search = commands.add_parser(
        "search",
        parents=[common],
        help=_("search the chat history"),
        description=_(
            "Search the chat history as the window does: every word in any of its forms "
            '(Russian and English), the last word as a prefix, "an exact phrase" in quotes, '
            "-word to leave a word out (after --: deskchat search -- -word other). Prints the "
            "conversation, the time and a snippet of each hit, titles first, then messages, "
            "newest first. Exits with 1 and says so on stderr when nothing matches."
        ),
    )
    search.add_argument("query", nargs="+", metavar="QUERY", help=_("the words to look for"))
    search.add_argument(
        "-n",
        "--limit",
        type=int,
        default=20,
        metavar="N",
        help=_("show at most N hits (default: 20)"),
    )
    search.add_argument(
        "--format",
        choices=("text", "tsv", "json"),
        default="text",
        help=_(
            "text: two lines a hit, for people; tsv: CONVERSATION_ID, MESSAGE_ID (empty for "
            "a title), TIME (ISO 8601), TITLE, SNIPPET, tab-separated, one line a hit; json: "
            "a list of objects with those fields and the matched words (default: text)"
        ),
    )
    terminal.add_output_arguments(search)
    search.set_defaults(func=run_search)


def _open(args: argparse.Namespace) -> store.Store:
    from deskchat import store

    return store.Store(store.database_path(getattr(args, "data_dir", None)))


@terminal.reports_errors
def run_search(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Print the hits of ``args.query`` to ``out``; :data:`NOTHING` when there are none."""
    text = " ".join(args.query)
    with _open(args) as db:
        for notice in (db.recovery_notice, db.read_only_reason):
            if notice:
                terminal.say(notice)
        hits = db.search(text, limit=max(0, args.limit))
    if not hits:
        terminal.say(_("Nothing in the chat history matches “{query}”.").format(query=text))
        return NOTHING
    writer = terminal.writer_for(out or sys.stdout, terminal.output_mode(args))
    writer.write(_FORMATS[args.format](hits))
    writer.finish()
    return 0


def _text(hits: list[store.SearchHit]) -> str:
    lines = []
    for hit in hits:
        title = _one_line(hit.title) or _("Untitled chat")
        what = title if hit.message_id is not None else _("{title} (title)").format(title=title)
        lines.append(f"{_when(hit.created_at)}  {what}\n    {_plain(hit.snippet)}\n")
    return "".join(lines)


def _tsv(hits: list[store.SearchHit]) -> str:
    return "".join(
        "\t".join(
            (
                str(hit.conversation_id),
                "" if hit.message_id is None else str(hit.message_id),
                _iso(hit.created_at),
                _one_line(hit.title),
                _plain(hit.snippet),
            )
        )
        + "\n"
        for hit in hits
    )


def _json(hits: list[store.SearchHit]) -> str:
    rows = [
        {
            "conversation_id": hit.conversation_id,
            "message_id": hit.message_id,
            "time": _iso(hit.created_at),
            "title": hit.title,
            "snippet": _plain(hit.snippet),
            "matches": list(hit.terms),
        }
        for hit in hits
    ]
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


_FORMATS = {"text": _text, "tsv": _tsv, "json": _json}


def _plain(snippet: str) -> str:
    return _one_line(_MARKS.sub("", snippet))


def _one_line(text: str) -> str:
    return _BREAKS.sub(" ", text)


def _moment(timestamp: float) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(timestamp).astimezone()
    except (ValueError, OverflowError, OSError):
        return None  # A time no calendar holds (imported from a broken file).


def _when(timestamp: float) -> str:
    moment = _moment(timestamp)
    return "????-??-?? ??:??" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def _iso(timestamp: float) -> str:
    moment = _moment(timestamp)
    return "" if moment is None else moment.isoformat(timespec="seconds")
