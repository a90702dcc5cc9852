"""``python -m deskchat``: the same as the ``deskchat`` command (the window without a command).

In the frozen build this is the executable's entry, so the built-in engine's
child process is this executable too: ``DeskChat --llama-worker`` runs it,
before the command line (and Qt) are even imported.
"""

from __future__ import annotations

import sys

if __name__ == "__main__" and sys.argv[1:2] == ["--llama-worker"]:
    # Keep in step with deskchat.provider.llama_protocol.FROZEN_FLAG.
    from deskchat.provider.llama_worker import main as llama_worker

    sys.exit(llama_worker())

if __name__ == "__main__" and sys.argv[1:2] == ["--pdf-worker"]:
    # Keep in step with deskchat.attach.pdf_worker.FROZEN_FLAG: reads an attached PDF.
    from deskchat.attach.pdf_worker import main as pdf_worker

    sys.exit(pdf_worker())

if __name__ == "__main__" and sys.argv[1:2] == ["--terms-worker"]:
    # Keep in step with deskchat.store.terms.FROZEN_FLAG: a long reply's search terms.
    from deskchat.store.terms_worker import main as terms_worker

    sys.exit(terms_worker())

from deskchat.cli.main import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
