"""``python -m deskchat``: the same as the ``deskchat`` command (the window without a command).

In the frozen build this is the executable's entry, so DeskChat's child processes
are this executable too: ``DeskChat --llama-worker`` (the built-in engine),
``--pdf-worker`` and ``--terms-worker`` run their module's ``main()``
(:data:`deskchat.children.FROZEN_CHILDREN`) before the command line (and Qt) are
even imported.
"""

from __future__ import annotations

import sys
from importlib import import_module

from deskchat.children import FROZEN_CHILDREN

if __name__ == "__main__" and sys.argv[1:2] and sys.argv[1] in FROZEN_CHILDREN:
    sys.exit(import_module(FROZEN_CHILDREN[sys.argv[1]]).main())

from deskchat.cli.main import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
