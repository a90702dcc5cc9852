"""``python bench/_launch_probe.py [deskchat args]``: the CLI from source, with the paint probe."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _paint_probe  # noqa: E402, F401  (installs itself when DESKCHAT_BENCH_PROBE=1)

from deskchat.cli.main import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
