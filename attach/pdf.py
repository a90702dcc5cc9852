"""PDFs: their text, page by page, read by a child process that is killed at a deadline.

pypdf is pure Python: a hostile PDF (a loop of references, a page of a
million operators) can keep it busy for minutes, and a thread cannot be
stopped. A child process can: it gets :attr:`Limits.pdf_seconds`, a memory
cap, and its verdict comes back as JSON (see :mod:`deskchat.attach.pdf_worker`).
"""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path
from typing import Any

from deskchat.children import child_command
from deskchat.i18n import _, number

from .errors import BrokenPdfError, EncryptedPdfError, PdfTooLongError, PdfTooSlowError
from .models import Limits
from .pdf_worker import FROZEN_FLAG

__all__ = ["PdfText", "read_pdf_text", "worker_command"]

log = logging.getLogger("deskchat.attach")


class PdfText:
    """A PDF's text as read.

    Attributes:
        pages: each page's text, in order.
        total: the PDF's page count.
        cut: the text stops before the end (the caller allowed part of it).
    """

    def __init__(self, pages: list[str], total: int, cut: bool) -> None:
        self.pages = pages
        self.total = total
        self.cut = cut

    def joined(self) -> str:
        """Every page's text under a ``[Page N]`` line, so the model can cite pages."""
        return "\n\n".join(
            f"[Page {n}]\n{text.strip()}" for n, text in enumerate(self.pages, 1)
        ).strip()


def worker_command() -> list[str]:
    """The argv that starts the child: this interpreter, or the frozen executable itself."""
    return child_command("deskchat.attach.pdf_worker", FROZEN_FLAG)


def read_pdf_text(path: Path, name: str, limits: Limits) -> PdfText:
    """The text of the PDF at ``path``, within ``limits``.

    Raises:
        EncryptedPdfError, BrokenPdfError, PdfTooLongError, PdfTooSlowError.
    """
    max_chars = max(limits.max_tokens, 1) * 8
    argv = [
        *worker_command(),
        str(path),
        str(limits.pdf_pages),
        str(max_chars),
        "1" if limits.allow_partial else "0",
    ]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            timeout=limits.pdf_seconds,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        # run() has killed the child already.
        raise PdfTooSlowError(
            _(
                "Reading “{name}” took longer than {seconds} seconds, so DeskChat stopped; "
                "the PDF may be damaged, or save its pages as text and attach that."
            ).format(name=name, seconds=number(limits.pdf_seconds))
        ) from exc
    result = _verdict(done)
    error = result.get("error")
    if error == "encrypted":
        raise EncryptedPdfError(
            _(
                "“{name}” is protected with a password; open it, save a copy without the "
                "password, and attach that."
            ).format(name=name)
        )
    if error == "pages":
        raise PdfTooLongError(
            _(
                "“{name}” has {pages} pages, more than the {limit} DeskChat reads; attach "
                "the pages you need as a smaller PDF."
            ).format(
                name=name,
                pages=number(int(result.get("total", 0))),
                limit=number(limits.pdf_pages),
            )
        )
    pages = result.get("pages")
    if error is not None or not isinstance(pages, list):
        log.info("PDF %s refused: %s", name, result.get("detail", error))
        raise BrokenPdfError(
            _(
                "“{name}” is damaged or not really a PDF, so its text cannot be read; open "
                "it in a PDF viewer and save or print it to a new PDF."
            ).format(name=name)
        )
    return PdfText(
        [str(p) for p in pages], int(result.get("total", len(pages))), bool(result.get("cut"))
    )


def _verdict(done: subprocess.CompletedProcess[bytes]) -> dict[str, Any]:
    """The child's JSON; a crash (out of memory, a bug) counts as a damaged file."""
    if done.returncode != 0:
        log.info(
            "PDF reader exited with %s: %s",
            done.returncode,
            done.stderr.decode("utf-8", "replace")[-500:],
        )
        return {"error": "broken", "detail": f"exit {done.returncode}"}
    try:
        result = json.loads(done.stdout)
    except ValueError:
        return {"error": "broken", "detail": "no verdict"}
    return result if isinstance(result, dict) else {"error": "broken"}
