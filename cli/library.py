"""``deskchat pull``, ``deskchat rm`` and ``deskchat add``: the model library, headless."""

from __future__ import annotations

import argparse
import shutil
import sys
from typing import TYPE_CHECKING, TextIO

from deskchat.i18n import _, ngettext, number

from . import terminal

if TYPE_CHECKING:
    from deskchat import library

__all__ = ["add_commands", "run_add", "run_pull", "run_rm"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    """Register the model-library subcommands on the main parser."""
    pull = commands.add_parser(
        "pull",
        parents=[common],
        help=_("download a GGUF model from Hugging Face"),
        description=_(
            "Download OWNER/REPO[:QUANT] from Hugging Face, as llama.cpp's -hf does: "
            "the .gguf whose name contains QUANT (default Q4_K_M, else the "
            "smallest). A model already on this machine is used where it is. The "
            "download resumes after an interruption and is checked against the "
            "sha256 the Hub publishes. HF_ENDPOINT and HF_TOKEN (or `hf auth login`) "
            "are honoured. Ctrl+C stops and keeps the part."
        ),
    )
    pull.add_argument("model", nargs="?", metavar="OWNER/REPO[:QUANT]", help=_("what to download"))
    pull.add_argument(
        "--list",
        action="store_true",
        help=_("list small models that run on a CPU, and which fit this machine"),
    )
    pull.set_defaults(func=run_pull)

    rm = commands.add_parser(
        "rm",
        parents=[common],
        help=_("delete a model DeskChat downloaded"),
        description=_(
            "Delete a model DeskChat downloaded (its name as `deskchat models` lists "
            "it, or its path). Models of other apps (the Hugging Face cache, LM "
            "Studio, GPT4All, Ollama) are never deleted; a file you added is only "
            "taken off the list."
        ),
    )
    rm.add_argument("name", help=_("the model's name or path"))
    rm.set_defaults(func=run_rm)

    add = commands.add_parser(
        "add",
        parents=[common],
        help=_("add a .gguf file to the local models"),
        description=_(
            "Remember a .gguf file where it is, so it is listed and can be used by "
            "name. Nothing is copied."
        ),
    )
    add.add_argument("file", help=_("the .gguf file"))
    add.set_defaults(func=run_add)


@terminal.reports_errors
def run_pull(args: argparse.Namespace) -> int:
    from deskchat import library

    out, err = sys.stdout, sys.stderr
    if getattr(args, "list", False) or not args.model:
        _write_catalogue(out if args.list else err)
        if not args.list:
            err.write(_("Give one of them (or any OWNER/REPO[:QUANT]) to `deskchat pull`.\n"))
            return EXIT_USAGE
        return EXIT_OK
    data_dir = getattr(args, "data_dir", None)
    line = _ProgressLine(err)
    try:
        plan = library.plan_pull(args.model, data_dir)
        if plan.existing is not None:
            where = _(library.SOURCE_LABELS[plan.existing_source or "downloaded"])
            err.write(
                _("{name} is already on this machine ({where}); nothing to download.\n").format(
                    name=plan.name, where=where
                )
            )
            out.write(f"{plan.existing}\n")
            return EXIT_OK
        err.write(_taking(plan))
        path = library.download(plan, progress=line.update)
    except KeyboardInterrupt:
        line.finish()
        if line.done:
            err.write(
                _(
                    "Stopped; the {format_size} downloaded are kept: run the same command "
                    "again to resume.\n"
                ).format(format_size=library.format_size(line.done))
            )
        else:
            err.write("Stopped.\n")
        return EXIT_INTERRUPTED
    finally:
        line.finish()
    err.write(
        _("Saved {name} ({format_size}), sha256 checked.\n").format(
            name=plan.name, format_size=library.format_size(plan.size)
        )
    )
    out.write(f"{path}\n")
    return EXIT_OK


def _taking(plan: library.PullPlan) -> str:
    from deskchat import library

    text = _("Taking {filename} ({size}) from {repo}").format(
        filename=plan.filename, size=library.format_size(plan.size), repo=plan.repo
    )
    if len(plan.files) > 1:
        parts = len(plan.files)
        text += ngettext(", in {n} part", ", in {n} parts", parts).format(n=number(parts))
    if plan.projector is not None:
        text += _(", with its vision projector {filename}").format(
            filename=plan.projector.path.rsplit("/", 1)[-1]
        )
    if plan.resumable:
        text += _("; resuming with {size} already here").format(
            size=library.format_size(plan.resumable)
        )
    return text + ".\n"


def _write_catalogue(stream: TextIO) -> None:
    from deskchat import library

    machine = library.Machine.current()
    best = library.recommend(machine)
    stream.write(
        _("This machine: {format_size} of RAM ({format_size2} free), {cores} cores.\n").format(
            format_size=library.format_size(machine.total_ram),
            format_size2=library.format_size(machine.available_ram),
            cores=machine.cores,
        )
    )
    for entry in library.CATALOGUE:
        mark = "*" if entry is best else "-" if library.fits(entry, machine) else "x"
        stream.write(
            _("{mark} {spec}\t{size} download, {ram} RAM\t{title}\n").format(
                mark=mark,
                spec=entry.spec,
                size=library.format_size(entry.size),
                ram=library.format_size(entry.ram_needed()),
                title=entry.title,
            )
        )
    stream.write(_("* recommended here, - fits, x needs more free memory than there is now.\n"))


@terminal.reports_errors
def run_rm(args: argparse.Namespace) -> int:
    from deskchat import library

    out = sys.stdout
    removal = library.remove_model(args.name, getattr(args, "data_dir", None))
    model = removal.model
    if not removal.deleted:
        out.write(
            _("Took {name} off the list; the file {path} stays where it is.\n").format(
                name=model.name, path=model.path
            )
        )
    else:
        out.write(
            _("Removed {name} ({format_size} freed).\n").format(
                name=model.name, format_size=library.format_size(removal.freed)
            )
        )
    return EXIT_OK


@terminal.reports_errors
def run_add(args: argparse.Namespace) -> int:
    from deskchat import library

    out = sys.stdout
    path = library.add_model_file(args.file, getattr(args, "data_dir", None))
    out.write(_("Added {stem} ({path}); it stays where it is.\n").format(stem=path.stem, path=path))
    return EXIT_OK


class _ProgressLine:
    """One line that updates in place on a terminal; nothing when output is redirected."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = _isatty(stream)
        self.width = shutil.get_terminal_size().columns
        self.shown = False
        self.done = 0

    def update(self, progress: library.DownloadProgress) -> None:
        from deskchat import library

        self.done = progress.done
        if not self.tty:
            return
        text = library.format_progress(progress)[: max(self.width - 1, 20)]
        self.stream.write(f"\r{text}\x1b[K")
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
