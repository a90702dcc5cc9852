"""Save a screenshot of a markdown reply to docs/screenshot-markdown.png.

Run from the repository:
``QT_QPA_PLATFORM=offscreen python -m tests.gui.make_markdown_screenshot [--dark] [--out PATH]``.
The window talks to the local fake site (tests/fakes/wordpress.py), so no network is used.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import aiohttp  # noqa: E402
from PySide6.QtGui import QColor, QPalette  # noqa: E402

from deskchat.chat.options import Options, make_provider  # noqa: E402
from deskchat.gui.main_window import MainWindow  # noqa: E402
from tests.fakes.scripted import serving  # noqa: E402
from tests.fakes.wordpress import FakeWordPress  # noqa: E402
from tests.gui.conftest import until  # noqa: E402
from tests.gui.make_screenshot import application, run, save, word_by_word  # noqa: E402

log = logging.getLogger("deskchat.screenshot")
DOCS = Path(__file__).resolve().parents[2] / "docs"

ANSWER = """## Reading a CSV file in Python

The standard library is enough. Three steps:

1. Open the file with `newline=""`.
2. Wrap it in a **`csv.DictReader`**.
3. Loop over the rows — each one is a *dict*.

```python
import csv

def total(path: str) -> float:
    \"\"\"Sum the "amount" column.\"\"\"
    with open(path, newline="") as f:
        return sum(float(row["amount"]) for row in csv.DictReader(f))
```

| Module | Good for | Speed |
|:-------|:---------|------:|
| `csv` | small files | ok |
| `pandas` | analysis | fast |

The mean of the column is $\\bar x = \\frac{1}{n}\\sum_{i=1}^{n} x_i$, and for a
density spread evenly over $[0, 1]$:

$$\\int_0^1 x\\,dx = \\frac{1}{2}$$

See the [csv module docs](https://docs.python.org/3/library/csv.html).
Never run [this](javascript:alert(1)) — it stays plain text, and images
like ![a chart](https://example.com/chart.png) are never loaded.
"""


def dark_palette() -> QPalette:
    """A dark palette like a desktop's dark mode."""
    palette = QPalette()
    role = QPalette.ColorRole
    for name, colour in {
        role.Window: "#202124",
        role.WindowText: "#e8eaed",
        role.Base: "#17181a",
        role.AlternateBase: "#3c2a2a",
        role.Text: "#e8eaed",
        role.Button: "#2d2f33",
        role.ButtonText: "#e8eaed",
        role.Highlight: "#3a6fd8",
        role.HighlightedText: "#ffffff",
        role.Mid: "#44474c",
        role.PlaceholderText: "#9aa0a6",
    }.items():
        palette.setColor(name, QColor(colour))
    return palette


async def shoot(out: Path) -> None:
    site = FakeWordPress()
    async with serving(site.app) as base, aiohttp.ClientSession() as session:
        window = MainWindow(make_provider(Options(provider="chatgptfree", base_url=base), session))
        window.resize(1040, 900)
        window.show()
        window.start()
        # Split into words so the reply streams (and the throttle runs).
        site.reply = word_by_word(ANSWER, 0.002)
        window.session.send("How do I add up a column of a CSV file in Python?")
        await until(lambda: not window.session.busy, seconds=30, what="the reply")
        await asyncio.sleep(0.2)
        window.chat.message_view.scrollToBottom()
        await asyncio.sleep(0.1)
        save(window, out)
        window.close()


def main() -> int:
    app = application()
    out = DOCS / "screenshot-markdown.png"
    if "--out" in sys.argv:
        out = Path(sys.argv[sys.argv.index("--out") + 1])
    if "--dark" in sys.argv:
        app.setPalette(dark_palette())
    return run(shoot(out), app)


if __name__ == "__main__":
    sys.exit(main())
