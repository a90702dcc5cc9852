"""``deskchat pull``, ``deskchat rm`` and ``deskchat add``: the model library, headless."""

from __future__ import annotations

import argparse
import shutil
import sys
from typing import TYPE_CHECKING, TextIO

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
        help="download a GGUF model from Hugging Face",
        description="Download OWNER/REPO[:QUANT] from Hugging Face, as llama.cpp's -hf does: "
        "the .gguf whose name contains QUANT (default Q4_K_M, else the smallest). A model "
        "already on this machine is used where it is. The download resumes after an "
        "interruption and is checked against the sha256 the Hub publishes. HF_ENDPOINT and "
        "HF_TOKEN (or `hf auth login`) are honoured. Ctrl+C stops and keeps the part.",
    )
    pull.add_argument("model", nargs="?", metavar="OWNER/REPO[:QUANT]", help="what to download")
    pull.add_argument(
        "--list",
        action="store_true",
        help="list small models that run on a CPU, and which fit this machine",
    )
    pull.set_defaults(func=run_pull)

    rm = commands.add_parser(
        "rm",
        parents=[common],
        help="delete a model DeskChat downloaded",
        description="Delete a model DeskChat downloaded (its name as `deskchat models` lists "
        "it, or its path). Models of other apps (the Hugging Face cache, LM Studio, "
        "GPT4All, Ollama) are never deleted; a file you added is only taken off the list.",
    )
    rm.add_argument("name", help="the model's name or path")
    rm.set_defaults(func=run_rm)

    add = commands.add_parser(
        "add",
        parents=[common],
        help="add a .gguf file to the local models",
        description="Remember a .gguf file where it is, so it is listed and can be used by "
        "name. Nothing is copied.",
    )
    add.add_argument("file", help="the .gguf file")
    add.set_defaults(func=run_add)


@terminal.reports_errors
def run_pull(args: argparse.Namespace) -> int:
    from deskchat import library

    out, err = sys.stdout, sys.stderr
    if getattr(args, "list", False) or not args.model:
        _write_catalogue(out if args.list else err)
        if not args.list:
            err.write("Give one of them (or any OWNER/REPO[:QUANT]) to `deskchat pull`.\n")
            return EXIT_USAGE
        return EXIT_OK
    data_dir = getattr(args, "data_dir", None)
    line = _ProgressLine(err)
    try:
        plan = library.plan_pull(args.model, data_dir)
        if plan.existing is not None:
            where = library.SOURCE_LABELS[plan.existing_source or "downloaded"]
            err.write(f"{plan.name} is already on this machine ({where}); nothing to download.\n")
            out.write(f"{plan.existing}\n")
            return EXIT_OK
        err.write(_taking(plan))
        path = library.download(plan, progress=line.update)
    except KeyboardInterrupt:
        line.finish()
        if line.done:
            err.write(
                f"Stopped; the {library.format_size(line.done)} downloaded are kept: "
                "run the same command again to resume.\n"
            )
        else:
            err.write("Stopped.\n")
        return EXIT_INTERRUPTED
    finally:
        line.finish()
    err.write(f"Saved {plan.name} ({library.format_size(plan.size)}), sha256 checked.\n")
    out.write(f"{path}\n")
    return EXIT_OK


def _taking(plan: library.PullPlan) -> str:
    from deskchat import library

    text = f"Taking {plan.filename} ({library.format_size(plan.size)}) from {plan.repo}"
    if len(plan.files) > 1:
        text += f", in {len(plan.files)} parts"
    if plan.resumable:
        text += f"; resuming with {library.format_size(plan.resumable)} already here"
    return text + ".\n"


def _write_catalogue(stream: TextIO) -> None:
    from deskchat import library

    machine = library.Machine.current()
    best = library.recommend(machine)
    stream.write(
        f"This machine: {library.format_size(machine.total_ram)} of RAM "
        f"({library.format_size(machine.available_ram)} free), {machine.cores} cores.\n"
    )
    for entry in library.CATALOGUE:
        mark = "*" if entry is best else "-" if library.fits(entry, machine) else "x"
        stream.write(
            f"{mark} {entry.spec}\t{library.format_size(entry.size)} download, "
            f"{library.format_size(entry.ram_needed())} RAM\t{entry.title}\n"
        )
    stream.write("* recommended here, - fits, x needs more free memory than there is now.\n")


@terminal.reports_errors
def run_rm(args: argparse.Namespace) -> int:
    from deskchat import library

    out = sys.stdout
    removal = library.remove_model(args.name, getattr(args, "data_dir", None))
    model = removal.model
    if not removal.deleted:
        out.write(f"Took {model.name} off the list; the file {model.path} stays where it is.\n")
    else:
        out.write(f"Removed {model.name} ({library.format_size(removal.freed)} freed).\n")
    return EXIT_OK


@terminal.reports_errors
def run_add(args: argparse.Namespace) -> int:
    from deskchat import library

    out = sys.stdout
    path = library.add_model_file(args.file, getattr(args, "data_dir", None))
    out.write(f"Added {path.stem} ({path}); it stays where it is.\n")
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
