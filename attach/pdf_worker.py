"""The child process that reads a PDF's text with pypdf, so a hostile PDF cannot hang DeskChat.

``python -m deskchat.attach.pdf_worker PATH MAX_PAGES MAX_CHARS PARTIAL`` (in the
frozen build ``DeskChat --pdf-worker ...``) writes one JSON object to stdout:

- ``{"pages": ["text of page 1", ...], "total": N, "cut": false}``: the text,
  page by page; ``cut`` when it stopped at ``MAX_CHARS`` characters or
  ``MAX_PAGES`` pages of a longer PDF (``PARTIAL`` is 1);
- ``{"error": "encrypted" | "broken" | "pages", "total": N}``: why not.

The parent kills it at its deadline; its memory is capped where the OS allows.
"""

from __future__ import annotations

import json
import sys
from typing import Any

__all__ = ["FROZEN_FLAG", "extract", "main"]

FROZEN_FLAG = "--pdf-worker"
"""The frozen executable's flag that runs this child (app/__main__.py checks for it)."""

_MEMORY_CAP = 1024 * 1024 * 1024


def _cap_memory() -> None:
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the deadline still holds.
        return
    try:
        resource.setrlimit(resource.RLIMIT_AS, (_MEMORY_CAP, _MEMORY_CAP))
    except (ValueError, OSError):
        pass


def extract(path: str, max_pages: int, max_chars: int, partial: bool) -> dict[str, Any]:
    """The result object for ``path`` (see the module's docstring)."""
    import logging

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    # pypdf logs every oddity of a damaged file; the parent only needs the verdict.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            try:
                # Many PDFs are encrypted with an empty password (only printing or
                # copying is restricted): those open.
                if not reader.decrypt(""):
                    return {"error": "encrypted", "total": 0}
            except (DependencyError, FileNotDecryptedError, NotImplementedError):
                return {"error": "encrypted", "total": 0}
        total = len(reader.pages)
        if total > max_pages and not partial:
            return {"error": "pages", "total": total}
        pages: list[str] = []
        chars = 0
        cut = total > max_pages
        for page in reader.pages[:max_pages]:
            text = page.extract_text() or ""
            pages.append(text)
            chars += len(text)
            if chars > max_chars:
                cut = True
                break
        return {"pages": pages, "total": total, "cut": cut}
    except FileNotDecryptedError:
        return {"error": "encrypted", "total": 0}
    except PdfReadError as exc:
        return {"error": "broken", "total": 0, "detail": str(exc)[:200]}
    except Exception as exc:  # noqa: BLE001 - a damaged PDF trips pypdf in any number of ways
        return {"error": "broken", "total": 0, "detail": f"{type(exc).__name__}: {exc}"[:200]}


def main(argv: list[str] | None = None) -> int:
    """Run the child: read the PDF named in ``argv``, write the result, exit."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == [FROZEN_FLAG]:
        args = args[1:]
    path, max_pages, max_chars, partial = args[0], int(args[1]), int(args[2]), args[3] == "1"
    _cap_memory()
    sys.setrecursionlimit(5000)
    result = extract(path, max_pages, max_chars, partial)
    sys.stdout.write(json.dumps(result, ensure_ascii=True))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
